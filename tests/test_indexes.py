"""No column has an index of its own when a composite index already starts with it.

Such a duplicate is not only wasted writing: PostgreSQL preferred the smaller single-column index
on Episode.patient, CheckIn.patient and the others, and then filtered a patient's whole history
for a dashboard's window: the SQL for five years of logs took four times a typical patient's
(docs/performance.md).
"""

import pytest
from django.apps import apps
from django.db import connection, models

OUR_APPS = ("accounts", "education", "tracker", "clinic")


def leading_columns(model: type[models.Model]) -> set[str]:
    """The first field of each unconditional composite index or unique constraint (a partial
    one covers only some rows, so it cannot stand in for the column's own index)."""
    meta = model._meta
    composites = [
        index.fields for index in meta.indexes if len(index.fields) > 1 and index.condition is None
    ]
    composites += [
        constraint.fields
        for constraint in meta.constraints
        if isinstance(constraint, models.UniqueConstraint)
        and len(constraint.fields) > 1
        and constraint.condition is None
    ]
    composites += [fields for fields in meta.unique_together if len(fields) > 1]
    return {fields[0].lstrip("-") for fields in composites}


def duplicate_indexes(model: type[models.Model]) -> list[str]:
    """The fields with an index of their own that a composite index already starts with."""
    covered = leading_columns(model)
    return [
        f"{model._meta.label}.{field.name}"
        for field in model._meta.local_fields
        if field.name in covered and field.db_index and not field.unique
    ]


def test_no_single_column_index_repeats_a_composite_ones_first_column() -> None:
    duplicates = [
        duplicate
        for app in OUR_APPS
        for model in apps.get_app_config(app).get_models()
        for duplicate in duplicate_indexes(model)
    ]
    assert duplicates == []


@pytest.mark.django_db
@pytest.mark.postgresql  # Django's SQLite introspection fails on one of these tables' SQL
def test_the_migrated_database_keeps_the_foreign_keys_but_not_their_own_indexes() -> None:
    # The migrations drop these indexes by name, without touching the constraints. (On SQLite a
    # wrong name fails the migration itself: their DROP INDEX has no IF EXISTS.)
    checked = []
    with connection.cursor() as cursor:
        for app in OUR_APPS:
            for model in apps.get_app_config(app).get_models():
                table = model._meta.db_table
                columns = [
                    field.column
                    for field in model._meta.local_fields
                    if field.name in leading_columns(model) and field.is_relation
                ]
                if not columns:
                    continue
                found = connection.introspection.get_constraints(cursor, table).values()
                for column in columns:
                    own_index = [
                        c
                        for c in found
                        if c["index"] and c["columns"] == [column] and not c["unique"]
                    ]
                    foreign_key = [
                        c for c in found if c["foreign_key"] and c["columns"] == [column]
                    ]
                    assert own_index == [], f"{table}.{column}"
                    assert foreign_key, f"{table}.{column} lost its foreign key"
                    checked.append(f"{table}.{column}")
    # 14, then consents, revisions and their steps (issue 19), then medicine doses, weekly
    # scores, report links and their openings, and clinicians' messages (issue 20).
    assert len(checked) == 22


def test_the_check_sees_a_duplicate(monkeypatch) -> None:
    # The rule above would pass on nothing at all; show it flags the case it exists for, and
    # only that: Share.patient has its own index, but no composite index starts with it.
    episode = apps.get_model("tracker", "Episode")
    assert duplicate_indexes(episode) == []
    monkeypatch.setattr(episode._meta.get_field("patient"), "db_index", True)
    assert duplicate_indexes(episode) == ["tracker.Episode.patient"]
    share = apps.get_model("clinic", "Share")
    assert share._meta.get_field("patient").db_index
    assert duplicate_indexes(share) == []
