"""Long histories for the clinic's tests, made fast: bulk-created with the fields the services
would give them (zone, local first and last day), then the patient's stored status recomputed.

Short histories go through tests/factories.py like every other test's data; only hundreds of
days at once are written here, because a service call per day would dominate the run's time.
"""

import datetime

from django.db.models import F
from django.utils import timezone

from accounts.models import User
from tracker import dates, services
from tracker.models import Drink, Episode, EpisodeTrigger, PatientStatus, ReliefTried


def daily_history(
    patient: User,
    *,
    days: int,
    severity: int = 4,
    ending_days_ago: int = 0,
    per_day: int = 1,
    details: bool = False,
    now: datetime.datetime | None = None,
) -> list[Episode]:
    """Give the patient `per_day` one-hour episodes (08:00 local) on each of `days` days ending
    `ending_days_ago` days before today, in their zone; with `details`, a trigger, a relief
    measure and two drinks on each day. Then recompute the patient's stored status."""
    now = now or timezone.now()
    zone = patient.zone
    today = dates.local_day(now, zone)
    episodes = []
    for n in range(days):
        day = today - datetime.timedelta(days=ending_days_ago + n)
        start = dates.to_instant(day, datetime.time(8), zone)
        end = start + datetime.timedelta(hours=1)
        first, last = dates.span_days(start, end, zone)
        episodes.extend(
            Episode(
                patient=patient,
                started_at=start,
                ended_at=end,
                time_zone=patient.time_zone,
                start_day=first,
                end_day=last,
                severity=severity,
            )
            for _ in range(per_day)
        )
    episodes = Episode.objects.bulk_create(episodes, batch_size=2000)
    # Logged when each ended, not all at once: the hourly write limit counts by this time.
    Episode.objects.filter(pk__gte=episodes[0].pk, pk__lte=episodes[-1].pk).update(
        created_at=F("ended_at")
    )
    if details:
        EpisodeTrigger.objects.bulk_create(
            EpisodeTrigger(episode=e, code="stress") for e in episodes
        )
        ReliefTried.objects.bulk_create(
            ReliefTried(episode=e, code="heat", effect=1) for e in episodes
        )
        Drink.objects.bulk_create(
            Drink(patient=patient, day=e.start_day, amount_ml=700, time_zone=patient.time_zone)
            for e in episodes
            for _ in range(2)
        )
    refresh(patient, now=now)
    return episodes


def refresh(patient: User, *, now: datetime.datetime) -> None:
    """Recompute the patient's stored status after rows were written behind the services' back
    (refresh_stale alone would keep a row that is still within its valid_until)."""
    PatientStatus.objects.filter(patient=patient).update(computed_at=None)
    services.refresh_stale([patient], now=now)
