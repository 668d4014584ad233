"""Local days: the one module that turns instants into a patient's calendar dates and back.

Every day-based rule (CLINICAL.md 2) works on local calendar dates in a patient's IANA zone.
Nothing else in the project does arithmetic on days and instants: the rules get dates, the
services get them from here. UTC arithmetic is exact; wall-clock arithmetic in a zone is not
(a day is 23, 24 or 25 hours long), so every conversion goes through an aware instant.
"""

import datetime
from zoneinfo import ZoneInfo

UTC = datetime.UTC

# How far ahead of the server's clock an entry may start and still be taken as "now", so that a
# phone whose clock runs a little fast can log. Beyond it the form refuses with a message.
CLOCK_SKEW_TOLERANCE = datetime.timedelta(minutes=10)


class SkippedTime(ValueError):
    """A wall-clock time that did not happen on that day, because the clocks went forward."""


def _check_aware(moment: datetime.datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"an aware datetime is needed, got {moment!r}")


def local_day(moment: datetime.datetime, zone: ZoneInfo) -> datetime.date:
    """Return the calendar date of an instant in a zone."""
    _check_aware(moment)
    return moment.astimezone(zone).date()


def day_start(day: datetime.date, zone: ZoneInfo) -> datetime.datetime:
    """Return the first instant (in UTC) of a local day.

    That is midnight, or the moment the clocks jump where they skip midnight (fold 0 of a
    skipped time maps to the transition itself), or the first of two midnights where the clocks
    go back over it (fold 0 is the earlier).
    """
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone).astimezone(UTC)


def to_instant(day: datetime.date, time: datetime.time, zone: ZoneInfo) -> datetime.datetime:
    """Turn a local date and wall-clock time into a UTC instant.

    Raises SkippedTime for a time the clocks jumped over. A time that happens twice (clocks
    going back) is taken as the first of the two.
    """
    local = datetime.datetime.combine(day, time, tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise SkippedTime(f"{time:%H:%M} did not happen on {day} in {zone.key}")
    return instant


def span_days(
    start: datetime.datetime, end: datetime.datetime | None, zone: ZoneInfo
) -> tuple[datetime.date, datetime.date | None]:
    """Return the first and last local dates that the span [start, end) overlaps.

    An open span (still going) has no last date yet. A span that ends exactly at local midnight
    does not reach the new day; a zero-length span happened on its start date.
    """
    first = local_day(start, zone)
    if end is None:
        return first, None
    _check_aware(end)
    if end < start:
        raise ValueError("a span cannot end before it starts")
    last_instant = end.astimezone(UTC) - datetime.timedelta(microseconds=1)
    return first, max(first, local_day(last_instant, zone))


def window(today: datetime.date, days: int) -> tuple[datetime.date, datetime.date]:
    """Return the first and last date of the `days` local days ending today, both included."""
    if days < 1:
        raise ValueError(f"a window needs at least one day, got {days}")
    return today - datetime.timedelta(days=days - 1), today


def week_start(day: datetime.date) -> datetime.date:
    """Return the Monday of the week a local date falls in (weeks run Monday to Sunday)."""
    return day - datetime.timedelta(days=day.weekday())


def dates_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """Return every date from first to last, both included (empty when last < first)."""
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


def zone_or_utc(name: str) -> ZoneInfo:
    """Return the named zone, or UTC for a name this machine does not know.

    A stored entry's zone was valid when it was written; a later tzdata without it must not
    break a page.
    """
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return ZoneInfo("UTC")


def wall_clock_instant(
    day: datetime.date, time: datetime.time, zone: ZoneInfo
) -> datetime.datetime:
    """Return the instant a daily wall-clock time happens on a local day, every day exactly once.

    A time the clocks jumped over (02:30 when they go from 02:00 to 03:00) happens as far past
    the jump as it was past the hour it replaced (03:30); a time that happens twice when the
    clocks go back is the first of the two.
    """
    try:
        return to_instant(day, time, zone)
    except SkippedTime:
        # fold 0 of a skipped time reads it with the offset before the jump: past the jump.
        return datetime.datetime.combine(day, time, tzinfo=zone).astimezone(UTC)


def next_occurrence(
    *,
    time: datetime.time,
    weekdays: frozenset[int],
    zone: ZoneInfo,
    first_day: datetime.date,
    not_before: datetime.datetime,
) -> tuple[datetime.date, datetime.datetime] | None:
    """Return the first local day from `first_day` on that is one of `weekdays` (0 Monday to
    6 Sunday) and whose `time` is not before `not_before`, with that instant; None without days.
    """
    _check_aware(not_before)
    if not weekdays:
        return None
    for offset in range(15):
        day = first_day + datetime.timedelta(days=offset)
        if day.weekday() not in weekdays:
            continue
        instant = wall_clock_instant(day, time, zone)
        if instant >= not_before:
            return day, instant
    # Unreachable for a zone whose offsets stay within a day; refuse to loop for ever.
    raise ValueError(f"no {time} within two weeks of {first_day} in {zone.key}")
