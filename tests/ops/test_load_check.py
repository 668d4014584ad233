"""The load tool: the Locust scenarios (scripts/locustfile.py) run for a few seconds against a
live server, and the check (scripts/load_check.py) compares what they acknowledged with the
rows stored."""

import argparse
import importlib.util
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.test.testcases import LiveServerThread, _StaticFilesHandler

from accounts.roles import CLINICIANS, ensure_role_groups
from accounts.second_factor import give_totp
from tests.conftest import PASSWORD, make_article, make_user
from tests.factories import share


def import_script(name: str) -> ModuleType:
    """Import a script of scripts/ (a folder of programs, not a package)."""
    path = Path(django_settings.BASE_DIR) / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


load_check = import_script("load_check")


class OneAtATime(_StaticFilesHandler):
    """Serve one request at a time: on SQLite every thread of the live server shares the test's
    in-memory connection, and two transactions at once on it would fail."""

    lock = threading.Lock()

    def __call__(self, environ: dict, start_response: object) -> object:
        with self.lock:
            return super().__call__(environ, start_response)


@pytest.fixture
def server(transactional_db: None, settings: object) -> Iterator[str]:
    """Serve the portal on a free port; return its address."""
    # Plain HTTP on loopback, as scripts/load_check.py serves it (DJANGO_SECURE_COOKIES=0).
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # type: ignore[attr-defined]
    shared = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
    thread = LiveServerThread("127.0.0.1", static_handler=OneAtATime, connections_override=shared)
    thread.daemon = True
    for connection in shared.values():
        connection.inc_thread_sharing()
    thread.start()
    thread.is_ready.wait()
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()
    for connection in shared.values():
        connection.dec_thread_sharing()


@pytest.fixture
def run(server: str, tmp_path: Path) -> dict:
    """Run two patients, a clinician and a reader for 6 s; return the record and the rows."""
    # An earlier test's serialized rollback may have flushed the database without making the
    # role groups again: without them bob would be no clinician (his queue a 404).
    ensure_role_groups()
    alice, bob = make_user("alice"), make_user("bob", groups=(CLINICIANS,))
    make_user("charlie")
    share(alice, bob)
    make_article(slug="night-cramps", title="Night cramps")
    accounts = {
        "password": PASSWORD,
        "patients": ["alice", "charlie"],
        "clinicians": [{"username": "bob", "totp_secret": give_totp(bob)}],
    }
    (tmp_path / "accounts.json").write_text(json.dumps(accounts))
    before = load_check.stored_writes(accounts["patients"])
    args = argparse.Namespace(patients=2, clinicians=1, readers=1, seconds=6, repeat_rate=0.5)
    load_check.run_locust(args, host=server, work=tmp_path)
    record = json.loads((tmp_path / "record.json").read_text())
    return {
        "record": record,
        "before": before,
        "after": load_check.stored_writes(accounts["patients"]),
        "requests": {name: entry["requests"] for name, entry in record["by_name"].items()},
    }


def test_acknowledged_writes_match_the_rows_and_the_check_sees_a_difference(run: dict) -> None:
    record = run["record"]
    assert load_check.compare(record, run["before"], run["after"]) == []
    assert set(record["acked"]) == {"alice", "charlie"}
    for name in ("alice", "charlie"):
        acked = record["acked"][name]
        assert run["after"][name].drinks == len(acked.get("drink", []))
        assert run["after"][name].episodes == len(acked.get("episode", []))
    assert record["unacked"] == []
    assert sorted(record["logged_in"]["patient"]) == ["alice", "charlie"]
    assert record["logged_in"]["clinician"] == ["bob"]
    assert record["errors"] == []
    assert record["unexpected"] == []
    # Forms sent twice on purpose (half of them here) landed where the first did.
    assert record["repeats"] >= 1
    assert record["repeat_problems"] == []
    # bob passed his second factor and opened alice, the patient who shares with him.
    assert run["requests"]["second factor"] == 1
    assert run["requests"]["clinic patient"] >= 1
    assert run["requests"]["articles"] == 1

    # A write acknowledged but not stored, and one stored but never acknowledged.
    name, writes = next(iter(record["acked"].items()))
    what, keys = next((what, keys) for what, keys in writes.items() if keys)
    lost = "00000000-0000-4000-8000-000000000000"
    record["acked"][name][what] = [*keys[1:], lost]
    assert load_check.compare(record, run["before"], run["after"]) == [
        f"{name}: acknowledged keys not stored ['{lost}']",
        f"{name}: stored keys never acknowledged ['{keys[0]}']",
    ]
    record["acked"][name][what] = keys[1:]
    assert load_check.compare(record, run["before"], run["after"])[0] == (
        f"{name}: {len(keys)} {what}s stored, {len(keys) - 1} acked"
    )
