"""Rows and bytes of each of the portal's tables per patient-year of data (docs/scale.md).

    DATABASE_URL=postgres://.../backcramp_scale python manage.py table_sizes

A patient-year is one patient's account open for a year: the sum over patients of the time
since they joined. Bytes are PostgreSQL's own: the table (heap), its indexes, and the rest of
`pg_total_relation_size` (TOAST, free space and visibility maps).
"""

import datetime
from dataclasses import dataclass

from django.apps import apps
from django.db import connection

from accounts.models import User

DAYS_A_YEAR = 365.25


@dataclass(frozen=True)
class TableSize:
    table: str
    rows: int
    heap_bytes: int
    index_bytes: int
    total_bytes: int

    @property
    def other_bytes(self) -> int:
        """TOAST and the free space and visibility maps."""
        return self.total_bytes - self.heap_bytes - self.index_bytes


def patient_years(*, now: datetime.datetime) -> float:
    """Return the years that every patient's account has been open, added up."""
    joined = User.objects.filter(patient_profile__isnull=False).values_list(
        "date_joined", flat=True
    )
    days = sum((now - moment).total_seconds() for moment in joined) / 86_400
    return days / DAYS_A_YEAR


def portal_tables() -> list[str]:
    """Return the table of every installed model, many-to-many tables included."""
    tables = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            tables.add(model._meta.db_table)
    return sorted(tables)


def table_sizes(tables: list[str]) -> list[TableSize]:
    """Count each table's rows exactly and read its sizes from PostgreSQL, largest first."""
    if connection.vendor != "postgresql":
        raise RuntimeError("Table sizes are read from PostgreSQL's catalogue.")
    sizes = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT pg_relation_size(%s::regclass), pg_indexes_size(%s::regclass), "
                "pg_total_relation_size(%s::regclass)",
                [table, table, table],
            )
            heap, indexes, total = cursor.fetchone()
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            (rows,) = cursor.fetchone()
            sizes.append(TableSize(table, rows, heap, indexes, total))
    return sorted(sizes, key=lambda size: (-size.total_bytes, size.table))


def report(sizes: list[TableSize], *, years: float, patients: int) -> str:
    """Return a Markdown table of the sizes, per patient-year, with the totals."""
    total = sum(size.total_bytes for size in sizes)
    lines = [
        f"{patients:,} patients, {years:,.1f} patient-years; {total / 1e6:,.1f} MB in "
        f"{len(sizes)} tables (database: {database_bytes() / 1e6:,.1f} MB)",
        "",
        "| table | rows | heap MB | index MB | other MB | total MB | share | "
        "rows / patient-year | KB / patient-year | bytes / row |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        per_row = f"{size.total_bytes / size.rows:,.0f}" if size.rows else "-"
        lines.append(
            f"| {size.table} | {size.rows:,} | {size.heap_bytes / 1e6:,.2f} | "
            f"{size.index_bytes / 1e6:,.2f} | {size.other_bytes / 1e6:,.2f} | "
            f"{size.total_bytes / 1e6:,.2f} | {size.total_bytes / total:.1%} | "
            f"{size.rows / years:,.1f} | {size.total_bytes / years / 1e3:,.1f} | {per_row} |"
        )
    rows = sum(size.rows for size in sizes)
    lines.append(
        f"| all | {rows:,} | | | | {total / 1e6:,.2f} | 100% | {rows / years:,.1f} | "
        f"{total / years / 1e3:,.1f} | |"
    )
    return "\n".join(lines)


def database_bytes() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return int(cursor.fetchone()[0])
