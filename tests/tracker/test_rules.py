"""The clinical rules of tracker/rules.py, boundary by boundary, with no database.

Persistence tests describe days with a pattern, one character per local date starting on
1 January 2025 and ending today: "S" a check-in with symptoms, "F" a "no back symptoms today"
check-in, "." nothing logged.

The rules take local dates (an episode's days as recorded, rules.EpisodeDays); turning instants
into a zone's dates is tracker.dates' job and is tested in test_dates.py. The time-zone tests
below go through dates.span_days, as the services do, to show the two together.
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tracker.dates import span_days
from tracker.rules import (
    RED_FLAGS,
    RED_FLAGS_BY_CODE,
    DayStatus,
    EpisodeDays,
    HydrationComparison,
    RateOrder,
    Run,
    Tier,
    advice_tiers,
    breaks_run,
    current_run,
    daily_worst_severity,
    day_statuses,
    default_target_ml,
    effective_target_ml,
    glasses,
    hydration_comparison,
    is_complete_day,
    needs_confirmation,
    persistence_flag,
    severe_streak,
    severity_band,
    validate_own_target_ml,
    worsening,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")

SYM = DayStatus.SYM
FREE = DayStatus.FREE
UNLOGGED = DayStatus.UNLOGGED


JAN_1 = date(2025, 1, 1)


def jan(day: int) -> date:
    return date(2025, 1, day)


def recorded(
    start: datetime, end: datetime | None, zone: ZoneInfo, *, severity: int = 5
) -> EpisodeDays:
    """Return an episode's days as the services record them: dated in the zone it was logged in."""
    first, last = span_days(start, end, zone)
    return EpisodeDays(first, last, severity)


def _checkins(pattern: str, *, start: date) -> list[tuple[date, int]]:
    severity = {"S": 5, "F": 0}
    return [
        (start + timedelta(days=n), severity[char]) for n, char in enumerate(pattern) if char != "."
    ]


def _statuses(pattern: str, *, start: date = JAN_1) -> dict[date, DayStatus]:
    """Build the day statuses of a pattern whose last character is today."""
    return day_statuses(
        episodes=[],
        checkins=_checkins(pattern, start=start),
        today=start + timedelta(days=len(pattern) - 1),
        since=start,
    )


def _run(pattern: str, *, start: date = JAN_1) -> Run | None:
    """Find the current run of a pattern whose last character is today."""
    today = start + timedelta(days=len(pattern) - 1)
    return current_run(_statuses(pattern, start=start), today=today, since=start)


def _ongoing_run(*, start: datetime, zone: ZoneInfo, today: date) -> Run | None:
    """Find the current run of one ongoing episode, looking back 60 days."""
    since = today - timedelta(days=60)
    statuses = day_statuses(
        episodes=[recorded(start, None, zone)], checkins=[], today=today, since=since
    )
    return current_run(statuses, today=today, since=since)


# Severity


@pytest.mark.parametrize(
    ("severity", "band"),
    [
        (0, "none"),
        (1, "mild"),
        (3, "mild"),
        (4, "moderate"),
        (6, "moderate"),
        (7, "severe"),
        (10, "severe"),
    ],
)
def test_severity_band_follows_the_numeric_rating_scale(severity: int, band: str) -> None:
    assert severity_band(severity) == band


@pytest.mark.parametrize("severity", [-1, 11])
def test_severity_band_rejects_ratings_outside_zero_to_ten(severity: int) -> None:
    with pytest.raises(ValueError):
        severity_band(severity)


# Local days: an episode covers the dates it was recorded with


def test_a_closed_episode_covers_its_first_to_its_last_day() -> None:
    statuses = day_statuses(
        episodes=[EpisodeDays(jan(2), jan(4), 5)], checkins=[], today=jan(5), since=jan(1)
    )
    assert statuses == {
        jan(1): UNLOGGED,
        jan(2): SYM,
        jan(3): SYM,
        jan(4): SYM,
        jan(5): UNLOGGED,
    }


def test_an_ongoing_episode_covers_every_day_up_to_today() -> None:
    statuses = day_statuses(
        episodes=[EpisodeDays(jan(1), None, 5)], checkins=[], today=jan(9), since=jan(1)
    )
    assert list(statuses) == [jan(day) for day in range(1, 10)]
    assert set(statuses.values()) == {SYM}


def test_an_episode_dated_after_today_covers_nothing_yet() -> None:
    # A phone a few minutes ahead across midnight, or a move to a zone behind the one it was
    # recorded in: the entry counts once its day comes, and never breaks the rules before.
    for episode in (EpisodeDays(jan(6), None, 5), EpisodeDays(jan(6), jan(7), 5)):
        statuses = day_statuses(episodes=[episode], checkins=[], today=jan(5), since=jan(1))
        assert set(statuses.values()) == {UNLOGGED}
        assert (
            daily_worst_severity(episodes=[episode], checkins=[], today=jan(5), since=jan(1)) == {}
        )


