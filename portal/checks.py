"""Refuse to serve in production with settings that would leak or lose e-mail, or break links."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.http.request import validate_host

# Backends that write each message, reset and verification codes included, where logs go.
PRINTING_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def mail_problem() -> str | None:
    """Say what is wrong with the e-mail settings for production, or None.

    E-mail carries sign-up and password-reset codes. With DEBUG off, a backend that prints
    messages would put live codes in the logs, and SMTP without a host would lose them.
    """
    if settings.DEBUG:
        return None
    if settings.EMAIL_BACKEND in PRINTING_BACKENDS:
        return (
            f"{settings.EMAIL_BACKEND} writes e-mails, with their codes, to the logs; production "
            "must send them: set EMAIL_HOST."
        )
    if settings.EMAIL_BACKEND == SMTP_BACKEND and not settings.EMAIL_HOST:
        return (
            "EMAIL_HOST is not set: verification and password-reset e-mails could not be sent. "
            "Set EMAIL_HOST (and EMAIL_HOST_USER, EMAIL_HOST_PASSWORD) to the mail server."
        )
    return None


def refuse_to_start_without_mail() -> None:
    """Called by portal/wsgi.py: the server does not start with unusable e-mail settings."""
    problem = mail_problem()
    if problem:
        raise ImproperlyConfigured(problem)


@register(Tags.security, deploy=True)
def check_mail(**kwargs: object) -> list[CheckMessage]:
    problem = mail_problem()
    return [Error(problem, id="portal.E001")] if problem else []


@register(Tags.security, deploy=True)
def check_shared_cache(**kwargs: object) -> list[CheckMessage]:
    """Rate limits count in the cache: a cache per process lets each worker count apart."""
    if settings.REDIS_URL:
        return []
    return [
        Warning(
            "REDIS_URL is not set: each server process counts rate limits (logins, sign-ups, "
            "resets, share requests) on its own, so the real limit is that many times higher.",
            id="portal.W002",
        )
    ]


@register(deploy=True)
def check_broker(**kwargs: object) -> list[CheckMessage]:
    """Every e-mail goes through the worker: without a broker none is ever handed to it.

    An error for the deployment check only, not a refusal to start (as for e-mail): the pages
    still work and nothing is lost, since the messages wait in the outbox until a broker is
    set and the sweep hands them over.
    """
    if settings.DEBUG or settings.CELERY_BROKER_URL:
        return []
    return [
        Error(
            "No broker for the background worker (CELERY_BROKER_URL, or REDIS_URL): sign-up "
            "codes, resets, reminders and notices would wait in the outbox for ever. Set "
            "REDIS_URL or CELERY_BROKER_URL and run the worker and the scheduler "
            "(docs/deploy.md).",
            id="portal.E002",
        )
    ]


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def site_url_problem() -> str | None:
    """Say why links in e-mails would not reach the site, or None."""
    parts = urlsplit(settings.PORTAL_SITE_URL)
    host = parts.hostname or ""
    if parts.scheme not in {"http", "https"} or not host:
        return f"PORTAL_SITE_URL ({settings.PORTAL_SITE_URL!r}) is not an absolute address."
    if _is_loopback(host):
        return (
            f"PORTAL_SITE_URL is {settings.PORTAL_SITE_URL}, this machine: links in e-mails "
            "would point at the reader's own device."
        )
    if not validate_host(host, settings.ALLOWED_HOSTS):
        return (
            f"PORTAL_SITE_URL's host {host} is not in DJANGO_ALLOWED_HOSTS: links in e-mails "
            "would be refused (400)."
        )
    return None


@register(deploy=True)
def check_site_url(**kwargs: object) -> list[CheckMessage]:
    """Reminders and notices carry links built from PORTAL_SITE_URL (the worker has no request).

    An error, not a warning: among those links is the one that stops the messages, and a
    person must be able to stop them from the message itself.
    """
    if settings.DEBUG:
        return []
    problem = site_url_problem()
    if not problem:
        return []
    return [
        Error(
            f"{problem} Set PORTAL_SITE_URL to the public address, e.g. https://portal.example.org.",
            id="portal.E003",
        )
    ]


def replica_problems() -> list[str]:
    """Say what makes the read replica's settings unsafe (portal/replica.py), if anything."""
    if not settings.DATABASE_REPLICA_URL:
        return []
    problems = []
    for alias in ("default", "replica"):
        if settings.DATABASES[alias]["ENGINE"] != "django.db.backends.postgresql":
            problems.append(f"A read replica needs PostgreSQL: the {alias} database is not.")
    pin = settings.DATABASE_REPLICA_PIN_SECONDS
    behind = settings.DATABASE_REPLICA_MAX_LAG + settings.DATABASE_REPLICA_CHECK_SECONDS
    if pin < behind:
        problems.append(
            f"DATABASE_REPLICA_PIN_SECONDS ({pin}) is shorter than DATABASE_REPLICA_MAX_LAG plus "
            f"DATABASE_REPLICA_CHECK_SECONDS ({behind}): a person could miss what they just wrote."
        )
    if settings.DATABASE_REPLICA_CHECK_SECONDS < 1 or settings.DATABASE_REPLICA_MAX_LAG < 0:
        problems.append(
            "DATABASE_REPLICA_CHECK_SECONDS must be 1 or more, DATABASE_REPLICA_MAX_LAG 0 or more."
        )
    return problems


@register
def check_replica(**kwargs: object) -> list[CheckMessage]:
    return [Error(problem, id="portal.E004") for problem in replica_problems()]
