"""The scheduler's passes at scale (issue 18), timed in this process on the benchmark's database.

- every patient's daily reminder due in the same minute (the worst case: in real use they are
  spread over the day by time and zone), on a day nobody has logged yet, one pass of
  tracker.reminders.send_due_reminders; then the pass a minute later, with nothing due;
- every daily reminder and weekly summary due at once (a Sunday evening at its worst);
- clinic.notices.send_clinician_notices, then again a minute later.

Each measurement runs in one transaction that is rolled back, so the database is left as it was
(the passes' own transactions become savepoints of it). No worker runs and no task reaches a
broker: the outbox's hand-over (notifications.services.enqueue) is replaced by a list that
collects the ids, and what waits for a commit runs at once, since this commit never comes.

The stored statuses are brought up to date first, and that is kept: the app stores each
patient's status with every write, so a real database has them. The reminders pass reads them
(the patient's last entry) and the notices pass looks for their rises.
"""

import datetime
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import StringIO
from typing import Any
from unittest import mock

from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from clinic import notices
from clinic.models import NoticeSettings
from notifications import services as notifications
from notifications.models import Delivery
from tracker import dates, reminders
from tracker.models import PatientStatus, Reminder

# The scheduler runs each pass every minute (settings.CELERY_BEAT_SCHEDULE).
NEXT_PASS = datetime.timedelta(minutes=1)
# Far enough after the demo data's last entry to be a new local day in every zone.
NOT_LOGGED_YET = datetime.timedelta(days=1, hours=2)
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
# The statement's verb and the first table it names: enough to tell a pass's queries apart.
STATEMENT = re.compile(r'^\s*(SELECT|INSERT|UPDATE|DELETE)\b.*?"(\w+)"', re.DOTALL | re.I)
HAND_OVER = (
    "notifications.services.enqueue replaced by a list of ids: no worker, no broker; "
    "e-mail stays in the outbox"
)


@dataclass
class PassFigures:
    """One pass: its wall time, its statements, and what it put in the outbox."""

    key: str
    name: str
    due: int | None  # rows due at the pass's `now`
    seconds: float = 0.0
    sql_seconds: float = 0.0
    queries: int = 0  # not counting BEGIN, COMMIT and savepoints
    savepoints: int = 0  # the pass's own transactions (savepoints of the rolled-back one)
    outbox_rows: int = 0  # Delivery rows written
    handed_over: int = 0  # ids the worker would have been given
    summary: str = ""  # what the pass itself returned
    load: float = 0.0  # the machine's load average (1 minute) just before
    round_seconds: list[float] = field(default_factory=list)  # every round's wall time
    # (verb table) -> [statements, seconds], for where the SQL time goes.
    statements: dict[str, list[float]] = field(default_factory=dict)


