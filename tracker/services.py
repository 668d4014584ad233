"""The tracker's writes, and the one stored assessment of each patient that they keep current.

Every write that can change what the portal concludes about a patient (an episode created,
changed, ended or deleted; a check-in; red-flag answers; an acknowledgement; a new time zone)
runs here, in one transaction that first locks the patient's status row, then writes, then
stores the fresh assessment. Two writes for one patient therefore queue behind each other and
the second sees the first, so the stored row always matches the log. Views and forms never
write these models themselves.

Reads go through `status_for` / `refresh_stale`: a row past its `valid_until`, of an older
assessment version or computed in another zone than the profile's is recomputed under the same
lock first. Time is an argument (`now`): nothing here reads the clock.
"""

import datetime
import enum
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet

from accounts.models import User
from tracker import dates, reminders, rules
from tracker.assessment import (
    ADVICE_HOURS,
    VERSION,
    Facts,
    Kind,
    OpenAnswers,
    Reason,
    SeenMark,
    Urgency,
    assess,
    window_start,
)
from tracker.models import (
    Acknowledgement,
    CheckIn,
    Drink,
    Episode,
    EpisodeLocation,
    EpisodeSpread,
    EpisodeTrigger,
    PatientStatus,
    RedFlagAnswer,
    ReliefTried,
    Spread,
    Submission,
)

# Writes a patient may make in an hour (settings PORTAL_EPISODES_PER_HOUR and
# PORTAL_DRINKS_PER_HOUR, 120 each by default): far above anything a person logs, low enough
# that a script cannot fill the database or anyone's screen.
HOUR = datetime.timedelta(hours=1)
# Stale rows are recomputed in batches of this many patients, each batch one transaction.
REFRESH_BATCH = 200
# The attribute of a User that holds their status row for the rest of a request.
STATUS_ON_USER = "_tracker_status"


class WriteLimitReached(Exception):
    """The patient has logged as many entries of a kind as an hour allows."""

    def __init__(self, *, limit: int) -> None:
        super().__init__(f"limit of {limit} an hour reached")
        self.limit = limit


@dataclass(frozen=True)
class EpisodeInput:
    """An episode as the patient described it; times are aware instants."""

    started_at: datetime.datetime
    ended_at: datetime.datetime | None
    severity: int
    activity: str = ""
    trigger_other: str = ""
    notes: str = ""
    triggers: Sequence[str] = ()
    spread: Sequence[str] = ()
    locations: Sequence[tuple[str, str]] = ()
    relief: Mapping[str, int | None] = field(default_factory=dict)
    red_flags: Sequence[str] = ()


# The stored assessment


def _lock(patient_ids: Iterable[int]) -> dict[int, PatientStatus]:
    """Lock the patients' status rows, creating any that are missing, in id order so that two
    lockers never deadlock. Inside the caller's transaction; one query when the rows exist."""
    ids = sorted(set(patient_ids))

    def locked() -> dict[int, PatientStatus]:
        rows = PatientStatus.objects.select_for_update().filter(patient_id__in=ids).order_by("pk")
        return {row.patient_id: row for row in rows}

    rows = locked()
    if len(rows) < len(ids):
        PatientStatus.objects.bulk_create(
            [PatientStatus(patient_id=pk) for pk in ids if pk not in rows], ignore_conflicts=True
        )
        rows = locked()
    return rows


def _episode_days(
    rows: Iterable[tuple[int, datetime.date, datetime.date | None, int]],
) -> dict[int, list[rules.EpisodeDays]]:
    by_patient: dict[int, list[rules.EpisodeDays]] = defaultdict(list)
    for patient_id, first, last, worst in rows:
        by_patient[patient_id].append(rules.EpisodeDays(first=first, last=last, severity=worst))
    return by_patient


def seen_by_name(clinician: User) -> str:
    """Return the name a clinician goes by for patients: the display name staff set, else their
    own (clinic.access.clinician_name says the same; the tracker cannot import the clinic)."""
    profile = getattr(clinician, "clinician_profile", None)
    return getattr(profile, "display_name", "") or str(clinician)


