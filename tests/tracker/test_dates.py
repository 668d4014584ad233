"""tracker.dates on its own: local days, day starts and spans in awkward zones.

Zones: half-hour (Asia/Kolkata +05:30, Australia/Adelaide +09:30/+10:30), +14 (Pacific/
Kiritimati), -10 (Pacific/Honolulu), both DST changes (Europe/London), and zones whose clocks
skip midnight itself (America/Santiago, Asia/Beirut).
"""

import datetime
from zoneinfo import ZoneInfo

import pytest

from tracker import dates

UTC = datetime.UTC
LONDON = ZoneInfo("Europe/London")


def at(*args: int, zone: ZoneInfo = UTC) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=zone)


@pytest.mark.parametrize(
    ("instant", "zone", "day"),
    [
        (at(2025, 1, 1, 18, 29), "Asia/Kolkata", datetime.date(2025, 1, 1)),
        (at(2025, 1, 1, 18, 30), "Asia/Kolkata", datetime.date(2025, 1, 2)),
        (at(2025, 1, 1, 9, 59), "Pacific/Kiritimati", datetime.date(2025, 1, 1)),
        (at(2025, 1, 1, 10, 0), "Pacific/Kiritimati", datetime.date(2025, 1, 2)),
        (at(2025, 1, 2, 9, 59), "Pacific/Honolulu", datetime.date(2025, 1, 1)),
        (at(2025, 1, 1, 13, 29), "Australia/Adelaide", datetime.date(2025, 1, 1)),
        (at(2025, 1, 1, 13, 30), "Australia/Adelaide", datetime.date(2025, 1, 2)),
    ],
)
def test_local_day_follows_the_zones_offset(
    instant: datetime.datetime, zone: str, day: datetime.date
) -> None:
    assert dates.local_day(instant, ZoneInfo(zone)) == day


def test_local_day_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="aware"):
        dates.local_day(datetime.datetime(2025, 1, 1, 12), LONDON)  # noqa: DTZ001


@pytest.mark.parametrize(
    ("zone", "day", "start", "hours"),
    [
        # Clocks go forward at 01:00: a 23-hour day.
        ("Europe/London", datetime.date(2025, 3, 30), at(2025, 3, 30), 23),
        # Clocks go back at 02:00: a 25-hour day.
        ("Europe/London", datetime.date(2025, 10, 26), at(2025, 10, 25, 23), 25),
        # Clocks skip midnight itself: the day starts at 01:00 local.
        ("America/Santiago", datetime.date(2024, 9, 8), at(2024, 9, 8, 4), 23),
        ("Asia/Beirut", datetime.date(2024, 3, 31), at(2024, 3, 30, 22), 23),
        ("Pacific/Kiritimati", datetime.date(2025, 1, 1), at(2024, 12, 31, 10), 24),
        ("Asia/Kolkata", datetime.date(2025, 1, 1), at(2024, 12, 31, 18, 30), 24),
    ],
)
def test_day_range_is_the_days_real_length(
    zone: str, day: datetime.date, start: datetime.datetime, hours: int
) -> None:
    first = dates.day_start(day, ZoneInfo(zone))
    end = dates.day_start(day + datetime.timedelta(days=1), ZoneInfo(zone))
    assert first == start
    assert end - first == datetime.timedelta(hours=hours)
    assert dates.local_day(first, ZoneInfo(zone)) == day
    assert dates.local_day(first - datetime.timedelta(microseconds=1), ZoneInfo(zone)) < day


def test_the_day_after_the_clocks_go_back_starts_at_midnight_gmt() -> None:
    # 01:30 happens twice on 26 Oct 2025 in London; either way the next day starts at 00:00 GMT.
    for moment in (at(2025, 10, 26, 0, 30), at(2025, 10, 26, 1, 30)):
        day = dates.local_day(moment, LONDON) + datetime.timedelta(days=1)
        assert dates.day_start(day, LONDON) == at(2025, 10, 27)


