"""manage.py refresh_statuses: stale rows are recomputed ahead of being read."""

import datetime
import io

from django.core.management import call_command
from django.utils import timezone

from tests.conftest import make_user
from tests.factories import log_episode
from tracker import dates
from tracker.assessment import Urgency
from tracker.models import PatientStatus


def test_a_run_that_reached_fifteen_days_overnight_is_raised_by_the_command(
    db, monkeypatch
) -> None:
    now = timezone.now()
    alice = make_user("alice")
    nobody = make_user("nobody")
    # An episode still going, started on the local day 13 days ago: today is its 14th day,
    # so the flag is due tomorrow.
    today = dates.local_day(now, alice.zone)
    start = dates.day_start(today - datetime.timedelta(days=13), alice.zone)
    log_episode(alice, start=start + datetime.timedelta(minutes=1), now=now)
    row = PatientStatus.objects.get(patient=alice)
    assert row.urgency == Urgency.NONE
    # Nobody writes; time passes beyond the row's valid_until.
    later = row.valid_until + datetime.timedelta(minutes=1)
    out = io.StringIO()
    monkeypatch.setattr(timezone, "now", lambda: later)
    call_command("refresh_statuses", stdout=out)
    row.refresh_from_db()
    assert row.urgency == Urgency.TWO_WEEK
    assert row.computed_at == later
    assert "Recomputed 1 patient statuses." in out.getvalue()
    # Someone with nothing logged gets no row unless asked for.
    assert not PatientStatus.objects.filter(patient=nobody).exists()