def _seen_mark(mark: Acknowledgement, *, zone: ZoneInfo) -> SeenMark:
    assert mark.run_first_day is not None
    return SeenMark(
        # Marks made before issue 20 were all of the two-week flag (migration 0011).
        kind=Kind(mark.kind or Kind.TWO_WEEK),
        first_day=mark.run_first_day,
        # Before issue 20 a mark recorded neither the run's last day nor its worst: it covers
        # the days before the one it was made on (what was logged on that day may have come
        # after the mark; the safer mistake is to show it again).
        last_day=mark.run_last_day
        or dates.local_day(mark.created_at, zone) - datetime.timedelta(days=1),
        worst=mark.worst_seen,
        by=seen_by_name(mark.clinician),
        at=mark.created_at,
    )


def load_facts(patients: Sequence[User], *, now: datetime.datetime) -> dict[int, Facts]:
    """Read the assessment's facts for several patients in five queries, whatever their number
    and however long their histories: episodes come grouped by their days, so a thousand
    episodes on one day are one row."""
    if not patients:
        return {}
    sinces = {p.pk: window_start(dates.local_day(now, p.zone)) for p in patients}
    earliest = min(sinces.values())
    ids = list(sinces)
    episodes = _episode_days(
        Episode.objects.filter(patient_id__in=ids)
        .filter(Q(end_day__isnull=True) | Q(end_day__gte=earliest))
        .values_list("patient_id", "start_day", "end_day")
        .annotate(worst=Max("severity"))
        .order_by()
    )
    checkins: dict[int, list[tuple[datetime.date, int]]] = defaultdict(list)
    for patient_id, day, severity in CheckIn.objects.filter(
        patient_id__in=ids, day__gte=earliest
    ).values_list("patient_id", "day", "worst_severity"):
        checkins[patient_id].append((day, severity))
    open_answers: dict[int, list[OpenAnswers]] = defaultdict(list)
    for row in (
        RedFlagAnswer.objects.filter(patient_id__in=ids)
        .filter(~Exists(Acknowledgement.objects.filter(red_flag=OuterRef("pk"))))
        .values("patient_id", "code")
        .annotate(count=Count("id"), latest_at=Max("answered_at"))
        .order_by()
    ):
        open_answers[row["patient_id"]].append(
            OpenAnswers(
                code=row["code"],
                count=row["count"],
                latest_at=row["latest_at"],
            )
        )
    recent: dict[int, dict[str, datetime.datetime]] = defaultdict(dict)
    advice_from = now - datetime.timedelta(hours=ADVICE_HOURS)
    for patient_id, code, latest in (
        RedFlagAnswer.objects.filter(patient_id__in=ids, answered_at__gt=advice_from)
        .values_list("patient_id", "code")
        .annotate(latest=Max("answered_at"))
        .order_by()
    ):
        recent[patient_id][code] = latest
    marks: dict[int, list[SeenMark]] = defaultdict(list)
    zones = {p.pk: p.zone for p in patients}
    for mark in (
        Acknowledgement.objects.filter(patient_id__in=ids, run_first_day__gte=earliest)
        .select_related("clinician__clinician_profile")
        .order_by()
    ):
        marks[mark.patient_id].append(_seen_mark(mark, zone=zones[mark.patient_id]))
    return {
        pk: Facts(
            since=since,
            episodes=[e for e in episodes[pk] if e.last is None or e.last >= since],
            checkins=[(day, severity) for day, severity in checkins[pk] if day >= since],
            open_answers=open_answers[pk],
            recent_answers=recent[pk],
            seen_marks=[mark for mark in marks[pk] if mark.first_day >= since],
        )
        for pk, since in sinces.items()
    }


