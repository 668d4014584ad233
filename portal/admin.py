from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from clinic.access import approve_clinician


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "time_zone")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Portal"), {"fields": ("time_zone",)}),
    )
    actions = ["approve_as_clinician"]

    @admin.action(description=_("Approve as clinicians (adds them to the Clinicians group)"))
    def approve_as_clinician(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            approve_clinician(user=user)
        self.message_user(
            request,
            _("%(count)d clinician(s) approved, each with a share code.")
            % {"count": len(queryset)},
            messages.SUCCESS,
        )
