"""tracker.assessment.assess: the one assessment, from plain facts, with no database.

The examples of CLINICAL.md 3.1 are checked as written; then red flags, the advice window,
the moment an assessment stops holding (valid_until) and entries dated after today.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker import dates
from tracker.assessment import (
    ADVICE_HOURS,
    WINDOW_DAYS,
    Assessment,
    Facts,
    Kind,
    OpenAnswers,
    SeenMark,
    Urgency,
    assess,
    window_start,
)
from tracker.rules import EpisodeDays

LONDON = ZoneInfo("Europe/London")


def d(day: int, month: int = 1, year: int = 2025) -> datetime.date:
    return datetime.date(year, month, day)


def noon(day: datetime.date, zone: ZoneInfo = LONDON) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=zone)


def sym_days(first: datetime.date, last: datetime.date) -> list[EpisodeDays]:
    return [EpisodeDays(day, day, 4) for day in dates.dates_between(first, last)]


def free_days(first: datetime.date, last: datetime.date) -> list[tuple[datetime.date, int]]:
    return [(day, 0) for day in dates.dates_between(first, last)]


def run_of(
    *,
    today: datetime.date,
    episodes: list[EpisodeDays] = (),
    checkins: list[tuple[datetime.date, int]] = (),
    **facts: object,
) -> Assessment:
    return assess(
        Facts(since=window_start(today), episodes=episodes, checkins=checkins, **facts),
        now=noon(today),
        zone=LONDON,
    )


def seen(kind: Kind, *, first: datetime.date, last: datetime.date, worst: int | None) -> SeenMark:
    return SeenMark(
        kind=kind, first_day=first, last_day=last, worst=worst, by="Dr Okafor", at=noon(last)
    )


# CLINICAL.md 3.1, the table of examples


def test_fourteen_days_of_symptoms_raise_no_flag() -> None:
    result = run_of(today=d(14), episodes=sym_days(d(1), d(14)))
    assert result.reason(Kind.TWO_WEEK) is None
    assert result.days_counted == 14
    assert result.urgency == Urgency.NONE


def test_fifteen_days_of_symptoms_raise_the_flag() -> None:
    result = run_of(today=d(15), episodes=sym_days(d(1), d(15)))
    reason = result.reason(Kind.TWO_WEEK)
    assert reason is not None
    assert (reason.first, reason.last) == (d(1), d(15))
    assert result.urgency == Urgency.TWO_WEEK
    assert result.days_counted == 15


def test_an_ongoing_episode_started_fifteen_days_ago_raises_the_flag() -> None:
    episode = [EpisodeDays(d(1), None, 5)]
    assert run_of(today=d(15), episodes=episode).reason(Kind.TWO_WEEK) is not None
    assert run_of(today=d(14), episodes=episode).reason(Kind.TWO_WEEK) is None


def test_three_free_days_restart_the_run() -> None:
    result = run_of(
        today=d(20),
        episodes=sym_days(d(1), d(5)) + sym_days(d(9), d(20)),
        checkins=free_days(d(6), d(8)),
    )
    assert result.reason(Kind.TWO_WEEK) is None
    assert result.run.first == d(9)


def test_five_unlogged_days_do_not_break_the_run() -> None:
    result = run_of(today=d(16), episodes=sym_days(d(1), d(5)) + sym_days(d(11), d(16)))
    assert result.reason(Kind.TWO_WEEK) is not None
    assert result.run.first == d(1)


def test_seven_unlogged_days_break_the_run() -> None:
    result = run_of(today=d(16), episodes=sym_days(d(1), d(5)) + sym_days(d(13), d(16)))
    assert result.reason(Kind.TWO_WEEK) is None


def test_three_free_days_after_the_run_resolve_it() -> None:
    result = run_of(today=d(25), episodes=sym_days(d(1), d(16)), checkins=free_days(d(17), d(19)))
    assert result.run is None
    assert result.reason(Kind.TWO_WEEK) is None


def test_a_check_in_with_pain_is_a_symptom_day() -> None:
    result = run_of(today=d(15), checkins=[(day, 3) for day in dates.dates_between(d(1), d(15))])
    assert result.reason(Kind.TWO_WEEK) is not None


# Companion prompts


def test_three_severe_days_in_a_row_prompt() -> None:
    episodes = [EpisodeDays(day, day, 8) for day in dates.dates_between(d(1), d(3))]
    result = run_of(today=d(3), episodes=episodes)
    assert result.reason(Kind.SEVERE_STREAK) is not None
    assert result.urgency == Urgency.SOON


def test_pain_getting_worse_prompts() -> None:
    severities = [2, 2, 2, 3, 5, 5, 5]
    episodes = [EpisodeDays(d(1 + i), d(1 + i), s) for i, s in enumerate(severities)]
    assert run_of(today=d(7), episodes=episodes).reason(Kind.WORSENING) is not None


def test_a_seen_two_week_flag_stays_but_no_longer_ranks_as_two_week() -> None:
    mark = seen(Kind.TWO_WEEK, first=d(1), last=d(15), worst=4)
    result = run_of(today=d(15), episodes=sym_days(d(1), d(15)), seen_marks=[mark])
    reason = result.reason(Kind.TWO_WEEK)
    assert reason.seen
    assert (reason.seen_by, reason.seen_at) == ("Dr Okafor", mark.at)
    assert result.urgency == Urgency.SOON


# Red flags


def answers(code: str, at: datetime.datetime, *, count: int = 1) -> OpenAnswers:
    return OpenAnswers(code=code, count=count, latest_at=at)


def test_an_emergency_answer_outranks_everything_and_comes_first() -> None:
    today = d(15)
    result = run_of(
        today=today,
        episodes=sym_days(d(1), d(15)),
        open_answers=[
            answers("night_pain", noon(d(14))),
            answers("chest_pain", noon(d(15))),
        ],
    )
    assert result.urgency == Urgency.EMERGENCY
    kinds = [(reason.kind, reason.code) for reason in result.reasons]
    assert kinds[:2] == [(Kind.RED_FLAG, "chest_pain"), (Kind.RED_FLAG, "night_pain")]
    assert kinds[2] == (Kind.TWO_WEEK, "")


@pytest.mark.parametrize(
    ("code", "urgency"),
    [
        ("saddle_numbness", Urgency.EMERGENCY),
        ("fever", Urgency.URGENT),
        ("pregnancy_bleeding", Urgency.URGENT),
        ("not_coping", Urgency.SOON),
    ],
)
def test_each_red_flag_tier_sets_its_urgency(code: str, urgency: Urgency) -> None:
    result = run_of(today=d(5), open_answers=[answers(code, noon(d(5)))])
    assert result.urgency == urgency


def test_an_unknown_stored_code_is_skipped_not_fatal() -> None:
    result = run_of(
        today=d(5),
        open_answers=[answers("retired_code", noon(d(5))), answers("fever", noon(d(5)))],
    )
    assert [reason.code for reason in result.reasons] == ["fever"]


def test_advice_shows_for_the_advice_window_then_goes() -> None:
    answered = noon(d(5))
    facts = Facts(since=d(1), recent_answers={"chest_pain": answered})
    inside = assess(facts, now=answered + datetime.timedelta(hours=ADVICE_HOURS - 1), zone=LONDON)
    assert inside.advice == ("chest_pain",)
    assert inside.valid_until == answered + datetime.timedelta(hours=ADVICE_HOURS)
    after = assess(facts, now=answered + datetime.timedelta(hours=ADVICE_HOURS), zone=LONDON)
    assert after.advice == ()


# valid_until: when time alone changes the assessment


def test_nothing_time_dependent_holds_until_the_next_write() -> None:
    assert run_of(today=d(5)).valid_until is None


def test_an_ongoing_episode_holds_until_the_next_local_midnight() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    facts = Facts(since=d(1), episodes=[EpisodeDays(d(1), None, 5)])
    result = assess(facts, now=noon(d(3), tokyo), zone=tokyo)
    assert result.valid_until == datetime.datetime(2025, 1, 4, tzinfo=tokyo)


def test_a_finished_run_holds_until_a_week_of_nothing_breaks_it() -> None:
    result = run_of(today=d(16), episodes=sym_days(d(1), d(15)))
    assert result.reason(Kind.TWO_WEEK) is not None
    assert result.valid_until == dates.day_start(d(22), LONDON)
    later = run_of(today=d(22), episodes=sym_days(d(1), d(15)))
    assert later.run is None


def test_the_flag_rises_on_the_fifteenth_day_without_a_write() -> None:
    episodes = [EpisodeDays(d(1), None, 5)]
    day14 = run_of(today=d(14), episodes=episodes)
    assert day14.reason(Kind.TWO_WEEK) is None
    assert day14.valid_until == dates.day_start(d(15), LONDON)
    assert run_of(today=d(15), episodes=episodes).reason(Kind.TWO_WEEK) is not None


# Clock skew and zone moves: an entry dated after today never breaks anything


def test_an_ongoing_episode_dated_tomorrow_counts_from_tomorrow() -> None:
    """Started a few minutes "in the future" by a fast phone, across local midnight."""
    facts = Facts(since=d(1), episodes=[EpisodeDays(d(6), None, 6)])
    today = assess(facts, now=noon(d(5)), zone=LONDON)
    assert today.run is None
    assert today.valid_until == dates.day_start(d(6), LONDON)
    tomorrow = assess(facts, now=noon(d(6)), zone=LONDON)
    assert tomorrow.run.first == d(6)


def test_entries_dated_two_days_ahead_after_a_move_west_do_not_break() -> None:
    """Recorded in Kiritimati (+14), the patient now in Honolulu (-10): their dates lie ahead."""
    honolulu = ZoneInfo("Pacific/Honolulu")
    facts = Facts(
        since=d(1),
        episodes=[EpisodeDays(d(7), d(8), 5), EpisodeDays(d(7), None, 9)],
        checkins=[(d(7), 4)],
    )
    result = assess(facts, now=noon(d(5), honolulu), zone=honolulu)
    assert result.run is None
    assert result.valid_until == dates.day_start(d(7), honolulu)


def test_a_run_longer_than_the_window_is_reported_as_reaching_back() -> None:
    today = d(1, 6)
    result = run_of(today=today, episodes=[EpisodeDays(d(1, 1), None, 5)])
    reason = result.reason(Kind.TWO_WEEK)
    assert reason.reaches_back
    assert reason.first == today - datetime.timedelta(days=WINDOW_DAYS - 1)


# The promise valid_until makes, checked on random facts


facts_strategy = st.builds(
    lambda episodes, checkins: Facts(since=d(1), episodes=episodes, checkins=checkins),
    st.lists(
        st.builds(
            lambda first, length, ongoing, severity: EpisodeDays(
                d(1) + datetime.timedelta(days=first),
                None if ongoing else d(1) + datetime.timedelta(days=first + length),
                severity,
            ),
            st.integers(0, 60),
            st.integers(0, 5),
            st.booleans(),
            st.integers(0, 10),
        ),
        max_size=8,
    ),
    st.lists(
        st.tuples(
            st.integers(0, 60).map(lambda n: d(1) + datetime.timedelta(days=n)), st.integers(0, 10)
        ),
        max_size=12,
        unique_by=lambda checkin: checkin[0],
    ),
)


@settings(max_examples=300, deadline=None)
@given(facts=facts_strategy, start=st.integers(0, 70), hours=st.integers(1, 24 * 40))
def test_nothing_changes_before_valid_until_and_something_may_after(
    facts: Facts, start: int, hours: int
) -> None:
    """For any facts, assessing again at any moment before valid_until gives the same result.

    The facts stay put here while their window would move in the portal (see the next test),
    so valid_until may come earlier than needed; earlier is safe, it only costs a recompute.
    """
    zone = ZoneInfo("America/New_York")
    now = noon(d(1) + datetime.timedelta(days=start), zone)
    first = assess(facts, now=now, zone=zone)
    later = now + datetime.timedelta(hours=hours)
    if first.valid_until is None or later < first.valid_until:
        again = assess(facts, now=later, zone=zone)
        assert (again.urgency, again.reasons, again.run, again.advice) == (
            first.urgency,
            first.reasons,
            first.run,
            first.advice,
        )


def windowed(facts: Facts, now: datetime.datetime, zone: ZoneInfo) -> Facts:
    """Cut facts to the window of `now`'s day, as tracker.services.load_facts reads them."""
    since = window_start(dates.local_day(now, zone))
    return Facts(
        since=since,
        episodes=[e for e in facts.episodes if e.last is None or e.last >= since],
        checkins=[(day, severity) for day, severity in facts.checkins if day >= since],
    )


