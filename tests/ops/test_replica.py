"""The read replica, for real (issue 21): gunicorn with two workers on a primary and a streaming
replica made with pg_basebackup (tests/ops/clusters.py).

What is checked, through the pages a patient uses:
- a request that only reads is served by the replica (with the replica's replay paused, a
  second device of the patient does not see a drink the first just logged);
- the writer sees what they wrote at once (the pin), and everyone does once the replica is
  further behind than DATABASE_REPLICA_MAX_LAG (reads fall back to the primary);
- with the replica stopped, every page still answers, from the primary, and reads return to
  the replica once it is back.
"""

import os
import re
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests

from portal.replica import LAG_SQL, PIN_COOKIE
from tests.conftest import PASSWORD
from tests.ops.clusters import Pair, free_port

ROOT = Path(__file__).resolve().parents[2]
MAX_LAG = 6
PIN = 8
CHECK = 1

pytestmark = pytest.mark.postgresql


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    pair = Pair()
    try:
        pair.make_primary()
        pair.primary.sql("CREATE DATABASE portal")
        pair.primary.sql("CREATE TABLE probe (at timestamptz)", "portal")
        manage(pair, "migrate", "--noinput", "-v0")
        manage(pair, "shell", "-c", "from tests.conftest import make_user; make_user('pat')")
        pair.make_replica()
        yield pair
    finally:
        pair.remove()


def environment(pair: Pair) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": pair.primary.url("portal"),
        "DATABASE_REPLICA_URL": pair.replica.url("portal"),
        "DATABASE_REPLICA_MAX_LAG": str(MAX_LAG),
        "DATABASE_REPLICA_PIN_SECONDS": str(PIN),
        "DATABASE_REPLICA_CHECK_SECONDS": str(CHECK),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "REDIS_URL": "",
    }


def manage(pair: Pair, *args: str) -> None:
    env = {**environment(pair), "DATABASE_REPLICA_URL": ""}
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, timeout=120)


