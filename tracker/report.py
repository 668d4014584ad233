"""The patient's own report: what they take to an appointment with someone not on the portal.

`build_report(patient=..., since=..., until=..., now=...)` gathers one period of the patient's
log into plain values for one printable page, its PDF (tracker.report_pdf) and the read-only
link (tracker.report_links). Everything in it lies inside the period, in the patient's zone:
entries dated by the local day they were recorded on (episodes, medicines, weekly scores), and
instants (red-flag answers) from the first instant of the first day to the end of the last.
The flags are the stored assessment (tracker.services.status_for), worded by tracker.presenter;
only those whose dates touch the period are shown. Seven queries whatever the period or the
size of the log.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _

from accounts.models import User
from tracker import dates, presenter, rules, scores, services
from tracker.assessment import RED_FLAG_URGENCY, Assessment, Kind, Reason
from tracker.models import (
    DoseUnit,
    Effect,
    Episode,
    EpisodeTrigger,
    FunctionScore,
    MedicineDose,
    RedFlagAnswer,
    Relief,
    ReliefTried,
    Trigger,
)

# The default period: four weeks up to today, both days included.
DEFAULT_DAYS = 28
# The longest period a report covers: one page should still be readable.
MAX_DAYS = 366
# A change of 2 points on the 0-10 scale is meaningful (CLINICAL.md 2).
MEANINGFUL_CHANGE = 2
# The bar chart's drawing box, in SVG user units (the chart scales to the page).
CHART_HEIGHT = 60
CHART_BAR_STEP = 24
CHART_BAR_WIDTH = 16


@dataclass(frozen=True)
class WeekRow:
    """One calendar week (Monday to Sunday) of the period, cut at its ends."""

    first: datetime.date
    last: datetime.date
    episodes: int
    worst: int | None
    average: Decimal | None
    # The bar of the episodes chart: its left edge, top and height in user units.
    bar_x: int = 0
    bar_y: int = CHART_HEIGHT
    bar_height: int = 0


@dataclass(frozen=True)
class ReliefRow:
    label: str
    tried: int
    helped: int
    no_change: int
    worse: int


@dataclass(frozen=True)
class CountRow:
    label: str
    count: int


@dataclass(frozen=True)
class MedicineRow:
    """One medicine (by name and unit) taken in the period."""

    name: str
    doses: str
    times: int
    first_day: datetime.date
    last_day: datetime.date
    helped: int
    no_change: int
    worse: int
    side_effects: tuple[str, ...]


@dataclass(frozen=True)
class ScoreRow:
    week: datetime.date
    day: datetime.date
    pain: int
    enjoyment: int
    activity: int
    score: float


@dataclass(frozen=True)
class RedFlagRow:
    question: str
    urgency: str
    answered_at: datetime.datetime


@dataclass(frozen=True)
class Report:
    """One period of a patient's log, as plain values for the page and the PDF."""

    patient_name: str
    zone: str
    since: datetime.date
    until: datetime.date
    made_at: datetime.datetime
    episode_count: int
    symptom_days: int
    weeks: tuple[WeekRow, ...]
    chart_width: int
    trend: str
    flags: tuple[str, ...]
    relief: tuple[ReliefRow, ...]
    made_worse: tuple[ReliefRow, ...]
    triggers: tuple[CountRow, ...]
    medicines: tuple[MedicineRow, ...]
    scores: tuple[ScoreRow, ...]
    score_change: str
    red_flags: tuple[RedFlagRow, ...]
    questions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    @property
    def chart_height(self) -> int:
        return CHART_HEIGHT

    @property
    def bar_width(self) -> int:
        return CHART_BAR_WIDTH


# Choosing a period


