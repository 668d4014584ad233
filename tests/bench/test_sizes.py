"""The table sizes of docs/scale.md (bench.sizes): patient-years from when each patient joined,
every row counted, and PostgreSQL's bytes split into heap, indexes and the rest."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from bench import sizes
from tests.factories import log_episode
from tracker.models import PatientProfile

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 5, 12, 0, tzinfo=datetime.UTC)


def joined(user: User, *, days_ago: float, patient: bool, now: datetime.datetime = NOW) -> None:
    user.date_joined = now - datetime.timedelta(days=days_ago)
    user.save(update_fields=["date_joined"])
    if patient:
        PatientProfile.objects.get_or_create(user=user)


def test_patient_years_add_up_each_patients_time_since_joining(alice, charlie, bob) -> None:
    joined(alice, days_ago=sizes.DAYS_A_YEAR, patient=True)
    joined(charlie, days_ago=sizes.DAYS_A_YEAR / 2, patient=True)
    joined(bob, days_ago=3 * sizes.DAYS_A_YEAR, patient=False)  # a clinician counts for nothing

    assert sizes.patient_years(now=NOW) == pytest.approx(1.5)


def test_portal_tables_include_many_to_many_tables() -> None:
    tables = sizes.portal_tables()

    assert {"tracker_episode", "clinic_auditevent", "portal_user_groups"} <= set(tables)
    assert tables == sorted(set(tables))


@pytest.mark.postgresql
def test_every_row_is_counted_and_the_bytes_add_up(alice) -> None:
    start = timezone.now() - datetime.timedelta(days=3)
    for day in range(3):
        log_episode(alice, start=start + datetime.timedelta(days=day), severity=4)

    table = sizes.table_sizes(["tracker_drink", "tracker_episode"])

    episodes = next(size for size in table if size.table == "tracker_episode")
    drinks = next(size for size in table if size.table == "tracker_drink")
    assert (episodes.rows, drinks.rows) == (3, 0)
    assert episodes.heap_bytes > 0 and episodes.index_bytes > 0
    assert episodes.total_bytes == episodes.heap_bytes + episodes.index_bytes + episodes.other_bytes
    assert table[0].total_bytes >= table[1].total_bytes
    text = sizes.report(table, years=2.0, patients=1)
    per_year = f"{episodes.total_bytes / 2.0 / 1e3:,.1f}"
    assert "| tracker_episode | 3 | " in text
    assert f"| 1.5 | {per_year} | {episodes.total_bytes / 3:,.0f} |" in text


@pytest.mark.postgresql
def test_the_command_prints_patients_and_years(alice) -> None:
    joined(alice, days_ago=sizes.DAYS_A_YEAR * 2, patient=True, now=timezone.now())
    output = StringIO()

    call_command("table_sizes", stdout=output)

    assert output.getvalue().startswith("1 patients, 2.0 patient-years;")
    assert "| tracker_episode | 0 |" in output.getvalue()
