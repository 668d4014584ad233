"""The one place that decides whether a clinician may see a patient's log."""

import datetime
from collections.abc import Callable, Sequence
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from accounts.models import User
from accounts.roles import CLINICIANS, forget_roles, is_clinician
from clinic.models import AuditEvent, ClinicianProfile, Share, new_share_code

SHARE_CODE_LIFETIME = datetime.timedelta(days=30)
DISPLAY_NAME_LENGTH = ClinicianProfile._meta.get_field("display_name").max_length


def shared_patient_or_404(*, clinician: User, patient_id: int) -> User:
    """Return the patient if they share their log with this clinician now; otherwise 404.

    Both conditions must hold: an approved clinician, and a share the clinician accepted. A
    request still waiting grants nothing; nor do staff status, the editor role or the clinician
    role alone; and a stopped share is gone on the very next request because nothing about it
    is cached.
    """
    # Through the patient's primary key, not the patient_id column: only that lookup treats
    # an id beyond the column's range (from the URL) as matching nothing on SQLite too.
    share = (
        # The patient's tracker profile too: every patient page reads it.
        Share.objects.accepted()
        .select_related("patient__patient_profile")
        .filter(clinician=clinician, patient__pk=patient_id)
        .first()
    )
    if share is None or not is_clinician(clinician):
        raise Http404("No shared patient here")
    return share.patient


def accepted_patient_ids(*, clinician: User) -> QuerySet[Share, dict[str, int]]:
    """Return the ids of the patients whose share this clinician accepted and who have not
    stopped it (a subquery on the share index): the queue and its counts read only these."""
    return Share.objects.accepted().filter(clinician=clinician).values("patient_id")


def waiting_requests(*, clinician: User, now: datetime.datetime) -> QuerySet[Share]:
    """Return the requests waiting for this clinician's answer, oldest first, with the
    patients who made them."""
    return (
        Share.objects.waiting(now=now)
        .filter(clinician=clinician)
        .select_related("patient")
        .order_by("consented_at", "pk")
    )


def clinician_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Require a signed-in, approved clinician (others get 404) and keep pages out of caches."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not is_clinician(request.user):
            raise Http404("Not a clinician")
        return view(request, *args, **kwargs)

    return login_required(never_cache(wrapper))


def clinician_name(clinician: User) -> str:
    """Return a clinician's name as patients see it: the display name staff set when they
    approved them (clinicians cannot change it), else the account's own name."""
    profile = getattr(clinician, "clinician_profile", None)
    if profile is not None and profile.display_name:
        return profile.display_name
    return clinician.get_full_name() or clinician.get_username()


def audit(*, request: HttpRequest, patient: User, action: str, detail: str = "") -> None:
    """Record that the signed-in clinician looked at or exported the patient's data."""
    AuditEvent.objects.create(
        actor=request.user,
        actor_name=clinician_name(request.user),
        patient=patient,
        action=action,
        detail=detail[:200],
    )


def audit_list(*, request: HttpRequest, patients: Sequence[User]) -> None:
    """Record, in one query, that the signed-in clinician saw these patients' red-flag answers
    on a list page (the queue), as the patient view records a look at one patient."""
    if not patients:
        return
    name = clinician_name(request.user)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=request.user, actor_name=name, patient=patient, action=AuditEvent.Action.LIST
        )
        for patient in patients
    )


def _unused_code() -> str:
    code = new_share_code()
    while ClinicianProfile.objects.filter(share_code=code).exists():
        code = new_share_code()
    return code


def clinician_profile(*, clinician: User) -> ClinicianProfile:
    """Return the clinician's profile, giving them a share code if they have none yet."""
    # A plain read first: get_or_create reads as a write does, from the primary (with a read
    # replica, the rest of the request would then read from the primary too).
    if profile := ClinicianProfile.objects.filter(user=clinician).first():
        return profile
    profile, _created = ClinicianProfile.objects.get_or_create(
        user=clinician,
        defaults={
            # Called only when the profile is created.
            "share_code": _unused_code,
            "code_expires_at": timezone.now() + SHARE_CODE_LIFETIME,
        },
    )
    return profile


def renew_share_code(*, clinician: User) -> ClinicianProfile:
    """Give the clinician a new code for another 30 days; the old one stops working at once."""
    profile = clinician_profile(clinician=clinician)
    profile.share_code = _unused_code()
    profile.code_expires_at = timezone.now() + SHARE_CODE_LIFETIME
    profile.save(update_fields=["share_code", "code_expires_at"])
    return profile


@transaction.atomic
def approve_clinician(*, user: User, display_name: str = "") -> ClinicianProfile:
    """Make an account a clinician (staff do this in the admin), give it a share code and the
    name patients will see (staff confirm it; without one, the account's full name or username).
    """
    user.groups.add(Group.objects.get(name=CLINICIANS))
    forget_roles(user)
    profile = clinician_profile(clinician=user)
    name = display_name.strip() or user.get_full_name() or user.get_username()
    profile.display_name = name[:DISPLAY_NAME_LENGTH]
    profile.save(update_fields=["display_name"])
    return profile
