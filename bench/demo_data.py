"""Generate realistic demo data for the benchmark (`manage.py generate_demo_data`).

Fixed accounts, so a benchmark can log in, all with one password:
- patients demo-patient-00001, demo-patient-00002, ... with histories of up to `years` years;
- demo-heavy, a patient with an episode, a check-in and drinks on every day of five years;
- clinicians demo-clinician-001, ... and demo-busy-clinician, with whom the heavy patient and
  the first numbered patients share (500 patients in all, or every patient if there are fewer).

A history follows CLINICAL.md: runs of symptom days between free or unlogged days, severities
on the 0-10 scale that ease over a run, triggers, locations and relief from its vocabularies,
check-ins on some days ("no back symptoms today" on free days), drinks and "all logged" marks,
red-flag answers (some seen by a clinician) and, for some patients, a run of more than 14 days
ending today. Every patient has the daily reminder on (by e-mail, mostly at a few evening times),
and some the weekly summary. Each patient's data comes from the seed, the patient's number and
`now` only, so a seed gives the same data whatever the chunk size.
"""

import bisect
import datetime
import itertools
import math
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.db import connection, models, transaction
from django.db.models import QuerySet

from accounts.consent import document
from accounts.models import Consent, User
from accounts.roles import CLINICIANS
from accounts.second_factor import new_totp_authenticator
from clinic.access import SHARE_CODE_LIFETIME
from clinic.models import (
    CONSENT_VERSION,
    SHARE_CODE_ALPHABET,
    SHARE_CODE_LENGTH,
    ClinicianProfile,
    Share,
)
from tracker import dates, reminders, rules
from tracker.models import (
    ALL_WEEKDAYS,
    Acknowledgement,
    CheckIn,
    DoseUnit,
    Drink,
    Effect,
    Episode,
    EpisodeLocation,
    EpisodeSpread,
    EpisodeTrigger,
    FunctionScore,
    HydrationDay,
    MedicineDose,
    PatientProfile,
    RedFlagAnswer,
    Region,
    Relief,
    ReliefTried,
    Reminder,
    Side,
    Spread,
    Trigger,
)

# Development only: this password is public. Pass --password for anything else.
DEFAULT_PASSWORD = "demo-bench-only-2026"
DEFAULT_SEED = 2026
# About 200 episodes per patient: 10,000 patients give about 2 million episodes.
DEFAULT_YEARS = 2.0
CHUNK_PATIENTS = 500

HEAVY_USERNAME = "demo-heavy"
BUSY_USERNAME = "demo-busy-clinician"
HEAVY_DAYS = 5 * 365 + 1
BUSY_SHARES = 500
DEMO_USERNAMES = r"^demo-(patient-[0-9]+|clinician-[0-9]+|heavy|busy-clinician)$"

# Drinks are logged on most days only in the recent part of a history: the dashboard, the
# clinician's view and the hydration comparison read at most the last 120 days, and a dense
# log over every day of every history would make Drink by far the largest table.
DENSE_HYDRATION_DAYS = 180
SPARSE_HYDRATION_RATE = 0.08

# Ordinary runs stay short, and a long gap comes before any run that may still be current,
# so only the patients chosen for it carry the persistence flag (CLINICAL.md 3.1). An episode
# lasts at most 36 hours, so it reaches at most two days past its start: 12 + 2 <= 14.
MAX_ORDINARY_RUN_DAYS = 12
LONGEST_EPISODE_MINUTES = 36 * 60
MIN_GAP_DAYS = 3
GAP_BEFORE_CURRENT_RUN_DAYS = rules.RUN_BREAK_GAP_DAYS + 2
# Which numbered patients are out of the ordinary, fixed so a benchmark can pick them:
# patients 1, 17, 33, ... have a run of more than 14 days ending today (with 60+ days of
# history); 2, 12, 22, ... answered yes to red-flag questions; 7, 27, 37, ... stopped logging
# some months ago (with 400+ days of history; 17 is persistent instead).
PERSISTENT_EVERY = 16
RED_FLAGS_FROM, RED_FLAGS_EVERY = 2, 10
STOPPED_FROM, STOPPED_EVERY = 7, 10