def default_period(*, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Return the last four weeks up to today, both days included."""
    return dates.window(today, DEFAULT_DAYS)


def flag_began(assessment: Assessment, *, zone: datetime.tzinfo) -> datetime.date | None:
    """Return the first day of the patient's current flags (a run's first day, the day of a
    red-flag answer), or None without a flag."""
    days = []
    for reason in assessment.reasons:
        if reason.first is not None:
            days.append(reason.first)
        elif reason.at is not None:
            days.append(reason.at.astimezone(zone).date())
    return min(days, default=None)


def suggested_period(
    assessment: Assessment, *, today: datetime.date, zone: datetime.tzinfo
) -> tuple[datetime.date, datetime.date]:
    """Return the period to offer first: four weeks, or from the day the current flag began
    when that is earlier (at most a year back)."""
    since, until = default_period(today=today)
    began = flag_began(assessment, zone=zone)
    if began is not None and began < since:
        since = max(began, today - datetime.timedelta(days=MAX_DAYS - 1))
    return since, until


# Building the report


def _weeks(
    since: datetime.date, until: datetime.date, severities: dict[datetime.date, list[int]]
) -> list[WeekRow]:
    spans = []
    first = since
    while first <= until:
        last = min(until, first + datetime.timedelta(days=6 - first.weekday()))
        spans.append((first, last))
        first = last + datetime.timedelta(days=1)
    values = [
        [s for day in dates.dates_between(first, last) for s in severities.get(day, [])]
        for first, last in spans
    ]
    most = max(map(len, values), default=0)
    rows = []
    for index, ((first, last), week) in enumerate(zip(spans, values, strict=True)):
        height = round((CHART_HEIGHT - 4) * len(week) / most) if most else 0
        rows.append(
            WeekRow(
                first=first,
                last=last,
                episodes=len(week),
                worst=max(week, default=None),
                average=(Decimal(sum(week)) / len(week)).quantize(Decimal("0.1")) if week else None,
                bar_x=index * CHART_BAR_STEP + (CHART_BAR_STEP - CHART_BAR_WIDTH) // 2,
                bar_y=CHART_HEIGHT - height,
                bar_height=height,
            )
        )
    return rows


def _trend(weeks: list[WeekRow]) -> str:
    """Say how the average severity changed from the first week with episodes to the last."""
    logged = [week for week in weeks if week.average is not None]
    if not logged:
        return _("No episodes were logged in this period.")
    if len(logged) == 1:
        return _("Episodes were logged in one week only (average severity %(average)s/10).") % {
            "average": logged[0].average
        }
    first, last = logged[0], logged[-1]
    assert first.average is not None and last.average is not None
    change = last.average - first.average
    if change >= MEANINGFUL_CHANGE:
        direction = _("higher by 2 points or more")
    elif change <= -MEANINGFUL_CHANGE:
        direction = _("lower by 2 points or more")
    else:
        direction = _("within 2 points (about the same)")
    return _(
        "Average severity was %(first)s/10 in the first week with episodes (from %(first_day)s) "
        "and %(last)s/10 in the last (from %(last_day)s): %(direction)s."
    ) % {
        "first": first.average,
        "first_day": presenter.format_local(first.first, "j M"),
        "last": last.average,
        "last_day": presenter.format_local(last.first, "j M"),
        "direction": direction,
    }


def _in_period(
    reason: Reason, *, since: datetime.date, until: datetime.date, zone: datetime.tzinfo
) -> bool:
    if reason.first is not None and reason.last is not None:
        return reason.first <= until and reason.last >= since
    if reason.at is not None:
        return since <= reason.at.astimezone(zone).date() <= until
    return False


def _relief(rows: list[dict[str, Any]]) -> tuple[list[ReliefRow], list[ReliefRow]]:
    by_code: dict[str, Counter[int | None]] = defaultdict(Counter)
    for row in rows:
        by_code[row["code"]][row["effect"]] += row["n"]
    relief = []
    for code, effects in by_code.items():
        relief.append(
            ReliefRow(
                label=str(Relief(code).label),
                tried=sum(effects.values()),
                helped=effects[Effect.A_BIT_BETTER] + effects[Effect.MUCH_BETTER],
                no_change=effects[Effect.NO_CHANGE],
                worse=effects[Effect.WORSE],
            )
        )
    relief.sort(key=lambda row: (-row.helped, -row.tried, row.label))
    worse = sorted((row for row in relief if row.worse), key=lambda row: (-row.worse, row.label))
    return relief, worse


def _dose(value: Decimal) -> str:
    """Return a dose without trailing zeros: 400, 2.5."""
    return format(value.normalize(), "f")


def _medicines(doses: list[MedicineDose]) -> list[MedicineRow]:
    groups: dict[tuple[str, str], list[MedicineDose]] = defaultdict(list)
    for dose in doses:
        groups[(dose.name.strip().casefold(), dose.unit)].append(dose)
    rows = []
    for (_name, unit), taken in groups.items():
        taken.sort(key=lambda dose: dose.taken_at)
        unit_label = str(DoseUnit(unit).label) if unit in DoseUnit.values else unit
        amounts = sorted({dose.dose for dose in taken})
        effects = Counter(dose.helped for dose in taken)
        rows.append(
            MedicineRow(
                name=taken[-1].name.strip(),
                doses=", ".join(f"{_dose(amount)} {unit_label}" for amount in amounts),
                times=len(taken),
                first_day=taken[0].day,
                last_day=taken[-1].day,
                helped=effects[Effect.A_BIT_BETTER] + effects[Effect.MUCH_BETTER],
                no_change=effects[Effect.NO_CHANGE],
                worse=effects[Effect.WORSE],
                side_effects=tuple(
                    dict.fromkeys(d.side_effects.strip() for d in taken if d.side_effects.strip())
                ),
            )
        )
    rows.sort(key=lambda row: (-row.times, row.name.casefold()))
    return rows


def _score_change(rows: list[ScoreRow]) -> str:
    if len(rows) < 2:
        return ""
    first, last = rows[0], rows[-1]
    change = scores.change(last.score, first.score)
    return _(
        "The weekly score went from %(first)s (answered %(first_day)s) to %(last)s (answered "
        "%(last_day)s), a change of %(change)s. Lower is better."
    ) % {
        "first": first.score,
        "first_day": presenter.format_local(first.day, "j M"),
        "last": last.score,
        "last_day": presenter.format_local(last.day, "j M"),
        "change": f"{change:+}",
    }


def _questions(
    *,
    assessment_kinds: set[Kind],
    relief: list[ReliefRow],
    made_worse: list[ReliefRow],
    triggers: list[CountRow],
    medicines: list[MedicineRow],
    red_flags: list[RedFlagRow],
    episode_count: int,
) -> list[str]:
    """Return plain questions the patient may ask, chosen by what the period holds."""
    questions = []
    if Kind.TWO_WEEK in assessment_kinds:
        questions.append(
            _(
                "My symptoms have gone on for more than two weeks. What might be causing them, "
                "and do I need an examination, a test or a referral?"
            )
        )
    if assessment_kinds & {Kind.SEVERE_STREAK, Kind.WORSENING}:
        questions.append(
            _("My pain has been severe or getting worse. What should I do if it goes on?")
        )
    if red_flags:
        questions.append(
            _(
                "I answered yes to a safety question in this period. Does it need checking, "
                "and what should I look out for?"
            )
        )
    if medicines:
        questions.append(
            _(
                "Are the medicines and doses I take right for me, and for how long is it safe "
                "to take them?"
            )
        )
        if any(row.side_effects for row in medicines):
            questions.append(_("I noticed side effects. What should I do about them?"))
    if any(row.helped for row in relief):
        questions.append(_("Should I keep doing what helped, and how often?"))
    if made_worse:
        questions.append(_("Some things made my pain worse. Should I avoid them?"))
    if any(row.label != str(Trigger.NONE_IDENTIFIED.label) for row in triggers):
        questions.append(_("How can I avoid or reduce what seems to set my cramps off?"))
    if episode_count:
        questions.append(_("Which stretches or exercises are safe for me, and how often?"))
    questions.append(_("Which signs mean I should get help urgently?"))
    return questions


def build_report(
    *, patient: User, since: datetime.date, until: datetime.date, now: datetime.datetime
) -> Report:
    """Gather the patient's log from `since` to `until` (local days, both included)."""
    if since > until:
        raise ValueError(f"a report cannot end ({until}) before it starts ({since})")
    zone = patient.zone
    # 1: the stored assessment (recomputed first only when time has made it stale).
    assessment = services.remembered_status(patient, now=now).assessment
    # 2: the episodes that started in the period (by the local day they were recorded on).
    episodes = list(
        Episode.objects.filter(patient=patient, start_day__gte=since, start_day__lte=until)
        .order_by("start_day", "started_at")
        .values_list("start_day", "end_day", "severity")
    )
    severities: dict[datetime.date, list[int]] = defaultdict(list)
    symptom_days: set[datetime.date] = set()
    for start_day, end_day, severity in episodes:
        severities[start_day].append(severity)
        last = min(end_day or until, until)
        symptom_days.update(dates.dates_between(start_day, last))
    in_period = {"episode__patient": patient, "episode__start_day__range": (since, until)}
    # 3: what was tried for them, and how it went.
    relief_rows = list(
        ReliefTried.objects.filter(**in_period).values("code", "effect").annotate(n=Count("id"))
    )
    relief, made_worse = _relief(relief_rows)
    # 4: what may have set them off.
    trigger_counts = (
        EpisodeTrigger.objects.filter(**in_period).values("code").annotate(n=Count("id"))
    )
    triggers = sorted(
        (CountRow(label=str(Trigger(row["code"]).label), count=row["n"]) for row in trigger_counts),
        key=lambda row: (-row.count, row.label),
    )
    # 5: medicines taken on days of the period.
    doses = list(
        MedicineDose.objects.filter(patient=patient, day__gte=since, day__lte=until).order_by(
            "taken_at", "id"
        )
    )
    medicines = _medicines(doses)
    # 6: the weekly scores answered on days of the period.
    score_rows = [
        ScoreRow(
            week=row.week,
            day=row.day,
            pain=row.pain,
            enjoyment=row.enjoyment,
            activity=row.activity,
            score=row.score,
        )
        for row in FunctionScore.objects.filter(
            patient=patient, day__gte=since, day__lte=until
        ).order_by("day", "week")
    ]
    # 7: red-flag answers given from the first instant of `since` to the end of `until`.
    answers = RedFlagAnswer.objects.filter(
        patient=patient,
        answered_at__gte=dates.day_start(since, zone),
        answered_at__lt=dates.day_start(until + datetime.timedelta(days=1), zone),
    ).order_by("answered_at", "id")
    red_flags = []
    for answer in answers:
        flag = rules.RED_FLAGS_BY_CODE.get(answer.code)
        if flag is None:
            continue
        red_flags.append(
            RedFlagRow(
                question=str(flag.text),
                urgency=presenter.urgency_label(RED_FLAG_URGENCY[flag.tier]),
                answered_at=answer.answered_at,
            )
        )
    reasons = [
        reason
        for reason in assessment.reasons
        if _in_period(reason, since=since, until=until, zone=zone)
    ]
    weeks = _weeks(since, until, severities)
    triggers_list = list(triggers)
    return Report(
        patient_name=str(patient),
        zone=zone.key,
        since=since,
        until=until,
        made_at=now,
        episode_count=len(episodes),
        symptom_days=len(symptom_days),
        weeks=tuple(weeks),
        chart_width=max(1, len(weeks)) * CHART_BAR_STEP,
        trend=_trend(weeks),
        flags=tuple(presenter.clinician_line(reason, viewer_zone=zone) for reason in reasons),
        relief=tuple(relief),
        made_worse=tuple(made_worse),
        triggers=tuple(triggers_list),
        medicines=tuple(medicines),
        scores=tuple(score_rows),
        score_change=_score_change(score_rows),
        red_flags=tuple(red_flags),
        questions=tuple(
            _questions(
                assessment_kinds={reason.kind for reason in reasons},
                relief=relief,
                made_worse=made_worse,
                triggers=triggers_list,
                medicines=medicines,
                red_flags=red_flags,
                episode_count=len(episodes),
            )
        ),
    )
