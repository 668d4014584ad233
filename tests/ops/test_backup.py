"""Backups: what scripts/backup.sh writes, scripts/restore.sh puts back, row for row."""

import datetime
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from psycopg import sql

from tests.conftest import make_article, make_user
from tests.factories import add_drink, log_episode
from tracker.models import Trigger

SCRIPTS = Path(settings.BASE_DIR) / "scripts"


def url_for(name: str) -> str:
    """Return a DATABASE_URL for another database on the test database's server."""
    params = connection.settings_dict
    user = quote(params["USER"] or "", safe="")
    password = f":{quote(params['PASSWORD'], safe='')}" if params["PASSWORD"] else ""
    credentials = f"{user}{password}@" if user else ""
    port = f":{params['PORT']}" if params["PORT"] else ""
    return f"postgres://{credentials}{params['HOST']}{port}/{quote(name, safe='')}"


def row_counts(url: str) -> dict[str, int]:
    """Return the number of rows in every table of the database."""
    with psycopg.connect(url) as db:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        return {
            table: db.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()[0]
            for table in tables
        }


def run_script(name: str, *args: str, database_url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPTS / name), *args],
        env={**os.environ, "DATABASE_URL": database_url},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def empty_database() -> Iterator[str]:
    """Create a fresh, empty database beside the test database; drop it afterwards."""
    name = f"{connection.settings_dict['NAME']}_restore"
    server = url_for("postgres")
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(server, autocommit=True) as db:
        db.execute(drop)
        db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield url_for(name)
    with psycopg.connect(server, autocommit=True) as db:
        db.execute(drop)


@pytest.mark.postgresql
# Committed rows, so that pg_dump (another connection) sees them; the migrations' own rows
# (groups, permissions) are put back afterwards for the tests that run later.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_backup_restored_into_a_fresh_database_has_every_row(
    tmp_path: Path, empty_database: str
) -> None:
    alice, charlie = make_user("alice"), make_user("charlie")
    start = timezone.now() - datetime.timedelta(days=3)
    for patient, episodes in ((alice, 3), (charlie, 1)):
        for number in range(episodes):
            log_episode(
                patient,
                start=start + datetime.timedelta(hours=number),
                severity=5,
                triggers=[Trigger.COLD],
            )
    add_drink(alice, day=start.date(), ml=250)
    make_article(slug="stretching", steps=("Lie on your back.", "Bring one knee up."))
    make_article(slug="heat")
    source = url_for(connection.settings_dict["NAME"])
    dump = tmp_path / "nested" / "portal.dump"

    backup = run_script("backup.sh", str(dump), database_url=source)
    assert backup.returncode == 0, backup.stderr
    assert dump.stat().st_mode & 0o077 == 0, "a backup of health data is for its owner only"
    restore = run_script("restore.sh", "--yes", str(dump), database_url=empty_database)
    assert restore.returncode == 0, restore.stderr

    expected = row_counts(source)
    assert expected["portal_user"] == 2
    assert expected["tracker_episode"] == 4
    assert expected["tracker_episodetrigger"] == 4
    assert expected["tracker_patientstatus"] == 2
    assert expected["education_article"] == 2
    assert row_counts(empty_database) == expected


def test_restore_refuses_without_a_confirmation(tmp_path: Path) -> None:
    dump = tmp_path / "portal.dump"
    dump.write_bytes(b"not read: the script stops before")

    result = run_script(
        "restore.sh", str(dump), database_url="postgres://nobody@127.0.0.1:1/never_touched"
    )

    assert result.returncode == 2
    assert "pass --yes" in result.stderr


def test_backup_refuses_a_database_that_is_not_postgresql(tmp_path: Path) -> None:
    result = run_script("backup.sh", str(tmp_path / "x.dump"), database_url="sqlite:///db.sqlite3")

    assert result.returncode == 2
    assert "PostgreSQL only" in result.stderr
    assert not (tmp_path / "x.dump").exists()
