"""A snapshot of every table the project's apps own, to tell which ones a request changed."""

import functools
from collections.abc import Callable

from django.apps import apps
from django.db import connection, transaction

APPS = ("accounts", "tracker", "clinic", "education")
# Set on every sign-in; the client signs in for each example, which is not the request's doing.
IGNORED_FIELDS = {"last_login"}

Snapshot = dict[str, list[tuple]]


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


def changed_tables(before: Snapshot, after: Snapshot) -> set[str]:
    """Return the labels of the tables whose rows differ between the two snapshots."""
    return {label for label in before if before[label] != after[label]}


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
        with transaction.atomic():
            test(*args, **kwargs)
            transaction.set_rollback(True)

    return wrapper