class _Counter:
    """Count and time every statement (connection.execute_wrapper), by verb and table."""

    def __init__(self, figures: PassFigures) -> None:
        self.figures = figures

    def __call__(
        self,
        execute: Callable[[str, Any, bool, dict[str, Any]], Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            self.figures.sql_seconds += spent
            text = sql.lstrip().upper()
            if text.startswith("SAVEPOINT"):
                self.figures.savepoints += 1
            if not text.startswith(TRANSACTION_CONTROL):
                self.figures.queries += 1
                found = STATEMENT.match(sql)
                label = f"{found[1].upper()} {found[2]}" if found else text.split()[0]
                entry = self.figures.statements.setdefault(label, [0, 0.0])
                entry[0] += 1
                entry[1] += spent


class _RolledBack(Exception):
    pass


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run the block in a transaction, undo everything it wrote, and vacuum what it left."""
    try:
        with transaction.atomic():
            yield
            raise _RolledBack
    except _RolledBack:
        pass
    vacuum()


@contextmanager
def outbox_only() -> Iterator[list[int]]:
    """Collect the ids the outbox would hand to the worker, instead of sending them."""
    handed: list[int] = []
    with (
        mock.patch.object(notifications, "enqueue", handed.extend),
        mock.patch.object(notifications, "after_commit", lambda callback: callback()),
    ):
        yield handed


def timed(figures: PassFigures, run: Callable[[], object]) -> PassFigures:
    """Run one pass with its statements counted and its hand-over collected; fill `figures`."""
    before = Delivery.objects.count()
    figures.load = os.getloadavg()[0]
    with outbox_only() as handed, connection.execute_wrapper(_Counter(figures)):
        started = time.perf_counter()
        result = run()
        figures.seconds = time.perf_counter() - started
    figures.outbox_rows = Delivery.objects.count() - before
    figures.handed_over = len(handed)
    figures.summary = str(result)
    return figures


def make_all_due(*, now: datetime.datetime, summaries: bool) -> int:
    """Make every daily reminder due at `now`, on the patient's local day, and every weekly
    summary too with `summaries`; return how many rows are due.

    Without `summaries`, each summary is scheduled from after the next pass, so that none falls
    due in these passes (one scheduled before `now` would be counted as missed).
    """
    rows = list(Reminder.objects.select_related("patient").filter(daily=True))
    for row in rows:
        reminders.schedule(row, now=now + 2 * NEXT_PASS)
        row.next_daily_at, row.next_daily_day = now, dates.local_day(now, row.patient.zone)
        if summaries and row.weekly_digest:
            row.next_digest_at, row.next_digest_day = row.next_daily_at, row.next_daily_day
    fields = ["next_daily_at", "next_daily_day", "next_digest_at", "next_digest_day"]
    Reminder.objects.bulk_update(rows, fields, batch_size=1000)
    return len(rows)


def vacuum() -> None:
    """Clear the row versions the rolled-back passes left dead, and refresh the planner's
    figures, as autovacuum would in time. Without it (autovacuum may be off on a benchmark
    server) every round would read past the dead rows of the rounds before it."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    quote = connection.ops.quote_name
    tables = (Reminder, Delivery, NoticeSettings, PatientStatus)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(quote(t._meta.db_table) for t in tables)}")


def refresh_statuses() -> str:
    """Bring the stored statuses up to date (`manage.py refresh_statuses`); return what it said."""
    out = StringIO()
    call_command("refresh_statuses", stdout=out)
    return out.getvalue().strip()


def measure(*, now: datetime.datetime | None = None, rounds: int = 1) -> list[PassFigures]:
    """Time the scheduler's passes over every demo patient's reminder, `rounds` times, and
    return each pass's median round; leave the data as it was, the stored statuses aside
    (brought up to date first, and kept)."""
    now = now or timezone.now()
    statuses = timed(
        PassFigures("statuses", "Stored statuses brought up to date (kept)", None),
        refresh_statuses,
    )
    statuses.round_seconds = [statuses.seconds]
    vacuum()
    medians = [statuses]
    for same in zip(*(passes_once(now=now) for _ in range(rounds)), strict=True):
        median = sorted(same, key=lambda figures: figures.seconds)[len(same) // 2]
        median.round_seconds = [figures.seconds for figures in same]
        medians.append(median)
    return medians


def passes_once(*, now: datetime.datetime) -> list[PassFigures]:
    """Time each pass once.

    The reminders are made due a day after `now`, a day nobody has logged anything on yet, so
    that every one is written: on the day the demo data is made, most demo patients have
    logged something already (a drink, mostly) and the pass would skip them.
    """
    worst = now + NOT_LOGGED_YET
    passes = []
    with rolled_back():
        due = make_all_due(now=worst, summaries=False)
        passes.append(
            timed(
                PassFigures(
                    "reminders", "Reminders: all due at once, none logged that day yet", due
                ),
                lambda: reminders.send_due_reminders(now=worst),
            )
        )
        passes.append(
            timed(
                PassFigures("reminders_again", "Reminders: the next pass, nothing due", 0),
                lambda: reminders.send_due_reminders(now=worst + NEXT_PASS),
            )
        )
    with rolled_back():
        due = make_all_due(now=worst, summaries=True)
        summaries = Reminder.objects.filter(next_digest_at=worst).count()
        passes.append(
            timed(
                PassFigures(
                    "reminders_summaries",
                    "Reminders and weekly summaries: all due at once, none logged",
                    due + summaries,
                ),
                lambda: reminders.send_due_reminders(now=worst),
            )
        )
    with rolled_back():
        passes.append(
            timed(
                PassFigures("notices", "Clinicians' notices", None),
                lambda: notices.send_clinician_notices(now=now),
            )
        )
        passes.append(
            timed(
                PassFigures("notices_again", "Clinicians' notices: the next pass", None),
                lambda: notices.send_clinician_notices(now=now + NEXT_PASS),
            )
        )
    return passes


# The report


def table(passes: list[PassFigures]) -> str:
    lines = [
        "| Pass | due | wall s | SQL s | queries * | savepoints | outbox rows | ids to worker "
        "| each round, s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for figures in passes:
        due = "-" if figures.due is None else f"{figures.due:,}"
        lines.append(
            f"| {figures.name} | {due} | {figures.seconds:.3f} | {figures.sql_seconds:.3f} | "
            f"{figures.queries} | {figures.savepoints} | {figures.outbox_rows:,} | "
            f"{figures.handed_over:,} | "
            f"{' / '.join(f'{seconds:.2f}' for seconds in figures.round_seconds)} |"
        )
    lines += [
        "",
        "\\* not counting BEGIN, COMMIT and savepoints. Each pass in this process, in a "
        f"transaction rolled back afterwards; {HAND_OVER}. The figures are the median round's.",
        "",
    ]
    for figures in passes:
        busiest = sorted(figures.statements.items(), key=lambda item: -item[1][1])[:4]
        where = ", ".join(f"{int(n)} x {label} {s:.2f} s" for label, (n, s) in busiest)
        lines.append(
            f"- {figures.name}: {figures.summary} (load {figures.load:.1f}). SQL: {where or '-'}"
        )
    return "\n".join(lines)


def from_report(entries: list[dict]) -> list[PassFigures]:
    """Read the passes back from a report's JSON."""
    return [PassFigures(**entry) for entry in entries]
