"""Load a patient's recent log and turn it, through the rules, into what their dashboard shows.

Every query here reads a bounded window ending today, never the whole history, so the cost is
the same for one month and five years of logs. The persistence flag reads the last
FLAG_WINDOW_DAYS; a run that reaches further back is reported as "since at least" the window's
first day. That is still a raised flag, which is all the rule needs.
"""

import datetime
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from education.models import Article
from tracker import rules
from tracker.models import (
    Acknowledgement,
    CheckIn,
    Drink,
    Episode,
    EpisodeTrigger,
    HydrationDay,
    PatientProfile,
    Relief,
    ReliefTried,
    Trigger,
)

FLAG_WINDOW_DAYS = 120
CHART_PERIODS = (30, 90)
# Statistics on triggers and relief cover the longest chart period.
STATS_DAYS = max(CHART_PERIODS)

# The article that explains each trigger and relief measure (slugs of education/content/).
TRIGGER_ARTICLES: dict[str, str] = {
    Trigger.HEAVY_LIFTING: "causes-and-risk-factors",
    Trigger.MORE_EXERCISE: "prevention-at-work-and-in-sport",
    Trigger.NEW_ACTIVITY: "prevention-at-work-and-in-sport",
    Trigger.NO_WARM_UP: "prevention-at-work-and-in-sport",
    Trigger.LONG_SITTING: "prevention-at-work-and-in-sport",
    Trigger.AWKWARD_POSTURE: "prevention-at-work-and-in-sport",
    Trigger.SUDDEN_TWIST: "causes-and-risk-factors",
    Trigger.SLEEPING_POSITION: "causes-and-risk-factors",
    Trigger.COLD: "causes-and-risk-factors",
    Trigger.LITTLE_DRINK: "hydration-and-cramps",
    Trigger.STRESS: "causes-and-risk-factors",
    Trigger.TIRED_MUSCLES: "causes-and-risk-factors",
    Trigger.NONE_IDENTIFIED: "symptoms-of-back-spasm",
    Trigger.OTHER: "causes-and-risk-factors",
}
RELIEF_ARTICLES: dict[str, str] = {
    Relief.STRETCHING: "exercises-for-back-spasm",
    Relief.PORTAL_EXERCISES: "exercises-for-back-spasm",
    Relief.GENTLE_MASSAGE: "self-care-first-days",
    Relief.THERAPIST_MASSAGE: "self-care-first-days",
    Relief.HEAT: "heat-and-cold-safely",
    Relief.COLD: "heat-and-cold-safely",
    Relief.HOT_AND_COLD: "heat-and-cold-safely",
    Relief.KEPT_MOVING: "stay-active-not-bed-rest",
    Relief.CHANGED_POSITION: "prevention-at-work-and-in-sport",
    Relief.SHORT_REST: "stay-active-not-bed-rest",
    Relief.RELAXATION: "self-care-first-days",
    Relief.ANTI_INFLAMMATORY: "medicines-for-back-spasm",
    Relief.OTHER_PAINKILLER: "medicines-for-back-spasm",
    Relief.MUSCLE_RELAXANT: "medicines-for-back-spasm",
    Relief.OTHER_PRESCRIBED: "medicines-for-back-spasm",
    Relief.PHYSIOTHERAPY: "when-to-get-help",
    Relief.DRINK: "hydration-and-cramps",
    Relief.HERBAL: "medicines-for-back-spasm",
}


def local_today(zone: ZoneInfo) -> datetime.date:
    """Return today's date where the patient is."""
    return timezone.now().astimezone(zone).date()