class Weighted:
    """A choice among values with relative weights, cheap to draw from millions of times."""

    def __init__(self, weights: dict) -> None:
        self.values = tuple(weights)
        self.cumulative = tuple(itertools.accumulate(weights.values()))

    def pick(self, rng: random.Random) -> Any:
        """Return one of the values, drawn with the weights."""
        return self.values[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


TIME_ZONES = Weighted(
    {
        "Europe/London": 40,
        "Europe/Berlin": 15,
        "America/New_York": 12,
        "America/Los_Angeles": 8,
        "Asia/Kolkata": 8,
        "Australia/Sydney": 7,
        "Asia/Tehran": 5,
        "Pacific/Auckland": 5,
    }
)
FIRST_NAMES = (
    "Alex", "Sam", "Priya", "Omar", "Maria", "Chen", "Fatemeh", "Tom", "Aisha", "Lukas",
    "Emma", "Reza", "Grace", "Kwame", "Sofia", "Daniel", "Mina", "Jonas", "Leila", "Ruth",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Khan", "Patel", "Jones", "Müller", "Garcia", "Rahimi", "Brown", "Okafor",
    "Nguyen", "Wilson", "Novak", "Taylor", "Hosseini", "Evans", "Silva", "Murphy", "Ali",
)  # fmt: skip
TRIGGERS = Weighted(
    {
        Trigger.HEAVY_LIFTING: 14,
        Trigger.MORE_EXERCISE: 10,
        Trigger.NEW_ACTIVITY: 6,
        Trigger.NO_WARM_UP: 6,
        Trigger.LONG_SITTING: 14,
        Trigger.AWKWARD_POSTURE: 10,
        Trigger.SUDDEN_TWIST: 10,
        Trigger.SLEEPING_POSITION: 8,
        Trigger.COLD: 5,
        Trigger.LITTLE_DRINK: 4,
        Trigger.STRESS: 8,
        Trigger.TIRED_MUSCLES: 8,
        Trigger.OTHER: 2,
    }
)
USUAL_TRIGGER_CHOICES = [code for code in TRIGGERS.values if code != Trigger.OTHER]
OTHER_TRIGGERS = ("carrying a child", "moving house", "a long drive", "a sneezing fit")
ACTIVITIES = (
    "lifting boxes", "gardening", "at my desk", "driving", "getting out of bed",
    "playing football", "vacuuming", "picking up my child", "at the gym", "carrying shopping",
)  # fmt: skip
NOTES = ("Eased after a warm shower.", "Woke up with it.", "Worse than last time.", "Short one.")
EFFECTS = (Effect.WORSE, Effect.NO_CHANGE, Effect.A_BIT_BETTER, Effect.MUCH_BETTER)


def _effects(*weights: int) -> Weighted:
    return Weighted(dict(zip(EFFECTS, weights, strict=True)))


# How well each measure tends to work: weights for worse, no change, a bit and much better.
RELIEF_EFFECTS = {
    Relief.STRETCHING: _effects(2, 20, 50, 28),
    Relief.PORTAL_EXERCISES: _effects(2, 20, 50, 28),
    Relief.GENTLE_MASSAGE: _effects(2, 30, 48, 20),
    Relief.THERAPIST_MASSAGE: _effects(2, 20, 45, 33),
    Relief.HEAT: _effects(2, 18, 45, 35),
    Relief.COLD: _effects(5, 35, 45, 15),
    Relief.HOT_AND_COLD: _effects(5, 35, 45, 15),
    Relief.KEPT_MOVING: _effects(5, 25, 45, 25),
    Relief.CHANGED_POSITION: _effects(3, 35, 50, 12),
    Relief.SHORT_REST: _effects(5, 40, 45, 10),
    Relief.RELAXATION: _effects(2, 45, 43, 10),
    Relief.ANTI_INFLAMMATORY: _effects(1, 25, 50, 24),
    Relief.OTHER_PAINKILLER: _effects(1, 35, 50, 14),
    Relief.MUSCLE_RELAXANT: _effects(3, 25, 45, 27),
    Relief.OTHER_PRESCRIBED: _effects(3, 35, 45, 17),
    Relief.PHYSIOTHERAPY: _effects(2, 25, 45, 28),
    Relief.DRINK: _effects(1, 75, 20, 4),
    Relief.HERBAL: _effects(3, 70, 22, 5),
}
RELIEF_CODES = tuple(RELIEF_EFFECTS)
REGIONS = Weighted({Region.LOWER: 60, Region.MID: 15, Region.UPPER: 15, Region.NECK_SHOULDER: 10})
SIDES = Weighted({Side.LEFT: 35, Side.RIGHT: 35, Side.BOTH: 15, Side.CENTRE: 15})
# Most "yes" answers are to the milder questions; emergencies are rare. The pregnancy
# questions are asked only of pregnant patients.
TIER_WEIGHTS = {rules.Tier.SOON: 12, rules.Tier.URGENT: 5, rules.Tier.MATERNITY: 3}
RED_FLAGS_ANSWERED = {
    pregnant: Weighted(
        {
            flag.code: TIER_WEIGHTS.get(flag.tier, 1)
            for flag in rules.RED_FLAGS
            if pregnant or not flag.pregnancy_only
        }
    )
    for pregnant in (False, True)
}
CLINICIANS_PER_PATIENT = Weighted({0: 10, 1: 80, 2: 10})
EPISODES_PER_RUN_DAY = Weighted({0: 10, 1: 75, 2: 15})
EPISODES_PER_LONG_RUN_DAY = Weighted({0: 15, 1: 70, 2: 15})
TRIGGERS_PER_EPISODE = Weighted({0: 15, 1: 50, 2: 27, 3: 8})
MEASURES_PER_EPISODE = Weighted({0: 20, 1: 40, 2: 30, 3: 10})
DRINKS_PER_DAY = Weighted({1: 10, 2: 25, 3: 35, 4: 20, 5: 10})
# Every patient has the daily reminder on, by e-mail, mostly at one of a handful of evening
# times (None: any quarter hour of the day), on every day or on weekdays; some also want the
# weekly summary, mostly on Sunday. The scheduler's benchmark (bench.scheduling) makes them all
# due at once.
REMINDER_TIMES = Weighted(
    {
        datetime.time(19, 0): 30,
        datetime.time(20, 0): 22,
        datetime.time(21, 0): 15,
        datetime.time(18, 0): 8,
        datetime.time(8, 0): 7,
        datetime.time(21, 30): 6,
        datetime.time(22, 0): 5,
        None: 7,
    }
)
WEEKDAYS_ONLY, MONDAY_WEDNESDAY_FRIDAY = 0b0011111, 0b0010101
REMINDER_DAYS = Weighted({ALL_WEEKDAYS: 85, WEEKDAYS_ONLY: 10, MONDAY_WEDNESDAY_FRIDAY: 5})
WEEKLY_SUMMARY_RATE = 0.3
# Medicines (issue 20): on some symptom days of the recent part of a history, one to three doses
# of the usual over-the-counter ones, rated now and then. The heavy patient logs every day.
MEDICINES = Weighted(
    {
        ("Paracetamol", Decimal("1000"), DoseUnit.MG): 40,
        ("Ibuprofen", Decimal("400"), DoseUnit.MG): 30,
        ("Ibuprofen gel", Decimal("1"), DoseUnit.APPLICATION): 10,
        ("Naproxen", Decimal("250"), DoseUnit.MG): 8,
        ("Co-codamol 8/500", Decimal("2"), DoseUnit.TABLET): 8,
        ("Diazepam", Decimal("2"), DoseUnit.MG): 4,
    }
)
MEDICINE_DAY_RATE = 0.5
DOSES_PER_DAY = Weighted({1: 50, 2: 35, 3: 15})
HELPED = Weighted({None: 40, -1: 3, 0: 20, 1: 27, 2: 10})
SIDE_EFFECTS = Weighted({"": 92, "Upset stomach": 4, "Drowsy": 4})
# The weekly function score (PEG): answered in most of the last six months' weeks.
FUNCTION_SCORE_WEEKS = 26
FUNCTION_SCORE_RATE = 0.6
SUMMARY_WEEKDAYS = Weighted({6: 70, 0: 20, 4: 5, 5: 5})

ONE_DAY = datetime.timedelta(days=1)


def patient_username(number: int) -> str:
    """Return the username of demo patient `number` (from 1)."""
    return f"demo-patient-{number:05d}"


def clinician_username(number: int) -> str:
    """Return the username of demo clinician `number` (from 1)."""
    return f"demo-clinician-{number:03d}"


def demo_users() -> QuerySet[User]:
    """Return every account this generator makes, and no other."""
    return User.objects.filter(username__regex=DEMO_USERNAMES)


def database_name() -> str:
    """Return the name of the database the generator writes to."""
    return str(connection.settings_dict["NAME"])


# Writing rows


class TableWriter:
    """Write rows straight into tables: COPY on PostgreSQL, executemany elsewhere (SQLite).

    Not bulk_create: it would stamp created_at, updated_at and the other automatic times with
    the moment of generation, where the demo needs them spread over the years like real use.
    Nothing here goes through save(), so simple_history records nothing, as suits demo data.
    """

    def __init__(self) -> None:
        self.postgresql = connection.vendor == "postgresql"

    def new_ids(self, *, model: type[models.Model], count: int) -> list[int]:
        """Reserve `count` primary keys, so other rows can point at rows not yet written."""
        if count == 0:
            return []
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.postgresql:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [table, model._meta.pk.column, count],
                )
                return [row[0] for row in cursor.fetchall()]
            # SQLite: the chunk's transaction holds the write lock, so nobody else takes these.
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
            first = cursor.fetchone()[0] + 1
            return list(range(first, first + count))

    def insert(
        self, *, model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]
    ) -> None:
        """Insert rows of values for the named model fields, in that order."""
        quote = connection.ops.quote_name
        model_fields = [model._meta.get_field(name) for name in fields]
        columns = ", ".join(quote(model_field.column) for model_field in model_fields)
        table = quote(model._meta.db_table)
        with connection.cursor() as cursor:
            if self.postgresql:
                # Binary: several times quicker than text to format here and to parse there.
                types = [f.db_type(connection).partition("(")[0] for f in model_fields]
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(types)
                    for row in rows:
                        copy.write_row(row)
                return
            pairs = (zip(model_fields, row, strict=True) for row in rows)
            prepared = [[f.get_db_prep_save(value, connection) for f, value in p] for p in pairs]
            if prepared:
                placeholders = ", ".join(["%s"] * len(fields))
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", prepared
                )

    def analyze(self, *, models_written: Iterable[type[models.Model]]) -> None:
        """Refresh PostgreSQL's planner statistics for the tables, after a large load."""
        if self.postgresql:
            quote = connection.ops.quote_name
            tables = ", ".join(quote(model._meta.db_table) for model in models_written)
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {tables}")