def _first_last_logged(ids: list[int]) -> dict[int, datetime.datetime]:
    """Work out when patients last logged anything, for rows that have never recorded it
    (rows made before the status existed)."""
    latest: dict[int, datetime.datetime] = {}
    for model, moment in ((Episode, "created_at"), (CheckIn, "created_at"), (Drink, "logged_at")):
        rows = (
            model.objects.filter(patient_id__in=ids)
            .values_list("patient_id")
            .annotate(last=Max(moment))
            .order_by()
        )
        for patient_id, last in rows:
            latest[patient_id] = max(last, latest.get(patient_id, last))
    return latest


def _recompute(
    rows: Mapping[int, PatientStatus], patients: Sequence[User], *, now: datetime.datetime
) -> None:
    """Assess the patients and save their (locked) rows."""
    facts = load_facts(patients, now=now)
    unknown = [p.pk for p in patients if rows[p.pk].last_logged_at is None]
    first_logged = _first_last_logged(unknown) if unknown else {}
    for patient in patients:
        row = rows[patient.pk]
        result = assess(facts[patient.pk], now=now, zone=patient.zone)
        if result.urgency >= Urgency.TWO_WEEK and result.urgency > row.urgency:
            # A rise the clinicians this patient shares with are told of (clinic.notices).
            row.raised_at = now
        row.urgency = int(result.urgency)
        row.data = result.to_json()
        row.valid_until = result.valid_until
        row.version = VERSION
        row.computed_at = now
        row.time_zone = patient.time_zone
        if row.last_logged_at is None:
            row.last_logged_at = first_logged.get(patient.pk)
        setattr(patient, STATUS_ON_USER, row)
    fields = ["urgency", "data", "valid_until", "version", "computed_at", "time_zone", "raised_at"]
    PatientStatus.objects.bulk_update([rows[p.pk] for p in patients], [*fields, "last_logged_at"])


def _write_status(patient: User, *, now: datetime.datetime, row: PatientStatus) -> None:
    """Store the patient's fresh assessment and their latest write (row already locked)."""
    row.last_logged_at = now
    _recompute({patient.pk: row}, [patient], now=now)


def _lock_one(patient: User) -> PatientStatus:
    return _lock([patient.pk])[patient.pk]


def refresh_stale(patients: Sequence[User], *, now: datetime.datetime) -> None:
    """Recompute the status rows of these patients that are missing or stale, in batches."""
    for start in range(0, len(patients), REFRESH_BATCH):
        batch = patients[start : start + REFRESH_BATCH]
        with transaction.atomic():
            rows = _lock(p.pk for p in batch)
            # Checked again under the lock: another request may have just refreshed them.
            stale = [p for p in batch if rows[p.pk].is_stale(now=now, time_zone=p.time_zone)]
            if stale:
                _recompute(rows, stale, now=now)


def status_for(patient: User, *, now: datetime.datetime) -> PatientStatus:
    """Return the patient's stored status, recomputed first if it is missing or stale.

    Also kept on the user object (see remembered_status), and replaced there by a write made
    through the same object (_recompute).
    """
    row = PatientStatus.objects.filter(patient=patient).first()
    if row is None or row.is_stale(now=now, time_zone=patient.time_zone):
        refresh_stale([patient], now=now)
        row = PatientStatus.objects.get(patient=patient)
    setattr(patient, STATUS_ON_USER, row)
    return row


def remembered_status(patient: User, *, now: datetime.datetime) -> PatientStatus:
    """Return the status this request already read for the patient, or read it.

    For the parts of one page that each need it (a view and the red-flag banner): the user
    object lives for one request, so what it remembers is never older than the page.
    """
    row: PatientStatus | None = getattr(patient, STATUS_ON_USER, None)
    if row is not None and not row.is_stale(now=now, time_zone=patient.time_zone):
        return row
    return status_for(patient, now=now)


# Repeated submissions


