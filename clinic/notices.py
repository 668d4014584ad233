"""E-mail notices to clinicians: a patient who shares with them rose to two-week or above.

The stored status (tracker.models.PatientStatus) records when its urgency last rose to two-week,
urgent or emergency (`raised_at`). A pass every minute (clinic.tasks) looks for rises after the
last notice each clinician got and sends one e-mail for all of them, at most one every
NOTICE_GAP. The e-mail says nothing about anyone: it links to the queue.
"""

import datetime

from django.db import transaction
from django.db.models import F, Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from clinic.access import clinician_name
from clinic.models import NoticeSettings, Share
from notifications import services as notifications
from notifications.links import stop_token
from notifications.models import Delivery
from tracker import dates, services
from tracker.assessment import Urgency

NOTICE_GAP = datetime.timedelta(minutes=15)
TOPIC = "clinician_notice"


def settings_for(clinician: User) -> NoticeSettings:
    settings, _created = NoticeSettings.objects.get_or_create(clinician=clinician)
    return settings


def _latest_rises(*, clinician_ids: list[int] | None = None) -> dict[int, datetime.datetime]:
    """Return, per clinician, the latest rise among the patients who share with them now that
    came after the share was accepted and still stands."""
    shares = Share.objects.accepted().filter(
        patient__status__raised_at__gt=F("decided_at"),
        patient__status__urgency__gte=Urgency.TWO_WEEK,
    )
    if clinician_ids is not None:
        shares = shares.filter(clinician_id__in=clinician_ids)
    return dict(
        shares.values("clinician_id")
        .annotate(latest=Max("patient__status__raised_at"))
        .order_by()
        .values_list("clinician_id", "latest")
    )


def send_clinician_notices(*, now: datetime.datetime) -> int:
    """Queue a notice for each clinician with a new rise and none sent in the last NOTICE_GAP;
    return how many."""
    # Time alone can raise a flag (a run reaching its 15th day): bring stale rows up to date.
    shared = User.objects.filter(pk__in=Share.objects.accepted().values("patient_id"))
    services.refresh_stale(services.stale_patients(queryset=shared, now=now), now=now)
    rises = _latest_rises()
    if not rises:
        return 0
    choices = {s.clinician_id: s for s in NoticeSettings.objects.filter(clinician_id__in=rises)}
    due = [pk for pk, latest in rises.items() if _wants(choices.get(pk), latest, now=now)]
    sent = 0
    for clinician in User.objects.filter(pk__in=due, is_active=True):
        sent += _notify(clinician, now=now)
    return sent


def _wants(
    choice: NoticeSettings | None, latest: datetime.datetime, *, now: datetime.datetime
) -> bool:
    """Tell whether a clinician is owed a notice for a rise at `latest` (checked again under
    the row's lock by _notify)."""
    if choice is None:
        return True  # on unless turned off, and none sent yet
    return (
        choice.by_email
        and (choice.covered_until is None or latest > choice.covered_until)
        and (choice.last_sent_at is None or now - choice.last_sent_at >= NOTICE_GAP)
    )


@transaction.atomic
def _notify(clinician: User, *, now: datetime.datetime) -> int:
    NoticeSettings.objects.get_or_create(clinician=clinician)
    settings = NoticeSettings.objects.select_for_update().get(clinician=clinician)
    latest = _latest_rises(clinician_ids=[clinician.pk]).get(clinician.pk)
    if latest is None or not clinician.email or not _wants(settings, latest, now=now):
        return 0
    local = now.astimezone(clinician.zone)
    stop_url = notifications.site_url(
        reverse("clinic:notice_stop", args=[stop_token(person_id=clinician.pk, topic=TOPIC)])
    )
    context = {
        "name": clinician_name(clinician),
        "queue_url": notifications.site_url(reverse("clinic:queue")),
        "settings_url": notifications.site_url(reverse("clinic:notices")),
        "stop_url": stop_url,
        "gap_minutes": int(NOTICE_GAP.total_seconds() // 60),
    }
    notifications.queue_email(
        to=clinician.email,
        subject=_("Your patient list has changed"),
        body=render_to_string("clinic/email/notice.txt", context),
        from_email=notifications.discreet_from_email(),
        kind=Delivery.Kind.CLINICIAN_NOTICE,
        recipient=clinician,
        local_date=dates.local_day(now, clinician.zone),
        # One a quarter hour at most, whichever pass or worker gets there first.
        window=(local.hour * 60 + local.minute) // 15,
        headers={
            "List-Unsubscribe": f"<{stop_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    settings.covered_until = latest
    settings.last_sent_at = now
    settings.save(update_fields=["covered_until", "last_sent_at"])
    return 1


@transaction.atomic
def stop(*, clinician_id: int) -> bool:
    """Turn the notices off (a stop link); return whether they were on."""
    settings, _created = NoticeSettings.objects.select_for_update().get_or_create(
        clinician_id=clinician_id
    )
    if not settings.by_email:
        return False
    settings.by_email = False
    settings.save(update_fields=["by_email"])
    return True


@transaction.atomic
def save_choice(*, clinician: User, by_email: bool, now: datetime.datetime) -> None:
    """Turn the notices on or off. Turned back on, they start from now: rises while they were
    off are in the queue, not in a burst of e-mail."""
    settings, _created = NoticeSettings.objects.select_for_update().get_or_create(
        clinician=clinician
    )
    if by_email and not settings.by_email:
        settings.covered_until = now
    settings.by_email = by_email
    settings.save()
