"""A real worker on Redis (issue 18): CI starts Redis (.ci/run), and these tests send through it.

The first runs Celery's own embedded worker in a thread of the test process, on both databases;
the second starts `celery -A portal worker` as its own process, on PostgreSQL, whose test
database another process can open.
"""

import datetime
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection
from django.utils import timezone

from notifications import services
from notifications.models import Delivery
from portal import celery_app
from tests.conftest import make_user
from tests.notifications.brokers import broker_at
from tracker import reminders
from tracker.models import Reminder

BROKER = os.environ.get("PORTAL_TEST_BROKER_URL", "redis://127.0.0.1:6379/14")
ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition: Callable[[], bool], *, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def broker() -> Iterator[str]:
    """Send tasks to the machine's Redis (database 14, emptied first) instead of running them."""
    client = redis.Redis.from_url(BROKER)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.fail(f"No Redis at {BROKER}: .ci/run starts one; locally run redis-server")
    client.flushdb()
    with broker_at(BROKER):
        yield BROKER
    client.flushdb()


# Serialized rollback: a plain flush would make the role groups again under new ids, which
# tests/ops/test_backup.py (restoring rows with their own ids) then meets twice.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reminder_goes_out_through_a_worker_on_redis(broker: str) -> None:
    alice = make_user("alice")
    now = timezone.now()
    reminder = Reminder(
        patient=alice,
        daily=True,
        at=(now - datetime.timedelta(minutes=1)).astimezone(alice.zone).time(),
    )
    reminders.save_choices(reminder=reminder, now=now - datetime.timedelta(minutes=2))
    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        reminders.send_due_reminders(now=now)
        # Watch the e-mail outbox, not the database: on SQLite this thread and the worker's
        # share one in-memory database, and polling it would lock the worker's writes out.
        assert wait_for(lambda: len(mail.outbox) == 1)
    (message,) = mail.outbox
    assert message.to == [alice.email] and message.subject == "Your daily reminder"
    assert Delivery.objects.get(recipient=alice).status == Delivery.Status.SENT


@pytest.mark.postgresql
# Serialized rollback: a plain flush would make the role groups again under new ids, which
# tests/ops/test_backup.py (restoring rows with their own ids) then meets twice.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_command_sends_what_waits_in_the_outbox(broker: str) -> None:
    alice = make_user("alice")
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "CELERY_BROKER_URL": broker,
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool",
            "solo",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        delivery = services.queue_email(
            to=alice.email,
            subject="Hello",
            body="...",
            kind=Delivery.Kind.ACCOUNT,
            recipient=alice,
            local_date=timezone.now().date(),
        )
        assert delivery is not None
        sent = wait_for(
            lambda: Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.SENT, seconds=60
        )
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    assert sent, output
