"""Entries made the way the portal makes them: through tracker.services, so every test's data
has its local dates and zone, and every patient's stored status matches their log.

Only tests about the database's own guards (constraints, migrations) create rows directly.
"""

import datetime

from django.utils import timezone

from accounts.models import User
from tracker import services
from tracker.models import CheckIn, Drink, Episode
from tracker.services import EpisodeInput


def log_episode(
    patient: User,
    *,
    start: datetime.datetime,
    end: datetime.datetime | None = None,
    severity: int = 5,
    now: datetime.datetime | None = None,
    **details: object,
) -> Episode:
    """Log an episode as the patient would, dated in their current zone."""
    episode, _answered = services.record_episode(
        patient=patient,
        data=EpisodeInput(started_at=start, ended_at=end, severity=severity, **details),
        now=now or timezone.now(),
    )
    return episode


def check_in(
    patient: User,
    *,
    day: datetime.date,
    severity: int,
    now: datetime.datetime | None = None,
) -> CheckIn:
    """Record a day's worst pain (0 = no symptoms), replacing any earlier answer for the day."""
    services.record_checkin(
        patient=patient,
        day=day,
        worst_severity=severity,
        confirm_lower=True,
        now=now or timezone.now(),
    )
    return CheckIn.objects.get(patient=patient, day=day)


def add_drink(
    patient: User, *, day: datetime.date, ml: int, now: datetime.datetime | None = None
) -> Drink:
    return services.add_drink(patient=patient, day=day, amount_ml=ml, now=now or timezone.now())


def answer_red_flags(patient: User, *codes: str, now: datetime.datetime | None = None) -> list[str]:
    return services.record_red_flags(patient=patient, codes=codes, now=now or timezone.now())
