"""Make the benchmark's database: create it if missing, migrate, load articles and demo data.

    make bench-data                                  # 10,000 patients, 50 clinicians
    make bench-data BENCH_DATA_ARGS="--patients 500 --clinicians 5"

Runs `manage.py generate_demo_data --replace`, so it can be run again to start afresh.
"""

import os
import subprocess
import sys
from pathlib import Path

import dj_database_url
import psycopg
from psycopg import sql

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/backcramp_bench"


def create_database(url: str) -> None:
    """Create the database named in the URL, connecting to the server's `postgres` database."""
    settings = dj_database_url.parse(url)
    if settings["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit(f"The benchmark needs PostgreSQL, not {settings['ENGINE']}.")
    server = {
        "host": settings["HOST"] or None,
        "port": settings["PORT"] or None,
        "user": settings["USER"] or None,
        "password": settings["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [settings["NAME"]]
        ).fetchone()
        if not exists:
            connection.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings["NAME"]))
            )
            print(f"Created database {settings['NAME']}")  # noqa: T201


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    create_database(url)
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "bench-data-only"),
    )
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["load_bench_library"],
        ["generate_demo_data", "--replace", *sys.argv[1:]],
    ):
        subprocess.run([*manage, *command], env=env, check=True, cwd=BASE_DIR)


if __name__ == "__main__":
    main()