def once(*, patient: User, key: uuid.UUID, write: Callable[[], str]) -> tuple[str, bool]:
    """Run write() unless this form was already acted on; return where to go and if it ran.

    write() saves the records and returns the page to show next. It and the key are stored in
    one transaction, so a repeat, even a concurrent one, fails as a whole and changes nothing.
    """
    try:
        with transaction.atomic():
            redirect_to = write()
            Submission.objects.create(key=key, patient=patient, redirect_to=redirect_to)
    except IntegrityError:
        earlier = Submission.objects.filter(key=key, patient=patient).first()
        if earlier is None:
            raise
        return earlier.redirect_to, False
    return redirect_to, True


# Episodes and red flags


def _check_limit(count: int, *, limit: int) -> None:
    if count >= limit:
        raise WriteLimitReached(limit=limit)


def _answer(*, patient: User, codes: Iterable[str], episode: Episode | None = None) -> list[str]:
    # An unknown code is refused by the database (red_flag_known_code), loudly: a typo here
    # must not quietly drop an emergency answer.
    answered = list(dict.fromkeys(codes))
    RedFlagAnswer.objects.bulk_create(
        RedFlagAnswer(patient=patient, episode=episode, code=code) for code in answered
    )
    return answered


def _save_details(episode: Episode, data: EpisodeInput) -> None:
    EpisodeTrigger.objects.bulk_create(
        EpisodeTrigger(episode=episode, code=code) for code in dict.fromkeys(data.triggers)
    )
    EpisodeSpread.objects.bulk_create(
        EpisodeSpread(episode=episode, code=code) for code in dict.fromkeys(data.spread)
    )
    EpisodeLocation.objects.bulk_create(
        EpisodeLocation(episode=episode, region=region, side=side)
        for region, side in dict.fromkeys(data.locations)
    )
    ReliefTried.objects.bulk_create(
        ReliefTried(episode=episode, code=code, effect=effect)
        for code, effect in data.relief.items()
    )


def red_flags_for(data: EpisodeInput) -> list[str]:
    """Return the red flags an episode answers: those ticked, and pain spreading to both legs
    (CLINICAL.md 3.4: "both legs asks the emergency questions")."""
    return _red_flag_codes(data.red_flags, data.spread)


def _red_flag_codes(ticked: Iterable[str], spread: Iterable[str]) -> list[str]:
    codes = list(ticked)
    spreads = set(spread)
    if Spread.BOTH_LEGS in spreads or {Spread.LEFT_LEG, Spread.RIGHT_LEG} <= spreads:
        codes.append("both_legs")
    return list(dict.fromkeys(codes))


def _set_times(episode: Episode, data: EpisodeInput) -> None:
    first, last = dates.span_days(data.started_at, data.ended_at, episode.zone)
    episode.started_at, episode.ended_at = data.started_at, data.ended_at
    episode.start_day, episode.end_day = first, last
    episode.severity = data.severity
    episode.activity, episode.trigger_other, episode.notes = (
        data.activity,
        data.trigger_other,
        data.notes,
    )


@transaction.atomic
def record_episode(
    *, patient: User, data: EpisodeInput, now: datetime.datetime
) -> tuple[Episode, list[str]]:
    """Store a new episode with its details and red flags, dated in the patient's zone now.

    Returns the episode and the red flags answered yes. Raises WriteLimitReached.
    """
    row = _lock_one(patient)
    recent = Episode.objects.filter(patient=patient, created_at__gt=now - HOUR).count()
    _check_limit(recent, limit=settings.PORTAL_EPISODES_PER_HOUR)
    episode = Episode(patient=patient, time_zone=patient.time_zone)
    _set_times(episode, data)
    episode.save()
    _save_details(episode, data)
    answered = _answer(patient=patient, codes=red_flags_for(data), episode=episode)
    _write_status(patient, now=now, row=row)
    return episode, answered


