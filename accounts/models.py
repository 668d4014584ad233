import datetime
import zoneinfo
from functools import cache

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


@cache
def time_zone_names() -> tuple[str, ...]:
    """Return the IANA time zone names this machine knows, sorted for a picker."""
    return tuple(sorted(zoneinfo.available_timezones() - {"localtime", "Factory"}))


def validate_time_zone(value: str) -> None:
    """Reject anything that is not a known IANA time zone name."""
    if value not in time_zone_names():
        raise ValidationError(
            _(
                "“%(value)s” is not a time zone we know. Pick one from the list, "
                "for example Europe/London."
            ),
            params={"value": value},
            code="unknown_time_zone",
        )


def default_time_zone() -> str:
    """Return the zone a new account starts with."""
    return settings.PORTAL_DEFAULT_TIME_ZONE


def normalise_nhs_number(value: str) -> str:
    """Return an NHS number as its ten digits, without the spaces or dashes people type."""
    return "".join(value.split()).replace("-", "")


def nhs_number_is_valid(digits: str) -> bool:
    """Say whether ten digits make a valid NHS number (the modulus 11 check digit).

    The first nine digits are weighted 10 down to 2; eleven minus the remainder of their sum
    by eleven is the check digit, 11 counting as 0; a result of 10 is never a valid number.
    """
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return False
    total = sum(
        int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True)
    )
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def validate_nhs_number(value: str) -> None:
    """Refuse anything but a valid ten-digit NHS number (stored without spaces)."""
    if not nhs_number_is_valid(normalise_nhs_number(value)):
        raise ValidationError(
            _(
                "This is not a valid NHS number. It has 10 digits, like 943 476 5919: "
                "check it against a letter from your GP or the NHS App, or leave it empty."
            ),
            code="invalid_nhs_number",
        )


# Nobody alive was born longer ago than this; an earlier date is a typing slip.
OLDEST_AGE_YEARS = 120


def validate_date_of_birth(value: datetime.date) -> None:
    """Refuse a date of birth in the future or in a year more than 120 years back.

    "Today" is the latest date anywhere on Earth (UTC+14), so a baby born today in Auckland
    is not refused by a server in London.
    """
    today = (timezone.now() + datetime.timedelta(hours=14)).date()
    if value > today:
        raise ValidationError(
            _("Your date of birth cannot be in the future."), code="future_date_of_birth"
        )
    if value.year < today.year - OLDEST_AGE_YEARS:
        raise ValidationError(
            _("Please check the year: that is more than %(years)d years ago.")
            % {"years": OLDEST_AGE_YEARS},
            code="old_date_of_birth",
        )


def age_on(date_of_birth: datetime.date, day: datetime.date) -> int:
    """Return a person's age in whole years on a day (born on 29 February: a year older on
    1 March in other years)."""
    birthday_to_come = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - birthday_to_come


class User(AbstractUser):
    """A person who signs in: a patient by default; staff make clinicians and editors."""

    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text=_("Every “day” in your tracker is a day in this time zone."),
    )
    # Identity, so that a clinician can tell two patients apart (issue 17). Patients give a date
    # of birth when they sign up; an NHS number is optional. Clinicians and staff need neither.
    date_of_birth = models.DateField(
        _("date of birth"), null=True, blank=True, validators=[validate_date_of_birth]
    )
    nhs_number = models.CharField(
        _("NHS number (optional)"),
        max_length=10,
        blank=True,
        validators=[validate_nhs_number],
        help_text=_("10 digits, on letters from your GP or in the NHS App."),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        # The model moved here from the portal app; its table (and the tables of its groups and
        # permissions) kept the name, so existing databases needed no change.
        db_table = "portal_user"
        constraints = [
            # One account per e-mail address, whatever its case: "Casey@x.org" and "casey@x.org"
            # are one mailbox. Staff accounts made by createsuperuser may have none.
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="unique_email_ignoring_case"
            ),
        ]
        permissions = [
            (
                "view_health_data",
                _(
                    "Can see data derived from patients' health in the admin (shares, audit "
                    "records, sign-in records)"
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def age(self, *, today: datetime.date) -> int | None:
        """Return the person's age in whole years today, or None without a date of birth."""
        if self.date_of_birth is None:
            return None
        return age_on(self.date_of_birth, today)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """Return the person's time zone as a ZoneInfo (UTC if the name is not one this machine
        knows, so that no page breaks on it; the form refuses such a name)."""
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            return zoneinfo.ZoneInfo("UTC")


class Consent(models.Model):
    """A person agreed to one version of a text: the record UK GDPR asks a controller to keep
    of explicit consent (who, to what, which version, when). Written at sign-up and on the
    consent page (accounts.services.record_consents); deleted with the account."""

    class Kind(models.TextChoices):
        # A patient's explicit consent to the processing of their health data, as the privacy
        # notice of that version explains (UK GDPR Article 9(2)(a)).
        HEALTH_DATA = "health_data", _("Consent to the use of health information")
        # Clinicians and staff: read the privacy notice of that version (their data is not
        # processed on consent, so they are not asked for it).
        PRIVACY_NOTICE = "privacy_notice", _("Read the privacy notice")
        TERMS = "terms", _("Accepted the terms of use")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="consents",
        db_index=False,  # the unique constraint's index starts with the user
    )
    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)
    version = models.PositiveSmallIntegerField(_("version"))
    given_at = models.DateTimeField(_("given"))

    class Meta:
        ordering = ["-given_at", "-id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            # A double tap, or the same page open on two devices, records one agreement.
            models.UniqueConstraint(
                fields=["user", "kind", "version"], name="one_consent_per_version"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="consent_version_from_1"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} (version {self.version}) by {self.user_id}"
