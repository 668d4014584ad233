"""The tracker's invariants are database constraints: bad data cannot enter by any door.

These tests write rows directly, past the services, because the database's own guards are what
they test; so they give every row its zone and local dates themselves.
"""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import add_drink, answer_red_flags, check_in, log_episode
from tracker.models import (
    CheckIn,
    Drink,
    Episode,
    EpisodeSpread,
    EpisodeTrigger,
    PatientProfile,
    PatientStatus,
    RedFlagAnswer,
    ReliefTried,
)

pytestmark = pytest.mark.django_db


def refused(make) -> bool:
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False


def episode(patient, **fields) -> Episode:
    """Write an episode row directly, its local dates (UTC) consistent unless given."""
    values = {"started_at": timezone.now() - datetime.timedelta(hours=2), "severity": 5}
    values.update(fields)
    start, end = values["started_at"], values.get("ended_at")
    values.setdefault("time_zone", "UTC")
    values.setdefault("start_day", start.astimezone(datetime.UTC).date())
    if end is not None:
        values.setdefault("end_day", max(values["start_day"], end.astimezone(datetime.UTC).date()))
    return Episode.objects.create(patient=patient, **values)


def test_episode_end_before_start_is_refused(alice) -> None:
    start = timezone.now() - datetime.timedelta(hours=3)
    assert refused(
        lambda: episode(alice, started_at=start, ended_at=start - datetime.timedelta(seconds=1))
    )
    assert not refused(lambda: episode(alice, started_at=start, ended_at=start))


def refused_by(constraint: str, make) -> bool:
    """Say whether the database refuses the write, naming this constraint."""
    try:
        with transaction.atomic():
            make()
    except IntegrityError as error:
        assert constraint in str(error), error
        return True
    return False


def test_episode_days_must_match_its_end(alice) -> None:
    start = datetime.datetime(2026, 3, 1, 9, tzinfo=datetime.UTC)
    end = start + datetime.timedelta(days=2)
    first, last = datetime.date(2026, 3, 1), datetime.date(2026, 3, 3)

    def make(ended_at, end_day):
        return lambda: episode(
            alice, started_at=start, ended_at=ended_at, start_day=first, end_day=end_day
        )

    guard = "episode_days_match_its_end"
    # A last day for an episode still going, or none for one that ended, would make the rules
    # count it wrongly: as over, or as going on every day up to today.
    assert refused_by(guard, make(None, last))
    assert refused_by(guard, make(end, None))
    # A last day before the first.
    assert refused_by(guard, make(end, first - datetime.timedelta(days=1)))
    assert not refused(make(end, last))
    assert not refused(make(start, first))
    assert not refused(make(None, None))
    assert Episode.objects.filter(patient=alice).count() == 3


@pytest.mark.parametrize(
    ("severity", "is_refused"), [(-1, True), (0, False), (10, False), (11, True)]
)
def test_episode_severity_must_be_0_to_10(alice, severity: int, is_refused: bool) -> None:
    assert refused(lambda: episode(alice, severity=severity)) is is_refused


def test_episode_starting_in_the_future_is_refused_beyond_ten_minutes(alice) -> None:
    now = timezone.now()
    assert not refused(lambda: episode(alice, started_at=now + datetime.timedelta(minutes=9)))
    assert refused(lambda: episode(alice, started_at=now + datetime.timedelta(minutes=11)))


def test_editing_a_start_later_than_when_it_was_logged_is_allowed(alice) -> None:
    logged = episode(alice, started_at=timezone.now() - datetime.timedelta(days=2))
    Episode.objects.filter(pk=logged.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )
    logged.refresh_from_db()
    logged.started_at = timezone.now() - datetime.timedelta(days=1)
    logged.start_day = logged.started_at.astimezone(datetime.UTC).date()
    logged.save()  # after the original logging time, but not in the future


def test_queryset_update_cannot_move_a_start_into_the_future(alice) -> None:
    logged = episode(alice)
    assert refused(
        lambda: Episode.objects.filter(pk=logged.pk).update(
            started_at=timezone.now() + datetime.timedelta(days=1)
        )
    )