@transaction.atomic
def change_when(
    *,
    episode: Episode,
    started_at: datetime.datetime,
    ended_at: datetime.datetime | None,
    severity: int,
    now: datetime.datetime,
) -> None:
    """Change when an episode happened and how bad it was, read in the zone it was recorded in.

    Its details (where, triggers, what helped, notes, red flags) stay as they are.
    """
    row = _lock_one(episode.patient)
    first, last = dates.span_days(started_at, ended_at, episode.zone)
    episode.started_at, episode.ended_at, episode.severity = started_at, ended_at, severity
    episode.start_day, episode.end_day = first, last
    episode.save()
    _write_status(episode.patient, now=now, row=row)


@dataclass(frozen=True)
class Details:
    """One optional step of an episode's details. A part left as None is not changed."""

    locations: Sequence[tuple[str, str]] | None = None
    spread: Sequence[str] | None = None
    activity: str | None = None
    triggers: Sequence[str] | None = None
    trigger_other: str | None = None
    relief: Mapping[str, int | None] | None = None
    notes: str | None = None
    red_flags: Sequence[str] = ()


@transaction.atomic
def change_details(*, episode: Episode, details: Details, now: datetime.datetime) -> list[str]:
    """Replace the parts of an episode's details that this step gives; return new red flags.

    Only answers not already given for this episode are recorded: the earlier ones were advised
    on when they were given. Pain spreading to both legs counts as the both-legs answer.
    """
    patient = episode.patient
    row = _lock_one(patient)
    fields = []
    for name in ("activity", "trigger_other", "notes"):
        value = getattr(details, name)
        if value is not None:
            setattr(episode, name, value)
            fields.append(name)
    if fields:
        episode.save(update_fields=[*fields, "updated_at"])
    if details.locations is not None:
        EpisodeLocation.objects.filter(episode=episode).delete()
        EpisodeLocation.objects.bulk_create(
            EpisodeLocation(episode=episode, region=region, side=side)
            for region, side in dict.fromkeys(details.locations)
        )
    if details.spread is not None:
        EpisodeSpread.objects.filter(episode=episode).delete()
        EpisodeSpread.objects.bulk_create(
            EpisodeSpread(episode=episode, code=code) for code in dict.fromkeys(details.spread)
        )
    if details.triggers is not None:
        EpisodeTrigger.objects.filter(episode=episode).delete()
        EpisodeTrigger.objects.bulk_create(
            EpisodeTrigger(episode=episode, code=code) for code in dict.fromkeys(details.triggers)
        )
    if details.relief is not None:
        ReliefTried.objects.filter(episode=episode).delete()
        ReliefTried.objects.bulk_create(
            ReliefTried(episode=episode, code=code, effect=effect)
            for code, effect in details.relief.items()
        )
    codes = _red_flag_codes(details.red_flags, details.spread or ())
    earlier = set(episode.red_flags.values_list("code", flat=True))
    answered = _answer(
        patient=patient, codes=[code for code in codes if code not in earlier], episode=episode
    )
    _write_status(patient, now=now, row=row)
    return answered


@transaction.atomic
def end_episode(*, episode: Episode, now: datetime.datetime) -> bool:
    """Mark a running episode as stopped now; return False if it had already stopped."""
    row = _lock_one(episode.patient)
    episode.refresh_from_db(fields=["ended_at"])
    if episode.ended_at is not None:
        return False
    # A start logged a few minutes ahead (clock skew) must not make the end come first.
    episode.ended_at = max(now, episode.started_at)
    episode.end_day = dates.span_days(episode.started_at, episode.ended_at, episode.zone)[1]
    episode.save(update_fields=["ended_at", "end_day", "updated_at"])
    _write_status(episode.patient, now=now, row=row)
    return True


@transaction.atomic
def delete_episode(*, episode: Episode, now: datetime.datetime) -> None:
    row = _lock_one(episode.patient)
    episode.delete()
    _write_status(episode.patient, now=now, row=row)


@transaction.atomic
def record_red_flags(*, patient: User, codes: Sequence[str], now: datetime.datetime) -> list[str]:
    """Store the red flags answered yes on "Get help now"; return them."""
    row = _lock_one(patient)
    answered = _answer(patient=patient, codes=codes)
    _write_status(patient, now=now, row=row)
    return answered


