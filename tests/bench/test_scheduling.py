"""The scheduler's benchmark (bench.scheduling) on a small demo database: every reminder made
due at once and queued in one pass, its statements counted as Django sees them, nothing handed to
a worker, and the data left as it was."""

import dataclasses
import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import run, scheduling
from clinic.models import NoticeSettings
from notifications.models import Delivery
from tracker import reminders
from tracker.models import PatientStatus, Reminder

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("midday")]

PATIENTS = 17  # patient 17 has a run of more than 14 days ending today (PERSISTENT_EVERY)


@pytest.fixture
def demo() -> None:
    call_command(
        "generate_demo_data",
        patients=PATIENTS,
        clinicians=2,
        years=0.3,
        password="bench-test-password-42",
        stdout=StringIO(),
        stderr=StringIO(),
    )


@pytest.fixture
def passes(demo) -> dict[str, scheduling.PassFigures]:
    return {figures.key: figures for figures in scheduling.measure()}


def reminder_rows() -> list[tuple]:
    return sorted(
        Reminder.objects.values_list(
            "patient_id", "next_daily_at", "next_daily_day", "next_digest_at", "next_digest_day"
        )
    )


def test_every_daily_reminder_is_due_at_once_and_one_pass_queues_it(passes) -> None:
    first = passes["reminders"]
    patients = PATIENTS + 1  # and the heavy patient
    assert first.due == patients
    # On a day nobody has logged yet: one e-mail each, none skipped, none late.
    assert first.summary.startswith(f"{patients} reminder(s) queued, 0 skipped")
    assert "0 missed" in first.summary and first.summary.endswith("0 weekly summary(ies) queued")
    assert first.outbox_rows == first.handed_over == patients
    assert first.savepoints >= 2  # the daily batch, and the summaries' look that finds none
    assert first.seconds > first.sql_seconds > 0
    assert sum(count for count, _seconds in first.statements.values()) == first.queries
    assert first.statements["UPDATE tracker_reminder"][0] == 1
    assert first.statements["INSERT notifications_delivery"][0] == 1


def test_the_next_pass_finds_nothing_due_in_one_query_per_kind(passes) -> None:
    again = passes["reminders_again"]
    # The daily rows due, then the summaries due: none of either.
    assert again.queries == 2
    assert again.outbox_rows == again.handed_over == 0
    assert again.summary.startswith("0 reminder(s) queued")


def test_the_summaries_pass_queues_each_weekly_summary_as_well(passes) -> None:
    summaries = Reminder.objects.filter(weekly_digest=True).count()
    assert summaries > 0
    both = passes["reminders_summaries"]
    assert both.due == PATIENTS + 1 + summaries
    assert both.summary.startswith(f"{PATIENTS + 1} reminder(s) queued, 0 skipped")
    assert "0 missed" in both.summary
    assert both.summary.endswith(f"{summaries} weekly summary(ies) queued")
    assert both.outbox_rows == PATIENTS + 1 + summaries
    assert both.handed_over == both.outbox_rows


def test_the_clinicians_of_a_flagged_patient_get_a_notice_and_not_again_a_minute_later(
    passes,
) -> None:
    # The stored statuses were brought up to date first, and kept.
    assert PatientStatus.objects.count() >= PATIENTS + 1
    assert passes["statuses"].summary.startswith("Recomputed")
    assert passes["notices"].outbox_rows >= 1
    assert passes["notices"].handed_over == passes["notices"].outbox_rows
    assert passes["notices_again"].outbox_rows == 0


def test_nothing_reaches_a_worker_and_the_data_is_left_as_it_was(demo) -> None:
    before = reminder_rows()
    scheduling.measure()
    assert reminder_rows() == before
    assert not Delivery.objects.exists()
    assert not NoticeSettings.objects.exists()
    # The tests' worker runs at once and its mail backend keeps what it sends: nothing went.
    assert mail.outbox == []


def test_the_statements_counted_are_those_django_runs(demo, midday) -> None:
    now = midday + datetime.timedelta(hours=1)
    with scheduling.rolled_back():
        scheduling.make_all_due(now=now, summaries=True)
        figures = scheduling.PassFigures("reminders", "a pass", None)
        with CaptureQueriesContext(connection) as captured:
            scheduling.timed(figures, lambda: reminders.send_due_reminders(now=now))
    statements = [query["sql"].lstrip().upper() for query in captured.captured_queries]
    queries = [sql for sql in statements if not sql.startswith(scheduling.TRANSACTION_CONTROL)]
    # The counts of the outbox before and after are the benchmark's own, not the pass's.
    assert queries[0].startswith('SELECT COUNT(*) AS "__COUNT" FROM "NOTIFICATIONS_DELIVERY"')
    assert queries[-1] == queries[0]
    assert figures.queries == len(queries) - 2 > 2
    assert figures.outbox_rows > 0
    assert figures.savepoints == len([sql for sql in statements if sql.startswith("SAVEPOINT")])


def test_the_report_has_a_table_of_the_passes_and_reads_back_from_json(passes) -> None:
    figures = list(passes.values())
    text = run.report_text([], passes=figures)
    assert text.startswith("Scheduler's passes")
    for each in figures:
        assert f"| {each.name} |" in text
    assert scheduling.HAND_OVER in text
    entries = [dataclasses.asdict(each) for each in figures]
    assert scheduling.from_report(entries) == figures


def test_each_pass_reports_its_median_round(demo) -> None:
    statuses, *passes = scheduling.measure(rounds=3)
    assert statuses.round_seconds == [statuses.seconds]
    assert [figures.key for figures in passes] == [
        "reminders",
        "reminders_again",
        "reminders_summaries",
        "notices",
        "notices_again",
    ]
    for figures in passes:
        assert len(figures.round_seconds) == 3
        assert figures.seconds == sorted(figures.round_seconds)[1]
    # Each round starts from the same data: the same work every time.
    assert passes[0].outbox_rows == PATIENTS + 1
