"""Deleting an account so that nothing of the person is left behind in the site's records, and
recording what a person agreed to."""

import datetime
from collections.abc import Iterable

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth import logout
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import ForeignKey, Max, OneToOneField, Q
from django.http import HttpRequest

from accounts.consent import document
from accounts.models import Consent, User


def admin_log_entries_about(user: User) -> "Q":
    """Match the admin's log rows about this person: their account, and every record shown in
    the admin that points at them (their shares, notes, audit rows, profiles...).

    The admin's own model list decides which records those are, so a model registered later is
    covered too. Rows the person wrote as staff go with their account (LogEntry.user cascades).
    """
    about = Q(content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk))
    for model in admin.site._registry:
        links = [
            field.name
            for field in model._meta.get_fields()
            if isinstance(field, ForeignKey | OneToOneField)
            and field.related_model is not None
            and field.related_model._meta.label == settings.AUTH_USER_MODEL
        ]
        if not links or model is User:
            continue
        matching = Q()
        for name in links:
            matching |= Q(**{name: user})
        ids = [
            str(pk) for pk in model._default_manager.filter(matching).values_list("pk", flat=True)
        ]
        if ids:
            about |= Q(content_type=ContentType.objects.get_for_model(model), object_id__in=ids)
    return about


def delete_account(*, request: HttpRequest, user: User) -> None:
    """Delete the account and everything that hangs on it, and end every session it has.

    The health data, shares, notes, audit rows, e-mail addresses, second factors and the list
    of sessions go with the account (foreign keys cascade). Here: every session of the person,
    on every device, is ended (not only this one), and the admin's log rows about them are
    deleted, since their text names the person.
    """
    with transaction.atomic():
        LogEntry.objects.filter(admin_log_entries_about(user)).delete()
        for session in UserSession.objects.filter(user=user):
            session.end()
        logout(request)
        user.delete()


def record_consents(*, user: User, kinds: Iterable[str], now: datetime.datetime) -> None:
    """Record that the person agreed to the current version of each kind of text, now.

    Agreeing twice to one version (a double tap, two devices) keeps the first record.
    """
    Consent.objects.bulk_create(
        [
            Consent(user=user, kind=kind, version=document(kind).version, given_at=now)
            for kind in kinds
        ],
        ignore_conflicts=True,
    )


def accepted_versions(*, user: User) -> dict[str, int]:
    """Return the newest version of each kind of text the person agreed to (one query)."""
    return dict(
        Consent.objects.filter(user=user)
        .values("kind")
        .annotate(newest=Max("version"))
        .values_list("kind", "newest")
    )
