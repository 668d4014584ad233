"""The portal's clinical rules (CLINICAL.md section 3), as pure functions over plain values.

Nothing here reads the clock or the database: callers pass `today` and the data in.
"""

import enum
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tracker.dates import dates_between

# Every clinical parameter lives here, so a reviewer can check them against CLINICAL.md at once.
SEVERITY_MIN = 0
SEVERITY_MAX = 10
SEVERITY_MILD_MAX = 3
SEVERITY_MODERATE_MAX = 6
SEVERITY_SEVERE_MIN = SEVERITY_MODERATE_MAX + 1

PERSISTENCE_THRESHOLD_DAYS = 14
RUN_BREAK_FREE_DAYS = 3
RUN_BREAK_GAP_DAYS = 7
SEVERE_STREAK_DAYS = 3
WORSENING_MIN_LOGGED_DAYS = 6
WORSENING_COMPARED_DAYS = 3
WORSENING_MIN_POINTS = 2  # a meaningful change on the 0-10 scale (Childs et al. 2005)

TARGET_ML_DEFAULT = 1600  # female or sex not stated
TARGET_ML_MALE = 2000
TARGET_ML_PREGNANT = 1800
TARGET_ML_BREASTFEEDING = 2200
OWN_TARGET_ML_MIN = 1000
OWN_TARGET_ML_MAX = 4000
OWN_TARGET_ML_CONFIRM_ABOVE = 3000
GLASS_ML = 200
COMPLETE_DAY_MIN_ENTRIES = 3
HYDRATION_LOW_FRACTION = 0.75
HYDRATION_WINDOW_DAYS = 42
HYDRATION_MIN_PAIRS = 28
HYDRATION_MIN_DAYS_EACH = 5
HYDRATION_MIN_EPISODES = 4


class Tier(enum.IntEnum):
    """How soon a red-flag answer needs care; a higher value is more pressing."""

    SOON = 1
    URGENT = 2
    MATERNITY = 3
    EMERGENCY = 4


@dataclass(frozen=True)
class RedFlag:
    code: str
    tier: Tier
    text: Promise
    # Asked on the short screen while logging an episode (all emergency items and the two
    # commonest urgent ones); the full list is on "Get help now".
    on_short_screen: bool = False
    pregnancy_only: bool = False