# Check-ins


class CheckInOutcome(enum.Enum):
    SAVED = "saved"  # a first answer for the day, or the same as before
    RAISED = "raised"  # replaced an earlier, milder answer
    LOWERED = "lowered"  # replaced a worse answer, as the patient confirmed
    NEEDS_CONFIRMATION = "needs_confirmation"  # a milder answer than before: nothing changed


@dataclass(frozen=True)
class CheckInResult:
    outcome: CheckInOutcome
    earlier: int | None


@transaction.atomic
def record_checkin(
    *,
    patient: User,
    day: datetime.date,
    worst_severity: int,
    confirm_lower: bool,
    now: datetime.datetime,
) -> CheckInResult:
    """Record the day's worst pain. A milder answer never silently replaces a worse one: it is
    stored only when the patient, shown the earlier answer, confirms (confirm_lower)."""
    row = _lock_one(patient)
    earlier = CheckIn.objects.filter(patient=patient, day=day).first()
    if earlier is None:
        CheckIn.objects.create(
            patient=patient, day=day, worst_severity=worst_severity, time_zone=patient.time_zone
        )
        outcome = CheckInOutcome.SAVED
    elif worst_severity < earlier.worst_severity and not confirm_lower:
        return CheckInResult(CheckInOutcome.NEEDS_CONFIRMATION, earlier.worst_severity)
    else:
        if worst_severity == earlier.worst_severity:
            outcome = CheckInOutcome.SAVED
        elif worst_severity > earlier.worst_severity:
            outcome = CheckInOutcome.RAISED
        else:
            outcome = CheckInOutcome.LOWERED
        CheckIn.objects.filter(pk=earlier.pk).update(worst_severity=worst_severity)
    _write_status(patient, now=now, row=row)
    return CheckInResult(outcome, earlier.worst_severity if earlier else None)


# Drinks: not part of the assessment, but the latest write orders the clinician's queue.


def _touch(patient: User, *, now: datetime.datetime) -> None:
    row = _lock_one(patient)
    row.last_logged_at = now
    row.save(update_fields=["last_logged_at"])


@transaction.atomic
def add_drink(
    *, patient: User, day: datetime.date, amount_ml: int, now: datetime.datetime
) -> Drink:
    """Log a drink on a local day. Raises WriteLimitReached."""
    _touch(patient, now=now)
    recent = Drink.objects.filter(patient=patient, logged_at__gt=now - HOUR).count()
    _check_limit(recent, limit=settings.PORTAL_DRINKS_PER_HOUR)
    return Drink.objects.create(
        patient=patient, day=day, amount_ml=amount_ml, time_zone=patient.time_zone
    )


@transaction.atomic
def change_drink(
    *, drink: Drink, day: datetime.date, amount_ml: int, now: datetime.datetime
) -> None:
    _touch(drink.patient, now=now)
    drink.day, drink.amount_ml = day, amount_ml
    drink.save(update_fields=["day", "amount_ml"])


@transaction.atomic
def delete_drink(*, drink: Drink, now: datetime.datetime) -> None:
    _touch(drink.patient, now=now)
    drink.delete()


# What clinicians and the profile change


@transaction.atomic
def acknowledge_answer(*, clinician: User, answer: RedFlagAnswer, now: datetime.datetime) -> bool:
    """Record that a clinician saw a red-flag answer; it no longer ranks the patient. Return
    whether this made a new mark (a second tap, or another clinician's earlier mark, does not)."""
    row = _lock_one(answer.patient)
    _mark, created = Acknowledgement.objects.get_or_create(
        patient=answer.patient,
        clinician=clinician,
        red_flag=answer,
        defaults={"kind": Kind.RED_FLAG},
    )
    _recompute({answer.patient_id: row}, [answer.patient], now=now)
    return created


@dataclass(frozen=True)
class SeenRun:
    """A flag of a run as the clinician was shown it: its kind, the run's days and its worst."""

    kind: Kind
    first: datetime.date
    last: datetime.date
    worst: int