# Time


@cache
def _day_start(zone: str, day: datetime.date) -> datetime.datetime:
    local = datetime.datetime.combine(day, datetime.time.min, tzinfo=ZoneInfo(zone))
    return local.astimezone(datetime.UTC)


@dataclass(frozen=True)
class Clock:
    """Place moments in patients' local days, none of them after `now`."""

    now: datetime.datetime
    todays: dict[str, datetime.date] = field(default_factory=dict, compare=False, repr=False)

    def today(self, zone: str) -> datetime.date:
        """Return the local date of `now` in the zone."""
        if zone not in self.todays:
            self.todays[zone] = self.now.astimezone(ZoneInfo(zone)).date()
        return self.todays[zone]

    def at(self, zone: str, day: datetime.date, hours: float) -> datetime.datetime:
        """Return the moment `hours` (0 to 23) into the local day, in UTC.

        Today is squeezed into the part that has passed, so nothing lands in the future.
        Counting from the day's first instant in UTC keeps days with a clock change right.
        """
        start = _day_start(zone, day)
        if day >= self.today(zone):
            return start + (self.now - start) * (hours / 24)
        return start + datetime.timedelta(hours=hours)

    def not_after_now(self, moment: datetime.datetime) -> datetime.datetime:
        """Return the moment, or now if the moment is later."""
        return min(moment, self.now)


# One patient


@dataclass(frozen=True)
class PatientPlan:
    """Who a demo patient is and how they use the tracker, drawn from their own seed."""

    number: int  # 0 for the heavy patient
    username: str
    first_name: str
    last_name: str
    zone: str
    first_day: datetime.date
    last_day: datetime.date  # the last day they logged anything: today unless they stopped
    persistent_days: int  # when above 14, a run of symptoms this long ends today
    daily: bool  # the heavy patient: an episode, a check-in and drinks every day
    mean_run_days: float
    mean_extra_gap_days: float
    checkin_rate: float
    hydration_rate: float
    red_flags: int
    profile: dict  # PatientProfile fields
    usual_triggers: tuple[str, ...]
    usual_relief: tuple[str, ...]
    region: str
    side: str