def test_an_episode_whose_last_day_is_after_today_covers_up_to_today() -> None:
    statuses = day_statuses(
        episodes=[EpisodeDays(jan(4), jan(6), 5)], checkins=[], today=jan(5), since=jan(4)
    )
    assert statuses == {jan(4): SYM, jan(5): SYM}


def test_an_episode_recorded_late_in_the_evening_in_new_york_stays_on_that_date() -> None:
    # 23:30 on 1 January in New York is 04:30 UTC on 2 January.
    start = datetime(2025, 1, 2, 4, 30, tzinfo=UTC)
    episode = recorded(start, start + timedelta(minutes=20), NEW_YORK)
    assert episode == EpisodeDays(jan(1), jan(1), 5)
    statuses = day_statuses(episodes=[episode], checkins=[], today=jan(2), since=jan(1))
    assert statuses == {jan(1): SYM, jan(2): UNLOGGED}


# Day status


def test_day_statuses_cover_every_date_from_since_to_today() -> None:
    statuses = day_statuses(episodes=[], checkins=[], today=jan(10), since=jan(3))
    assert list(statuses) == [jan(day) for day in range(3, 11)]
    assert set(statuses.values()) == {UNLOGGED}


def test_checkin_with_symptoms_makes_a_sym_day_and_zero_makes_a_free_day() -> None:
    statuses = day_statuses(
        episodes=[], checkins=[(jan(2), 1), (jan(3), 0)], today=jan(4), since=jan(1)
    )
    assert statuses == {jan(1): UNLOGGED, jan(2): SYM, jan(3): FREE, jan(4): UNLOGGED}


def test_symptoms_win_over_a_free_checkin_on_the_same_day() -> None:
    statuses = day_statuses(
        episodes=[], checkins=[(jan(2), 0), (jan(2), 3)], today=jan(2), since=jan(1)
    )
    assert statuses[jan(2)] is SYM


def test_episode_overlapping_a_free_checkin_makes_the_day_sym() -> None:
    episode = EpisodeDays(jan(2), jan(2), 5)
    statuses = day_statuses(episodes=[episode], checkins=[(jan(2), 0)], today=jan(3), since=jan(1))
    assert statuses == {jan(1): UNLOGGED, jan(2): SYM, jan(3): UNLOGGED}


def test_day_statuses_ignore_data_outside_the_window() -> None:
    episode = EpisodeDays(date(2024, 12, 20), jan(2), 5)
    statuses = day_statuses(episodes=[episode], checkins=[(jan(9), 4)], today=jan(5), since=jan(1))
    assert statuses == {
        jan(1): SYM,
        jan(2): SYM,
        jan(3): UNLOGGED,
        jan(4): UNLOGGED,
        jan(5): UNLOGGED,
    }


def test_day_statuses_reject_a_severity_outside_the_scale() -> None:
    with pytest.raises(ValueError):
        day_statuses(episodes=[], checkins=[(jan(1), 11)], today=jan(1), since=jan(1))


def test_day_statuses_reject_a_window_starting_after_today() -> None:
    with pytest.raises(ValueError):
        day_statuses(episodes=[], checkins=[], today=jan(1), since=jan(2))


def test_daily_worst_severity_takes_the_maximum_of_episodes_and_checkins() -> None:
    worst = daily_worst_severity(
        episodes=[EpisodeDays(jan(1), jan(3), 6)],
        checkins=[(jan(2), 8), (jan(3), 2), (jan(5), 0)],
        today=jan(6),
        since=jan(1),
    )
    assert worst == {jan(1): 6, jan(2): 8, jan(3): 6, jan(5): 0}


def test_daily_worst_severity_takes_the_worse_of_two_episodes_on_a_day() -> None:
    worst = daily_worst_severity(
        episodes=[EpisodeDays(jan(1), jan(2), 3), EpisodeDays(jan(2), jan(3), 7)],
        checkins=[],
        today=jan(3),
        since=jan(1),
    )
    assert worst == {jan(1): 3, jan(2): 7, jan(3): 7}


def test_daily_worst_severity_spreads_an_ongoing_episode_to_today_within_the_window() -> None:
    episode = EpisodeDays(date(2024, 12, 30), None, 4)
    worst = daily_worst_severity(
        episodes=[episode], checkins=[(jan(9), 9)], today=jan(3), since=jan(1)
    )
    assert worst == {jan(1): 4, jan(2): 4, jan(3): 4}


def test_daily_worst_severity_rejects_an_episode_severity_outside_the_scale() -> None:
    episode = EpisodeDays(jan(1), None, -1)
    with pytest.raises(ValueError):
        daily_worst_severity(episodes=[episode], checkins=[], today=jan(3), since=jan(1))


def test_daily_worst_severity_rejects_a_window_starting_after_today() -> None:
    with pytest.raises(ValueError):
        daily_worst_severity(episodes=[], checkins=[], today=jan(1), since=jan(2))


# Persistence flag: every row of the table in CLINICAL.md 3.1


