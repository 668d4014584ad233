"""Second factors made outside the set-up pages: for the demo accounts, the benchmark's and the
tests' clinicians. The one place that reaches into django-allauth's MFA internals (pinned in
requirements.txt); people set theirs up through allauth's own pages.
"""

import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from allauth.mfa.utils import decrypt, encrypt

from accounts.models import User


def give_totp(user: User, *, secret: str | None = None) -> str:
    """Give the user an authenticator-app factor, unless they have one; return its secret."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing is not None:
        return decrypt(existing.data["secret"])
    secret = secret or generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def new_totp_authenticator(user: User) -> Authenticator:
    """Return an unsaved authenticator-app factor with a new secret, for bulk_create."""
    return Authenticator(
        user=user, type=Authenticator.Type.TOTP, data={"secret": encrypt(generate_totp_secret())}
    )


def give_recovery_codes(user: User) -> list[str]:
    """Give the user recovery codes, unless they have some; return the unused ones."""
    existing = Authenticator.objects.filter(
        user=user, type=Authenticator.Type.RECOVERY_CODES
    ).first()
    codes = RecoveryCodes(existing) if existing else RecoveryCodes.activate(user)
    return codes.get_unused_codes()


def current_code(secret: str) -> str:
    """Return the code an authenticator app shows now for this secret (as allauth checks it)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))