def test_to_instant_refuses_a_time_the_clocks_skipped() -> None:
    with pytest.raises(dates.SkippedTime):
        dates.to_instant(datetime.date(2025, 3, 30), datetime.time(1, 30), LONDON)


def test_to_instant_takes_the_first_of_a_time_that_happens_twice() -> None:
    instant = dates.to_instant(datetime.date(2025, 10, 26), datetime.time(1, 30), LONDON)
    assert instant == at(2025, 10, 26, 0, 30)


def test_span_ending_at_local_midnight_stays_on_its_day() -> None:
    zone = ZoneInfo("Asia/Kolkata")
    start = dates.to_instant(datetime.date(2025, 1, 1), datetime.time(22), zone)
    end = dates.to_instant(datetime.date(2025, 1, 2), datetime.time(0), zone)
    assert dates.span_days(start, end, zone) == (datetime.date(2025, 1, 1),) * 2


def test_span_over_midnight_covers_both_days() -> None:
    start = at(2025, 1, 1, 23, 30, zone=LONDON)
    end = at(2025, 1, 2, 0, 30, zone=LONDON)
    assert dates.span_days(start, end, LONDON) == (
        datetime.date(2025, 1, 1),
        datetime.date(2025, 1, 2),
    )


def test_an_open_span_has_no_last_day_yet() -> None:
    assert dates.span_days(at(2025, 1, 1, 9), None, LONDON) == (datetime.date(2025, 1, 1), None)


def test_a_zero_length_span_happened_on_its_start_day() -> None:
    moment = at(2025, 1, 1, 0, 0, zone=LONDON)
    assert dates.span_days(moment, moment, LONDON) == (datetime.date(2025, 1, 1),) * 2


NEW_YORK = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")


@pytest.mark.parametrize(
    ("start", "end", "zone", "days"),
    [
        # 23:30 on 1 January in New York is 04:30 UTC on 2 January: a 1 January entry.
        (at(2025, 1, 2, 4, 30), at(2025, 1, 2, 4, 50), NEW_YORK, ((2025, 1, 1), (2025, 1, 1))),
        # A microsecond past local midnight reaches the new day.
        (
            at(2025, 1, 1, 9, zone=LONDON),
            at(2025, 1, 3, 0, 0, 0, 1, zone=LONDON),
            LONDON,
            ((2025, 1, 1), (2025, 1, 3)),
        ),
        # An end given in UTC at New York's midnight (05:00 UTC) stops the day before.
        (at(2025, 1, 1, 14), at(2025, 1, 3, 5), NEW_YORK, ((2025, 1, 1), (2025, 1, 2))),
        # Santiago skipped midnight on 7 September 2025: its day began at 01:00 (04:00 UTC),
        # so an end at that moment does not reach 7 September.
        (
            at(2025, 9, 6, 10, zone=SANTIAGO),
            at(2025, 9, 7, 4),
            SANTIAGO,
            ((2025, 9, 6), (2025, 9, 6)),
        ),
        # London's clocks went forward on 30 March 2025; midnight of 31 March is 23:00 UTC.
        (
            at(2025, 3, 29, 22, zone=LONDON),
            at(2025, 3, 30, 23),
            LONDON,
            ((2025, 3, 29), (2025, 3, 30)),
        ),
        # Within the hour London repeated on 26 October 2025 (01:30 BST to 01:30 GMT).
        (at(2025, 10, 26, 0, 30), at(2025, 10, 26, 1, 30), LONDON, ((2025, 10, 26),) * 2),
        # Lord Howe keeps +11:00 until 02:00 local on 6 April 2025: at its standard +10:30 this
        # instant would still be 5 April.
        (at(2025, 4, 5, 13, 15), at(2025, 4, 5, 13, 15), LORD_HOWE, ((2025, 4, 6),) * 2),
        # Lord Howe's half-hour change on 5 October 2025: midnight of 6 October is 13:00 UTC.
        (
            at(2025, 10, 5, 10, zone=LORD_HOWE),
            at(2025, 10, 5, 13),
            LORD_HOWE,
            ((2025, 10, 5), (2025, 10, 5)),
        ),
        # Kiritimati is 14 hours ahead of UTC.
        (
            at(2024, 12, 31, 10, 30),
            at(2024, 12, 31, 10, 30),
            ZoneInfo("Pacific/Kiritimati"),
            ((2025, 1, 1),) * 2,
        ),
        (
            at(2025, 1, 1, 11),
            at(2025, 1, 1, 11),
            ZoneInfo("Pacific/Kiritimati"),
            ((2025, 1, 2),) * 2,
        ),
    ],
)
def test_span_days_in_awkward_zones_and_clock_changes(
    start: datetime.datetime,
    end: datetime.datetime,
    zone: ZoneInfo,
    days: tuple[tuple[int, int, int], tuple[int, int, int]],
) -> None:
    first, last = days
    assert dates.span_days(start, end, zone) == (datetime.date(*first), datetime.date(*last))