def test_table_sym_every_day_first_to_fourteenth_gives_no_flag() -> None:
    run = _run("S" * 14)
    assert run == Run(first=jan(1), last=jan(14), reaches_window_start=True)
    assert run.length == 14
    assert not persistence_flag(run)


def test_table_sym_every_day_first_to_fifteenth_raises_the_flag() -> None:
    run = _run("S" * 15)
    assert run == Run(first=jan(1), last=jan(15), reaches_window_start=True)
    assert run.length == 15
    assert persistence_flag(run)


def test_table_ongoing_episode_from_first_january_raises_the_flag_on_the_fifteenth() -> None:
    run = _ongoing_run(start=datetime(2025, 1, 1, 9, 0, tzinfo=LONDON), zone=LONDON, today=jan(15))
    assert run == Run(first=jan(1), last=jan(15), reaches_window_start=False)
    assert persistence_flag(run)


def test_table_same_ongoing_episode_gives_no_flag_on_the_fourteenth() -> None:
    run = _ongoing_run(start=datetime(2025, 1, 1, 9, 0, tzinfo=LONDON), zone=LONDON, today=jan(14))
    assert run == Run(first=jan(1), last=jan(14), reaches_window_start=False)
    assert not persistence_flag(run)


def test_table_three_free_days_restart_the_run() -> None:
    run = _run("S" * 5 + "FFF" + "S" * 12)  # SYM 1-5, FREE 6-8, SYM 9-20, today 20 Jan
    assert run == Run(first=jan(9), last=jan(20), reaches_window_start=False)
    assert not persistence_flag(run)


def test_table_five_unlogged_days_do_not_break_the_run() -> None:
    run = _run("S" * 5 + "." * 5 + "S" * 6)  # SYM 1-5, nothing 6-10, SYM 11-16, today 16 Jan
    assert run == Run(first=jan(1), last=jan(16), reaches_window_start=True)
    assert persistence_flag(run)


def test_table_seven_unlogged_days_break_the_run() -> None:
    run = _run("S" * 5 + "." * 7 + "S" * 4)  # SYM 1-5, nothing 6-12, SYM 13-16, today 16 Jan
    assert run == Run(first=jan(13), last=jan(16), reaches_window_start=False)
    assert not persistence_flag(run)


def test_table_run_followed_by_free_days_has_resolved() -> None:
    run = _run("S" * 16 + "FFF" + "." * 6)  # SYM 1-16, FREE 17-19, today 25 Jan
    assert run is None
    assert not persistence_flag(run)


# Persistence flag: boundaries


def test_persistence_flag_is_off_at_fourteen_days_and_on_at_fifteen() -> None:
    assert not persistence_flag(Run(first=jan(1), last=jan(14), reaches_window_start=False))
    assert persistence_flag(Run(first=jan(1), last=jan(15), reaches_window_start=False))


def test_persistence_flag_is_off_without_a_run() -> None:
    assert not persistence_flag(None)


@pytest.mark.parametrize(
    ("gap", "breaks"),
    [
        ("", False),
        ("FF", False),
        ("FFF", True),
        ("F.FF", False),
        ("......", False),
        (".......", True),
        ("FF.FF.F", True),
        (".FFF", True),
    ],
)
def test_breaks_run_by_three_free_days_in_a_row_or_seven_days_in_all(
    gap: str, breaks: bool
) -> None:
    statuses = [FREE if char == "F" else UNLOGGED for char in gap]
    assert breaks_run(statuses) is breaks


def test_two_free_days_between_sym_days_keep_one_run() -> None:
    run = _run("S" * 6 + "FF" + "S" * 7)
    assert run == Run(first=jan(1), last=jan(15), reaches_window_start=True)
    assert persistence_flag(run)


def test_three_free_days_between_sym_days_split_the_run() -> None:
    run = _run("S" * 6 + "FFF" + "S" * 7)
    assert run == Run(first=jan(10), last=jan(16), reaches_window_start=False)
    assert not persistence_flag(run)


def test_six_unlogged_days_between_sym_days_keep_one_run() -> None:
    run = _run("S" * 4 + "." * 6 + "S" * 5)
    assert run == Run(first=jan(1), last=jan(15), reaches_window_start=True)
    assert persistence_flag(run)


def test_seven_unlogged_days_between_sym_days_split_the_run() -> None:
    run = _run("S" * 4 + "." * 7 + "S" * 5)
    assert run == Run(first=jan(12), last=jan(16), reaches_window_start=False)
    assert not persistence_flag(run)


def test_two_free_and_four_unlogged_days_between_sym_days_keep_one_run() -> None:
    run = _run("S" * 4 + "FF...." + "S" * 5)
    assert run == Run(first=jan(1), last=jan(15), reaches_window_start=True)
    assert persistence_flag(run)


def test_free_days_interrupted_by_an_unlogged_day_are_not_a_free_streak() -> None:
    run = _run("S" * 6 + "F.FF" + "S" * 5)
    assert run == Run(first=jan(1), last=jan(15), reaches_window_start=True)
    assert persistence_flag(run)


