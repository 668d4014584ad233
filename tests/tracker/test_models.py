"""The tracker's invariants are database constraints: bad data cannot enter by any door."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tracker.models import (
    CheckIn,
    Drink,
    Episode,
    EpisodeSpread,
    EpisodeTrigger,
    PatientProfile,
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
    values = {"started_at": timezone.now() - datetime.timedelta(hours=2), "severity": 5}
    values.update(fields)
    return Episode.objects.create(patient=patient, **values)


def test_episode_end_before_start_is_refused(alice) -> None:
    start = timezone.now() - datetime.timedelta(hours=3)
    assert refused(
        lambda: episode(alice, started_at=start, ended_at=start - datetime.timedelta(seconds=1))
    )
    assert not refused(lambda: episode(alice, started_at=start, ended_at=start))


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
        patient=alice, day=timezone.localdate(), amount_ml=amount
    )
    assert refused(make) is is_refused


def test_one_checkin_per_day_with_severity_0_to_10(alice) -> None:
    today = timezone.localdate()
    assert refused(lambda: CheckIn.objects.create(patient=alice, day=today, worst_severity=11))
    CheckIn.objects.create(patient=alice, day=today, worst_severity=0)
    assert refused(lambda: CheckIn.objects.create(patient=alice, day=today, worst_severity=3))


@pytest.mark.parametrize(
    ("target", "is_refused"),
    [(999, True), (1000, False), (4000, False), (4001, True), (None, False)],
)
def test_own_drinks_target_must_be_1_to_4_litres(alice, target, is_refused: bool) -> None:
    assert (
        refused(lambda: PatientProfile.objects.create(user=alice, own_target_ml=target))
        is is_refused
    )


def test_deleting_a_patient_removes_all_their_health_data(alice, charlie) -> None:
    logged = episode(alice)
    EpisodeTrigger.objects.create(episode=logged, code="stress")
    RedFlagAnswer.objects.create(patient=alice, episode=logged, code="both_legs")
    CheckIn.objects.create(patient=alice, day=timezone.localdate(), worst_severity=2)
    Drink.objects.create(patient=alice, day=timezone.localdate(), amount_ml=200)
    episode(charlie)

    alice.delete()

    assert Episode.objects.count() == 1 and Episode.objects.get().patient == charlie
    assert not EpisodeTrigger.objects.exists()
    assert not RedFlagAnswer.objects.exists()
    assert not CheckIn.objects.exists()
    assert not Drink.objects.exists()