def plan_patient(*, seed: int, number: int, years: float, clock: Clock) -> PatientPlan:
    """Draw the plan of patient `number`; number 0 is the heavy patient."""
    rng = random.Random(f"{seed}-patient-{number}")
    daily = number == 0
    zone = "Europe/London" if daily else TIME_ZONES.pick(rng)
    today = clock.today(zone)
    # Patients joined at different times over the period.
    days = HEAVY_DAYS if daily else max(1, round(years * 365.25 * rng.uniform(0.7, 1)))
    persistent_days = 0
    last_day = today
    if not daily and number % PERSISTENT_EVERY == 1 and days > 60:
        persistent_days = rng.randint(rules.PERSISTENCE_THRESHOLD_DAYS + 1, 45)
    elif not daily and number % STOPPED_EVERY == STOPPED_FROM and days > 400:
        last_day = today - datetime.timedelta(days=rng.randint(20, 300))
    red_flags = 0
    if daily:
        red_flags = 5
    elif number % RED_FLAGS_EVERY == RED_FLAGS_FROM:
        red_flags = rng.randint(1, 3)
    sex = rng.choice(("female", "female", "male", "male", ""))
    year_of_birth = rng.randint(1945, 2006)
    pregnant = sex == "female" and 1985 <= year_of_birth <= 2004 and rng.random() < 0.1
    profile = {
        "sex": sex,
        "year_of_birth": year_of_birth,
        "pregnant": pregnant,
        "breastfeeding": sex == "female" and not pregnant and rng.random() < 0.03,
        "limit_fluids": rng.random() < 0.02,
        "own_target_ml": rng.randrange(1200, 3100, 100) if rng.random() < 0.08 else None,
        "glass_ml": rng.choice((200, 200, 250, 250, 300, 330, 500)),
    }
    return PatientPlan(
        number=number,
        username=HEAVY_USERNAME if daily else patient_username(number),
        first_name=rng.choice(FIRST_NAMES),
        last_name=rng.choice(LAST_NAMES),
        zone=zone,
        first_day=today - datetime.timedelta(days=days - 1),
        last_day=last_day,
        persistent_days=persistent_days,
        daily=daily,
        mean_run_days=rng.uniform(2.5, 4.5),
        mean_extra_gap_days=rng.uniform(1, 8),
        checkin_rate=1.0 if daily else rng.uniform(0.1, 0.7),
        hydration_rate=1.0 if daily else rng.uniform(0.7, 0.97),
        red_flags=red_flags,
        profile=profile,
        usual_triggers=tuple(rng.sample(USUAL_TRIGGER_CHOICES, 2)),
        usual_relief=tuple(rng.sample(RELIEF_CODES, 3)),
        region=REGIONS.pick(rng),
        side=SIDES.pick(rng),
    )


def _symptom_runs(
    *, rng: random.Random, plan: PatientPlan, today: datetime.date
) -> list[tuple[datetime.date, int]]:
    """Return the first day and length of each run of symptom days, oldest first."""
    if plan.daily:
        return [(plan.first_day, (today - plan.first_day).days + 1)]
    end = plan.last_day
    if plan.persistent_days:
        end = today - ONE_DAY * (plan.persistent_days + GAP_BEFORE_CURRENT_RUN_DAYS)
    runs = []
    day = plan.first_day + ONE_DAY * rng.randint(0, 10)
    while day <= end:
        length = 1 + int(rng.expovariate(1 / (plan.mean_run_days - 1)))
        length = min(length, MAX_ORDINARY_RUN_DAYS, (end - day).days + 1)
        runs.append((day, length))
        gap = MIN_GAP_DAYS + int(rng.expovariate(1 / plan.mean_extra_gap_days))
        if day + ONE_DAY * (length + gap) > today - ONE_DAY * 30:
            gap = max(gap, GAP_BEFORE_CURRENT_RUN_DAYS)
        day += ONE_DAY * (length + gap)
    if plan.persistent_days:
        runs.append((today - ONE_DAY * (plan.persistent_days - 1), plan.persistent_days))
    return runs


@dataclass
class Batch:
    """Rows for one chunk of patients, as tuples in the field order of `write_batch`.

    Rows point at episodes and red-flag answers by their index in this batch until ids are
    reserved for them.
    """

    episodes: list[tuple] = field(default_factory=list)
    triggers: list[tuple] = field(default_factory=list)
    locations: list[tuple] = field(default_factory=list)
    spread: list[tuple] = field(default_factory=list)
    relief: list[tuple] = field(default_factory=list)
    checkins: list[tuple] = field(default_factory=list)
    drinks: list[tuple] = field(default_factory=list)
    hydration_days: list[tuple] = field(default_factory=list)
    red_flags: list[tuple] = field(default_factory=list)
    acknowledgements: list[tuple] = field(default_factory=list)
    shares: list[tuple] = field(default_factory=list)
    medicine_doses: list[tuple] = field(default_factory=list)
    function_scores: list[tuple] = field(default_factory=list)


@dataclass(frozen=True)
class Logged:
    """An episode added to a batch: its index there and when it was logged."""

    index: int
    created_at: datetime.datetime


def _add_episode(
    *,
    batch: Batch,
    rng: random.Random,
    plan: PatientPlan,
    user_id: int,
    started_at: datetime.datetime,
    severity: int,
    still_going: bool,
    clock: Clock,
) -> Logged:
    """Add one episode with its triggers, locations, spread and relief tried."""
    index = len(batch.episodes)
    minutes = min(max(rng.lognormvariate(math.log(45), 1.0), 1), LONGEST_EPISODE_MINUTES)
    ended_at = started_at + datetime.timedelta(minutes=minutes)
    # Logged soon after it started, and changed when it ended; one that has not ended by now
    # is still going, which only an episode of the last day or two can be.
    created_at = clock.not_after_now(started_at + datetime.timedelta(minutes=rng.uniform(1, 40)))
    updated_at = created_at
    if still_going or ended_at > clock.now:
        ended_at = None
    else:
        updated_at = max(created_at, clock.not_after_now(ended_at + ONE_DAY * rng.random() / 4))
    triggers = set()
    for _ in range(TRIGGERS_PER_EPISODE.pick(rng)):
        usual = rng.random() < 0.6
        triggers.add(rng.choice(plan.usual_triggers) if usual else TRIGGERS.pick(rng))
    if not triggers and rng.random() < 0.6:
        triggers.add(Trigger.NONE_IDENTIFIED)
    other = rng.choice(OTHER_TRIGGERS) if Trigger.OTHER in triggers else ""
    activity = rng.choice(ACTIVITIES) if rng.random() < 0.4 else ""
    notes = rng.choice(NOTES) if rng.random() < 0.1 else ""
    # Dated in the patient's zone when logged, as tracker.services does.
    first_day, last_day = dates.span_days(started_at, ended_at, ZoneInfo(plan.zone))
    batch.episodes.append(
        (user_id, started_at, ended_at, plan.zone, first_day, last_day, severity, activity, other)
        + (notes, created_at, updated_at)
    )
    batch.triggers.extend((index, code) for code in sorted(triggers))

    # Mostly where it usually hurts; now and then somewhere else as well.
    places = {(plan.region if rng.random() < 0.8 else REGIONS.pick(rng), plan.side)}
    if rng.random() < 0.15:
        places.add((REGIONS.pick(rng), SIDES.pick(rng)))
    batch.locations.extend((index, region, side) for region, side in sorted(places))
    spread = rng.random()
    if spread < 0.005:
        batch.spread.append((index, Spread.BOTH_LEGS))
    elif spread < 0.08:
        batch.spread.append(
            (index, Spread.RIGHT_LEG if plan.side == Side.RIGHT else Spread.LEFT_LEG)
        )
    elif spread < 0.2:
        batch.spread.append((index, Spread.BUTTOCK))

    tried = MEASURES_PER_EPISODE.pick(rng)
    measures = {rng.choice(plan.usual_relief) for _ in range(tried)}
    if tried and rng.random() < 0.25:
        measures.add(rng.choice(RELIEF_CODES))
    for code in sorted(measures):
        effect = None if rng.random() < 0.1 else RELIEF_EFFECTS[code].pick(rng)
        batch.relief.append((index, code, effect))
    return Logged(index=index, created_at=created_at)