def test_three_free_days_inside_a_mixed_gap_split_the_run() -> None:
    run = _run("S" * 4 + ".FFF.." + "S" * 5)
    assert run == Run(first=jan(11), last=jan(15), reaches_window_start=False)


def test_seven_mixed_days_without_a_free_streak_split_the_run() -> None:
    run = _run("S" * 4 + "FF.FF.F" + "S" * 5)
    assert run == Run(first=jan(12), last=jan(16), reaches_window_start=False)


def test_two_free_days_after_the_last_sym_day_keep_the_run_current() -> None:
    run = _run("S" * 15 + "FF")
    assert run == Run(first=jan(1), last=jan(15), reaches_window_start=True)
    assert persistence_flag(run)


def test_three_free_days_after_the_last_sym_day_end_the_run() -> None:
    assert _run("S" * 15 + "FFF") is None


def test_six_days_after_the_last_sym_day_keep_the_run_current() -> None:
    run = _run("S" * 15 + "." * 6)
    assert run == Run(first=jan(1), last=jan(15), reaches_window_start=True)
    assert persistence_flag(run)


def test_seven_days_after_the_last_sym_day_end_the_run() -> None:
    assert _run("S" * 15 + "." * 7) is None


def test_mixed_days_after_the_last_sym_day_without_a_free_streak_keep_the_run() -> None:
    run = _run("S" * 15 + "FF.FF")
    assert run == Run(first=jan(1), last=jan(15), reaches_window_start=True)


def test_no_sym_day_means_no_run() -> None:
    assert _run("FF....F") is None
    assert _run(".") is None


def test_sym_only_today_is_a_one_day_run() -> None:
    run = _run("F" * 10 + "S")
    assert run == Run(first=jan(11), last=jan(11), reaches_window_start=False)
    assert run.length == 1
    assert not persistence_flag(run)


def test_current_run_treats_dates_missing_from_the_mapping_as_unlogged() -> None:
    # Six missing days neither break a run (as three FREE days would) nor vanish: seven do.
    run = current_run({jan(5): SYM, jan(12): SYM}, today=jan(12), since=jan(5))
    assert run == Run(first=jan(5), last=jan(12), reaches_window_start=True)
    run = current_run({jan(5): SYM, jan(13): SYM}, today=jan(13), since=jan(5))
    assert run == Run(first=jan(13), last=jan(13), reaches_window_start=False)


def test_current_run_rejects_a_window_starting_after_today() -> None:
    with pytest.raises(ValueError):
        current_run({}, today=jan(1), since=jan(2))


def test_run_reaches_window_start_when_it_begins_on_since() -> None:
    run = _run("SS")
    assert run == Run(first=jan(1), last=jan(2), reaches_window_start=True)


def test_run_reaches_window_start_when_fewer_than_seven_unlogged_days_precede_it() -> None:
    # A SYM day just before the window would join this run, so its real start may be earlier.
    run = _run("." * 6 + "S")
    assert run == Run(first=jan(7), last=jan(7), reaches_window_start=True)


def test_run_does_not_reach_window_start_after_seven_unlogged_days() -> None:
    run = _run("." * 7 + "S")
    assert run == Run(first=jan(8), last=jan(8), reaches_window_start=False)


def test_run_does_not_reach_window_start_after_three_free_days() -> None:
    run = _run("FFF" + "S")
    assert run == Run(first=jan(4), last=jan(4), reaches_window_start=False)


# Persistence flag: time zones and daylight saving


def test_new_york_episode_late_on_new_years_eve_counts_for_new_years_eve() -> None:
    # 23:30 on 31 December in New York is already 1 January in UTC: the local reading gives
    # 15 days by 14 January, a UTC reading only 14.
    start = datetime(2025, 1, 1, 4, 30, tzinfo=UTC)
    run = _ongoing_run(start=start, zone=NEW_YORK, today=jan(14))
    assert run is not None
    assert run.first == date(2024, 12, 31)
    assert persistence_flag(run)


def test_kiritimati_episode_counts_from_its_local_date() -> None:
    # 11:00 UTC on 1 January is 2 January in Kiritimati: 14 days by 15 January, so no flag yet.
    start = datetime(2025, 1, 1, 11, 0, tzinfo=UTC)
    run = _ongoing_run(start=start, zone=KIRITIMATI, today=jan(15))
    assert run is not None
    assert run.first == jan(2)
    assert not persistence_flag(run)


def test_ongoing_episode_across_london_spring_forward_counts_each_day_once() -> None:
    start = datetime(2025, 3, 17, 9, 0, tzinfo=LONDON)
    statuses = day_statuses(
        episodes=[recorded(start, None, LONDON)],
        checkins=[],
        today=date(2025, 3, 31),
        since=date(2025, 3, 17),
    )
    assert list(statuses) == [date(2025, 3, 17) + timedelta(days=n) for n in range(15)]
    assert set(statuses.values()) == {SYM}
    run = current_run(statuses, today=date(2025, 3, 31), since=date(2025, 3, 17))
    assert run is not None
    assert run.length == 15
    assert persistence_flag(run)


