"""Seen marks as the services store and read them (issue 20): marks made before the mark
recorded the run's days, the outcomes of a tap, and the mark as the assessment's facts."""

import datetime

import pytest
from django.utils import timezone

from accounts.roles import CLINICIANS
from tests.conftest import make_user
from tests.factories import log_episode
from tracker import dates, services
from tracker.assessment import VERSION, Kind, Urgency
from tracker.models import Acknowledgement, PatientStatus

pytestmark = pytest.mark.usefixtures("midday")


@pytest.fixture
def clinician(db):
    return make_user("okafor", groups=(CLINICIANS,))


def daily(patient, severities: list[int]) -> None:
    today = dates.local_day(timezone.now(), patient.zone)
    for n, severity in enumerate(reversed(severities)):
        start = dates.to_instant(today - datetime.timedelta(days=n), datetime.time(8), patient.zone)
        log_episode(
            patient, start=start, end=start + datetime.timedelta(hours=1), severity=severity
        )


def shown(patient, kind: Kind) -> services.SeenRun:
    reason = services.status_for(patient, now=timezone.now()).assessment.reason(kind)
    assert reason is not None and reason.first and reason.last
    return services.SeenRun(
        kind=kind, first=reason.first, last=reason.last, worst=reason.worst or 0
    )


def test_a_mark_made_before_issue_20_covers_the_run_as_it_was_on_its_day(alice, clinician):
    daily(alice, [4] * 16)
    run = services.status_for(alice, now=timezone.now()).assessment.run
    # As migration 0011 left it: the kind filled in, no last day, no worst.
    Acknowledgement.objects.create(
        patient=alice, clinician=clinician, run_first_day=run.first, kind="persistence"
    )
    # Stored by the assessment before the bump: read again, it is recomputed.
    PatientStatus.objects.filter(patient=alice).update(version=VERSION - 1)
    facts = services.load_facts([alice], now=timezone.now())[alice.pk]
    (mark,) = facts.seen_marks
    yesterday = dates.local_day(timezone.now(), alice.zone) - datetime.timedelta(days=1)
    assert mark.last_day == yesterday
    assert mark.worst is None
    assert mark.by == "okafor"
    status = services.status_for(alice, now=timezone.now())
    assert status.assessment.reason(Kind.TWO_WEEK).seen
    assert status.urgency == Urgency.SOON
    daily(alice, [7])
    assert services.status_for(alice, now=timezone.now()).urgency == Urgency.TWO_WEEK


def test_a_tap_on_a_flag_as_shown_marks_it_once(alice, clinician):
    daily(alice, [8, 8, 8])
    seen = shown(alice, Kind.SEVERE_STREAK)
    now = timezone.now()
    first = services.acknowledge_flag(clinician=clinician, patient=alice, shown=seen, now=now)
    again = services.acknowledge_flag(clinician=clinician, patient=alice, shown=seen, now=now)
    assert (first, again) == (services.MarkOutcome.MARKED, services.MarkOutcome.ALREADY_SEEN)
    ack = Acknowledgement.objects.get()
    assert (ack.kind, ack.run_first_day, ack.run_last_day, ack.worst_seen) == (
        "severe_streak",
        seen.first,
        seen.last,
        8,
    )


def test_a_tap_on_a_flag_of_an_older_run_marks_nothing(alice, clinician):
    daily(alice, [8, 8, 8])
    seen = shown(alice, Kind.SEVERE_STREAK)
    older = services.SeenRun(
        kind=seen.kind, first=seen.first - datetime.timedelta(days=30), last=seen.last, worst=8
    )
    outcome = services.acknowledge_flag(
        clinician=clinician, patient=alice, shown=older, now=timezone.now()
    )
    assert outcome == services.MarkOutcome.GONE
    assert not Acknowledgement.objects.exists()


def test_red_flag_answers_are_not_marked_as_a_run(alice, clinician):
    today = dates.local_day(timezone.now(), alice.zone)
    with pytest.raises(ValueError):
        services.acknowledge_flag(
            clinician=clinician,
            patient=alice,
            shown=services.SeenRun(kind=Kind.RED_FLAG, first=today, last=today, worst=0),
            now=timezone.now(),
        )
