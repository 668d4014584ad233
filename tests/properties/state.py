"""A snapshot of every table the project's apps own, to tell which ones a request changed."""

import functools
from collections.abc import Callable

from django.apps import apps
from django.core.cache import cache
from django.db import connection, transaction

APPS = ("accounts", "tracker", "clinic", "education")
# Set on every sign-in; the client signs in for each example, which is not the request's doing.
IGNORED_FIELDS = {"last_login"}

Snapshot = dict[str, list[tuple]]
# One row per patient, keyed by the patient's id: the stored assessment every write keeps current.
STATUS = "tracker.PatientStatus"


@functools.cache
def _queries() -> tuple[tuple[str, str], ...]:
    """Return (label, SQL) reading each project table, the primary key first, in key order.

    Plain SQL, not the ORM: it runs twice per example, and the ORM's cost per query would
    take most of the time budget.
    """
    quote = connection.ops.quote_name
    queries = []
    for label in APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.proxy:  # a proxy shares its model's table
                continue
            pk = model._meta.pk.column
            columns = [pk] + [
                field.column
                for field in model._meta.concrete_fields
                if field.column != pk and field.attname not in IGNORED_FIELDS
            ]
            select = ", ".join(quote(column) for column in columns)
            queries.append(
                (
                    model._meta.label,
                    f"SELECT {select} FROM {quote(model._meta.db_table)} ORDER BY {quote(pk)}",
                )
            )
    return tuple(queries)


def snapshot() -> Snapshot:
    """Return every row of every project table (join tables too), primary key first."""
    tables: Snapshot = {}
    with connection.cursor() as cursor:
        for label, sql in _queries():
            cursor.execute(sql)
            tables[label] = [tuple(row) for row in cursor.fetchall()]
    return tables


def changed_tables(
    before: Snapshot, after: Snapshot, *, own_status_of: int | None = None
) -> set[str]:
    """Return the labels of the tables whose rows differ between the two snapshots.

    With `own_status_of` (the id of the person who made the request), a change to that
    person's own row of tracker.PatientStatus alone is not counted: any page a signed-in
    person reads may create or refresh their own stored status when it is missing or stale
    (tracker.services.status_for). Anybody else's status row changing still counts.
    """
    changed = {label for label in before if before[label] != after[label]}
    if own_status_of is not None and STATUS in changed:
        if _other_rows(before[STATUS], own_status_of) == _other_rows(after[STATUS], own_status_of):
            changed.discard(STATUS)
    return changed


def _other_rows(rows: list[tuple], pk: int) -> list[tuple]:
    return [row for row in rows if row[0] != pk]


def changed_statuses(before: Snapshot, after: Snapshot) -> set[int]:
    """Return the ids of the people whose stored status was created, changed or deleted."""
    old, new = set(before[STATUS]), set(after[STATUS])
    return {row[0] for row in old ^ new}


def new_rows(before: Snapshot, after: Snapshot, label: str) -> list[tuple]:
    """Return the rows of one table that are in `after` and not in `before`."""
    old = set(before[label])
    return [row for row in after[label] if row not in old]


def rolled_back(test: Callable[..., None]) -> Callable[..., None]:
    """Run each example in a savepoint that is rolled back, so examples cannot affect each other.

    Put it under @given: Hypothesis then calls the wrapper once per example. Without it a row
    one example wrote would change what the next example (or a replay while shrinking) sees.
    """

    @functools.wraps(test)
    def wrapper(*args: object, **kwargs: object) -> None:
        # Each example is a new visitor: the rate limits' counts (in the cache) start afresh.
        cache.clear()
        with transaction.atomic():
            test(*args, **kwargs)
            transaction.set_rollback(True)

    return wrapper
