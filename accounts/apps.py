from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Portal accounts")

    def ready(self) -> None:
        from allauth.mfa.signals import authenticator_removed

        from accounts import signals
        from accounts.middleware import (
            forget_second_factor,
            note_consents_at_login,
            remember_second_factor,
            start_idle_clock,
        )

        signals.connect()
        post_migrate.connect(_ensure_role_groups, sender=self)
        user_logged_in.connect(start_idle_clock, dispatch_uid="portal-idle-clock")
        user_logged_in.connect(remember_second_factor, dispatch_uid="portal-second-factor-login")
        user_logged_in.connect(note_consents_at_login, dispatch_uid="portal-consent-login")
        authenticator_removed.connect(forget_second_factor, dispatch_uid="portal-second-factor")


def _ensure_role_groups(sender: AppConfig, using: str, **kwargs: object) -> None:
    from accounts.roles import ensure_role_groups

    ensure_role_groups(using)