def test_ongoing_episode_up_to_london_spring_forward_day_gives_no_flag_at_fourteen_days() -> None:
    run = _ongoing_run(
        start=datetime(2025, 3, 17, 9, 0, tzinfo=LONDON), zone=LONDON, today=date(2025, 3, 30)
    )
    assert run == Run(first=date(2025, 3, 17), last=date(2025, 3, 30), reaches_window_start=False)
    assert not persistence_flag(run)


def test_ongoing_episode_across_london_fall_back_counts_each_day_once() -> None:
    start = datetime(2025, 10, 13, 9, 0, tzinfo=LONDON)
    statuses = day_statuses(
        episodes=[recorded(start, None, LONDON)],
        checkins=[],
        today=date(2025, 10, 27),
        since=date(2025, 10, 13),
    )
    assert list(statuses) == [date(2025, 10, 13) + timedelta(days=n) for n in range(15)]
    assert set(statuses.values()) == {SYM}
    run = current_run(statuses, today=date(2025, 10, 27), since=date(2025, 10, 13))
    assert run is not None
    assert run.length == 15
    assert persistence_flag(run)


def test_ongoing_episode_up_to_london_fall_back_day_gives_no_flag_at_fourteen_days() -> None:
    run = _ongoing_run(
        start=datetime(2025, 10, 13, 9, 0, tzinfo=LONDON), zone=LONDON, today=date(2025, 10, 26)
    )
    assert run is not None
    assert run.length == 14
    assert not persistence_flag(run)


def test_ongoing_episode_across_lord_howe_daylight_end_counts_each_day_once() -> None:
    start = datetime(2025, 3, 23, 9, 0, tzinfo=LORD_HOWE)
    statuses = day_statuses(
        episodes=[recorded(start, None, LORD_HOWE)],
        checkins=[],
        today=date(2025, 4, 6),
        since=date(2025, 3, 23),
    )
    assert list(statuses) == [date(2025, 3, 23) + timedelta(days=n) for n in range(15)]
    assert set(statuses.values()) == {SYM}
    run = current_run(statuses, today=date(2025, 4, 6), since=date(2025, 3, 23))
    assert persistence_flag(run)


def test_episodes_ending_at_local_midnight_leave_the_next_day_to_the_gap() -> None:
    # Two closed episodes; the first ends at midnight, so 4-10 January is a seven-day gap.
    first = recorded(
        datetime(2025, 1, 1, 9, 0, tzinfo=LONDON), datetime(2025, 1, 4, 0, 0, tzinfo=LONDON), LONDON
    )
    second = recorded(datetime(2025, 1, 11, 9, 0, tzinfo=LONDON), None, LONDON)
    statuses = day_statuses(episodes=[first, second], checkins=[], today=jan(16), since=jan(1))
    assert statuses[jan(3)] is SYM
    assert statuses[jan(4)] is UNLOGGED
    run = current_run(statuses, today=jan(16), since=jan(1))
    assert run == Run(first=jan(11), last=jan(16), reaches_window_start=False)


def test_multi_day_episode_and_checkins_make_one_long_run() -> None:
    closed = EpisodeDays(jan(1), jan(6), 5)
    ongoing = EpisodeDays(jan(13), None, 5)
    checkins = [(jan(3), 0), (jan(7), 0), (jan(8), 0)] + [(jan(day), 3) for day in range(9, 13)]
    statuses = day_statuses(
        episodes=[closed, ongoing], checkins=checkins, today=jan(16), since=jan(1)
    )
    assert [statuses[jan(day)] for day in range(1, 17)] == [SYM] * 6 + [FREE] * 2 + [SYM] * 8
    run = current_run(statuses, today=jan(16), since=jan(1))
    assert run == Run(first=jan(1), last=jan(16), reaches_window_start=True)
    assert persistence_flag(run)


# Companion prompts


RUN_1_TO_10 = Run(first=jan(1), last=jan(10), reaches_window_start=False)


def test_severe_streak_on_three_consecutive_days() -> None:
    assert severe_streak({jan(1): 7, jan(2): 8, jan(3): 7}, run=RUN_1_TO_10)


def test_no_severe_streak_when_one_of_three_days_is_six() -> None:
    assert not severe_streak({jan(1): 7, jan(2): 6, jan(3): 7, jan(4): 7}, run=RUN_1_TO_10)


def test_severe_streak_skips_over_unlogged_days() -> None:
    assert severe_streak({jan(1): 7, jan(3): 9, jan(6): 8}, run=RUN_1_TO_10)


def test_logged_zero_breaks_a_severe_streak() -> None:
    assert not severe_streak({jan(1): 7, jan(2): 7, jan(3): 0, jan(4): 7}, run=RUN_1_TO_10)


