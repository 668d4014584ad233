"""Sharing a log with a clinician, and what clinicians do with it: notes, acknowledgements, audit.

A clinician sees a patient only through an active Share; clinic.access is the one place that
checks it.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Letters and digits that cannot be mistaken for each other when read out or copied.
SHARE_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
SHARE_CODE_LENGTH = 8
# Bump when the consent text in templates/clinic/consent_text.html changes.
CONSENT_VERSION = "2026-11"


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


class Share(models.Model):
    """A patient's consent for one clinician to see their log, until they revoke it."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shares_given"
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="shares_received",
        db_index=False,  # the (clinician, revoked_at) index serves it
    )
    consent_version = models.CharField(_("consent version"), max_length=20)
    consented_at = models.DateTimeField(_("agreed"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("stopped"), null=True, blank=True)

    class Meta:
        ordering = ["-consented_at"]
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        constraints = [
            # At most one active share per pair; revoked ones stay as the record of consent.
            models.UniqueConstraint(
                fields=["patient", "clinician"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_share_per_pair",
            ),
            models.CheckConstraint(
                condition=~Q(patient=models.F("clinician")), name="share_not_with_oneself"
            ),
        ]
        indexes = [models.Index(fields=["clinician", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.patient} shares with {self.clinician}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


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
        indexes = [models.Index(fields=["patient", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} {self.patient_id} at {self.created_at}"
