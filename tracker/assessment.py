"""The one assessment of a patient: what their log says, computed once from plain facts.

`assess(facts, now=..., zone=...)` is the only place that turns a patient's log into an urgency
and its reasons (CLINICAL.md 3.1 and 3.2). It reads no clock and no database: the services load
the facts, store the result with the write that changed them (tracker.models.PatientStatus), and
every page, export and notice reads that row. The words for it live in tracker.presenter.

An assessment also says until when it holds (`valid_until`): the first moment at which the
passage of time alone could change it (a day added to a running episode, a run broken by a
week without symptoms, a red-flag advice window ending, an entry dated after today coming due).
Before that moment, assessing the same facts again gives the same assessment.
"""

import datetime
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from tracker import dates, rules

# The facts cover this many local days up to today. A run that reaches further back is reported
# as going back "at least" to the window's first day: still a raised flag.
WINDOW_DAYS = 120
# Red-flag advice stays in front of the patient for this long after they answered.
ADVICE_HOURS = 24
# Bump when the rules or the stored shape change: stored rows of another version are recomputed.
# 2: every flag of a run can be marked seen, and a mark covers the run only as it was then.
VERSION = 2


class Urgency(enum.IntEnum):
    """How soon someone should look at the patient; higher is more pressing."""

    NONE = 0
    # Companion prompts, a "soon" red flag, or a two-week flag a clinician has already seen.
    SOON = 1
    TWO_WEEK = 2
    # Urgent red flags, and the pregnancy ones (contact the maternity unit now).
    URGENT = 3
    EMERGENCY = 4


RED_FLAG_URGENCY: dict[rules.Tier, Urgency] = {
    rules.Tier.EMERGENCY: Urgency.EMERGENCY,
    rules.Tier.MATERNITY: Urgency.URGENT,
    rules.Tier.URGENT: Urgency.URGENT,
    rules.Tier.SOON: Urgency.SOON,
}


class Kind(enum.StrEnum):
    RED_FLAG = "red_flag"
    TWO_WEEK = "persistence"
    SEVERE_STREAK = "severe_streak"
    WORSENING = "worsening"


@dataclass(frozen=True)
class OpenAnswers:
    """The "yes" answers to one red-flag question that no clinician has marked as seen."""

    code: str
    count: int
    latest_at: datetime.datetime


@dataclass(frozen=True)
class SeenMark:
    """A clinician marked one flag of a run as seen, with the run as it was then.

    last_day and worst: the run's last day and its worst daily severity at that moment (worst
    None for a mark made before issue 20 recorded it: then the worst up to last_day counts).
    by and at: who marked it (their display name) and when.
    """

    kind: Kind
    first_day: datetime.date
    last_day: datetime.date
    worst: int | None
    by: str
    at: datetime.datetime


@dataclass(frozen=True)
class Facts:
    """What the assessment needs, as plain values.

    episodes: every episode that covers a day from `since` on (local dates as recorded);
    checkins: (local date, worst severity) from `since` on;
    open_answers: unacknowledged red-flag answers, whatever their age;
    recent_answers: red-flag code -> latest answer time, for answers inside the advice window;
    seen_marks: the flags of runs clinicians marked as seen (first days inside the window).
    """

    since: datetime.date
    episodes: Sequence[rules.EpisodeDays] = ()
    checkins: Sequence[tuple[datetime.date, int]] = ()
    open_answers: Sequence[OpenAnswers] = ()
    recent_answers: Mapping[str, datetime.datetime] = field(default_factory=dict)
    seen_marks: Sequence[SeenMark] = ()


@dataclass(frozen=True)
class Reason:
    """One reason for the urgency, with its dates; the presenter puts it into words."""

    kind: Kind
    urgency: Urgency
    code: str = ""
    first: datetime.date | None = None
    last: datetime.date | None = None
    at: datetime.datetime | None = None
    count: int = 1
    seen: bool = False
    reaches_back: bool = False
    # A run's worst daily severity so far: what a mark made now records as seen.
    worst: int | None = None
    # Who marked it seen and when (only when seen).
    seen_by: str = ""
    seen_at: datetime.datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "urgency": int(self.urgency),
            "code": self.code,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "at": self.at.isoformat() if self.at else None,
            "count": self.count,
            "seen": self.seen,
            "reaches_back": self.reaches_back,
            "worst": self.worst,
            "seen_by": self.seen_by,
            "seen_at": self.seen_at.isoformat() if self.seen_at else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Reason":
        return cls(
            kind=Kind(data["kind"]),
            urgency=Urgency(data["urgency"]),
            code=data["code"],
            first=datetime.date.fromisoformat(data["first"]) if data["first"] else None,
            last=datetime.date.fromisoformat(data["last"]) if data["last"] else None,
            at=datetime.datetime.fromisoformat(data["at"]) if data["at"] else None,
            count=data["count"],
            seen=data["seen"],
            reaches_back=data["reaches_back"],
            worst=data.get("worst"),
            seen_by=data.get("seen_by", ""),
            seen_at=datetime.datetime.fromisoformat(data["seen_at"])
            if data.get("seen_at")
            else None,
        )