RED_FLAGS: tuple[RedFlag, ...] = (
    RedFlag("saddle_numbness", Tier.EMERGENCY, _("Numbness or tingling around your genitals, back passage (bottom), buttocks or inner thighs"), on_short_screen=True),  # noqa: E501
    RedFlag("new_peeing_difficulty", Tier.EMERGENCY, _("New difficulty peeing, or not feeling the need to pee"), on_short_screen=True),  # noqa: E501
    RedFlag("bladder_bowel_control", Tier.EMERGENCY, _("Loss of control of your bladder or bowels"), on_short_screen=True),  # noqa: E501
    RedFlag("both_legs", Tier.EMERGENCY, _("Pain, tingling, numbness or weakness in both legs"), on_short_screen=True),  # noqa: E501
    RedFlag("leg_weakness_worsening", Tier.EMERGENCY, _("Leg weakness that is severe or getting worse quickly"), on_short_screen=True),  # noqa: E501
    RedFlag("sexual_function", Tier.EMERGENCY, _("New problems with sexual function, such as loss of feeling or problems getting an erection"), on_short_screen=True),  # noqa: E501
    RedFlag("chest_pain", Tier.EMERGENCY, _("Chest pain as well as the back pain"), on_short_screen=True),  # noqa: E501
    RedFlag("serious_accident", Tier.EMERGENCY, _("The pain started after a serious accident or fall, such as a car accident"), on_short_screen=True),  # noqa: E501
    RedFlag("fever", Tier.URGENT, _("A high temperature (38°C or more), or feeling hot and shivery"), on_short_screen=True),  # noqa: E501
    RedFlag("weight_loss", Tier.URGENT, _("Losing weight without trying")),
    RedFlag("back_lump", Tier.URGENT, _("A lump or swelling on your back, or a change in the shape of your back")),  # noqa: E501
    RedFlag("night_pain", Tier.URGENT, _("Pain that does not ease when you rest, or is worse at night"), on_short_screen=True),  # noqa: E501
    RedFlag("cough_pain", Tier.URGENT, _("Pain that is worse when you cough, sneeze or strain (for example on the toilet)")),  # noqa: E501
    RedFlag("upper_back_pain", Tier.URGENT, _("Pain high in your back, between your shoulder blades")),  # noqa: E501
    RedFlag("cancer_or_immune", Tier.URGENT, _("You have had cancer, or your immune system is weakened (for example by chemotherapy or steroids)")),  # noqa: E501
    RedFlag("first_pain_age", Tier.SOON, _("This is your first ever back pain and you are under 20 or over 50")),  # noqa: E501
    RedFlag("one_leg_symptoms", Tier.SOON, _("Numbness, pins and needles or weakness in one leg that has not settled")),  # noqa: E501
    RedFlag("not_coping", Tier.SOON, _("The pain stops you doing your normal daily activities, or you are struggling to cope")),  # noqa: E501
    RedFlag("pregnancy_tightening", Tier.MATERNITY, _("Regular waves of pain, or tightening of your bump"), pregnancy_only=True),  # noqa: E501
    RedFlag("pregnancy_bleeding", Tier.MATERNITY, _("Bleeding, or fluid leaking from your vagina"), pregnancy_only=True),  # noqa: E501
    RedFlag("pregnancy_infection", Tier.MATERNITY, _("A high temperature, or pain or burning when you pee"), pregnancy_only=True),  # noqa: E501
    RedFlag("pregnancy_movements", Tier.MATERNITY, _("Your baby is moving less than usual"), pregnancy_only=True),  # noqa: E501
)  # fmt: skip

RED_FLAGS_BY_CODE: dict[str, RedFlag] = {flag.code: flag for flag in RED_FLAGS}


def red_flags_in_tier(tier: Tier) -> list[RedFlag]:
    """Return the red-flag questions of one tier, in the order they are asked."""
    return [flag for flag in RED_FLAGS if flag.tier == tier]


# Severity (CLINICAL.md 2)


def _check_severity(severity: int) -> None:
    if not SEVERITY_MIN <= severity <= SEVERITY_MAX:
        raise ValueError(f"severity must be {SEVERITY_MIN}-{SEVERITY_MAX}, got {severity}")


def severity_band(severity: int) -> str:
    """Name the band of a 0-10 rating: "none", "mild", "moderate" or "severe"."""
    _check_severity(severity)
    if severity == 0:
        return "none"
    if severity <= SEVERITY_MILD_MAX:
        return "mild"
    if severity <= SEVERITY_MODERATE_MAX:
        return "moderate"
    return "severe"


# Local days (CLINICAL.md 2)


@dataclass(frozen=True)
class EpisodeDays:
    """The local dates an episode covers, fixed when it was recorded, and its severity.

    last is None while the episode is still going: it then covers every day up to today.
    """

    first: date
    last: date | None
    severity: int


def _check_window(*, since: date, today: date) -> None:
    if since > today:
        raise ValueError(f"since ({since}) is after today ({today})")


def _covered(episode: EpisodeDays, *, since: date, today: date) -> list[date]:
    """Return the days of the window since..today that an episode covers.

    An entry dated after today (a phone clock a little ahead across midnight, or a move to a
    zone behind the one it was recorded in) covers nothing yet: it counts once its day comes.
    """
    last = today if episode.last is None else max(episode.last, episode.first)
    return dates_between(max(episode.first, since), min(last, today))


# Day status (CLINICAL.md 2)


class DayStatus(enum.Enum):
    """Classify a local date as having symptoms, being symptom-free or not logged."""

    SYM = "sym"
    FREE = "free"
    # Unknown, never taken to mean symptom-free.
    UNLOGGED = "unlogged"


