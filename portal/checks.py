"""Refuse to serve in production with settings that would leak or lose e-mail."""

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

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