def _add_symptoms(
    *, batch: Batch, rng: random.Random, plan: PatientPlan, user_id: int, clock: Clock
) -> tuple[dict[datetime.date, int], list[Logged]]:
    """Add the episodes of every run of symptom days.

    Return the worst severity of each symptom day (0 for a day without an episode) and the
    episodes, oldest first.
    """
    today = clock.today(plan.zone)
    worst: dict[datetime.date, int] = {}
    episodes: list[Logged] = []
    for first, length in _symptom_runs(rng=rng, plan=plan, today=today):
        long_run = length > MAX_ORDINARY_RUN_DAYS
        peak = round(rng.triangular(2, 10, 6))
        ease = rng.uniform(0.3, 1.2)
        for offset in range(length):
            day = first + ONE_DAY * offset
            if long_run:
                # A long run waves around a moderate level instead of easing off.
                severity = round(5 + 2 * math.sin(offset / 5) + rng.gauss(0, 1))
                count = 1 if plan.daily else EPISODES_PER_LONG_RUN_DAY.pick(rng)
            else:
                severity = round(peak - ease * offset + rng.gauss(0, 0.8))
                count = EPISODES_PER_RUN_DAY.pick(rng)
            if offset == 0 or day == today:
                count = max(count, 1)
            worst[day] = 0
            for number, hours in enumerate(sorted(rng.uniform(6.5, 22.5) for _ in range(count))):
                this = min(max(severity + rng.choice((-1, 0, 0, 1)), 1), rules.SEVERITY_MAX)
                # The last episode of a long run that reaches today has not ended yet.
                still_going = long_run and day == today and number == count - 1
                logged = _add_episode(
                    batch=batch,
                    rng=rng,
                    plan=plan,
                    user_id=user_id,
                    started_at=clock.at(plan.zone, day, hours),
                    severity=this,
                    still_going=still_going,
                    clock=clock,
                )
                episodes.append(logged)
                worst[day] = max(worst[day], this)
    return worst, episodes


def _add_checkins(
    *,
    batch: Batch,
    rng: random.Random,
    plan: PatientPlan,
    user_id: int,
    worst: dict[datetime.date, int],
    clock: Clock,
) -> None:
    """Add a check-in on some days: the day's worst severity, or 0 on a day without symptoms.

    A symptom day without an episode always gets one, so that the run holds together.
    """
    day = plan.first_day
    while day <= plan.last_day:
        severity = worst.get(day, 0)
        if day in worst and severity == 0:
            severity = rng.randint(1, 3)
        elif rng.random() >= plan.checkin_rate:
            severity = None
        if severity is not None:
            created_at = clock.at(plan.zone, day, rng.uniform(20, 23))
            batch.checkins.append((user_id, day, plan.zone, severity, created_at))
        day += ONE_DAY


