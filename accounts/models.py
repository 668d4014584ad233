import zoneinfo
from functools import cache

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
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


class User(AbstractUser):
    """A person who signs in: a patient by default; staff make clinicians and editors."""

    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text=_("Every “day” in your tracker is a day in this time zone."),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        # The model moved here from the portal app; its table (and the tables of its groups and
        # permissions) kept the name, so existing databases needed no change.
        db_table = "portal_user"

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """Return the person's time zone as a ZoneInfo (UTC if the name is not one this machine
        knows, so that no page breaks on it; the form refuses such a name)."""
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            return zoneinfo.ZoneInfo("UTC")