@dataclass(frozen=True)
class Assessment:
    """Where the patient stands: the urgency, why, and until when that holds.

    run: the current run of symptoms (first and last day), or None; days_counted is its length.
    advice: red-flag codes answered inside the advice window, shown to the patient at once.
    valid_until: None when only a new write can change the assessment.
    """

    urgency: Urgency
    reasons: tuple[Reason, ...]
    run: rules.Run | None
    advice: tuple[str, ...]
    valid_until: datetime.datetime | None

    @property
    def days_counted(self) -> int:
        return self.run.length if self.run else 0

    def reason(self, kind: Kind) -> Reason | None:
        """Return the first reason of a kind, or None."""
        return next((reason for reason in self.reasons if reason.kind == kind), None)

    def to_json(self) -> dict[str, Any]:
        run = self.run
        return {
            "reasons": [reason.to_json() for reason in self.reasons],
            "run": (
                [run.first.isoformat(), run.last.isoformat(), run.reaches_window_start]
                if run
                else None
            ),
            "advice": list(self.advice),
        }

    @classmethod
    def from_stored(
        cls,
        *,
        urgency: int,
        data: Mapping[str, Any],
        valid_until: datetime.datetime | None,
    ) -> "Assessment":
        run = data["run"]
        return cls(
            urgency=Urgency(urgency),
            reasons=tuple(Reason.from_json(reason) for reason in data["reasons"]),
            run=rules.Run(
                first=datetime.date.fromisoformat(run[0]),
                last=datetime.date.fromisoformat(run[1]),
                reaches_window_start=run[2],
            )
            if run
            else None,
            advice=tuple(data["advice"]),
            valid_until=valid_until,
        )


NOTHING = Assessment(urgency=Urgency.NONE, reasons=(), run=None, advice=(), valid_until=None)


def window_start(today: datetime.date) -> datetime.date:
    """Return the first local day whose facts the assessment reads."""
    return dates.window(today, WINDOW_DAYS)[0]


def _red_flag_reasons(open_answers: Iterable[OpenAnswers]) -> list[Reason]:
    reasons = []
    for answers in open_answers:
        flag = rules.RED_FLAGS_BY_CODE.get(answers.code)
        if flag is None:
            # The database refuses unknown codes; an old code must not hide the others.
            continue
        reasons.append(
            Reason(
                kind=Kind.RED_FLAG,
                urgency=RED_FLAG_URGENCY[flag.tier],
                code=answers.code,
                at=answers.latest_at,
                count=answers.count,
            )
        )
    # The most pressing question first; within a tier, in the order they were answered.
    reasons.sort(key=lambda r: (-rules.RED_FLAGS_BY_CODE[r.code].tier, r.at, r.code))
    return reasons


def _lowered(urgency: Urgency) -> Urgency:
    """Return the urgency of a flag a clinician has seen: one step lower, never below none."""
    return Urgency(max(urgency - 1, Urgency.NONE))


def valid_mark(
    marks: Iterable[SeenMark],
    *,
    kind: Kind,
    run: rules.Run,
    worst: Mapping[datetime.date, int],
    today: datetime.date,
) -> SeenMark | None:
    """Return the latest mark that still covers a flag of this run, or None.

    A mark covers the run it was made on (same first day: a run that ended and started again
    is a new run) while nothing got worse: no day of the run, up to today, has a worse severity
    than the worst the clinician saw. Days the run grew by at the same severity or better stay
    covered; a worse day, whenever it was logged or dated, un-sees the flag.
    """
    days = dates.dates_between(run.first, max(run.last, today))
    now_worst = max((worst[day] for day in days if day in worst), default=0)
    valid = []
    for mark in marks:
        if mark.kind != kind or mark.first_day != run.first:
            continue
        seen_worst = mark.worst
        if seen_worst is None:
            seen_days = dates.dates_between(run.first, mark.last_day)
            seen_worst = max((worst[day] for day in seen_days if day in worst), default=0)
        if now_worst <= seen_worst:
            valid.append(mark)
    return max(valid, key=lambda mark: mark.at, default=None)