def _add_drinks(
    *, batch: Batch, rng: random.Random, plan: PatientPlan, user_id: int, clock: Clock
) -> None:
    """Add drinks on most recent days and now and then earlier, with "all logged" marks."""
    target = rules.effective_target_ml(
        own_target_ml=plan.profile["own_target_ml"],
        limit_fluids=plan.profile["limit_fluids"],
        sex=plan.profile["sex"] or None,
        pregnant=plan.profile["pregnant"],
        breastfeeding=plan.profile["breastfeeding"],
    )
    target = target or rules.TARGET_ML_DEFAULT
    today = clock.today(plan.zone)
    dense_since = today - ONE_DAY * (DENSE_HYDRATION_DAYS - 1)
    day = plan.first_day
    while day <= plan.last_day:
        dense = plan.daily or day >= dense_since
        if rng.random() < (plan.hydration_rate if dense else SPARSE_HYDRATION_RATE):
            count = DRINKS_PER_DAY.pick(rng)
            # A day's total wanders around the target, sometimes well below it.
            share = target * min(max(rng.gauss(0.9, 0.3), 0.2), 1.8) / count
            for hours in sorted(rng.uniform(7, 22.5) for _ in range(count)):
                amount = min(max(50, int(share * rng.uniform(0.7, 1.3)) // 10 * 10), 1500)
                batch.drinks.append(
                    (user_id, day, plan.zone, amount, clock.at(plan.zone, day, hours))
                )
            if dense and day < today and rng.random() < (1.0 if plan.daily else 0.8):
                batch.hydration_days.append((user_id, day, True))
            elif dense and rng.random() < 0.02:
                # Ticked, then unticked: the row stays with complete off.
                batch.hydration_days.append((user_id, day, False))
        day += ONE_DAY


def _add_medicines(
    *,
    batch: Batch,
    rng: random.Random,
    plan: PatientPlan,
    user_id: int,
    worst: dict[datetime.date, int],
    clock: Clock,
) -> None:
    """Add doses on some symptom days of the recent part of the history (every day for the
    heavy patient), mostly rated, now and then with a side effect."""
    recent = clock.today(plan.zone) - ONE_DAY * (DENSE_HYDRATION_DAYS - 1)
    day = plan.first_day if plan.daily else max(plan.first_day, recent)
    while day <= plan.last_day:
        if plan.daily or (worst.get(day, 0) and rng.random() < MEDICINE_DAY_RATE):
            name, dose, unit = MEDICINES.pick(rng)
            for hours in sorted(rng.uniform(7, 22) for _ in range(DOSES_PER_DAY.pick(rng))):
                taken_at = clock.at(plan.zone, day, hours)
                batch.medicine_doses.append(
                    (
                        user_id, name, dose, unit, taken_at, day, plan.zone,
                        HELPED.pick(rng), SIDE_EFFECTS.pick(rng), taken_at,
                    )
                )  # fmt: skip
        day += ONE_DAY


def _add_function_scores(
    *,
    batch: Batch,
    rng: random.Random,
    plan: PatientPlan,
    user_id: int,
    worst: dict[datetime.date, int],
    clock: Clock,
) -> None:
    """Add the weekly PEG in most recent weeks (every week of five years for the heavy
    patient), its pain answer following the week's worst severity."""
    today = clock.today(plan.zone)
    this_week = today - ONE_DAY * today.weekday()
    weeks = (plan.first_day - this_week).days // -7 + 1 if plan.daily else FUNCTION_SCORE_WEEKS
    for back in range(weeks):
        week = this_week - ONE_DAY * 7 * back
        day = min(week + ONE_DAY * rng.randint(0, 6), today)
        if day < plan.first_day or day > plan.last_day:
            continue
        if not plan.daily and rng.random() >= FUNCTION_SCORE_RATE:
            continue
        pain = max(worst.get(week + ONE_DAY * n, 0) for n in range(7))
        pain = max(0, min(10, pain - rng.randint(0, 2)))
        enjoyment = max(0, min(10, pain + rng.randint(-2, 2)))
        activity = max(0, min(10, pain + rng.randint(-2, 2)))
        answered_at = clock.at(plan.zone, day, rng.uniform(8, 22))
        batch.function_scores.append(
            (user_id, week, day, plan.zone, pain, enjoyment, activity, answered_at)
        )


def _add_red_flags(
    *,
    batch: Batch,
    rng: random.Random,
    plan: PatientPlan,
    user_id: int,
    episodes: list[Logged],
    shares: dict[int, datetime.datetime],
    clock: Clock,
) -> None:
    """Add "yes" answers to red-flag questions, mostly while logging an episode; a clinician
    the patient shares with has seen some of them."""
    for _ in range(plan.red_flags):
        code = RED_FLAGS_ANSWERED[plan.profile["pregnant"]].pick(rng)
        if episodes and rng.random() < 0.7:
            # Mostly recent episodes, so open answers reach the top of clinicians' queues.
            back = min(int(rng.expovariate(1 / 30)), len(episodes) - 1)
            episode = episodes[-1 - back]
            episode_index, answered_at = episode.index, episode.created_at
        else:
            # From the "Get help now" page, on any day of the history.
            day = plan.first_day + ONE_DAY * rng.randint(0, (plan.last_day - plan.first_day).days)
            episode_index, answered_at = None, clock.at(plan.zone, day, rng.uniform(8, 22))
        # The advice is shown at once, on the next page.
        shown_at = clock.not_after_now(answered_at + datetime.timedelta(seconds=rng.uniform(2, 20)))
        flag_index = len(batch.red_flags)
        batch.red_flags.append((user_id, episode_index, code, answered_at, shown_at))
        if shares and rng.random() < 0.5:
            clinician_id = rng.choice(sorted(shares))
            seen_at = max(answered_at, shares[clinician_id]) + ONE_DAY * rng.uniform(0.05, 4)
            batch.acknowledgements.append(
                (
                    user_id,
                    clinician_id,
                    flag_index,
                    None,
                    clock.not_after_now(seen_at),
                    "",
                    None,
                    None,
                )
            )


def add_patient(
    *,
    batch: Batch,
    seed: int,
    plan: PatientPlan,
    user_id: int,
    clinician_ids: list[int],
    busy_id: int,
    clock: Clock,
) -> None:
    """Add one patient's shares and whole history to the batch."""
    rng = random.Random(f"{seed}-history-{plan.number}")
    joined = _day_start(plan.zone, plan.first_day)
    chosen = []
    if clinician_ids:
        count = CLINICIANS_PER_PATIENT.pick(rng)
        chosen = rng.sample(clinician_ids, min(count, len(clinician_ids)))
    if plan.number < BUSY_SHARES:
        chosen.append(busy_id)
    # Patients share soon after they join; a clinician sees only what comes after.
    shares = {
        clinician_id: clock.not_after_now(joined + ONE_DAY * rng.uniform(0, 30))
        for clinician_id in chosen
    }
    for clinician_id, consented_at in shares.items():
        # Accepted by the clinician when asked (issue 17: only accepted shares reach a queue).
        batch.shares.append(
            (user_id, clinician_id, CONSENT_VERSION, "accepted", consented_at, consented_at, None)
        )
    if clinician_ids and rng.random() < 0.03:
        # Shared for a while, then stopped: the revoked share stays as the record of consent.
        consented_at = joined + (clock.now - joined) * rng.uniform(0, 0.3)
        revoked_at = consented_at + (clock.now - consented_at) * rng.uniform(0.1, 0.9)
        batch.shares.append(
            (
                user_id,
                rng.choice(clinician_ids),
                CONSENT_VERSION,
                "stopped",
                consented_at,
                consented_at,
                revoked_at,
            )
        )

    history = {"batch": batch, "rng": rng, "plan": plan, "user_id": user_id, "clock": clock}
    worst, episodes = _add_symptoms(**history)
    _add_checkins(**history, worst=worst)
    _add_drinks(**history)
    _add_red_flags(**history, episodes=episodes, shares=shares)
    _add_medicines(**history, worst=worst)
    _add_function_scores(**history, worst=worst)
    if plan.persistent_days and shares and rng.random() < 0.4:
        # A clinician has already seen this run (the app keys that by the run's first day).
        today = clock.today(plan.zone)
        first_day = today - ONE_DAY * (plan.persistent_days - 1)
        seen_at = clock.at(plan.zone, today, rng.uniform(0, 23))
        worst_seen = max(worst.get(first_day + ONE_DAY * n, 0) for n in range(plan.persistent_days))
        batch.acknowledgements.append(
            (
                user_id, rng.choice(sorted(shares)), None, first_day, seen_at,
                "persistence", today, worst_seen,
            )
        )  # fmt: skip


def write_batch(*, batch: Batch, writer: TableWriter) -> None:
    """Write a batch, giving its episodes and red-flag answers their reserved ids."""
    episode_ids = writer.new_ids(model=Episode, count=len(batch.episodes))
    red_flag_ids = writer.new_ids(model=RedFlagAnswer, count=len(batch.red_flags))

    def episode_id(index: int | None) -> int | None:
        return None if index is None else episode_ids[index]

    episode_fields = (
        "id", "patient", "started_at", "ended_at", "time_zone", "start_day", "end_day",
        "severity", "activity", "trigger_other", "notes", "created_at", "updated_at",
    )  # fmt: skip
    writer.insert(
        model=Episode,
        fields=episode_fields,
        rows=((episode_ids[index], *row) for index, row in enumerate(batch.episodes)),
    )
    for model, fields, rows in (
        (EpisodeTrigger, ("episode", "code"), batch.triggers),
        (EpisodeLocation, ("episode", "region", "side"), batch.locations),
        (EpisodeSpread, ("episode", "code"), batch.spread),
        (ReliefTried, ("episode", "code", "effect"), batch.relief),
    ):
        writer.insert(
            model=model, fields=fields, rows=((episode_ids[i], *rest) for i, *rest in rows)
        )
    writer.insert(
        model=RedFlagAnswer,
        fields=("id", "patient", "episode", "code", "answered_at", "advice_shown_at"),
        rows=(
            (red_flag_ids[index], patient, episode_id(episode), *rest)
            for index, (patient, episode, *rest) in enumerate(batch.red_flags)
        ),
    )
    writer.insert(
        model=Acknowledgement,
        fields=(
            "patient",
            "clinician",
            "red_flag",
            "run_first_day",
            "created_at",
            "kind",
            "run_last_day",
            "worst_seen",
        ),  # fmt: skip
        rows=(
            (patient, clinician, None if flag is None else red_flag_ids[flag], *rest)
            for patient, clinician, flag, *rest in batch.acknowledgements
        ),
    )
    for model, fields, rows in (
        (CheckIn, ("patient", "day", "time_zone", "worst_severity", "created_at"), batch.checkins),
        (Drink, ("patient", "day", "time_zone", "amount_ml", "logged_at"), batch.drinks),
        (HydrationDay, ("patient", "day", "complete"), batch.hydration_days),
        (
            MedicineDose,
            (
                "patient",
                "name",
                "dose",
                "unit",
                "taken_at",
                "day",
                "time_zone",
                "helped",
                "side_effects",
                "logged_at",
            ),
            batch.medicine_doses,
        ),
        (
            FunctionScore,
            ("patient", "week", "day", "time_zone", "pain", "enjoyment", "activity", "answered_at"),
            batch.function_scores,
        ),
        (
            Share,
            (
                "patient",
                "clinician",
                "consent_version",
                "status",
                "consented_at",
                "decided_at",
                "revoked_at",
            ),
            batch.shares,
        ),
    ):
        writer.insert(model=model, fields=fields, rows=rows)


# Accounts


def _new_user(
    *,
    username: str,
    first_name: str,
    last_name: str,
    zone: str,
    password_hash: str,
    joined: datetime.datetime,
    date_of_birth: datetime.date | None = None,
) -> User:
    return User(
        date_of_birth=date_of_birth,
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=f"{username}@example.com",
        password=password_hash,
        time_zone=zone,
        date_joined=joined,
    )


def create_clinicians(
    *, seed: int, count: int, password_hash: str, clock: Clock
) -> tuple[list[int], int]:
    """Create the clinicians as staff approve them: in the clinicians group, with a share code.

    Return the ids of the numbered clinicians and the busy clinician's id.
    """
    rng = random.Random(f"{seed}-clinicians")
    users = User.objects.bulk_create(
        _new_user(
            username=clinician_username(number) if number else BUSY_USERNAME,
            first_name="Dr " + rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            zone=rng.choice(("Europe/London", "Europe/London", "Europe/Berlin")),
            password_hash=password_hash,
            joined=clock.now - ONE_DAY * rng.randint(400, 2500),
        )
        for number in range(count + 1)
    )
    group = Group.objects.get(name=CLINICIANS)
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=user.pk, group_id=group.pk) for user in users
    )
    taken = set(ClinicianProfile.objects.values_list("share_code", flat=True))
    profiles = []
    for user in users:
        code = ""
        while not code or code in taken:
            code = "".join(rng.choice(SHARE_CODE_ALPHABET) for _ in range(SHARE_CODE_LENGTH))
        taken.add(code)
        expires_at = clock.now + SHARE_CODE_LIFETIME * rng.uniform(0.1, 1)
        profiles.append(ClinicianProfile(user=user, share_code=code, code_expires_at=expires_at))
    ClinicianProfile.objects.bulk_create(profiles)
    # As production requires of clinicians: a verified address and a second factor; and, as
    # their first sign-in asks, the current privacy notice read and the terms accepted.
    verify_addresses(users)
    record_agreements(users, kinds=(Consent.Kind.PRIVACY_NOTICE, Consent.Kind.TERMS))
    Authenticator.objects.bulk_create(new_totp_authenticator(user) for user in users)
    return [user.pk for user in users[1:]], users[0].pk


