"""The user model moved from the portal app to accounts without touching an existing database.

A database migrated before the move has the portal app's migrations recorded, the user's content
type under "portal" and the tables portal_user, portal_user_groups and
portal_user_user_permissions. Migrating it must change no table, keep every row, and leave the
content type (with its permissions and the admin's log entries) attached under "accounts".
"""

from collections.abc import Iterator

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from accounts.models import User
from accounts.roles import CLINICIANS
from tests.conftest import make_user

ACCOUNTS_MIGRATIONS = {"0001_initial", "0002_roles", "0003_user_content_type"}


def recorded(app: str) -> set[str]:
    return set(MigrationRecorder.Migration.objects.filter(app=app).values_list("name", flat=True))


@pytest.fixture
def migration_records() -> Iterator[None]:
    """Put django_migrations back as it was: the flush after a transactional test leaves it."""
    rows = list(MigrationRecorder.Migration.objects.values_list("app", "name"))
    yield
    MigrationRecorder.Migration.objects.all().delete()
    MigrationRecorder.Migration.objects.bulk_create(
        MigrationRecorder.Migration(app=app, name=name) for app, name in rows
    )


def look_like_before_the_move() -> None:
    """Record the migrations and name the content type as a database had them before the move."""
    MigrationRecorder.Migration.objects.filter(app__in=["accounts", "portal"]).delete()
    for name in ("0001_initial", "0002_roles"):
        MigrationRecorder.Migration.objects.create(app="portal", name=name)
    ContentType.objects.filter(app_label="accounts", model="user").update(app_label="portal")
    ContentType.objects.clear_cache()


def test_the_user_keeps_the_tables_it_had_in_the_portal_app(db) -> None:
    tables = {
        User._meta.db_table,
        User.groups.through._meta.db_table,
        User.user_permissions.through._meta.db_table,
    }

    assert tables == {"portal_user", "portal_user_groups", "portal_user_user_permissions"}
    assert tables <= set(connection.introspection.table_names())


# Migrating cannot run inside a test's transaction. A plain transactional test's flush would
# recreate the role groups under new ids (PostgreSQL does not reuse them), and
# tests/ops/test_backup.py, which reloads the migrated rows with their own ids, would then meet
# each group's name twice. With serialized rollback the flush recreates nothing.
TRANSACTIONAL = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@TRANSACTIONAL
def test_a_database_migrated_before_the_move_changes_no_table_and_keeps_its_rows(
    migration_records: None,
) -> None:
    bob = make_user("bob", groups=(CLINICIANS,))
    content_type = ContentType.objects.get_for_model(User)
    bob.user_permissions.add(
        Permission.objects.get(content_type=content_type, codename="view_user")
    )
    LogEntry.objects.log_actions(
        user_id=bob.pk, queryset=[bob], action_flag=ADDITION, single_object=True
    )
    look_like_before_the_move()

    # Up to the move itself: the migrations made after it (0004 on) are ordinary ones.
    move = ("accounts", "0003_user_content_type")
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan([move])
    assert [(migration.app_label, migration.name) for migration, _ in plan] == [move], (
        "only the content type's rename is left to run: no table is created or changed"
    )

    call_command("migrate", *move, verbosity=0)

    assert recorded("accounts") == ACCOUNTS_MIGRATIONS
    ContentType.objects.clear_cache()
    assert ContentType.objects.get_for_model(User).pk == content_type.pk
    assert not ContentType.objects.filter(app_label="portal").exists()
    bob = User.objects.get(username="bob")
    assert list(bob.groups.all()) == [Group.objects.get(name=CLINICIANS)]
    assert bob.has_perm("accounts.view_user")
    assert LogEntry.objects.get().get_edited_object() == bob


@TRANSACTIONAL
def test_unapplying_the_rename_gives_the_content_type_back_to_the_portal_app(
    migration_records: None,
) -> None:
    content_type = ContentType.objects.get_for_model(User)

    call_command("migrate", "accounts", "0002_roles", verbosity=0)
    try:
        assert ContentType.objects.get(app_label="portal", model="user").pk == content_type.pk
    finally:
        # Unapplying went through the migrations after the move too (0004 drops the identity
        # columns): put the schema back for the tests after this one.
        call_command("migrate", verbosity=0)
