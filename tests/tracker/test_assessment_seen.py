"""Marks of "seen" on the flags of a run (issue 20): each kind can be seen, a mark covers the
run only as the clinician saw it, and a later change ranks the patient again."""

import datetime

import pytest

from tests.tracker.test_assessment import d, noon, run_of, seen, sym_days
from tracker import dates
from tracker.assessment import Assessment, Kind, Reason, Urgency
from tracker.rules import EpisodeDays


def days_at(first: datetime.date, severities: list[int]) -> list[EpisodeDays]:
    return [
        EpisodeDays(first + datetime.timedelta(days=i), first + datetime.timedelta(days=i), s)
        for i, s in enumerate(severities)
    ]


# A run of each kind: fifteen days at 4 (two-week), three severe days, and a worsening week.
TWO_WEEK = (d(15), sym_days(d(1), d(15)), 4)
STREAK = (d(3), days_at(d(1), [8, 8, 8]), 8)
WORSE = (d(7), days_at(d(1), [2, 2, 2, 3, 5, 5, 5]), 5)
RUNS = {Kind.TWO_WEEK: TWO_WEEK, Kind.SEVERE_STREAK: STREAK, Kind.WORSENING: WORSE}
UNSEEN_URGENCY = {
    Kind.TWO_WEEK: Urgency.TWO_WEEK,
    Kind.SEVERE_STREAK: Urgency.SOON,
    Kind.WORSENING: Urgency.SOON,
}


def reason_of(result: Assessment, kind: Kind) -> Reason:
    reason = result.reason(kind)
    assert reason is not None
    return reason


@pytest.mark.parametrize("kind", list(RUNS))
def test_each_kind_of_run_flag_can_be_seen_and_still_shows(kind: Kind) -> None:
    today, episodes, worst = RUNS[kind]
    before = reason_of(run_of(today=today, episodes=episodes), kind)
    assert not before.seen
    assert before.urgency == UNSEEN_URGENCY[kind]
    assert before.worst == worst
    mark = seen(kind, first=d(1), last=today, worst=worst)
    after = reason_of(run_of(today=today, episodes=episodes, seen_marks=[mark]), kind)
    assert after.seen
    assert (after.seen_by, after.seen_at) == ("Dr Okafor", mark.at)
    # Lowered one step, as the two-week flag always was.
    assert after.urgency == UNSEEN_URGENCY[kind] - 1


@pytest.mark.parametrize("kind", list(RUNS))
def test_a_mark_of_another_kind_does_not_cover_a_flag(kind: Kind) -> None:
    today, episodes, worst = RUNS[kind]
    others = [seen(other, first=d(1), last=today, worst=worst) for other in RUNS if other != kind]
    assert not reason_of(run_of(today=today, episodes=episodes, seen_marks=others), kind).seen


def test_a_seen_streak_and_worsening_rank_the_patient_no_more() -> None:
    today, episodes, worst = WORSE
    marks = [seen(Kind.WORSENING, first=d(1), last=today, worst=worst)]
    assert run_of(today=today, episodes=episodes, seen_marks=marks).urgency == Urgency.NONE


def test_a_later_day_as_bad_as_the_worst_seen_stays_seen() -> None:
    mark = seen(Kind.TWO_WEEK, first=d(1), last=d(15), worst=4)
    result = run_of(today=d(18), episodes=sym_days(d(1), d(18)), seen_marks=[mark])
    assert reason_of(result, Kind.TWO_WEEK).seen
    assert result.urgency == Urgency.SOON


def test_a_later_worse_day_unsees_the_flag_and_ranks_the_patient_again() -> None:
    mark = seen(Kind.TWO_WEEK, first=d(1), last=d(15), worst=4)
    episodes = [*sym_days(d(1), d(16)), EpisodeDays(d(17), d(17), 5)]
    result = run_of(today=d(17), episodes=episodes, seen_marks=[mark])
    reason = reason_of(result, Kind.TWO_WEEK)
    assert not reason.seen
    assert reason.seen_by == ""
    assert result.urgency == Urgency.TWO_WEEK


