from django.contrib import admin
from django.http import HttpRequest

from accounts.health_admin import HealthDataAdminMixin
from clinic.models import AuditEvent, ClinicianProfile, Share


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that are evidence: staff may read them, never add, change or delete them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(HealthDataAdminMixin, ReadOnlyAdmin):
    list_display = ("created_at", "actor_name", "action", "patient", "detail")
    list_filter = ("action",)
    search_fields = ("actor_name", "patient__username", "detail")
    list_select_related = ("patient",)
    date_hierarchy = "created_at"


@admin.register(Share)
class ShareAdmin(HealthDataAdminMixin, ReadOnlyAdmin):
    list_display = ("patient", "clinician", "status", "consented_at", "decided_at", "revoked_at")
    list_filter = ("status", "consent_version")
    search_fields = ("patient__username", "clinician__username", "clinician__email")
    list_select_related = ("patient", "clinician")


@admin.register(ClinicianProfile)
class ClinicianProfileAdmin(admin.ModelAdmin):
    """Staff set the name patients see for a clinician here (clinicians cannot change it)."""

    list_display = ("user", "display_name", "share_code", "code_expires_at")
    search_fields = ("user__username", "user__email", "display_name")
    list_select_related = ("user",)
    readonly_fields = ("share_code",)