def verify_addresses(users: list[User]) -> None:
    """Record each account's address as verified, as sign-up's code does."""
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
    )


def record_agreements(users: list[User], *, kinds: tuple[str, ...]) -> None:
    """Record each account's agreement to the current texts when it joined, as sign-up does
    (issue 19): otherwise every demo page would be the consent page."""
    Consent.objects.bulk_create(
        Consent(user=user, kind=kind, version=document(kind).version, given_at=user.date_joined)
        for user in users
        for kind in kinds
    )


def demo_birth_date(username: str) -> datetime.date:
    """A date of birth between 1940 and 2005, the same for a username on every run."""
    rng = random.Random(f"birth-{username}")
    return datetime.date(rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28))


def demo_reminder(
    *, seed: int, plan: PatientPlan, patient: User, now: datetime.datetime
) -> Reminder:
    """Return the patient's reminder choices, scheduled from `now` as the settings page would.

    Drawn from a seed of their own, so adding reminders left every other row as it was.
    """
    rng = random.Random(f"{seed}-reminder-{plan.number}")
    at = REMINDER_TIMES.pick(rng)
    if at is None:
        at = datetime.time(rng.randint(7, 22), rng.choice((0, 15, 30, 45)))
    weekly_digest = rng.random() < WEEKLY_SUMMARY_RATE
    reminder = Reminder(
        patient=patient,
        daily=True,
        at=at,
        weekdays=REMINDER_DAYS.pick(rng),
        by_email=True,
        weekly_digest=weekly_digest,
        digest_weekday=SUMMARY_WEEKDAYS.pick(rng) if weekly_digest else 6,
    )
    reminders.schedule(reminder, now=now)
    return reminder