def day_statuses(
    *,
    episodes: Iterable[EpisodeDays],
    checkins: Iterable[tuple[date, int]],
    today: date,
    since: date,
) -> dict[date, DayStatus]:
    """Return the status of every local date from since to today inclusive.

    Check-ins are (local date, worst severity), where 0 means "no back symptoms today".
    """
    _check_window(since=since, today=today)
    sym: set[date] = set()
    free: set[date] = set()
    for episode in episodes:
        sym.update(_covered(episode, since=since, today=today))
    for day, severity in checkins:
        _check_severity(severity)
        (sym if severity >= 1 else free).add(day)
    statuses: dict[date, DayStatus] = {}
    for day in dates_between(since, today):
        if day in sym:
            statuses[day] = DayStatus.SYM
        elif day in free:
            statuses[day] = DayStatus.FREE
        else:
            statuses[day] = DayStatus.UNLOGGED
    return statuses


def daily_worst_severity(
    *,
    episodes: Iterable[EpisodeDays],
    checkins: Iterable[tuple[date, int]],
    today: date,
    since: date,
) -> dict[date, int]:
    """Return the worst logged severity of each local date from since to today that has one.

    An episode's severity applies to every day it overlaps; a check-in of 0 is a logged 0.
    """
    _check_window(since=since, today=today)
    worst: dict[date, int] = {}

    def record(day: date, severity: int) -> None:
        if since <= day <= today:
            worst[day] = max(worst.get(day, SEVERITY_MIN), severity)

    for episode in episodes:
        _check_severity(episode.severity)
        for day in _covered(episode, since=since, today=today):
            record(day, episode.severity)
    for day, severity in checkins:
        _check_severity(severity)
        record(day, severity)
    return worst


# Persistence flag (CLINICAL.md 3.1)


@dataclass(frozen=True)
class Run:
    """Hold the first and last SYM day of a run of symptoms.

    reaches_window_start is True when the run may continue before the window the caller passed:
    its first day is `since`, or the non-SYM days from `since` up to it are too few to break a
    run, so an earlier SYM day outside the window could still belong to it.
    """

    first: date
    last: date
    reaches_window_start: bool

    @property
    def length(self) -> int:
        """Count the calendar days from the first to the last SYM day, both included."""
        return (self.last - self.first).days + 1


def breaks_run(gap: list[DayStatus]) -> bool:
    """Tell whether non-SYM days between (or after) SYM days end a run."""
    if len(gap) >= RUN_BREAK_GAP_DAYS:
        return True
    streak = 0
    for status in gap:
        streak = streak + 1 if status is DayStatus.FREE else 0
        if streak >= RUN_BREAK_FREE_DAYS:
            return True
    return False


def current_run(statuses: Mapping[date, DayStatus], *, today: date, since: date) -> Run | None:
    """Return the run holding the most recent SYM day, or None when there is no current run.

    Dates missing from statuses count as UNLOGGED; dates outside since..today are ignored.
    """
    _check_window(since=since, today=today)
    window = [statuses.get(day, DayStatus.UNLOGGED) for day in dates_between(since, today)]
    sym = [i for i, status in enumerate(window) if status is DayStatus.SYM]
    if not sym:
        return None
    last = sym[-1]
    if breaks_run(window[last + 1 :]):
        return None
    first = last
    for earlier in reversed(sym[:-1]):
        if breaks_run(window[earlier + 1 : first]):
            break
        first = earlier
    return Run(
        first=since + timedelta(days=first),
        last=since + timedelta(days=last),
        # An earlier SYM day in the window already failed to join, so nothing before it can.
        reaches_window_start=first == sym[0] and not breaks_run(window[:first]),
    )


def persistence_flag(run: Run | None) -> bool:
    """Tell whether the current run has lasted longer than the persistence threshold."""
    return run is not None and run.length > PERSISTENCE_THRESHOLD_DAYS