def day_start(day: datetime.date, zone: ZoneInfo) -> datetime.datetime:
    """Return the first instant of a local day (midnight, or later if the clocks skipped it)."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone).astimezone(datetime.UTC)


def episodes_overlapping(
    *,
    patient: User,
    since: datetime.date | None,
    until: datetime.date | None,
    zone: ZoneInfo,
) -> QuerySet[Episode]:
    """Return the patient's episodes that overlap the local days since..until, both included.

    None leaves that end of the range open. An episode starting inside the range counts even
    with zero length (it happened on its start day, as in rules.episode_local_days); one still
    going lasts until now. With both ends set, each branch uses an index on (patient,
    started_at) or (patient, ended_at), so only the range's rows are read.
    """
    episodes = Episode.objects.filter(patient=patient)
    if until is not None:
        episodes = episodes.filter(
            started_at__lt=day_start(until + datetime.timedelta(days=1), zone)
        )
    if since is not None:
        start = day_start(since, zone)
        overlaps = Q(started_at__gte=start) | Q(ended_at__gt=start)
        if start < timezone.now():
            overlaps |= Q(ended_at__isnull=True)
        episodes = episodes.filter(overlaps)
    return episodes


@dataclass(frozen=True)
class ItemStat:
    code: str
    label: str
    count: int
    article: tuple[str, str] | None  # (slug, title) of the published article, if any
    helped: int = 0
    worse: int = 0


@dataclass(frozen=True)
class DayRow:
    day: datetime.date
    worst: int | None
    drinks_ml: int | None
    complete: bool


@dataclass
class Summary:
    """Everything the dashboard shows about one patient, as of `today` in their zone."""

    today: datetime.date
    days: int
    profile: PatientProfile
    target_ml: int | None
    run: rules.Run | None
    flag: bool
    severe_streak: bool
    worsening: bool
    flag_window_start: datetime.date
    rows: list[DayRow]
    triggers: list[ItemStat]
    relief: list[ItemStat]
    comparison: rules.HydrationComparison | None
    today_ml: int
    today_complete: bool
    run_seen_by: list[Acknowledgement] = field(default_factory=list)
    open_episodes: list[Episode] = field(default_factory=list)
    recent_episodes: list[Episode] = field(default_factory=list)

    @property
    def run_reaches_back(self) -> bool:
        """Tell whether the run may have started before the window that was read."""
        return self.run is not None and self.run.reaches_window_start

    @property
    def chart_data(self) -> dict:
        return {
            "labels": [row.day.isoformat() for row in self.rows],
            "severity": [row.worst for row in self.rows],
            "drinks": [row.drinks_ml for row in self.rows],
            "target": self.target_ml,
            "names": {
                "severity": gettext("Worst pain"),
                "drinks": gettext("Drinks (ml)"),
                "target": gettext("Target (ml)"),
            },
        }


def patient_profile(patient: User) -> PatientProfile:
    """Return the patient's tracker profile, creating an empty one on first use.

    The sign-in backend (accounts.backends) loads it with the user, so usually no query is made.
    """
    try:
        return patient.patient_profile
    except PatientProfile.DoesNotExist:
        profile, _created = PatientProfile.objects.get_or_create(user=patient)
        return profile


def build_summary(
    *, patient: User, profile: PatientProfile, today: datetime.date, days: int
) -> Summary:
    """Read the last FLAG_WINDOW_DAYS of the patient's log and apply the rules to them.

    Eight queries whatever the size of the history: episodes, check-ins, drink totals,
    complete days, trigger counts, relief counts, acknowledged runs and the linked articles.
    """
    if days not in CHART_PERIODS:
        raise ValueError(f"days must be one of {CHART_PERIODS}, got {days}")
    zone = patient.zone
    flag_since = today - datetime.timedelta(days=FLAG_WINDOW_DAYS - 1)
    chart_since = today - datetime.timedelta(days=days - 1)
    stats_since = day_start(today - datetime.timedelta(days=STATS_DAYS - 1), zone)

    # Plain tuples, not model instances: a patient who logs daily has over a hundred of them.
    episodes = list(
        episodes_overlapping(patient=patient, since=flag_since, until=today, zone=zone).values_list(
            "id", "started_at", "ended_at", "severity"
        )
    )
    checkins = list(
        CheckIn.objects.filter(patient=patient, day__gte=flag_since, day__lte=today).values_list(
            "day", "worst_severity"
        )
    )
    drink_totals = {
        row["day"]: (row["total"], row["entries"])
        for row in Drink.objects.filter(patient=patient, day__gte=flag_since, day__lte=today)
        .values("day")
        .annotate(total=Sum("amount_ml"), entries=Count("id"))
        .order_by()
    }
    marked_complete = set(
        HydrationDay.objects.filter(
            patient=patient, day__gte=flag_since, day__lte=today, complete=True
        ).values_list("day", flat=True)
    )
    trigger_counts = list(
        EpisodeTrigger.objects.filter(
            episode__patient=patient, episode__started_at__gte=stats_since
        )
        .values_list("code")
        .annotate(count=Count("id"))
        .order_by("-count", "code")
    )
    relief_counts = list(
        ReliefTried.objects.filter(episode__patient=patient, episode__started_at__gte=stats_since)
        .values_list("code")
        .annotate(
            count=Count("id"),
            helped=Count("id", filter=Q(effect__gte=1)),
            worse=Count("id", filter=Q(effect__lt=0)),
        )
        .order_by("-helped", "-count", "code")
    )
    run_acknowledgements = list(
        Acknowledgement.objects.filter(patient=patient, run_first_day__gte=flag_since)
        .select_related("clinician")
        .order_by("created_at")
    )
    slugs = {TRIGGER_ARTICLES[code] for code, _n in trigger_counts} | {
        RELIEF_ARTICLES[code] for code, *_n in relief_counts
    }
    articles = (
        dict(Article.objects.published().filter(slug__in=slugs).values_list("slug", "title"))
        if slugs
        else {}
    )

    spans = [(start, end) for _id, start, end, _severity in episodes]
    statuses = rules.day_statuses(
        episodes=spans, checkins=checkins, zone=zone, today=today, since=flag_since
    )
    run = rules.current_run(statuses, today=today, since=flag_since)
    worst = rules.daily_worst_severity(
        episodes=[(start, end, severity) for _id, start, end, severity in episodes],
        checkins=checkins,
        zone=zone,
        today=today,
        since=flag_since,
    )
    target_ml = profile.target_ml
    hydration_days = {
        day: (
            total,
            rules.is_complete_day(marked_complete=day in marked_complete, entry_count=entries),
        )
        for day, (total, entries) in drink_totals.items()
    }
    for day in marked_complete - hydration_days.keys():
        # Marked complete with nothing logged: a day on which the patient drank nothing.
        hydration_days[day] = (0, True)
    comparison = (
        rules.hydration_comparison(
            days=hydration_days,
            episode_starts=[start.astimezone(zone).date() for _id, start, _end, _sev in episodes],
            target_ml=target_ml,
            today=today,
        )
        if target_ml
        else None
    )

    def article(slug: str) -> tuple[str, str] | None:
        return (slug, articles[slug]) if slug in articles else None

    newest_first = sorted(episodes, key=lambda row: row[1], reverse=True)

    def shown(rows: list[tuple]) -> list[Episode]:
        return [
            Episode(id=pk, patient=patient, started_at=start, ended_at=end, severity=severity)
            for pk, start, end, severity in rows
        ]

    return Summary(
        today=today,
        days=days,
        profile=profile,
        target_ml=target_ml,
        run=run,
        flag=rules.persistence_flag(run),
        severe_streak=run is not None and rules.severe_streak(worst, run=run),
        worsening=run is not None and rules.worsening(worst, run=run),
        flag_window_start=flag_since,
        rows=[
            DayRow(
                day=day,
                worst=worst.get(day),
                drinks_ml=drink_totals[day][0] if day in drink_totals else None,
                complete=hydration_days.get(day, (0, False))[1],
            )
            for day in (chart_since + datetime.timedelta(days=n) for n in range(days))
        ],
        triggers=[
            ItemStat(code, Trigger(code).label, count, article(TRIGGER_ARTICLES[code]))
            for code, count in trigger_counts
        ],
        relief=[
            ItemStat(code, Relief(code).label, count, article(RELIEF_ARTICLES[code]), helped, worse)
            for code, count, helped, worse in relief_counts
        ],
        comparison=comparison,
        today_ml=drink_totals.get(today, (0, 0))[0],
        today_complete=today in marked_complete,
        run_seen_by=[ack for ack in run_acknowledgements if run and ack.run_first_day == run.first],
        open_episodes=shown([row for row in newest_first if row[2] is None]),
        recent_episodes=shown(newest_first[:5]),
    )