long_history = st.builds(
    lambda episodes, checkins: Facts(since=d(1), episodes=episodes, checkins=checkins),
    st.lists(
        st.builds(
            lambda first, length, ongoing: EpisodeDays(
                d(1) + datetime.timedelta(days=first),
                None if ongoing else d(1) + datetime.timedelta(days=first + length),
                5,
            ),
            st.integers(0, 200),
            st.integers(0, 20),
            st.booleans(),
        ),
        max_size=10,
    ),
    st.lists(
        st.tuples(st.integers(0, 200).map(lambda n: d(1) + datetime.timedelta(days=n)), st.just(0)),
        max_size=30,
        unique_by=lambda checkin: checkin[0],
    ),
)


@settings(max_examples=300, deadline=None)
@given(facts=long_history, start=st.integers(110, 230), days=st.integers(1, 30))
def test_valid_until_holds_while_the_window_moves(facts: Facts, start: int, days: int) -> None:
    """The window of facts moves with today: a run's start can leave it, or a break before the
    run can leave it so that the run starts to reach back. valid_until must see both coming."""
    zone = ZoneInfo("Europe/London")
    now = noon(d(1) + datetime.timedelta(days=start), zone)
    first = assess(windowed(facts, now, zone), now=now, zone=zone)
    later = now + datetime.timedelta(days=days)
    if first.valid_until is None or later < first.valid_until:
        assert assess(windowed(facts, later, zone), now=later, zone=zone) == first
