"""Load a patient's recent log for their dashboard (and a clinician's view of it).

What the log means (flags, prompts) comes from the patient's stored assessment
(tracker.services.status_for); this module reads only what the charts and pattern lists show,
each query over a bounded window of local days, so the cost is the same for one month and five
years of logs.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils.translation import gettext

from accounts.models import User
from education.models import Article
from tracker import dates, presenter, rules
from tracker.assessment import Assessment
from tracker.models import (
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

CHART_PERIODS = (30, 90)
OPEN_EPISODES_SHOWN = 10
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


def episodes_overlapping(
    *,
    patient: User,
    since: datetime.date | None,
    until: datetime.date | None,
    today: datetime.date | None = None,
) -> QuerySet[Episode]:
    """Return the patient's episodes that cover any of the local days since..until, both
    included, by the dates each episode was recorded with. None leaves that end open.

    An episode still going covers the days from its start up to today (CLINICAL.md 2); given
    today, a range that starts after it holds none of them.

    With both ends set, each branch uses an index on (patient, started_at) or (patient,
    end_day), so only the range's rows are read.
    """
    episodes = Episode.objects.filter(patient=patient)
    if until is not None:
        episodes = episodes.filter(start_day__lte=until)
    if since is not None:
        if today is not None and since > today:
            episodes = episodes.filter(end_day__gte=since)
        else:
            episodes = episodes.filter(Q(end_day__isnull=True) | Q(end_day__gte=since))
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
    """One local day of the charts. None is "not logged", never 0 (CLINICAL.md 2): worst is 0
    only when the patient said there were no symptoms, and drinks_ml is 0 only on a day marked
    complete with no drinks."""

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
    assessment: Assessment
    rows: list[DayRow]
    triggers: list[ItemStat]
    relief: list[ItemStat]
    comparison: rules.HydrationComparison | None
    today_ml: int
    today_complete: bool
    open_episodes: list[Episode] = field(default_factory=list)
    recent_episodes: list[Episode] = field(default_factory=list)

    @property
    def comparison_lines(self) -> list[str]:
        """The drinks comparison in words (rates per logged day), or nothing."""
        if self.comparison is None:
            return []
        return presenter.hydration_comparison_lines(self.comparison)

    @property
    def chart_data(self) -> dict:
        """The charts' numbers: null where nothing was logged, drawn as a gap, not as 0."""
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
    *,
    patient: User,
    profile: PatientProfile,
    assessment: Assessment,
    today: datetime.date,
    days: int,
    for_patient: bool = True,
) -> Summary:
    """Read what the charts and lists show, for the chart period (and the hydration window).

    for_patient=False leaves out what only the patient's own dashboard shows (the episodes
    still going and the latest ones, and which clinicians saw the run).

    At most ten queries whatever the size of the history: episode days, check-ins, drink
    totals, complete days, trigger counts, relief counts, episodes still going, the latest
    episodes, the articles, and the clinicians who saw the current run (only when the two-week
    flag is raised).
    """
    if days not in CHART_PERIODS:
        raise ValueError(f"days must be one of {CHART_PERIODS}, got {days}")
    since, _today = dates.window(today, max(days, rules.HYDRATION_WINDOW_DAYS))
    chart_since, _today = dates.window(today, days)
    stats_since, _today = dates.window(today, STATS_DAYS)

    # Grouped by their dates: a day with a thousand episodes is one row.
    episode_days = list(
        episodes_overlapping(patient=patient, since=since, until=today)
        .values_list("start_day", "end_day")
        .annotate(worst=Max("severity"), count=Count("id"))
        .order_by()
    )
    checkins = list(
        CheckIn.objects.filter(patient=patient, day__gte=since, day__lte=today).values_list(
            "day", "worst_severity"
        )
    )
    drink_totals = {
        row["day"]: (row["total"], row["entries"])
        for row in Drink.objects.filter(patient=patient, day__gte=since, day__lte=today)
        .values("day")
        .annotate(total=Sum("amount_ml"), entries=Count("id"))
        .order_by()
    }
    marked_complete = set(
        HydrationDay.objects.filter(
            patient=patient, day__gte=since, day__lte=today, complete=True
        ).values_list("day", flat=True)
    )
    trigger_counts = list(
        EpisodeTrigger.objects.filter(episode__patient=patient, episode__start_day__gte=stats_since)
        .values_list("code")
        .annotate(count=Count("id"))
        .order_by("-count", "code")
    )
    relief_counts = list(
        ReliefTried.objects.filter(episode__patient=patient, episode__start_day__gte=stats_since)
        .values_list("code")
        .annotate(
            count=Count("id"),
            helped=Count("id", filter=Q(effect__gte=1)),
            worse=Count("id", filter=Q(effect__lt=0)),
        )
        .order_by("-helped", "-count", "code")
    )
    shown = ("id", "patient_id", "started_at", "ended_at", "severity")
    still_going = (
        list(
            Episode.objects.filter(patient=patient, end_day__isnull=True)
            .only(*shown)
            .order_by("-started_at", "-id")[:OPEN_EPISODES_SHOWN]
        )
        if for_patient
        else []
    )
    recent = (
        list(
            Episode.objects.filter(patient=patient).only(*shown).order_by("-started_at", "-id")[:5]
        )
        if for_patient
        else []
    )
    slugs = {TRIGGER_ARTICLES[code] for code, _n in trigger_counts} | {
        RELIEF_ARTICLES[code] for code, *_n in relief_counts
    }
    articles = (
        dict(Article.objects.published().filter(slug__in=slugs).values_list("slug", "title"))
        if slugs
        else {}
    )

    spans = [rules.EpisodeDays(first, last, worst) for first, last, worst, _n in episode_days]
    worst = rules.daily_worst_severity(
        episodes=spans, checkins=checkins, today=today, since=chart_since
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
            episode_starts=[
                first for first, _last, _worst, count in episode_days for _n in range(count)
            ],
            target_ml=target_ml,
            today=today,
        )
        if target_ml
        else None
    )

    def article(slug: str) -> tuple[str, str] | None:
        return (slug, articles[slug]) if slug in articles else None

    return Summary(
        today=today,
        days=days,
        profile=profile,
        target_ml=target_ml,
        assessment=assessment,
        rows=[
            DayRow(
                day=day,
                worst=worst.get(day),
                # A day with no drinks is not logged, unless it is marked complete.
                drinks_ml=hydration_days[day][0] if day in hydration_days else None,
                complete=hydration_days.get(day, (0, False))[1],
            )
            for day in dates.dates_between(chart_since, today)
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
        open_episodes=still_going,
        recent_episodes=recent,
    )
