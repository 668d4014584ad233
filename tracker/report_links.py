"""Read-only links to a patient's report, for someone not on the portal (their GP).

The address carries a random secret (`secrets.token_urlsafe(32)`, 256 bits); the database keeps
only its SHA-256, so a copy of the table opens nothing. A link shows the period chosen when it
was made, for LINK_DAYS days, until the patient revokes it; each opening is recorded for the
patient to see. An unknown, expired or revoked secret looks the same to whoever tries it.
"""

import datetime
import hashlib
import secrets

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet

from accounts.models import User
from tracker.models import ReportLink, ReportLinkOpening

LINK_DAYS = 7
# Links that work at once, per patient: enough for a GP, a physiotherapist and a spare.
MAX_ACTIVE_LINKS = 5


class Opened:
    PAGE = "page"
    PDF = "pdf"


class TooManyLinks(Exception):
    """The patient already has as many working links as allowed."""

    def __init__(self, *, limit: int) -> None:
        super().__init__(f"at most {limit} working links")
        self.limit = limit


def hash_token(token: str) -> str:
    """Return the SHA-256 (hex) of a link's secret, as stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def working(now: datetime.datetime) -> Q:
    """Match links that open: not revoked, not expired."""
    return Q(revoked_at__isnull=True, expires_at__gt=now)


def create_link(
    *, patient: User, since: datetime.date, until: datetime.date, now: datetime.datetime
) -> tuple[ReportLink, str]:
    """Make a link to the report of a period; return it and its secret (shown once).

    Raises TooManyLinks when the patient already has MAX_ACTIVE_LINKS working links.
    """
    with transaction.atomic():
        # One patient's creations queue behind each other, so the limit holds under a race.
        User.objects.select_for_update().filter(pk=patient.pk).first()
        active = ReportLink.objects.filter(working(now), patient=patient).count()
        if active >= MAX_ACTIVE_LINKS:
            raise TooManyLinks(limit=MAX_ACTIVE_LINKS)
        token = secrets.token_urlsafe(32)
        link = ReportLink.objects.create(
            patient=patient,
            token_hash=hash_token(token),
            since=since,
            until=until,
            created_at=now,
            expires_at=now + datetime.timedelta(days=LINK_DAYS),
        )
    return link, token


def revoke_link(*, link: ReportLink, now: datetime.datetime) -> bool:
    """Stop a link from opening; return False when it was already revoked (nothing changes)."""
    changed = ReportLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=now)
    return bool(changed)


def open_link(*, token: str, what: str, now: datetime.datetime) -> ReportLink | None:
    """Return the working link with this secret, recording the opening; None for any other."""
    link = (
        ReportLink.objects.filter(working(now), token_hash=hash_token(token))
        .select_related("patient")
        .first()
    )
    if link is None:
        return None
    ReportLinkOpening.objects.create(link=link, opened_at=now, what=what)
    return link


def links_of(patient: User) -> QuerySet[ReportLink]:
    """Return the patient's links, newest first, each with its openings (newest first)."""
    return ReportLink.objects.filter(patient=patient).prefetch_related(
        Prefetch(
            "openings",
            queryset=ReportLinkOpening.objects.order_by("-opened_at", "-id"),
        )
    )