def test_unknown_trigger_relief_spread_and_red_flag_codes_are_refused(alice) -> None:
    logged = episode(alice)
    assert refused(lambda: EpisodeTrigger.objects.create(episode=logged, code="moon_phase"))
    assert refused(lambda: ReliefTried.objects.create(episode=logged, code="liquorice"))
    assert refused(lambda: ReliefTried.objects.create(episode=logged, code="heat", effect=7))
    assert refused(lambda: RedFlagAnswer.objects.create(patient=alice, code="made_up"))
    assert refused(lambda: EpisodeSpread.objects.create(episode=logged, code="left_arm"))
    assert not refused(lambda: EpisodeSpread.objects.create(episode=logged, code="both_legs"))
    assert not refused(lambda: EpisodeTrigger.objects.create(episode=logged, code="heavy_lifting"))
    assert not refused(lambda: RedFlagAnswer.objects.create(patient=alice, code="both_legs"))


def test_the_same_trigger_twice_on_one_episode_is_refused(alice) -> None:
    logged = episode(alice)
    EpisodeTrigger.objects.create(episode=logged, code="stress")
    assert refused(lambda: EpisodeTrigger.objects.create(episode=logged, code="stress"))


@pytest.mark.parametrize(
    ("amount", "is_refused"), [(0, True), (1, False), (5000, False), (5001, True)]
)
def test_a_drink_must_be_between_1_ml_and_5_litres(alice, amount: int, is_refused: bool) -> None:
    make = lambda: Drink.objects.create(  # noqa: E731
        patient=alice, day=timezone.localdate(), time_zone="UTC", amount_ml=amount
    )
    assert refused(make) is is_refused


def test_one_checkin_per_day_with_severity_0_to_10(alice) -> None:
    today = timezone.localdate()

    def make(severity: int) -> CheckIn:
        return CheckIn.objects.create(
            patient=alice, day=today, time_zone="UTC", worst_severity=severity
        )

    assert refused(lambda: make(11))
    make(0)
    assert refused(lambda: make(3))


@pytest.mark.parametrize(
    ("target", "is_refused"),
    [(999, True), (1000, False), (4000, False), (4001, True), (None, False)],
)
def test_own_drinks_target_must_be_1_to_4_litres(alice, target, is_refused: bool) -> None:
    assert (
        refused(lambda: PatientProfile.objects.create(user=alice, own_target_ml=target))
        is is_refused
    )


@pytest.mark.parametrize(
    ("urgency", "is_refused"), [(-1, True), (0, False), (4, False), (5, True), (99, True)]
)
def test_a_stored_urgency_must_be_0_to_4(alice, urgency: int, is_refused: bool) -> None:
    assert refused(lambda: PatientStatus.objects.create(patient=alice, urgency=urgency)) is (
        is_refused
    )


def test_a_patient_has_one_stored_status_at_most(alice) -> None:
    PatientStatus.objects.create(patient=alice)
    assert refused(lambda: PatientStatus.objects.create(patient=alice, urgency=1))


def test_deleting_a_patient_removes_all_their_health_data(alice, charlie) -> None:
    start = timezone.now() - datetime.timedelta(hours=2)
    log_episode(alice, start=start, triggers=["stress"], spread=["both_legs"])
    answer_red_flags(alice, "fever")
    check_in(alice, day=timezone.localdate(), severity=2)
    add_drink(alice, day=timezone.localdate(), ml=200)
    log_episode(charlie, start=start)
    # Every write stored the patient's assessment.
    assert PatientStatus.objects.filter(patient=alice).exists()
    assert RedFlagAnswer.objects.filter(patient=alice).count() == 2  # both legs, and fever

    alice.delete()

    assert Episode.objects.count() == 1 and Episode.objects.get().patient == charlie
    assert not EpisodeTrigger.objects.exists()
    assert not EpisodeSpread.objects.exists()
    assert not RedFlagAnswer.objects.exists()
    assert not CheckIn.objects.exists()
    assert not Drink.objects.exists()
    assert list(PatientStatus.objects.values_list("patient", flat=True)) == [charlie.pk]
