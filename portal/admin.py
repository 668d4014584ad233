from allauth.mfa.admin import AuthenticatorAdmin
from allauth.mfa.models import Authenticator
from allauth.usersessions.admin import UserSessionAdmin
from allauth.usersessions.models import UserSession
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from accounts.health_admin import HealthDataAdminMixin
from accounts.models import User
from clinic.access import DISPLAY_NAME_LENGTH, approve_clinician

# allauth registers these two itself. Importing its admin modules (above) registers them now
# rather than at the admin's autodiscovery, which comes after this module and then finds them
# imported, so that they can be replaced by the same pages behind the health-data permission:
# sign-in addresses and second factors are not for every member of staff.
admin.site.unregister(UserSession)
admin.site.unregister(Authenticator)


@admin.register(UserSession)
class GatedUserSessionAdmin(HealthDataAdminMixin, UserSessionAdmin):
    """Each person's sign-ins, with their IP addresses and browsers."""


@admin.register(Authenticator)
class GatedAuthenticatorAdmin(HealthDataAdminMixin, AuthenticatorAdmin):
    """Each person's second factors (TOTP, passkeys, recovery codes)."""


class ApprovalForm(forms.Form):
    """The name patients will see for each clinician being approved, as staff confirm it."""

    def __init__(self, *args: object, users: QuerySet[User], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.users = list(users)
        for user in self.users:
            self.fields[self.field_name(user)] = forms.CharField(
                label=_("Name shown to patients for %(username)s") % {"username": user.username},
                max_length=DISPLAY_NAME_LENGTH,
                initial=user.get_full_name(),
                help_text=_("For example “Dr Casey Jones, physiotherapist”."),
            )

    @staticmethod
    def field_name(user: User) -> str:
        return f"display_name_{user.pk}"

    def names(self) -> list[tuple[User, str]]:
        """Return each user with the name staff confirmed (after is_valid())."""
        return [(user, self.cleaned_data[self.field_name(user)]) for user in self.users]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "time_zone")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Portal"), {"fields": ("time_zone", "date_of_birth", "nhs_number")}),
    )
    actions = ["approve_as_clinician"]

    # Approving a clinician changes what the account may see: the change permission, not view.
    @admin.action(
        description=_("Approve as clinicians (adds them to the Clinicians group)"),
        permissions=["change"],
    )
    def approve_as_clinician(
        self, request: HttpRequest, queryset: QuerySet[User]
    ) -> TemplateResponse | None:
        """Ask staff to confirm the name patients will see for each, then approve them.

        The first POST (from the user list) shows the names; the second approves, records an
        admin log entry per account, and returns to the list.
        """
        form = ApprovalForm(request.POST if "confirm" in request.POST else None, users=queryset)
        if form.is_bound and form.is_valid():
            for user, name in form.names():
                profile = approve_clinician(user=user, display_name=name)
                self.log_change(
                    request,
                    user,
                    f"Approved as a clinician, shown to patients as “{profile.display_name}”.",
                )
            self.message_user(
                request,
                _("%(count)d clinician(s) approved, each with a share code.")
                % {"count": len(form.users)},
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "admin/accounts/user/approve_clinicians.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Approve as clinicians"),
                "opts": self.model._meta,
                "form": form,
                "users": form.users,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )
