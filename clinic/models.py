"""Sharing a log with a clinician, and what clinicians do with it: notes, acknowledgements, audit.

A patient asks to share (a pending Share); the clinician accepts or declines; a request nobody
answers expires. A clinician sees a patient only through an accepted Share; clinic.access is the
one place that checks it, and clinic.services the one place that changes a Share.
"""

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Letters and digits that cannot be mistaken for each other when read out or copied.
SHARE_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
SHARE_CODE_LENGTH = 8
# Bump when the consent text in templates/clinic/consent_text.html changes.
CONSENT_VERSION = "2026-11"
# A request the clinician has not answered lapses this long after it was made.
SHARE_REQUEST_LIFETIME = datetime.timedelta(days=14)


def new_share_code() -> str:
    """Return a random share code, like "K7PM-Q2XD" without the dash."""
    return "".join(secrets.choice(SHARE_CODE_ALPHABET) for _ in range(SHARE_CODE_LENGTH))


class ClinicianProfile(models.Model):
    """The share code a clinician gives patients. Staff create it when they approve a clinician."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinician_profile"
    )
    share_code = models.CharField(_("share code"), max_length=16, unique=True)
    code_expires_at = models.DateTimeField(_("share code expires"))
    # The name patients see (for example "Dr Casey Jones, physiotherapist"); set by staff when
    # they approve the clinician, never by the clinician. Empty: the account's full name.
    display_name = models.CharField(_("name shown to patients"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("clinician profile")
        verbose_name_plural = _("clinician profiles")

    def __str__(self) -> str:
        return f"Clinician profile of {self.user}"

    @property
    def display_code(self) -> str:
        """Return the code in two halves, easier to read out."""
        half = len(self.share_code) // 2
        return f"{self.share_code[:half]}-{self.share_code[half:]}"


class ShareQuerySet(models.QuerySet["Share"]):
    def accepted(self) -> "ShareQuerySet":
        """Return the shares that let a clinician see the patient's log now."""
        return self.filter(status=Share.Status.ACCEPTED)

    def waiting(self, *, now: datetime.datetime) -> "ShareQuerySet":
        """Return the requests still waiting for the clinician's answer at `now`."""
        return self.filter(
            status=Share.Status.PENDING, consented_at__gt=now - SHARE_REQUEST_LIFETIME
        )


class Share(models.Model):
    """A patient's consent for one clinician to see their log: asked for, then accepted or
    declined by the clinician (or left to expire), and stopped by the patient at any time.

    A pending request past its expiry stays PENDING in the table until something writes it
    (clinic.services); its state is always read with `state(now=...)`.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        # The patient took back a request before the clinician answered it.
        WITHDRAWN = "withdrawn", _("Withdrawn")
        # The patient stopped an accepted share.
        STOPPED = "stopped", _("Stopped")

    OPEN = (Status.PENDING, Status.ACCEPTED)

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shares_given"
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="shares_received",
        db_index=False,  # the (clinician, status, consented_at) index serves it
    )
    status = models.CharField(
        _("state"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    consent_version = models.CharField(_("consent version"), max_length=20)
    # When the patient agreed to the consent text and asked; the request expires from here.
    consented_at = models.DateTimeField(_("asked"), default=timezone.now)
    # When the clinician accepted or declined.
    decided_at = models.DateTimeField(_("answered"), null=True, blank=True)
    # When the patient stopped the share or withdrew the request.
    revoked_at = models.DateTimeField(_("stopped"), null=True, blank=True)

    objects = ShareQuerySet.as_manager()

    class Meta:
        ordering = ["-consented_at"]
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        constraints = [
            # At most one open request or share per pair; the others stay as the record.
            models.UniqueConstraint(
                fields=["patient", "clinician"],
                condition=Q(status__in=["pending", "accepted"]),
                name="one_open_share_per_pair",
            ),
            models.CheckConstraint(
                condition=~Q(patient=models.F("clinician")), name="share_not_with_oneself"
            ),
            # Each state carries exactly the times its transitions wrote.
            models.CheckConstraint(
                condition=(
                    Q(
                        status__in=["pending", "expired"],
                        decided_at__isnull=True,
                        revoked_at__isnull=True,
                    )
                    | Q(
                        status__in=["accepted", "declined"],
                        decided_at__isnull=False,
                        revoked_at__isnull=True,
                    )
                    | Q(status="withdrawn", decided_at__isnull=True, revoked_at__isnull=False)
                    | Q(status="stopped", decided_at__isnull=False, revoked_at__isnull=False)
                ),
                name="share_times_match_state",
            ),
        ]
        indexes = [models.Index(fields=["clinician", "status", "consented_at"])]

    def __str__(self) -> str:
        return f"{self.patient} shares with {self.clinician} ({self.status})"

    @property
    def expires_at(self) -> datetime.datetime:
        """Return when the request lapses if the clinician has not answered it."""
        return self.consented_at + SHARE_REQUEST_LIFETIME

    def state(self, *, now: datetime.datetime) -> str:
        """Return the status at `now`: a pending request is expired from `expires_at` on."""
        if self.status == self.Status.PENDING and now >= self.expires_at:
            return self.Status.EXPIRED
        return self.status

    @property
    def is_active(self) -> bool:
        """Say whether the clinician may see the patient's log (only an accepted share)."""
        return self.status == self.Status.ACCEPTED


class ClinicianNote(models.Model):
    """A note on a patient, seen by the clinicians the patient shares with (not the patient)."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinician_notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(_("note"), max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("clinician note")
        verbose_name_plural = _("clinician notes")

    def __str__(self) -> str:
        return f"Note on {self.patient} by {self.author}"


class AuditEvent(models.Model):
    """Someone other than the patient looked at or exported the patient's data."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed your log")
        NOTE = "note", _("Added a note")
        ACKNOWLEDGE = "acknowledge", _("Marked a flag as seen")
        SUMMARY = "summary", _("Opened your printable summary")
        EXPORT_CSV = "export_csv", _("Downloaded your log as CSV")
        EXPORT_FHIR = "export_fhir", _("Downloaded your log as FHIR")
        LIST = "list", _("Saw your red-flag answers in their patient list")
        ACCEPT = "accept", _("Accepted your request to share your log")
        DECLINE = "decline", _("Declined your request to share your log")
        MESSAGE = "message", _("Sent you a message")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Kept as text as well, so the record still says who it was if that account is deleted.
    actor_name = models.CharField(max_length=300)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="audit_events",
        db_index=False,
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["patient", "-created_at"]),
            # A clinician's last look at each patient (clinic.looks): their views only, so the
            # queue's subquery reads one row per patient however many list rows pile up.
            models.Index(
                fields=["actor", "patient", "-created_at"],
                condition=Q(action="view"),
                name="audit_views_by_actor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} {self.patient_id} at {self.created_at}"


class NoticeSettings(models.Model):
    """A clinician's e-mail notices of patients whose status rose (clinic.notices): on unless
    they turn it off, and at most one every NOTICE_GAP."""

    clinician = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notice_settings",
    )
    by_email = models.BooleanField(
        _("E-mail me when a patient who shares with me needs attention"), default=True
    )
    # The latest rise the last notice covered: later rises call for another notice.
    covered_until = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(_("last notice"), null=True, blank=True)

    class Meta:
        verbose_name = _("clinician's notice settings")
        verbose_name_plural = _("clinicians' notice settings")

    def __str__(self) -> str:
        return f"Notices of {self.clinician_id}"


class ClinicianMessage(models.Model):
    """A short message from a clinician to a patient who shares with them, shown on the
    patient's dashboard; the e-mail notice of it carries no health detail."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="clinician_messages",
        db_index=False,
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Kept as text as well, so the patient still sees who wrote if that account is deleted.
    clinician_name = models.CharField(max_length=300)
    text = models.TextField(_("message"), max_length=1000)
    created_at = models.DateTimeField(_("sent"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # The form's one-time key: a double tap or a retry sends one message.
    key = models.UUIDField(unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("message to a patient")
        verbose_name_plural = _("messages to patients")
        indexes = [models.Index(fields=["patient", "-created_at"])]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="message_not_empty")]

    def __str__(self) -> str:
        return f"Message to {self.patient_id} from {self.clinician_name}"
