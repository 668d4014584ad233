from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Portal accounts")

    def ready(self) -> None:
        from accounts.middleware import start_idle_clock

        post_migrate.connect(_ensure_role_groups, sender=self)
        user_logged_in.connect(start_idle_clock, dispatch_uid="portal-idle-clock")


def _ensure_role_groups(sender: AppConfig, using: str, **kwargs: object) -> None:
    from accounts.roles import ensure_role_groups

    ensure_role_groups(using)