@pytest.fixture(scope="module")
def server(pair: Pair, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--no-control-socket", "--access-logfile", "-"],
            cwd=ROOT, env=environment(pair), stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if requests.get(f"{base}/ping/", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            pytest.fail(log.read_text(errors="replace"))
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
    errors = re.findall(r'" 5\d\d ', log.read_text(errors="replace"))
    assert not errors, log.read_text(errors="replace")


def signed_in(base: str) -> requests.Session:
    """The patient, signed in on a device of their own."""
    device = requests.Session()
    page = device.get(f"{base}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text
    answer = device.post(
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": token[1], "login": "pat", "password": PASSWORD},
        timeout=10,
    )
    assert answer.ok and "/accounts/login/" not in answer.url, answer.text
    return device


def drinks_page(device: requests.Session, base: str) -> str:
    page = device.get(f"{base}/tracker/drinks/", timeout=10)
    assert page.status_code == 200, page.status_code
    return page.text


def log_drink(device: requests.Session, base: str, amount: int) -> str:
    """Log a drink through the quick-add form; return the page the patient lands on."""
    page = drinks_page(device, base)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    day = re.search(r'name="day" value="([\d-]+)"', page)
    assert token and day
    answer = device.post(
        f"{base}/tracker/drinks/add/",
        data={
            "csrfmiddlewaretoken": token[1],
            "submission_key": str(uuid.uuid4()),
            "day": day[1],
            "amount_ml": str(amount),
        },
        timeout=10,
    )
    assert answer.status_code == 200 and answer.history, answer.text
    return answer.text


def shows(page: str, amount: int) -> bool:
    return f"{amount} ml" in page


def stored(pair: Pair, where: str, amount: int) -> bool:
    cluster = pair.primary if where == "primary" else pair.replica
    return bool(
        cluster.sql(f"SELECT count(*) FROM tracker_drink WHERE amount_ml = {amount}", "portal")
    )


def fresh_probe(pair: Pair) -> float:
    """Commit a transaction on the primary and wait until the replica has replayed it; the
    replica's lag is then measured from (about) the time returned."""
    before = time.monotonic()
    pair.primary.sql("INSERT INTO probe VALUES (now())", "portal")
    pair.wait_until_replayed()
    return before


def forget_pin(device: requests.Session) -> None:
    """As if the pin had run out (it lasts PIN seconds)."""
    for cookie in list(device.cookies):
        if cookie.name == PIN_COOKIE:
            device.cookies.clear(cookie.domain, cookie.path, cookie.name)
    assert PIN_COOKIE not in device.cookies


def test_reads_go_to_the_replica_and_the_writer_reads_their_write(pair: Pair, server: str) -> None:
    phone, tablet = signed_in(server), signed_in(server)
    forget_pin(tablet)  # the tablet has not written since it signed in
    probed = fresh_probe(pair)
    pair.replica.sql("SELECT pg_wal_replay_pause()")
    try:
        # The phone logs a drink (the page it lands on says so in a message).
        assert shows(log_drink(phone, server, 333), 333)
        assert phone.cookies.get(PIN_COOKIE)
        assert stored(pair, "primary", 333) and not stored(pair, "replica", 333)
        # The tablet reads from the replica, a few seconds behind: not yet there.
        for _ in range(4):  # both gunicorn workers
            assert not shows(drinks_page(tablet, server), 333)
        assert time.monotonic() - probed < MAX_LAG, "too slow to tell the replica's answer"
        # The phone, pinned, sees it in the day's list, read from the primary.
        assert shows(drinks_page(phone, server), 333)
        # Past the lag allowed, the replica is out of use: the tablet reads from the primary.
        time.sleep(max(0.0, probed + MAX_LAG + CHECK + 0.5 - time.monotonic()))
        for _ in range(4):
            assert shows(drinks_page(tablet, server), 333)
        assert not stored(pair, "replica", 333), "the replica must still be paused"
    finally:
        pair.replica.sql("SELECT pg_wal_replay_resume()")
    pair.wait_until_replayed()
    assert stored(pair, "replica", 333)
    assert shows(drinks_page(tablet, server), 333)


def test_reads_fall_back_to_the_primary_while_the_replica_is_down(pair: Pair, server: str) -> None:
    phone, tablet = signed_in(server), signed_in(server)
    forget_pin(tablet)
    health = requests.get(f"{server}/health/", timeout=10).json()
    assert health["replica"] == "ok" and health["replica_lag_seconds"] < MAX_LAG
    pair.replica.stop("immediate")
    try:
        health = requests.get(f"{server}/health/", timeout=10)
        assert health.status_code == 200  # the primary serves every read meanwhile
        assert health.json()["replica"] == "down: OperationalError"
        assert shows(log_drink(phone, server, 444), 444)
        for _ in range(4):
            assert shows(drinks_page(tablet, server), 444)
            assert requests.get(f"{server}/articles/", timeout=10).status_code == 200
    finally:
        pair.replica.start()
    # Back: once it has caught up and a check has found it well, reads go to it again.
    time.sleep(CHECK + 0.2)
    probed = fresh_probe(pair)
    pair.replica.sql("SELECT pg_wal_replay_pause()")
    try:
        log_drink(phone, server, 555)
        for _ in range(4):
            assert not shows(drinks_page(tablet, server), 555)
        assert time.monotonic() - probed < MAX_LAG, "too slow to tell the replica's answer"
    finally:
        pair.replica.sql("SELECT pg_wal_replay_resume()")


def test_a_role_without_statistics_rights_still_sees_a_streaming_replica(pair: Pair) -> None:
    """The app's own role, not a superuser, sees pg_stat_wal_receiver's row with its status
    hidden: the lag query must still find the replica usable (and not when it is cut off)."""
    pair.primary.sql("CREATE ROLE portal_reader LOGIN")
    pair.wait_until_replayed()
    url = pair.replica.url("portal").replace("postgres@", "portal_reader@")
    with psycopg.connect(url, autocommit=True) as reader:
        assert reader.execute("SELECT status FROM pg_stat_wal_receiver").fetchone() == (None,)
        in_recovery, streaming, lag = reader.execute(LAG_SQL).fetchone()
    assert in_recovery and streaming and float(lag) < MAX_LAG
    # Cut off: the primary stops, its WAL receiver goes away.
    pair.primary.stop()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with psycopg.connect(url, autocommit=True) as reader:
                streaming = reader.execute(LAG_SQL).fetchone()[1]
            if not streaming:
                break
            time.sleep(0.2)
        assert not streaming
    finally:
        pair.primary.start()