def test_severe_streak_counts_only_days_inside_the_run() -> None:
    run = Run(first=jan(2), last=jan(10), reaches_window_start=False)
    assert not severe_streak({jan(1): 9, jan(2): 9, jan(3): 9}, run=run)


def _worst(*severities: int) -> dict[date, int]:
    return {jan(n): severity for n, severity in enumerate(severities, start=1)}


def test_worsening_when_last_three_days_average_two_points_more() -> None:
    assert worsening(_worst(2, 2, 2, 4, 4, 4), run=RUN_1_TO_10)


def test_worsening_at_exactly_two_points_with_fractional_means() -> None:
    # Means 5/3 and 11/3: exactly two points apart.
    assert worsening(_worst(1, 2, 2, 3, 4, 4), run=RUN_1_TO_10)


def test_no_worsening_just_under_two_points() -> None:
    assert not worsening(_worst(2, 2, 2, 4, 4, 3), run=RUN_1_TO_10)


def test_no_worsening_with_only_five_logged_days() -> None:
    assert not worsening(_worst(1, 1, 1, 9, 9), run=RUN_1_TO_10)


def test_worsening_uses_logged_days_only_and_stays_inside_the_run() -> None:
    run = Run(first=jan(2), last=jan(12), reaches_window_start=False)
    worst = {jan(1): 9, jan(2): 3, jan(4): 3, jan(5): 3, jan(8): 5, jan(10): 5, jan(12): 5}
    assert worsening(worst, run=run)
    assert not worsening({**worst, jan(12): 4}, run=run)


# Red flags


def test_no_answers_give_no_advice() -> None:
    assert advice_tiers([], pregnant=True) == []


def test_an_emergency_answer_comes_before_an_urgent_one() -> None:
    tiers = advice_tiers(["fever", "chest_pain"], pregnant=False)
    assert [tier for tier, _flags in tiers] == [Tier.EMERGENCY, Tier.URGENT]


def test_a_single_soon_answer_gives_soon_advice() -> None:
    assert advice_tiers(["not_coping"], pregnant=False) == [
        (Tier.SOON, [RED_FLAGS_BY_CODE["not_coping"]])
    ]


def test_pregnancy_flag_counts_only_when_pregnant() -> None:
    assert advice_tiers(["pregnancy_bleeding"], pregnant=False) == []
    assert advice_tiers(["pregnancy_bleeding"], pregnant=True) == [
        (Tier.MATERNITY, [RED_FLAGS_BY_CODE["pregnancy_bleeding"]])
    ]


def test_maternity_tier_comes_above_urgent() -> None:
    tiers = advice_tiers(["fever", "pregnancy_movements"], pregnant=True)
    assert [tier for tier, _flags in tiers] == [Tier.MATERNITY, Tier.URGENT]


def test_every_known_code_is_accepted() -> None:
    codes = [flag.code for flag in RED_FLAGS]
    tiers = advice_tiers(codes, pregnant=True)
    assert tiers[0][0] is Tier.EMERGENCY
    assert sum(len(flags) for _, flags in tiers) == len(RED_FLAGS)


def test_unknown_code_is_rejected_even_beside_known_ones() -> None:
    with pytest.raises(ValueError):
        advice_tiers(["chest_pain", "chest_pian"], pregnant=False)
    with pytest.raises(ValueError):
        advice_tiers(["chest_pian"], pregnant=False)


def test_advice_tiers_put_the_highest_tier_first_and_keep_question_order() -> None:
    codes = ["not_coping", "weight_loss", "chest_pain", "pregnancy_movements", "fever"]
    codes += ["saddle_numbness", "fever"]
    flag = RED_FLAGS_BY_CODE
    assert advice_tiers(codes, pregnant=True) == [
        (Tier.EMERGENCY, [flag["saddle_numbness"], flag["chest_pain"]]),
        (Tier.MATERNITY, [flag["pregnancy_movements"]]),
        (Tier.URGENT, [flag["fever"], flag["weight_loss"]]),
        (Tier.SOON, [flag["not_coping"]]),
    ]


def test_advice_tiers_leave_out_pregnancy_flags_when_not_pregnant() -> None:
    codes = ["pregnancy_movements", "fever"]
    assert advice_tiers(codes, pregnant=False) == [(Tier.URGENT, [RED_FLAGS_BY_CODE["fever"]])]


# Hydration targets


@pytest.mark.parametrize(
    ("sex", "pregnant", "breastfeeding", "target"),
    [
        ("female", True, True, 2200),
        ("female", False, True, 2200),
        ("female", True, False, 1800),
        ("male", False, False, 2000),
        ("female", False, False, 1600),
        (None, False, False, 1600),
    ],
)
def test_default_target_depends_on_breastfeeding_pregnancy_and_sex(
    sex: str | None, pregnant: bool, breastfeeding: bool, target: int
) -> None:
    assert default_target_ml(sex=sex, pregnant=pregnant, breastfeeding=breastfeeding) == target


