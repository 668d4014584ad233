"""What the portal sends people: every e-mail and push notification, recorded before it goes.

A Delivery row is written in the transaction of whatever asked for it and sent by the worker
(notifications.tasks); the row says what happened, for staff in the admin. Its key, the unique
(recipient, kind, channel, local_date, window), is what makes a retry, a second scheduler or two
concurrent passes send a scheduled message once: the second insert is refused by the database.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Delivery(models.Model):
    class Kind(models.TextChoices):
        # Sign-up and reset codes, notices of account changes (allauth, portal.adapter).
        ACCOUNT = "account", _("account e-mail")
        REMINDER = "reminder", _("daily reminder")
        DIGEST = "digest", _("weekly summary")
        CLINICIAN_NOTICE = "clinician_notice", _("notice to a clinician")
        CLINICIAN_MESSAGE = "clinician_message", _("notice of a clinician's message")

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        PUSH = "push", _("notification on a device")

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting to be sent")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        # Nothing to send to any more: no address, no device, or the person turned it off.
        DROPPED = "dropped", _("not sent")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # The recipient's local day the message belongs to (a reminder's day), part of the key.
    local_date = models.DateField(_("local day"))
    # For a kind sent more than once a day (a clinician's notice: one per quarter hour at most),
    # which part of the day; 0 for once-a-day kinds. Null for an account e-mail: each is its own
    # message, asked for by the person, and never collides with another.
    window = models.PositiveSmallIntegerField(_("window"), null=True, blank=True)
    to = models.EmailField(_("to"), blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    # Emptied once sent: an account e-mail's body holds a code nobody should read later.
    body = models.TextField(_("body"), blank=True)
    from_email = models.CharField(_("from"), max_length=300, blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)
    # Not before this moment: a failed attempt waits, longer each time (services.backoff).
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "channel", "local_date", "window"],
                name="one_delivery_per_key",
            ),
            models.CheckConstraint(
                condition=~Q(channel="email") | ~Q(to=""), name="email_delivery_has_address"
            ),
        ]
        indexes = [
            # The sweep's question: what is waiting, and since when.
            models.Index(fields=["status", "next_attempt_at"], name="delivery_status_next"),
            models.Index(fields=["recipient", "kind"], name="delivery_recipient_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_channel_display()}) {self.local_date}"


class PushSubscription(models.Model):
    """A browser or installed app that agreed to show this person's notifications (Web Push)."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="push_subscriptions",
    )
    endpoint = models.URLField(_("push service address"), max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("device for notifications")
        verbose_name_plural = _("devices for notifications")

    def __str__(self) -> str:
        return f"Device {self.pk} of {self.person_id}"

    def as_webpush(self) -> dict[str, object]:
        """Return the subscription in the shape pywebpush takes."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}
