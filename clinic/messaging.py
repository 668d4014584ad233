"""Short messages from a clinician to a patient who shares with them (issue 20).

A clinician writes on the patient view; the patient reads it on their dashboard and on their
messages page, and gets an e-mail that says only that there is a message (no health detail, not
the text, not who wrote: it may be read on a lock screen). The e-mail is queued in the same
transaction as the message (notifications.Delivery) and sent by the worker (Celery), so a
message is never lost for want of a mail server, and a double tap, which sends one message,
sends one e-mail.

A patient who stops sharing keeps the messages they were sent: what a clinician told them is
theirs, and hiding it could hide advice. The clinician cannot send new ones (clinic.access).
"""

import datetime
import uuid
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.models import User
from clinic.access import clinician_name
from clinic.models import ClinicianMessage
from notifications import services as notifications
from notifications.models import Delivery
from tracker import dates

# How many unread messages the dashboard's card shows; the messages page has them all.
DASHBOARD_MESSAGES = 3
MESSAGES_PAGE_SIZE = 20
# How many of the latest messages the patient view shows the clinician (with whether read).
CLINICIAN_MESSAGES = 5


class KeyReused(Exception):
    """A form key already used for a message to someone else, or by someone else (a forged or
    replayed form): nothing is sent."""


def send_message(
    *, clinician: User, patient: User, text: str, key: uuid.UUID, now: datetime.datetime
) -> tuple[ClinicianMessage, bool]:
    """Save a message and queue its e-mail notice; return it and whether it is new.

    The caller has checked that the patient shares with the clinician. A second submission of
    the same form (same key) returns the first message and sends nothing more.
    """
    try:
        with transaction.atomic():
            message = ClinicianMessage.objects.create(
                patient=patient,
                clinician=clinician,
                clinician_name=clinician_name(clinician),
                text=text,
                created_at=now,
                key=key,
            )
            _queue_notice(patient=patient, now=now)
    except IntegrityError:
        earlier = ClinicianMessage.objects.filter(key=key).first()
        if earlier is None:
            raise
        if (earlier.patient_id, earlier.clinician_id) != (patient.pk, clinician.pk):
            raise KeyReused from None
        return earlier, False
    return message, True


def _queue_notice(*, patient: User, now: datetime.datetime) -> None:
    """Queue the e-mail that tells the patient a message is waiting (no text, no detail)."""
    if not patient.email or not patient.is_active:
        return
    messages_path = reverse("clinic:messages")
    context = {
        "sign_in_url": notifications.site_url(
            f"{reverse('account_login')}?{urlencode({'next': messages_path})}"
        ),
    }
    notifications.queue_email(
        to=patient.email,
        subject=_("You have a new message from your clinician on Back cramp care"),
        body=render_to_string("clinic/email/message_notice.txt", context),
        from_email=notifications.discreet_from_email(),
        # At most one notice an hour of the patient's clock: the first message of the hour
        # says one is waiting, and the patient reads them all on signing in. A clinician (or
        # several) writing often never floods the patient's inbox.
        kind=Delivery.Kind.CLINICIAN_MESSAGE,
        recipient=patient,
        local_date=dates.local_day(now, patient.zone),
        window=now.astimezone(patient.zone).hour,
    )


def messages_for(patient: User) -> QuerySet[ClinicianMessage]:
    """Return every message the patient was sent, newest first."""
    return ClinicianMessage.objects.filter(patient=patient)


def unread_for(patient: User) -> list[ClinicianMessage]:
    """Return the newest unread messages for the dashboard's card (one query)."""
    return list(messages_for(patient).filter(read_at__isnull=True)[:DASHBOARD_MESSAGES])


def mark_read(*, patient: User, ids: Sequence[int], now: datetime.datetime) -> int:
    """Mark these messages of the patient's as read (others' ids change nothing); a second tap
    keeps the first time. Return how many were unread."""
    return ClinicianMessage.objects.filter(
        patient=patient, pk__in=ids, read_at__isnull=True
    ).update(read_at=now)
