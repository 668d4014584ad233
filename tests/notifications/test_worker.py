"""A real worker on Redis (issue 18): CI starts Redis (.ci/run), and these tests send through it.

The first runs Celery's own embedded worker in a thread of the test process, on both databases;
the second starts `celery -A portal worker` as its own process, on PostgreSQL, whose test
database another process can open.
"""

import datetime
import json
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


def worker_environment(broker: str, **variables: str) -> dict[str, str]:
    """The environment of a worker process on this test's PostgreSQL database and broker."""
    database = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "CELERY_BROKER_URL": broker,
        **variables,
    }


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
    env = worker_environment(
        broker, DJANGO_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
    )
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


def start_worker_process(name: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "-n", f"{name}@%h",
         "--concurrency", "2", "--without-gossip", "--without-mingle", "-l", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


@pytest.mark.postgresql
# Serialized rollback: see above.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_send_each_message_once_and_lose_none(broker: str, tmp_path: Path) -> None:
    """Two worker processes (two pool processes each) on one database and one Redis, with the
    scheduler's pass started four times at once (two schedulers, each firing twice) and every
    message handed to the workers twice: each reminder and each e-mail goes out exactly once."""
    from notifications import tasks as notification_tasks
    from tracker import tasks as tracker_tasks

    now = timezone.now()
    patients = [make_user(f"p{n}") for n in range(30)]
    for patient in patients:
        reminders.save_choices(
            reminder=Reminder(
                patient=patient,
                daily=True,
                at=(now - datetime.timedelta(minutes=1)).astimezone(patient.zone).time(),
            ),
            now=now - datetime.timedelta(minutes=2),
        )
    mail_log = tmp_path / "mail.log"
    mail_log.touch()
    env = worker_environment(
        broker,
        DJANGO_EMAIL_BACKEND="tests.notifications.backends.RecordingBackend",
        PORTAL_TEST_MAIL_LOG=str(mail_log),
    )
    workers = [start_worker_process(name, env) for name in ("one", "two")]
    try:
        # Web processes queue account e-mails meanwhile (each hands its row to the broker).
        queued = [
            services.queue_email(
                to=patient.email,
                subject=f"Account news {n}",
                body="...",
                kind=Delivery.Kind.ACCOUNT,
                recipient=patient,
                local_date=now.date(),
            )
            for n, patient in enumerate(patients[:20])
        ]
        ids = [d.pk for d in queued if d is not None]
        assert len(ids) == 20
        for _ in range(4):
            tracker_tasks.send_due_reminders.delay()
        for _ in range(2):
            notification_tasks.deliver.delay(ids)  # the same rows handed over again
            notification_tasks.sweep.delay()

        def all_sent() -> bool:
            waiting = Delivery.objects.exclude(status=Delivery.Status.SENT).count()
            return Delivery.objects.count() == 50 and waiting == 0

        done = wait_for(all_sent, seconds=90)
        time.sleep(2)  # time for a duplicate to show itself
    finally:
        outputs = []
        for worker in workers:
            worker.terminate()
            outputs.append(worker.communicate(timeout=60)[0].decode(errors="replace"))
    assert done, (list(Delivery.objects.values_list("kind", "status")), outputs)
    sent = [json.loads(line) for line in mail_log.read_text().splitlines()]
    messages = [(tuple(to), subject) for _, to, subject in sent]
    assert len(messages) == 50 and len(set(messages)) == 50, messages
    assert sum(subject == "Your daily reminder" for _, subject in messages) == 30
    assert len({pid for pid, _, _ in sent}) >= 2, "one process did all the work"
