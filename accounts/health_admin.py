"""Admin pages that show data derived from patients' health need a permission that says so.

Shares, audit records, clinicians' notes, sign-in records: staff who look after accounts or
articles need none of it. The model's own view or change permission is not enough; the account
also needs `accounts.view_health_data` (superusers have every permission).
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

VIEW_HEALTH_DATA = "accounts.view_health_data"


def may_see_health_data(request: HttpRequest) -> bool:
    """Say whether the signed-in account may see health-derived data in the admin."""
    return request.user.is_active and request.user.has_perm(VIEW_HEALTH_DATA)


class HealthDataAdminMixin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Hide a model admin from staff without `accounts.view_health_data`: absent from the admin
    index, and every page of it 403, whatever model permissions they hold. Put it first among
    the bases, before the ModelAdmin it gates."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_see_health_data(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_see_health_data(request) and super().has_view_permission(request, obj)

    # The admin lets the change permission show the list too, so every door is gated.
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_see_health_data(request) and super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_see_health_data(request) and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_see_health_data(request) and super().has_delete_permission(request, obj)
