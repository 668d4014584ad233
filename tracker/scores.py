"""The weekly function score: the three-item PEG, once a week, and what the pages read of it.

The PEG (Krebs et al., J Gen Intern Med 2009; free to use) asks about the past week: pain on
average, how much pain got in the way of enjoying life, and of general activity, each 0 to 10.
The score is their mean. A patient answers once per local week (Monday to Sunday in their own
zone, tracker.dates.week_start); answering again in the same week changes that week's answers,
because the week has one score and the patient's latest word about it is the one to keep (a
mis-tap is corrected by answering again, with the earlier answers shown on the form).

Time is an argument (`now`, `today`): nothing here reads the clock.
"""

import datetime
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from tracker import dates, rules, services
from tracker.models import FunctionScore

ITEM_MIN, ITEM_MAX = 0, 10
# The answers' field names, in the order the questions are asked.
ITEMS = ("pain", "enjoyment", "activity")
# The dashboard's chart covers this many weeks, the current one included.
CHART_WEEKS = 12


def peg_score(*, pain: int, enjoyment: int, activity: int) -> float:
    """Return the PEG score, the mean of the three answers to one decimal place.

    Raises ValueError for an answer outside 0-10 (the arithmetic is rules.peg_mean, which
    FunctionScore.score uses too).
    """
    for name, value in (("pain", pain), ("enjoyment", enjoyment), ("activity", activity)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be an integer, got {value!r}")
        if not ITEM_MIN <= value <= ITEM_MAX:
            raise ValueError(f"{name} must be {ITEM_MIN}-{ITEM_MAX}, got {value}")
    return rules.peg_mean(pain, enjoyment, activity)


def change(later: float, earlier: float) -> float:
    """Return how far a score moved, to one decimal place (negative: it went down)."""
    return round(later - earlier, 1)


class Outcome(enum.Enum):
    SAVED = "saved"  # the week's first answers
    UPDATED = "updated"  # changed the week's earlier answers
    UNCHANGED = "unchanged"  # the same answers as before


@transaction.atomic
def record_function_score(
    *, patient: User, pain: int, enjoyment: int, activity: int, now: datetime.datetime
) -> tuple[FunctionScore, Outcome]:
    """Store the patient's PEG answers for their current local week, or change that week's.

    The patient's status row is locked first (services._touch, which also records the write
    for the clinicians' queue), so two answers sent at once queue behind each other and the
    second changes the first rather than failing on the one-a-week constraint.
    """
    peg_score(pain=pain, enjoyment=enjoyment, activity=activity)
    services._touch(patient, now=now)
    day = dates.local_day(now, patient.zone)
    week = dates.week_start(day)
    score = FunctionScore.objects.filter(patient=patient, week=week).first()
    if score is None:
        score = FunctionScore.objects.create(
            patient=patient,
            week=week,
            day=day,
            time_zone=patient.time_zone,
            pain=pain,
            enjoyment=enjoyment,
            activity=activity,
            answered_at=now,
        )
        return score, Outcome.SAVED
    if (score.pain, score.enjoyment, score.activity) == (pain, enjoyment, activity):
        return score, Outcome.UNCHANGED
    score.pain, score.enjoyment, score.activity = pain, enjoyment, activity
    score.day, score.time_zone, score.answered_at = day, patient.time_zone, now
    score.save(update_fields=["pain", "enjoyment", "activity", "day", "time_zone", "answered_at"])
    return score, Outcome.UPDATED


def this_weeks(*, patient: User, today: datetime.date) -> FunctionScore | None:
    """Return the patient's answers for the week `today` falls in, if they gave any."""
    return FunctionScore.objects.filter(patient=patient, week=dates.week_start(today)).first()


def answered_weeks(weeks: Mapping[int, datetime.date]) -> set[int]:
    """Return which of the patients (id -> a local day of theirs) answered for that day's week.

    One query for any number of patients (the reminders' batches).
    """
    if not weeks:
        return set()
    wanted = {(pk, dates.week_start(day)) for pk, day in weeks.items()}
    rows = FunctionScore.objects.filter(
        patient_id__in=list(weeks), week__in={week for _pk, week in wanted}
    ).values_list("patient_id", "week")
    return {pk for pk, week in rows if (pk, week) in wanted}


# What the pages show


@dataclass(frozen=True)
class WeekPoint:
    week: datetime.date
    score: float | None  # None: no answers that week, drawn as a gap


@dataclass(frozen=True)
class FunctionCard:
    """The dashboard's weekly card: whether this week's questions are due, the latest score
    and its change from the one before, and the recent weeks for the chart and table."""

    this_week: datetime.date
    due: bool
    recent: list[FunctionScore]  # newest first, at most CHART_WEEKS of them
    points: list[WeekPoint]  # oldest first, one per week of the chart

    @property
    def latest(self) -> FunctionScore | None:
        return self.recent[0] if self.recent else None

    @property
    def previous(self) -> FunctionScore | None:
        return self.recent[1] if len(self.recent) > 1 else None

    @property
    def change(self) -> float | None:
        if self.latest is None or self.previous is None:
            return None
        return change(self.latest.score, self.previous.score)

    @property
    def chart_data(self) -> dict[str, object]:
        return {
            "labels": [point.week.isoformat() for point in self.points],
            "scores": [point.score for point in self.points],
            "name": gettext("Weekly score (0 to 10)"),
        }


def _points(
    scores: Iterable[FunctionScore], *, first: datetime.date, last: datetime.date
) -> list[WeekPoint]:
    by_week = {score.week: score.score for score in scores}
    weeks = dates.dates_between(first, last)[::7]
    return [WeekPoint(week=week, score=by_week.get(week)) for week in weeks]


def dashboard_card(*, patient: User, today: datetime.date) -> FunctionCard:
    """Read the weekly card for the dashboard: one query, whatever the history."""
    this_week = dates.week_start(today)
    recent = list(
        FunctionScore.objects.filter(patient=patient, week__lte=this_week).order_by("-week")[
            :CHART_WEEKS
        ]
    )
    first = this_week - datetime.timedelta(weeks=CHART_WEEKS - 1)
    return FunctionCard(
        this_week=this_week,
        due=not recent or recent[0].week != this_week,
        recent=recent,
        points=_points(recent, first=first, last=this_week),
    )


@dataclass(frozen=True)
class FunctionTrend:
    """The weekly scores a clinician sees for a period: answered on a local day in it."""

    since: datetime.date
    until: datetime.date
    scores: list[FunctionScore]  # oldest first

    @property
    def latest(self) -> FunctionScore | None:
        return self.scores[-1] if self.scores else None

    @property
    def previous(self) -> FunctionScore | None:
        return self.scores[-2] if len(self.scores) > 1 else None

    @property
    def first(self) -> FunctionScore | None:
        return self.scores[0] if len(self.scores) > 1 else None

    @property
    def change_from_previous(self) -> float | None:
        if self.latest is None or self.previous is None:
            return None
        return change(self.latest.score, self.previous.score)

    @property
    def change_from_first(self) -> float | None:
        if self.latest is None or self.first is None:
            return None
        return change(self.latest.score, self.first.score)

    @property
    def newest_first(self) -> list[FunctionScore]:
        return self.scores[::-1]

    @property
    def chart_data(self) -> dict[str, object]:
        return {
            "labels": [score.week.isoformat() for score in self.scores],
            "scores": [score.score for score in self.scores],
            "name": gettext("Weekly score (0 to 10)"),
        }


def function_trend(*, patient: User, since: datetime.date, until: datetime.date) -> FunctionTrend:
    """Read the patient's weekly scores answered on the local days since..until: one query."""
    scores = list(
        FunctionScore.objects.filter(patient=patient, day__gte=since, day__lte=until).order_by(
            "week"
        )
    )
    return FunctionTrend(since=since, until=until, scores=scores)