class MarkOutcome(enum.Enum):
    MARKED = "marked"
    # Already seen as it stands (a second tap, or another clinician saw it): nothing new.
    ALREADY_SEEN = "already_seen"
    # The flag is gone, belongs to another run, or got worse since the page was shown: the
    # mark was kept as shown, but it does not cover what the log says now.
    CHANGED = "changed"
    GONE = "gone"


def acknowledge_flag(
    *, clinician: User, patient: User, shown: SeenRun, now: datetime.datetime
) -> MarkOutcome:
    """Record that a clinician saw one flag of the current run, as it was on their page.

    The mark records the run's last day and worst severity that the clinician was shown, not
    what the log says at the moment of the tap: an entry logged in between stays unseen.
    """
    if shown.kind == Kind.RED_FLAG:
        raise ValueError("red-flag answers are marked one by one (acknowledge_answer)")
    with transaction.atomic():
        row = _lock_one(patient)
        if row.is_stale(now=now, time_zone=patient.time_zone):
            _recompute({patient.pk: row}, [patient], now=now)
        reason: Reason | None = row.assessment.reason(shown.kind)
        if reason is None or reason.first != shown.first:
            return MarkOutcome.GONE
        if reason.seen:
            return MarkOutcome.ALREADY_SEEN
        Acknowledgement.objects.create(
            patient=patient,
            clinician=clinician,
            kind=shown.kind,
            run_first_day=shown.first,
            # Never more than the run as it is: a forged form cannot cover days to come.
            run_last_day=min(shown.last, reason.last or shown.last),
            worst_seen=min(shown.worst, reason.worst if reason.worst is not None else 0),
        )
        _recompute({patient.pk: row}, [patient], now=now)
        reason = row.assessment.reason(shown.kind)
    return MarkOutcome.MARKED if reason is not None and reason.seen else MarkOutcome.CHANGED


def acknowledge_run(*, clinician: User, patient: User, now: datetime.datetime) -> rules.Run | None:
    """Record that a clinician saw the current run's two-week flag as it stands now; return the
    run (None if there is none, or it has no two-week flag)."""
    assessment = status_for(patient, now=now).assessment
    run, reason = assessment.run, assessment.reason(Kind.TWO_WEEK)
    if run is None or reason is None or reason.first is None or reason.last is None:
        return None
    shown = SeenRun(
        kind=Kind.TWO_WEEK, first=reason.first, last=reason.last, worst=reason.worst or 0
    )
    acknowledge_flag(clinician=clinician, patient=patient, shown=shown, now=now)
    return run


@transaction.atomic
def change_time_zone(*, user: User, time_zone: str, now: datetime.datetime) -> None:
    """Move the person to another zone. Entries keep the dates they were recorded with; only
    "today", and so the days from now on, follow the new zone."""
    row = _lock_one(user)
    user.time_zone = time_zone
    user.save(update_fields=["time_zone"])
    _recompute({user.pk: row}, [user], now=now)
    # Reminders follow the person: 19:00 is 19:00 where they now are.
    reminders.reschedule(patient=user, now=now)


def sharing_changed(*, patient: User, now: datetime.datetime) -> None:
    """Make sure a patient who starts or stops sharing has a current row for the queue.

    Called inside the sharing write's transaction (clinic): who sees the status changes, the
    status itself does not.
    """
    row = _lock_one(patient)
    if row.is_stale(now=now, time_zone=patient.time_zone):
        _recompute({patient.pk: row}, [patient], now=now)


def stale_patients(*, queryset: QuerySet[User], now: datetime.datetime) -> list[User]:
    """Return the users of a queryset whose status is missing or stale (one query)."""
    return list(
        queryset.filter(
            Q(status__isnull=True)
            | Q(status__computed_at__isnull=True)
            | Q(status__valid_until__lte=now)
            | ~Q(status__version=VERSION)
            | ~Q(status__time_zone=F("time_zone"))
        )
    )
