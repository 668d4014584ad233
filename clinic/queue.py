"""Which of a clinician's patients need attention, and why, most urgent first.

The queue reads each shared patient's stored assessment (tracker.models.PatientStatus): one
indexed query for a page, ordered by urgency, then by the patient's latest entry. Its cost
depends on the number of patients on the page, never on the length of anyone's history.
Rows that time has made stale are recomputed first (tracker.services.refresh_stale).
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.paginator import Page, Paginator
from django.db.models import F, Q, QuerySet

from accounts.models import User
from tracker import presenter, services
from tracker.assessment import Assessment, Urgency
from tracker.models import PatientStatus

QUEUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueRow:
    """One patient on the queue, with the reasons worded for the clinician."""

    patient: User
    urgency: Urgency
    label: str
    reasons: list[str]
    last_logged_at: datetime.datetime | None


def shared_patients(*, clinician: User, search: str = "") -> QuerySet[User]:
    """Return the patients who share their log with this clinician now, optionally matching a
    name or username."""
    patients = User.objects.filter(
        shares_given__clinician=clinician, shares_given__revoked_at__isnull=True
    )
    if search:
        patients = patients.filter(
            Q(username__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
        )
    return patients


def queue_page(
    *,
    clinician: User,
    now: datetime.datetime,
    search: str = "",
    urgency: Urgency | None = None,
    page_number: str | int | None = 1,
) -> Page:
    """Return one page of the clinician's queue, most urgent first, as QueueRows."""
    patients = shared_patients(clinician=clinician, search=search)
    services.refresh_stale(services.stale_patients(queryset=patients, now=now), now=now)
    statuses = (
        PatientStatus.objects.filter(patient__in=patients)
        .select_related("patient")
        .order_by("-urgency", F("last_logged_at").desc(nulls_last=True), "patient_id")
    )
    if urgency is not None:
        statuses = statuses.filter(urgency=urgency)
    page = Paginator(statuses, QUEUE_PAGE_SIZE).get_page(page_number)
    zone = clinician.zone
    page.object_list = [row_for(status, viewer_zone=zone) for status in page.object_list]
    return page


def row_for(status: PatientStatus, *, viewer_zone: ZoneInfo) -> QueueRow:
    assessment: Assessment = status.assessment
    return QueueRow(
        patient=status.patient,
        urgency=assessment.urgency,
        label=presenter.urgency_label(assessment.urgency),
        reasons=presenter.clinician_lines(assessment, viewer_zone=viewer_zone),
        last_logged_at=status.last_logged_at,
    )
