"""The privacy notice and the terms of use: their current versions, and who must agree to what.

The versions live here, in code, not in a setting: the texts they version are templates in this
repository (templates/portal/privacy.html and terms.html), so a new text and its new version
ship in the same commit and cannot drift apart on one server. Both pages show the version and
date they read from here.

Change a text that matters to people: raise its version, set the date, and say in `changes`
what changed. Everyone is asked again at their next page (accounts.middleware.ConsentMiddleware).
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Consent, User
from accounts.roles import is_clinician


@dataclass(frozen=True)
class Document:
    """One version of a text people agree to, with what changed since the version before."""

    version: int
    published: datetime.date
    changes: tuple[Promise, ...]


PRIVACY_NOTICE = Document(
    version=1,
    published=datetime.date(2026, 12, 5),
    changes=(_("This is the portal's first privacy notice."),),
)
TERMS = Document(
    version=1,
    published=datetime.date(2026, 12, 5),
    changes=(_("These are the portal's first terms of use."),),
)


def document(kind: str) -> Document:
    """Return the current version of the text a kind of consent refers to (read at call time,
    so a test that replaces PRIVACY_NOTICE or TERMS sees its own)."""
    return TERMS if kind == Consent.Kind.TERMS else PRIVACY_NOTICE


def required_kinds(user: User | AnonymousUser) -> tuple[str, ...]:
    """Name what a person must have agreed to, in its current version, to use the portal.

    A patient gives explicit consent to the processing of their health data (UK GDPR Article
    9(2)(a)) and accepts the terms. Clinicians and staff work here: their own data is handled to
    run the service, not on their consent, so they confirm they have read the privacy notice
    (which also tells them what is recorded about their work) and accept the terms, which set out
    clinicians' duties.
    """
    if user.is_staff or is_clinician(user):
        return (Consent.Kind.PRIVACY_NOTICE, Consent.Kind.TERMS)
    return (Consent.Kind.HEALTH_DATA, Consent.Kind.TERMS)


def current_versions(kinds: tuple[str, ...] | list[str]) -> dict[str, int]:
    """Return the current version each of these kinds of consent must reach."""
    return {kind: document(kind).version for kind in kinds}


def pending(*, kinds: tuple[str, ...] | list[str], accepted: dict[str, int]) -> list[str]:
    """Return the kinds whose current version is newer than the one the person agreed to."""
    return [kind for kind in kinds if accepted.get(kind, 0) < document(kind).version]