def test_limit_fluids_turns_the_target_off_even_with_an_own_target() -> None:
    target = effective_target_ml(
        own_target_ml=2500, limit_fluids=True, sex="male", pregnant=False, breastfeeding=False
    )
    assert target is None


def test_own_target_wins_over_the_default() -> None:
    target = effective_target_ml(
        own_target_ml=2500, limit_fluids=False, sex="male", pregnant=False, breastfeeding=False
    )
    assert target == 2500


def test_default_target_applies_without_an_own_target() -> None:
    target = effective_target_ml(
        own_target_ml=None, limit_fluids=False, sex=None, pregnant=True, breastfeeding=False
    )
    assert target == 1800


def test_effective_target_rejects_an_own_target_out_of_range() -> None:
    with pytest.raises(ValueError):
        effective_target_ml(
            own_target_ml=5000, limit_fluids=False, sex=None, pregnant=False, breastfeeding=False
        )


def test_own_target_may_be_one_to_four_litres() -> None:
    validate_own_target_ml(1000)
    validate_own_target_ml(4000)


@pytest.mark.parametrize("ml", [999, 4001])
def test_own_target_outside_one_to_four_litres_is_rejected(ml: int) -> None:
    with pytest.raises(ValueError):
        validate_own_target_ml(ml)


def test_confirmation_is_asked_only_above_three_litres() -> None:
    assert not needs_confirmation(3000)
    assert needs_confirmation(3001)


def test_glasses_are_two_hundred_millilitres_by_default() -> None:
    assert glasses(300) == 1.5
    assert glasses(1000, glass_ml=250) == 4.0


def test_glasses_reject_a_glass_of_no_size() -> None:
    with pytest.raises(ValueError):
        glasses(200, glass_ml=0)


def test_day_is_complete_when_marked_or_with_three_entries() -> None:
    assert is_complete_day(marked_complete=True, entry_count=0)
    assert is_complete_day(marked_complete=False, entry_count=3)
    assert not is_complete_day(marked_complete=False, entry_count=2)


# Hydration comparison: kinds lay out one character per day, ending the day before yesterday
# (the last day whose next day is over): "L" low, "T" at target, "M" in between, "-" not complete.

H_TODAY = date(2025, 6, 30)
H_TARGET = 2000
BASE = "LLLLL" + "TTTTT" + "M" * 18  # 28 counting days
BASE_EPISODES = (0, 1, 2, 5)  # three after low days, one after a day at target


def _log(
    kinds: str, *, low_ml: int = 1400, target_day_ml: int = H_TARGET
) -> dict[date, tuple[int, bool]]:
    first = H_TODAY - timedelta(days=len(kinds) + 1)
    totals = {"L": low_ml, "T": target_day_ml, "M": 1800, "-": 1800}
    return {first + timedelta(days=n): (totals[kind], kind != "-") for n, kind in enumerate(kinds)}


def _episodes_after(kinds: str, indexes: Iterable[int]) -> list[date]:
    first = H_TODAY - timedelta(days=len(kinds) + 1)
    return [first + timedelta(days=index + 1) for index in indexes]


def _compare(
    kinds: str = BASE,
    *,
    after: Iterable[int] = BASE_EPISODES,
    low_ml: int = 1400,
    target_day_ml: int = H_TARGET,
) -> HydrationComparison | None:
    return hydration_comparison(
        days=_log(kinds, low_ml=low_ml, target_day_ml=target_day_ml),
        episode_starts=_episodes_after(kinds, after),
        target_ml=H_TARGET,
        today=H_TODAY,
    )


def test_hydration_comparison_shown_at_every_threshold() -> None:
    comparison = _compare()
    assert comparison == HydrationComparison(
        low_days=5, target_days=5, episodes_after_low=3, episodes_after_target=1
    )
    assert comparison.rate_after_low == pytest.approx(0.6)
    assert comparison.rate_after_target == pytest.approx(0.2)


def test_hydration_comparison_needs_twenty_eight_counting_days() -> None:
    assert _compare(BASE[:-1]) is None


def test_hydration_comparison_ignores_days_not_complete() -> None:
    assert _compare(BASE[:-1] + "-") is None


def test_hydration_comparison_needs_five_low_days() -> None:
    assert _compare("LLLLM" + BASE[5:]) is None


def test_hydration_comparison_needs_five_days_at_target() -> None:
    assert _compare(BASE[:9] + "M" + BASE[10:]) is None


def test_hydration_comparison_needs_four_episodes() -> None:
    assert _compare(after=(0, 1, 2)) is None


def test_hydration_comparison_ignores_episodes_after_days_in_between() -> None:
    assert _compare(after=(0, 1, 2, 12)) is None


def test_episode_is_credited_to_the_previous_day() -> None:
    # Index 4 is the last low day; its next day (index 5) is itself a day at target.
    comparison = _compare(after=(0, 1, 2, 4))
    assert comparison == HydrationComparison(
        low_days=5, target_days=5, episodes_after_low=4, episodes_after_target=0
    )