def _logged_in_run(worst: Mapping[date, int], run: Run) -> list[int]:
    return [worst[day] for day in dates_between(run.first, run.last) if day in worst]


def severe_streak(worst: Mapping[date, int], *, run: Run) -> bool:
    """Tell whether the run has severe ratings on enough consecutive logged days.

    Unlogged days are skipped over rather than breaking the streak: that prompts more readily,
    which is the safer mistake.
    """
    streak = 0
    for severity in _logged_in_run(worst, run):
        streak = streak + 1 if severity >= SEVERITY_SEVERE_MIN else 0
        if streak >= SEVERE_STREAK_DAYS:
            return True
    return False


def worsening(worst: Mapping[date, int], *, run: Run) -> bool:
    """Tell whether the run's last logged days average clearly worse than its first ones."""
    logged = _logged_in_run(worst, run)
    if len(logged) < WORSENING_MIN_LOGGED_DAYS:
        return False
    n = WORSENING_COMPARED_DAYS
    # Compare sums rather than float means so the boundary is exact.
    return sum(logged[-n:]) - sum(logged[:n]) >= WORSENING_MIN_POINTS * n


# Red flags (CLINICAL.md 3.2)


def _answered_flags(codes: Iterable[str], *, pregnant: bool) -> list[RedFlag]:
    answered = set(codes)
    unknown = answered - RED_FLAGS_BY_CODE.keys()
    if unknown:
        # A typo here would hide an emergency, so it must fail loudly.
        raise ValueError(f"unknown red-flag codes: {sorted(unknown)}")
    return [
        flag
        for flag in RED_FLAGS
        if flag.code in answered and (pregnant or not flag.pregnancy_only)
    ]


def advice_tiers(codes: Iterable[str], *, pregnant: bool) -> list[tuple[Tier, list[RedFlag]]]:
    """Group the answered red flags by tier, most pressing tier first, in question order."""
    flags = _answered_flags(codes, pregnant=pregnant)
    tiers = sorted({flag.tier for flag in flags}, reverse=True)
    return [(tier, [flag for flag in flags if flag.tier == tier]) for tier in tiers]


# Hydration (CLINICAL.md 3.3)


def default_target_ml(*, sex: str | None, pregnant: bool, breastfeeding: bool) -> int:
    """Return the default daily drinks target in millilitres (EFSA, about 80% from drinks)."""
    if breastfeeding:
        return TARGET_ML_BREASTFEEDING
    if pregnant:
        return TARGET_ML_PREGNANT
    if sex == "male":
        return TARGET_ML_MALE
    return TARGET_ML_DEFAULT


def validate_own_target_ml(ml: int) -> None:
    """Raise ValueError unless ml is a daily target a patient may set."""
    if not OWN_TARGET_ML_MIN <= ml <= OWN_TARGET_ML_MAX:
        raise ValueError(
            f"a daily target must be {OWN_TARGET_ML_MIN}-{OWN_TARGET_ML_MAX} ml, got {ml}"
        )


def needs_confirmation(ml: int) -> bool:
    """Tell whether a daily target is high enough to ask the patient to confirm it."""
    return ml > OWN_TARGET_ML_CONFIRM_ABOVE


def effective_target_ml(
    *,
    own_target_ml: int | None,
    limit_fluids: bool,
    sex: str | None,
    pregnant: bool,
    breastfeeding: bool,
) -> int | None:
    """Return the daily target to show, or None when a doctor has said to limit fluids."""
    if limit_fluids:
        return None
    if own_target_ml is not None:
        validate_own_target_ml(own_target_ml)
        return own_target_ml
    return default_target_ml(sex=sex, pregnant=pregnant, breastfeeding=breastfeeding)


def glasses(ml: int, *, glass_ml: int = GLASS_ML) -> float:
    """Convert millilitres to glasses."""
    if ml < 0 or glass_ml <= 0:
        raise ValueError(f"cannot convert {ml} ml into glasses of {glass_ml} ml")
    return ml / glass_ml