def create_patients(
    *, plans: list[PatientPlan], password_hash: str, seed: int, now: datetime.datetime
) -> list[int]:
    """Create the patients' accounts, tracker profiles and reminders; return their ids in plan
    order."""
    users = User.objects.bulk_create(
        _new_user(
            username=plan.username,
            first_name=plan.first_name,
            last_name=plan.last_name,
            zone=plan.zone,
            password_hash=password_hash,
            joined=_day_start(plan.zone, plan.first_day),
            date_of_birth=demo_birth_date(plan.username),
        )
        for plan in plans
    )
    verify_addresses(users)
    record_agreements(users, kinds=(Consent.Kind.HEALTH_DATA, Consent.Kind.TERMS))
    PatientProfile.objects.bulk_create(
        PatientProfile(user=user, **plan.profile) for user, plan in zip(users, plans, strict=True)
    )
    Reminder.objects.bulk_create(
        demo_reminder(seed=seed, plan=plan, patient=user, now=now)
        for user, plan in zip(users, plans, strict=True)
    )
    return [user.pk for user in users]


def delete_demo_accounts() -> int:
    """Delete every demo account and all its data; return how many accounts there were.

    The large tables go first, one DELETE each: the ORM's cascade would load every episode
    into memory to find its children. The ORM deletes the rest.
    """
    accounts, params = demo_users().values("pk").query.sql_with_params()

    def table(model: type[models.Model]) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    # Each statement holds the accounts query once, so each takes its parameters once.
    episodes = f"SELECT id FROM {table(Episode)} WHERE patient_id IN ({accounts})"
    red_flags = f"SELECT id FROM {table(RedFlagAnswer)} WHERE patient_id IN ({accounts})"
    statements = [
        f"DELETE FROM {table(Acknowledgement)} WHERE red_flag_id IN ({red_flags})",
        f"DELETE FROM {table(RedFlagAnswer)} WHERE episode_id IN ({episodes})",
        *(
            f"DELETE FROM {table(model)} WHERE episode_id IN ({episodes})"
            for model in (EpisodeTrigger, EpisodeLocation, EpisodeSpread, ReliefTried)
        ),
        *(
            f"DELETE FROM {table(model)} WHERE patient_id IN ({accounts})"
            for model in (
                Acknowledgement,
                RedFlagAnswer,
                Episode,
                CheckIn,
                Drink,
                HydrationDay,
                MedicineDose,
                FunctionScore,
            )
        ),  # fmt: skip
    ]
    with transaction.atomic():
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement, params)
        count = demo_users().count()
        demo_users().delete()
    return count


# The whole run


@dataclass(frozen=True)
class Totals:
    """Count what a run created, and how long it took."""

    patients: int
    clinicians: int
    episodes: int
    checkins: int
    drinks: int
    red_flags: int
    medicine_doses: int
    function_scores: int
    reminders: int
    weekly_summaries: int
    seconds: float


def generate(
    *,
    patients: int,
    clinicians: int,
    years: float,
    seed: int,
    password_hash: str,
    now: datetime.datetime,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
    chunk_size: int = CHUNK_PATIENTS,
) -> Totals:
    """Create the demo accounts and their histories, one transaction per chunk of patients.

    `patients` counts the numbered patients; the heavy patient comes on top. on_progress(done,
    total) is called after each patient. A failure leaves the chunks already written in place.
    """
    started = time.monotonic()
    clock = Clock(now=now)
    writer = TableWriter()
    with transaction.atomic():
        clinician_ids, busy_id = create_clinicians(
            seed=seed, count=clinicians, password_hash=password_hash, clock=clock
        )
    numbers = list(range(patients + 1))  # 0 is the heavy patient
    totals = dict.fromkeys(
        ("episodes", "checkins", "drinks", "red_flags", "medicine_doses", "function_scores"), 0
    )
    for chunk_start in range(0, len(numbers), chunk_size):
        chunk = numbers[chunk_start : chunk_start + chunk_size]
        plans = [plan_patient(seed=seed, number=n, years=years, clock=clock) for n in chunk]
        with transaction.atomic():
            user_ids = create_patients(plans=plans, password_hash=password_hash, seed=seed, now=now)
            batch = Batch()
            for plan, user_id in zip(plans, user_ids, strict=True):
                add_patient(
                    batch=batch,
                    seed=seed,
                    plan=plan,
                    user_id=user_id,
                    clinician_ids=clinician_ids,
                    busy_id=busy_id,
                    clock=clock,
                )
                on_progress(plan.number + 1, len(numbers))
            write_batch(batch=batch, writer=writer)
        for name in totals:
            totals[name] += len(getattr(batch, name))
    writer.analyze(
        models_written=(
            User, User.groups.through, PatientProfile, ClinicianProfile, Share, Episode,
            EpisodeTrigger, EpisodeLocation, EpisodeSpread, ReliefTried, CheckIn, Drink,
            HydrationDay, RedFlagAnswer, Acknowledgement, Reminder, MedicineDose, FunctionScore,
        )
    )  # fmt: skip
    reminders = Reminder.objects.filter(patient__in=demo_users())
    return Totals(
        patients=len(numbers),
        clinicians=clinicians + 1,
        reminders=reminders.count(),
        weekly_summaries=reminders.filter(weekly_digest=True).count(),
        seconds=time.monotonic() - started,
        **totals,
    )
