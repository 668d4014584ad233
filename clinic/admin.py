from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.health_admin import HealthDataAdminMixin
from clinic.models import SHARE_REQUEST_LIFETIME, AuditEvent, ClinicianProfile, Share


class StateNowFilter(admin.SimpleListFilter):
    """Filter shares by their state now: a request past its 14 days is expired, even while
    its row still says pending (nothing needs to write it; Share.state reads it so)."""

    title = _("state now")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return list(Share.Status.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Share]) -> QuerySet[Share]:
        value = self.value()
        if not value:
            return queryset
        lapsed = Q(
            status=Share.Status.PENDING, consented_at__lte=timezone.now() - SHARE_REQUEST_LIFETIME
        )
        if value == Share.Status.PENDING:
            return queryset.filter(status=value).exclude(lapsed)
        if value == Share.Status.EXPIRED:
            return queryset.filter(Q(status=value) | lapsed)
        return queryset.filter(status=value)


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
    list_display = ("patient", "clinician", "state_now", "consented_at", "decided_at", "revoked_at")
    list_filter = (StateNowFilter, "consent_version")
    search_fields = ("patient__username", "clinician__username", "clinician__email")
    list_select_related = ("patient", "clinician")

    @admin.display(description=_("state now"), ordering="status")
    def state_now(self, share: Share) -> str:
        return Share.Status(share.state(now=timezone.now())).label


@admin.register(ClinicianProfile)
class ClinicianProfileAdmin(admin.ModelAdmin):
    """Staff set the name patients see for a clinician here (clinicians cannot change it)."""

    list_display = ("user", "display_name", "share_code", "code_expires_at")
    search_fields = ("user__username", "user__email", "display_name")
    list_select_related = ("user",)
    readonly_fields = ("share_code",)
