"""Which of a clinician's patients need attention, and why, most urgent first.

The queue reads the same bounded window as the patient's dashboard (tracker.dashboard), for all
the clinician's patients at once: a fixed number of queries whatever the number of patients or
the length of their histories.
"""

import datetime
import enum
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import (
    BigIntegerField,
    CharField,
    DateField,
    DateTimeField,
    F,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from clinic.models import Share
from portal.models import User
from tracker import rules
from tracker.dashboard import FLAG_WINDOW_DAYS
from tracker.models import Acknowledgement, CheckIn, Drink, Episode, RedFlagAnswer

# The kinds of row the queue's one query returns, and the columns they fill (see _window_rows).
EPISODE, CHECKIN, RED_FLAG, ACKNOWLEDGED, LOGGED = "episode", "checkin", "flag", "ack", "logged"
SLOTS = {
    "q_when": DateTimeField(),
    "q_until": DateTimeField(),
    "q_severity": IntegerField(),
    "q_logged": DateTimeField(),
    "q_day": DateField(),
    "q_id": BigIntegerField(),
    "q_code": CharField(),
}


class Rank(enum.IntEnum):
    """Why a patient is where they are in the queue; lower comes first."""

    EMERGENCY = 0
    URGENT = 1
    PERSISTENCE = 2
    PROMPT = 3
    NONE = 4


FILTERS = {
    "emergency": Rank.EMERGENCY,
    "urgent": Rank.URGENT,
    "persistence": Rank.PERSISTENCE,
    "prompt": Rank.PROMPT,
    "none": Rank.NONE,
}


@dataclass(frozen=True)
class OpenRedFlag:
    id: int
    code: str
    answered_at: datetime.datetime

    @property
    def flag(self) -> rules.RedFlag:
        return rules.RED_FLAGS_BY_CODE[self.code]


@dataclass
class PatientStatus:
    """One patient's flags, prompts and last activity, as of their own today."""

    patient: User
    today: datetime.date
    run: rules.Run | None
    persistence: bool
    run_acknowledged: bool
    severe_streak: bool
    worsening: bool
    open_red_flags: list[OpenRedFlag]
    last_activity: datetime.datetime | None
    reasons: list[str] = field(default_factory=list)
    rank: Rank = Rank.NONE

    @property
    def sort_key(self) -> tuple:
        last = self.last_activity.timestamp() if self.last_activity else float("-inf")
        return (self.rank, -last, self.patient.pk)


def _when(moment: datetime.datetime, zone: ZoneInfo) -> str:
    return formats.date_format(moment.astimezone(zone), "j M H:i")


def _status(
    *,
    patient: User,
    episodes: list[tuple],
    checkins: list[tuple],
    open_flags: list[OpenRedFlag],
    acknowledged_runs: set[datetime.date],
    last_logged: datetime.datetime | None,
    viewer_zone: ZoneInfo,
) -> PatientStatus:
    zone = patient.zone
    today = timezone.now().astimezone(zone).date()
    since = today - datetime.timedelta(days=FLAG_WINDOW_DAYS - 1)
    statuses = rules.day_statuses(
        episodes=[(start, end) for start, end, _severity in episodes],
        checkins=checkins,
        zone=zone,
        today=today,
        since=since,
    )
    run = rules.current_run(statuses, today=today, since=since)
    worst = rules.daily_worst_severity(
        episodes=episodes,
        checkins=checkins,
        zone=zone,
        today=today,
        since=since,
    )
    moments = [flag.answered_at for flag in open_flags]
    if last_logged:
        moments.append(last_logged)
    status = PatientStatus(
        patient=patient,
        today=today,
        run=run,
        persistence=rules.persistence_flag(run),
        run_acknowledged=run is not None and run.first in acknowledged_runs,
        severe_streak=run is not None and rules.severe_streak(worst, run=run),
        worsening=run is not None and rules.worsening(worst, run=run),
        open_red_flags=sorted(open_flags, key=lambda f: (-f.flag.tier, f.answered_at)),
        last_activity=max(moments, default=None),
    )
    _explain(status, viewer_zone=viewer_zone)
    return status


def _explain(status: PatientStatus, *, viewer_zone: ZoneInfo) -> None:
    """Fill in the rank and the plain reasons shown on the queue."""
    ranks = [Rank.NONE]
    latest: dict[str, OpenRedFlag] = {}
    times: dict[str, int] = defaultdict(int)
    for open_flag in status.open_red_flags:
        times[open_flag.code] += 1
        if (
            open_flag.code not in latest
            or open_flag.answered_at > latest[open_flag.code].answered_at
        ):
            latest[open_flag.code] = open_flag
    # One reason per question, with its latest answer, in the order of the open flags.
    for open_flag in sorted(latest.values(), key=lambda f: (-f.flag.tier, f.answered_at)):
        tier = open_flag.flag.tier
        if tier == rules.Tier.EMERGENCY:
            ranks.append(Rank.EMERGENCY)
        elif tier in (rules.Tier.URGENT, rules.Tier.MATERNITY):
            ranks.append(Rank.URGENT)
        else:
            ranks.append(Rank.PROMPT)
        reason = _("answered yes: %(question)s, %(when)s") % {
            "question": open_flag.flag.text,
            "when": _when(open_flag.answered_at, viewer_zone),
        }
        if times[open_flag.code] > 1:
            reason += " " + _("(%(count)s times)") % {"count": times[open_flag.code]}
        status.reasons.append(reason)
    if status.persistence:
        run = status.run
        since = formats.date_format(run.first, "j M")
        if status.run_acknowledged:
            ranks.append(Rank.PROMPT)
            status.reasons.append(
                _("symptoms for %(days)s days since %(since)s (seen)")
                % {"days": run.length, "since": since}
            )
        else:
            ranks.append(Rank.PERSISTENCE)
            status.reasons.append(
                _("symptoms for %(days)s days since %(since)s")
                % {"days": run.length, "since": since}
            )
    if status.severe_streak:
        ranks.append(Rank.PROMPT)
        status.reasons.append(_("severe pain on three logged days in a row"))
    if status.worsening:
        ranks.append(Rank.PROMPT)
        status.reasons.append(_("pain getting worse"))
    status.rank = min(ranks)


def _window_rows(*, ids: list[int], start: datetime.datetime) -> QuerySet:
    """Return, in one query, every row the queue reads for these patients since start.

    One UNION ALL of seven selects with the same nine columns: (kind, patient, when, until,
    severity, logged, day, id, code), each filling only the columns it has. One query instead
    of seven keeps the queue at a fixed, small number of queries. When each episode, check-in
    and drink was logged comes as one latest time per patient, not a time per row: turning
    timestamps into Python objects is most of the cost for hundreds of patients.
    """

    def columns(kind: str, **given: object) -> dict[str, object]:
        return {
            "q_kind": Value(kind, output_field=CharField()),
            "q_patient": F("patient_id"),
            **{name: given.get(name, Cast(Value(None), output)) for name, output in SLOTS.items()},
        }

    names = ["q_kind", "q_patient", *SLOTS]
    window_episodes = Episode.objects.filter(patient_id__in=ids).filter(
        Q(started_at__gte=start) | Q(ended_at__isnull=True) | Q(ended_at__gt=start)
    )
    window_checkins = CheckIn.objects.filter(patient_id__in=ids, day__gte=start.date())
    episodes = (
        window_episodes.annotate(
            **columns(
                EPISODE,
                q_when=F("started_at"),
                q_until=F("ended_at"),
                q_severity=F("severity"),
            )
        )
        .order_by()
        .values_list(*names)
    )
    checkins = (
        window_checkins.annotate(**columns(CHECKIN, q_severity=F("worst_severity"), q_day=F("day")))
        .order_by()
        .values_list(*names)
    )
    open_flags = (
        RedFlagAnswer.objects.filter(patient_id__in=ids, acknowledgements__isnull=True)
        .annotate(**columns(RED_FLAG, q_logged=F("answered_at"), q_id=F("id"), q_code=F("code")))
        .order_by()
        .values_list(*names)
    )
    acknowledged_runs = (
        Acknowledgement.objects.filter(patient_id__in=ids, run_first_day__gte=start.date())
        .annotate(**columns(ACKNOWLEDGED, q_day=F("run_first_day")))
        .order_by()
        .values_list(*names)
    )

    def latest(rows: QuerySet, moment: str) -> QuerySet:
        return (
            rows.order_by()
            .values("patient_id")
            .annotate(**columns(LOGGED, q_logged=Max(moment)))
            .values_list(*names)
        )

    return episodes.union(
        checkins,
        open_flags,
        acknowledged_runs,
        latest(window_episodes, "created_at"),
        latest(window_checkins, "created_at"),
        latest(Drink.objects.filter(patient_id__in=ids, logged_at__gte=start), "logged_at"),
        all=True,
    )


def patient_statuses(*, shares: list[Share], viewer_zone: ZoneInfo) -> list[PatientStatus]:
    """Work out every shared patient's status in one query, most urgent first."""
    patients = {share.patient_id: share.patient for share in shares}
    if not patients:
        return []
    # Wide enough for every zone's window; each patient's own window is applied in the rules.
    start = timezone.now() - datetime.timedelta(days=FLAG_WINDOW_DAYS + 2)
    episodes: dict[int, list[tuple]] = defaultdict(list)
    checkins: dict[int, list[tuple]] = defaultdict(list)
    open_flags: dict[int, list[OpenRedFlag]] = defaultdict(list)
    acknowledged: dict[int, set[datetime.date]] = defaultdict(set)
    last_logged: dict[int, datetime.datetime] = {}
    for kind, patient_id, when, until, severity, logged, day, pk, code in _window_rows(
        ids=list(patients), start=start
    ):
        if kind == EPISODE:
            episodes[patient_id].append((when, until, severity))
        elif kind == CHECKIN:
            checkins[patient_id].append((day, severity))
        elif kind == RED_FLAG:
            open_flags[patient_id].append(OpenRedFlag(pk, code, logged))
        elif kind == ACKNOWLEDGED:
            acknowledged[patient_id].add(day)
        else:
            last_logged[patient_id] = max(logged, last_logged.get(patient_id, logged))
    statuses = [
        _status(
            patient=patient,
            episodes=episodes[pk],
            checkins=checkins[pk],
            open_flags=open_flags[pk],
            acknowledged_runs=acknowledged[pk],
            last_logged=last_logged.get(pk),
            viewer_zone=viewer_zone,
        )
        for pk, patient in patients.items()
    ]
    return sorted(statuses, key=lambda status: status.sort_key)


def active_shares(*, clinician: User, search: str = "") -> list[Share]:
    """Return the clinician's active shares, optionally matching a name or username."""
    shares = Share.objects.filter(clinician=clinician, revoked_at__isnull=True).select_related(
        "patient"
    )
    if search:
        shares = shares.filter(
            Q(patient__username__icontains=search)
            | Q(patient__first_name__icontains=search)
            | Q(patient__last_name__icontains=search)
        )
    return list(shares)