def is_complete_day(*, marked_complete: bool, entry_count: int) -> bool:
    """Tell whether a day's drinks log is complete enough to compare."""
    return marked_complete or entry_count >= COMPLETE_DAY_MIN_ENTRIES


class RateOrder(enum.Enum):
    """Which kind of day was followed by more episodes per day."""

    HIGHER_AFTER_LOW = "low"
    HIGHER_AFTER_TARGET = "target"
    EQUAL = "equal"


@dataclass(frozen=True)
class HydrationComparison:
    """Episodes per day after low days and after days at target (an association only).

    The two kinds of day are rarely equal in number, so only the rates compare: 6 episodes
    after 20 days at target is fewer per day than 3 after 5 low days. The counts are kept to
    say what each rate is made of.
    """

    low_days: int
    target_days: int
    episodes_after_low: int
    episodes_after_target: int

    @property
    def rate_after_low(self) -> float:
        """Return the episodes per day that followed a low day."""
        return self.episodes_after_low / self.low_days

    @property
    def rate_after_target(self) -> float:
        """Return the episodes per day that followed a day at target."""
        return self.episodes_after_target / self.target_days

    @property
    def order(self) -> RateOrder:
        """Say which rate is higher, compared exactly (as fractions, not as rounded floats)."""
        after_low = self.episodes_after_low * self.target_days
        after_target = self.episodes_after_target * self.low_days
        if after_low > after_target:
            return RateOrder.HIGHER_AFTER_LOW
        if after_low < after_target:
            return RateOrder.HIGHER_AFTER_TARGET
        return RateOrder.EQUAL


def hydration_comparison(
    *,
    days: Mapping[date, tuple[int, bool]],
    episode_starts: Iterable[date],
    target_ml: int,
    today: date,
) -> HydrationComparison | None:
    """Compare the rate of episodes after low days with the rate after days at target.

    days maps a local date to (total ml, complete); episode_starts are the local start dates of
    episodes, one per episode. Each complete day d from 42 days ago to the day before yesterday
    is low (below 75% of the target) or at target (the target or more), or neither; the episodes
    starting on d + 1 are counted against d's kind, so each rate is episodes per logged day of
    that kind. Returns None while there is not enough data yet (CLINICAL.md 3.3: 28 complete
    days, 5 of each kind, 4 episodes after them).
    """
    if target_ml <= 0:
        raise ValueError(f"target_ml must be positive, got {target_ml}")
    starts = Counter(episode_starts)
    pairs = low_days = target_days = after_low = after_target = 0
    # d + 1 must be over before the next day's episodes are known, so today never counts.
    for day in dates_between(
        today - timedelta(days=HYDRATION_WINDOW_DAYS), today - timedelta(days=2)
    ):
        total_ml, complete = days.get(day, (0, False))
        if not complete:
            continue
        if total_ml < 0:
            raise ValueError(f"negative total for {day}: {total_ml}")
        pairs += 1
        episodes = starts[day + timedelta(days=1)]
        if total_ml < HYDRATION_LOW_FRACTION * target_ml:
            low_days += 1
            after_low += episodes
        elif total_ml >= target_ml:
            target_days += 1
            after_target += episodes
    if (
        pairs < HYDRATION_MIN_PAIRS
        or low_days < HYDRATION_MIN_DAYS_EACH
        or target_days < HYDRATION_MIN_DAYS_EACH
        or after_low + after_target < HYDRATION_MIN_EPISODES
    ):
        return None
    return HydrationComparison(
        low_days=low_days,
        target_days=target_days,
        episodes_after_low=after_low,
        episodes_after_target=after_target,
    )


def peg_mean(pain: int, enjoyment: int, activity: int) -> float:
    """Return the PEG score: the mean of its three 0-10 answers, to one decimal place."""
    return round((pain + enjoyment + activity) / 3, 1)