def _run_reasons(
    run: rules.Run | None,
    worst: Mapping[datetime.date, int],
    marks: Sequence[SeenMark],
    *,
    today: datetime.date,
) -> list[Reason]:
    if run is None:
        return []
    run_worst = max(
        (worst[day] for day in dates.dates_between(run.first, run.last) if day in worst),
        default=0,
    )

    def about_run(kind: Kind, urgency: Urgency) -> Reason:
        mark = valid_mark(marks, kind=kind, run=run, worst=worst, today=today)
        return Reason(
            kind=kind,
            urgency=_lowered(urgency) if mark else urgency,
            first=run.first,
            last=run.last,
            seen=mark is not None,
            reaches_back=run.reaches_window_start,
            worst=run_worst,
            seen_by=mark.by if mark else "",
            seen_at=mark.at if mark else None,
        )

    reasons = []
    if rules.persistence_flag(run):
        reasons.append(about_run(Kind.TWO_WEEK, Urgency.TWO_WEEK))
    if rules.severe_streak(worst, run=run):
        reasons.append(about_run(Kind.SEVERE_STREAK, Urgency.SOON))
    if rules.worsening(worst, run=run):
        reasons.append(about_run(Kind.WORSENING, Urgency.SOON))
    return reasons


def _window_catches_up(
    statuses: Mapping[datetime.date, rules.DayStatus], *, run: rules.Run, since: datetime.date
) -> int | None:
    """Return in how many days the moving window makes a run reach its start, if it will.

    A run whose earlier days are cut off from the window's start by a break (a week unlogged,
    three free days) starts to "reach back" once the window's start has moved past that break.
    """
    if run.reaches_window_start:
        return None
    gap = [statuses[day] for day in dates.dates_between(since, run.first - datetime.timedelta(1))]
    # An earlier SYM day did not join the run and never will: the window must move past it.
    after_sym = max(
        (i + 1 for i, status in enumerate(gap) if status is rules.DayStatus.SYM), default=0
    )
    # While seven or more days remain before the run, they break it.
    start = max(1, after_sym, len(gap) - rules.RUN_BREAK_GAP_DAYS + 1)
    for moved in range(start, len(gap) + 1):
        if not rules.breaks_run(gap[moved:]):
            return moved
    return None


def _changes_on(
    facts: Facts,
    *,
    today: datetime.date,
    since: datetime.date,
    statuses: Mapping[datetime.date, rules.DayStatus],
    run: rules.Run | None,
) -> datetime.date | None:
    """Return the first local day after today on which time alone could change the result."""
    tomorrow = today + datetime.timedelta(days=1)
    # An entry dated after today starts to count on its own day.
    days = [e.first for e in facts.episodes if e.first > today]
    days += [day for day, _severity in facts.checkins if day > today]
    # A running episode adds a day of symptoms every day, and so does one whose last day is
    # still to come (an end a few minutes ahead across midnight, or a move to a zone behind).
    if any(e.first <= today and (e.last is None or e.last > today) for e in facts.episodes):
        days.append(tomorrow)
    if run is not None:
        # A run that reaches the window's start moves with the window.
        if run.reaches_window_start:
            days.append(tomorrow)
        catches_up = _window_catches_up(statuses, run=run, since=since)
        if catches_up is not None:
            days.append(today + datetime.timedelta(days=catches_up))
        # With nothing more logged, the run ends when the days after its last SYM day break it.
        days.append(run.last + datetime.timedelta(days=rules.RUN_BREAK_GAP_DAYS))
    return min(days, default=None)


def assess(facts: Facts, *, now: datetime.datetime, zone: ZoneInfo) -> Assessment:
    """Assess a patient's facts as of an instant, in the patient's zone.

    Pure: the same facts, instant and zone always give the same assessment.
    """
    today = dates.local_day(now, zone)
    since = min(facts.since, today)
    statuses = rules.day_statuses(
        episodes=facts.episodes, checkins=facts.checkins, today=today, since=since
    )
    run = rules.current_run(statuses, today=today, since=since)
    worst = rules.daily_worst_severity(
        episodes=facts.episodes, checkins=facts.checkins, today=today, since=since
    )
    reasons = [
        *_red_flag_reasons(facts.open_answers),
        *_run_reasons(run, worst, facts.seen_marks, today=today),
    ]
    advice_from = now - datetime.timedelta(hours=ADVICE_HOURS)
    recent = {
        code: at
        for code, at in facts.recent_answers.items()
        if at > advice_from and code in rules.RED_FLAGS_BY_CODE
    }
    moments = [at + datetime.timedelta(hours=ADVICE_HOURS) for at in recent.values()]
    change_day = _changes_on(facts, today=today, since=since, statuses=statuses, run=run)
    if change_day is not None:
        moments.append(dates.day_start(change_day, zone))
    return Assessment(
        urgency=max((reason.urgency for reason in reasons), default=Urgency.NONE),
        reasons=tuple(reasons),
        run=run,
        advice=tuple(flag.code for flag in rules.RED_FLAGS if flag.code in recent),
        valid_until=min(moments, default=None),
    )
