"""The record of what each person agreed to: evidence, so staff may read it and never edit it."""

from django.contrib import admin
from django.http import HttpRequest

from accounts.health_admin import HealthDataAdminMixin
from accounts.models import Consent


@admin.register(Consent)
class ConsentAdmin(HealthDataAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Who agreed to which version of the privacy notice and the terms, and when.

    Gated like the other health-derived pages: a patient's consent says they use a back-pain
    tracker. Read-only: a record of consent that staff could change would prove nothing.
    """

    list_display = ("given_at", "user", "kind", "version")
    list_filter = ("kind", "version")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
    date_hierarchy = "given_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