def test_a_worse_day_logged_later_but_dated_inside_the_seen_days_unsees_the_flag() -> None:
    mark = seen(Kind.TWO_WEEK, first=d(1), last=d(15), worst=4)
    episodes = [*sym_days(d(1), d(15)), EpisodeDays(d(10), d(10), 6)]
    assert not reason_of(
        run_of(today=d(15), episodes=episodes, seen_marks=[mark]), Kind.TWO_WEEK
    ).seen


def test_a_worse_check_in_unsees_a_seen_streak() -> None:
    today, episodes, worst = STREAK
    mark = seen(Kind.SEVERE_STREAK, first=d(1), last=today, worst=worst)
    result = run_of(today=d(4), episodes=episodes, checkins=[(d(4), 9)], seen_marks=[mark])
    assert not reason_of(result, Kind.SEVERE_STREAK).seen
    assert result.urgency == Urgency.SOON


def test_a_run_that_ended_and_started_again_is_not_covered_by_the_old_mark() -> None:
    old_run = seen(Kind.TWO_WEEK, first=d(1), last=d(15), worst=4)
    episodes = sym_days(d(1), d(15)) + sym_days(d(25), d(8, 2))
    result = run_of(today=d(8, 2), episodes=episodes, seen_marks=[old_run])
    reason = reason_of(result, Kind.TWO_WEEK)
    assert reason.first == d(25)
    assert not reason.seen
    assert result.urgency == Urgency.TWO_WEEK


def test_a_mark_from_before_worst_was_recorded_covers_the_worst_up_to_its_day() -> None:
    old = seen(Kind.TWO_WEEK, first=d(1), last=d(15), worst=None)
    same = run_of(today=d(17), episodes=sym_days(d(1), d(17)), seen_marks=[old])
    assert reason_of(same, Kind.TWO_WEEK).seen
    worse = [*sym_days(d(1), d(16)), EpisodeDays(d(17), d(17), 7)]
    assert not reason_of(run_of(today=d(17), episodes=worse, seen_marks=[old]), Kind.TWO_WEEK).seen


def test_the_latest_mark_that_still_covers_the_flag_names_who_saw_it() -> None:
    early = seen(Kind.TWO_WEEK, first=d(1), last=d(15), worst=4)
    late = seen(Kind.TWO_WEEK, first=d(1), last=d(17), worst=6)
    episodes = [*sym_days(d(1), d(16)), EpisodeDays(d(17), d(17), 6)]
    reason = reason_of(
        run_of(today=d(17), episodes=episodes, seen_marks=[late, early]), Kind.TWO_WEEK
    )
    assert reason.seen
    assert reason.seen_at == noon(d(17))


def test_a_seen_reason_survives_storage() -> None:
    mark = seen(Kind.TWO_WEEK, first=d(1), last=d(15), worst=4)
    result = run_of(today=d(15), episodes=sym_days(d(1), d(15)), seen_marks=[mark])
    stored = Assessment.from_stored(
        urgency=int(result.urgency), data=result.to_json(), valid_until=result.valid_until
    )
    assert stored.reasons == result.reasons


def test_a_row_stored_before_seen_marks_had_names_still_reads() -> None:
    data = run_of(today=d(15), episodes=sym_days(d(1), d(15))).to_json()
    for reason in data["reasons"]:
        del reason["worst"], reason["seen_by"], reason["seen_at"]
    stored = Assessment.from_stored(urgency=2, data=data, valid_until=None)
    assert stored.reason(Kind.TWO_WEEK).seen_by == ""


def test_the_marked_days_do_not_change_when_the_assessment_holds() -> None:
    # A mark only ever changes with a write: the moment time alone changes things is the same.
    mark = seen(Kind.TWO_WEEK, first=d(1), last=d(15), worst=4)
    plain = run_of(today=d(15), episodes=sym_days(d(1), d(15)))
    marked = run_of(today=d(15), episodes=sym_days(d(1), d(15)), seen_marks=[mark])
    assert marked.valid_until == plain.valid_until
    assert dates.local_day(marked.valid_until, noon(d(1)).tzinfo) == d(22)
