"""Every change to a Share: a patient asks, the clinician accepts or declines, the patient
withdraws or stops. Each takes `now`, runs in one transaction and locks what two taps could
race for, so a double tap or a retry changes nothing the first did not.
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from clinic.access import clinician_name
from clinic.models import CONSENT_VERSION, AuditEvent, Share
from tracker import dates
from tracker import services as tracker_services

# Requests a patient may have waiting at once: enough for a GP, a physio and a specialist;
# too few for one account to fill the clinicians' request lists.
MAX_WAITING_REQUESTS = 3


class ShareRefused(Exception):
    """A request that must not be made; nothing was written. `field` is the form field the
    message belongs to (None: the form as a whole)."""

    def __init__(self, message: str, *, code: str, field: str | None = "code_or_email") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


@dataclass(frozen=True)
class Identity:
    """The name and date of birth a patient gives with a request (and an NHS number, or "")."""

    first_name: str
    last_name: str
    date_of_birth: datetime.date
    nhs_number: str = ""


def _close_if_expired(share: Share, *, now: datetime.datetime) -> bool:
    """Write EXPIRED on a pending request past its expiry; say whether it was one."""
    if share.state(now=now) != Share.Status.EXPIRED:
        return False
    if share.status != Share.Status.EXPIRED:
        share.status = Share.Status.EXPIRED
        share.save(update_fields=["status"])
    return True


@transaction.atomic
def request_share(
    *, patient: User, clinician: User, identity: Identity, now: datetime.datetime
) -> Share:
    """Save the identity the patient gave on their account and send the clinician a request.

    Refused (ShareRefused, nothing written) when the clinician is the patient, already has a
    request or a share from them, or the patient has MAX_WAITING_REQUESTS waiting.
    """
    if clinician.pk == patient.pk:
        raise ShareRefused(_("You cannot share your log with yourself."), code="self")
    # The patient's row is the lock: their requests are made one at a time, so two taps
    # cannot both pass the checks below.
    User.objects.select_for_update().filter(pk=patient.pk).values_list("pk").get()
    current = (
        Share.objects.select_for_update()
        .filter(patient=patient, clinician=clinician, status__in=Share.OPEN)
        .first()
    )
    if current is not None and not _close_if_expired(current, now=now):
        if current.status == Share.Status.ACCEPTED:
            message = _("You already share your log with %(name)s.")
        else:
            message = _("You have already asked %(name)s. They have until %(date)s to answer.")
        raise ShareRefused(
            message
            % {
                "name": clinician_name(current.clinician),
                "date": expiry_day(current, zone=patient.zone),
            },
            code="already",
        )
    if Share.objects.waiting(now=now).filter(patient=patient).count() >= MAX_WAITING_REQUESTS:
        raise ShareRefused(
            _(
                "You have %(count)d requests waiting for an answer. Withdraw one, or wait "
                "for an answer, before you ask another clinician."
            )
            % {"count": MAX_WAITING_REQUESTS},
            code="too_many_waiting",
            field=None,
        )
    share = Share.objects.create(
        patient=patient, clinician=clinician, consent_version=CONSENT_VERSION, consented_at=now
    )
    # On the caller's object too (the request's user): the page it renders next shows them.
    patient.first_name = identity.first_name
    patient.last_name = identity.last_name
    patient.date_of_birth = identity.date_of_birth
    patient.nhs_number = identity.nhs_number
    patient.save(update_fields=["first_name", "last_name", "date_of_birth", "nhs_number"])
    return share


def _locked(share: Share) -> Share:
    return Share.objects.select_for_update(of=("self",)).select_related("patient").get(pk=share.pk)


def _record(*, share: Share, action: str) -> None:
    clinician = share.clinician
    AuditEvent.objects.create(
        actor=clinician,
        actor_name=clinician_name(share.clinician),
        patient=share.patient,
        action=action,
    )


@transaction.atomic
def accept(*, share: Share, now: datetime.datetime) -> tuple[Share, bool]:
    """Let the clinician see the patient's log, if the request is still waiting.

    Returns the share and whether this call changed it: accepting twice, or a request that
    was declined, withdrawn or has expired, changes nothing.
    """
    share = _locked(share)
    if share.state(now=now) != Share.Status.PENDING:
        _close_if_expired(share, now=now)
        return share, False
    share.status = Share.Status.ACCEPTED
    share.decided_at = now
    share.save(update_fields=["status", "decided_at"])
    # The patient enters the queue now: their stored status must be current for it.
    tracker_services.sharing_changed(patient=share.patient, now=now)
    _record(share=share, action=AuditEvent.Action.ACCEPT)
    return share, True


@transaction.atomic
def decline(*, share: Share, now: datetime.datetime) -> tuple[Share, bool]:
    """Refuse a waiting request; like accept, it changes nothing in any other state."""
    share = _locked(share)
    if share.state(now=now) != Share.Status.PENDING:
        _close_if_expired(share, now=now)
        return share, False
    share.status = Share.Status.DECLINED
    share.decided_at = now
    share.save(update_fields=["status", "decided_at"])
    _record(share=share, action=AuditEvent.Action.DECLINE)
    return share, True


@transaction.atomic
def stop(*, share: Share, now: datetime.datetime) -> tuple[Share, bool]:
    """End a share (the clinician loses access on their next request) or withdraw a request.

    Returns the share and whether this call changed it; anything already ended stays as it is.
    """
    share = _locked(share)
    state = share.state(now=now)
    if state == Share.Status.ACCEPTED:
        share.status = Share.Status.STOPPED
    elif state == Share.Status.PENDING:
        share.status = Share.Status.WITHDRAWN
    else:
        _close_if_expired(share, now=now)
        return share, False
    share.revoked_at = now
    share.save(update_fields=["status", "revoked_at"])
    if share.status == Share.Status.STOPPED:
        tracker_services.sharing_changed(patient=share.patient, now=now)
    return share, True


def expiry_day(share: Share, *, zone: zoneinfo.ZoneInfo) -> str:
    """Return the day a request lapses, in the reader's zone, like "19 December 2026"."""
    return date_format(dates.local_day(share.expires_at, zone), "j F Y")
