"""Which of a clinician's patients need attention, and why, most urgent first.

The queue reads each shared patient's stored assessment (tracker.models.PatientStatus): one
indexed query for a page, ordered by urgency, then by the patient's latest entry. Its cost
depends on the number of patients on the page, never on the length of anyone's history.
Rows that time has made stale are recomputed first (tracker.services.refresh_stale). Each row
names the patient with their date of birth, age and NHS number (clinic.identity), and says
whether they logged anything since this clinician last opened their log (clinic.looks), read
from the same query.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.paginator import Page, Paginator
from django.db.models import F, Q

from accounts.models import User, normalise_nhs_number
from clinic import looks
from clinic.access import accepted_patient_ids
from clinic.identity import PatientIdentity, identity_of
from tracker import dates, presenter, services
from tracker.assessment import Assessment, Kind, Urgency
from tracker.models import PatientStatus

QUEUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueRow:
    """One patient on the queue, with the reasons worded for the clinician."""

    patient: User
    identity: PatientIdentity
    urgency: Urgency
    label: str
    reasons: list[str]
    last_logged_at: datetime.datetime | None
    # Whether the reasons include red-flag answers: the page that shows them is audited.
    shows_red_flags: bool
    # The clinician's last view of this patient's log (clinic.looks), and whether the patient
    # logged anything after it.
    last_look: datetime.datetime | None = None

    @property
    def new_since_look(self) -> bool:
        return (
            self.last_look is not None
            and self.last_logged_at is not None
            and self.last_logged_at > self.last_look
        )


def _matching(search: str, prefix: str = "") -> Q:
    found = (
        Q(**{f"{prefix}username__icontains": search})
        | Q(**{f"{prefix}first_name__icontains": search})
        | Q(**{f"{prefix}last_name__icontains": search})
    )
    # An NHS number is read out and printed in groups ("943 476 5919"); it is stored as digits.
    digits = normalise_nhs_number(search)
    if digits.isascii() and digits.isdigit():
        found |= Q(**{f"{prefix}nhs_number__contains": digits})
    return found


def queue_page(
    *,
    clinician: User,
    now: datetime.datetime,
    search: str = "",
    urgency: Urgency | None = None,
    page_number: str | int | None = 1,
) -> Page:
    """Return one page of the clinician's queue, most urgent first, as QueueRows."""
    shared = accepted_patient_ids(clinician=clinician)
    patients = User.objects.filter(pk__in=shared)
    statuses = PatientStatus.objects.filter(patient_id__in=shared)
    if search:
        patients = patients.filter(_matching(search))
        statuses = statuses.filter(_matching(search, "patient__"))
    if urgency is not None:
        statuses = statuses.filter(urgency=urgency)
    services.refresh_stale(services.stale_patients(queryset=patients, now=now), now=now)
    statuses = (
        statuses.select_related("patient")
        .annotate(last_look=looks.last_look_subquery(clinician=clinician))
        .order_by("-urgency", F("last_logged_at").desc(nulls_last=True), "patient_id")
    )
    page = Paginator(statuses, QUEUE_PAGE_SIZE).get_page(page_number)
    zone = clinician.zone
    # Ages as on the clinician's own calendar, like every date on the page.
    today = dates.local_day(now, zone)
    page.object_list = [
        row_for(status, viewer_zone=zone, today=today) for status in page.object_list
    ]
    return page


def row_for(status: PatientStatus, *, viewer_zone: ZoneInfo, today: datetime.date) -> QueueRow:
    assessment: Assessment = status.assessment
    return QueueRow(
        patient=status.patient,
        identity=identity_of(status.patient, today=today),
        urgency=assessment.urgency,
        label=presenter.urgency_label(assessment.urgency),
        reasons=presenter.clinician_lines(assessment, viewer_zone=viewer_zone),
        last_logged_at=status.last_logged_at,
        shows_red_flags=any(reason.kind == Kind.RED_FLAG for reason in assessment.reasons),
        last_look=getattr(status, "last_look", None),
    )