def test_complete_day_with_no_drinks_counts_as_low() -> None:
    comparison = _compare(low_ml=0)
    assert comparison is not None
    assert comparison.low_days == 5


def test_hydration_comparison_counts_each_episode_on_the_same_day() -> None:
    comparison = _compare(after=(0, 0, 0, 5))
    assert comparison == HydrationComparison(
        low_days=5, target_days=5, episodes_after_low=3, episodes_after_target=1
    )


def test_day_at_exactly_three_quarters_of_target_is_not_low() -> None:
    assert _compare(low_ml=1500) is None
    assert _compare(low_ml=1499) is not None


def test_day_just_under_target_is_not_at_target() -> None:
    assert _compare(target_day_ml=1999) is None
    assert _compare(target_day_ml=2000) is not None


def test_day_forty_two_days_before_today_counts() -> None:
    # 41 characters: the first is 42 days before today.
    kinds = "L" + "-" * 13 + "LLLL" + "TTTTT" + "M" * 18
    comparison = _compare(kinds, after=(14, 15, 16, 18))
    assert comparison is not None
    assert comparison.low_days == 5


def test_day_forty_three_days_before_today_does_not_count() -> None:
    kinds = "L" + "-" * 14 + "LLLL" + "TTTTT" + "M" * 18
    assert _compare(kinds, after=(15, 16, 17, 19)) is None


def test_yesterday_never_counts_because_today_is_not_over() -> None:
    days = _log(BASE[:-1]) | {H_TODAY - timedelta(days=1): (1800, True)}
    episodes = _episodes_after(BASE[:-1], BASE_EPISODES)
    comparison = hydration_comparison(
        days=days, episode_starts=episodes, target_ml=H_TARGET, today=H_TODAY
    )
    assert comparison is None


# Rates, not counts: 5 low days and 20 days at target (28 complete days in all).
UNEVEN = "LLLLL" + "T" * 20 + "MMM"
AFTER_TARGET = (5, 7, 9, 11, 13, 15)  # one episode after each of six days at target


def test_the_comparison_is_of_rates_when_raw_counts_point_the_other_way() -> None:
    # 3 episodes after 5 low days (0.6 a day) and 6 after 20 days at target (0.3 a day): more
    # episodes followed days at target, but fewer per day.
    comparison = _compare(UNEVEN, after=(0, 1, 2, *AFTER_TARGET))
    assert comparison == HydrationComparison(
        low_days=5, target_days=20, episodes_after_low=3, episodes_after_target=6
    )
    assert comparison.episodes_after_target > comparison.episodes_after_low
    assert comparison.rate_after_low == pytest.approx(0.6)
    assert comparison.rate_after_target == pytest.approx(0.3)
    assert comparison.order is RateOrder.HIGHER_AFTER_LOW


def test_equal_counts_after_unequal_numbers_of_days_are_unequal_rates() -> None:
    # 4 after 5 low days against 4 after 20 days at target.
    comparison = _compare(UNEVEN, after=(0, 1, 2, 3, 5, 7, 9, 11))
    assert comparison is not None
    assert comparison.episodes_after_low == comparison.episodes_after_target == 4
    assert comparison.order is RateOrder.HIGHER_AFTER_LOW


def test_a_higher_rate_after_days_at_target_is_said_so() -> None:
    comparison = _compare(UNEVEN, after=(0, *AFTER_TARGET, 17, 19, 21, 23))
    assert comparison is not None
    assert (comparison.episodes_after_low, comparison.episodes_after_target) == (1, 10)
    assert comparison.order is RateOrder.HIGHER_AFTER_TARGET


def test_equal_rates_are_compared_exactly() -> None:
    # 1 in 5 and 4 in 20 are the same rate, whatever floating point makes of them.
    comparison = _compare(UNEVEN, after=(0, 5, 7, 9, 11))
    assert comparison is not None
    assert (comparison.episodes_after_low, comparison.episodes_after_target) == (1, 4)
    assert comparison.order is RateOrder.EQUAL


@pytest.mark.parametrize(
    ("kinds", "after", "shown"),
    [
        (UNEVEN, (0, 5, 7, 9), True),  # exactly 4 episodes
        (UNEVEN, (0, 5, 7), False),  # 3
        (UNEVEN[:-1], (0, 5, 7, 9), False),  # 27 complete days
        ("LLLLM" + "T" * 20 + "MMM", (0, 5, 7, 9), False),  # 4 low days
        ("L" * 19 + "TTTTT" + "MMMM", (0, 19, 20, 21), True),  # exactly 5 days at target
        ("L" * 20 + "TTTTM" + "MMM", (0, 20, 21, 22), False),  # 4 days at target
    ],
)
def test_the_minimum_data_holds_whatever_the_rates(kinds, after, shown) -> None:
    assert (_compare(kinds, after=after) is not None) is shown


def test_hydration_comparison_rejects_a_target_of_zero() -> None:
    with pytest.raises(ValueError):
        hydration_comparison(days={}, episode_starts=[], target_ml=0, today=H_TODAY)