def test_span_refuses_a_naive_start_or_end() -> None:
    naive = datetime.datetime(2025, 1, 1, 10)  # noqa: DTZ001 - the mistake under test
    with pytest.raises(ValueError, match="aware"):
        dates.span_days(naive, None, LONDON)
    with pytest.raises(ValueError, match="aware"):
        dates.span_days(at(2025, 1, 1, 9), naive, LONDON)


def test_span_refuses_an_end_before_its_start() -> None:
    with pytest.raises(ValueError, match="before"):
        dates.span_days(at(2025, 1, 2), at(2025, 1, 1), LONDON)


def test_the_same_instant_is_two_different_days_in_two_zones() -> None:
    """Why entries keep the zone they were recorded in: 23:30 on 1 January in Los Angeles is
    already 2 January in London."""
    moment = at(2025, 1, 1, 23, 30, zone=ZoneInfo("America/Los_Angeles"))
    assert dates.local_day(moment, ZoneInfo("America/Los_Angeles")) == datetime.date(2025, 1, 1)
    assert dates.local_day(moment, LONDON) == datetime.date(2025, 1, 2)


def test_window_counts_today() -> None:
    assert dates.window(datetime.date(2025, 1, 15), 15) == (
        datetime.date(2025, 1, 1),
        datetime.date(2025, 1, 15),
    )
    with pytest.raises(ValueError):
        dates.window(datetime.date(2025, 1, 15), 0)


def test_dates_between_is_inclusive_and_empty_when_reversed() -> None:
    first = datetime.date(2025, 1, 30)
    assert dates.dates_between(first, datetime.date(2025, 2, 1)) == [
        datetime.date(2025, 1, 30),
        datetime.date(2025, 1, 31),
        datetime.date(2025, 2, 1),
    ]
    assert dates.dates_between(first, datetime.date(2025, 1, 29)) == []


def test_an_unknown_stored_zone_reads_as_utc() -> None:
    assert dates.zone_or_utc("Mars/Olympus_Mons") == ZoneInfo("UTC")
    assert dates.zone_or_utc("Europe/London") == LONDON


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (datetime.date(2026, 3, 2), datetime.date(2026, 3, 2)),  # a Monday is its own week
        (datetime.date(2026, 3, 8), datetime.date(2026, 3, 2)),  # Sunday ends it
        (datetime.date(2026, 3, 9), datetime.date(2026, 3, 9)),
        (datetime.date(2026, 1, 1), datetime.date(2025, 12, 29)),  # across a new year
        (datetime.date(2024, 3, 1), datetime.date(2024, 2, 26)),  # across a leap day
    ],
)
def test_week_start_is_the_monday_on_or_before_the_day(
    day: datetime.date, monday: datetime.date
) -> None:
    assert dates.week_start(day) == monday
    assert dates.week_start(day).weekday() == 0
