from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import ConsentField, DateOfBirthField, NHSNumberField, documents_help_text
from accounts.models import Consent, User, default_time_zone, time_zone_names, validate_time_zone
from accounts.services import record_consents


class TimeZoneInput(forms.TextInput):
    """A text box with the IANA zones as suggestions, so the list can be searched by typing."""

    template_name = "includes/time_zone_input.html"

    def get_context(self, name: str, value: object, attrs: dict | None) -> dict:
        context = super().get_context(name, value, attrs)
        context["widget"]["zones"] = time_zone_names()
        context["widget"]["attrs"]["list"] = f"{context['widget']['attrs']['id']}_zones"
        return context


LOGIN_MAX_LENGTH = 254


class LoginForm(AllauthLoginForm):
    """allauth's login in the portal's words; the page itself links to the password reset."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = _("Username or e-mail address")
        # No username or address is longer; a far longer one (typed or scripted) would reach
        # the database as a pattern SQLite refuses ("LIKE or GLOB pattern too complex").
        login.max_length = LOGIN_MAX_LENGTH
        login.validators.append(MaxLengthValidator(LOGIN_MAX_LENGTH))
        login.widget.attrs["maxlength"] = str(LOGIN_MAX_LENGTH)
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)
        self.fields["password"].help_text = ""


class SignUpForm(AllauthSignupForm):
    """Create a patient account (django-allauth's sign-up with the portal's fields).

    Roles are never chosen here: staff assign them. The address must be verified with a code
    before the account can be used (settings: ACCOUNT_EMAIL_VERIFICATION).
    """

    first_name = forms.CharField(
        label=_("What should we call you? (optional)"), max_length=150, required=False
    )
    date_of_birth = DateOfBirthField()
    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        initial=default_time_zone,
        validators=[validate_time_zone],
        widget=TimeZoneInput(attrs={"autocomplete": "off"}),
        help_text=_("Every “day” in your tracker is a day in this time zone."),
    )
    field_order = [
        "email",
        "username",
        "first_name",
        "date_of_birth",
        "time_zone",
        "password1",
        "password2",
        "health_data",
        "terms",
    ]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = _(
            "We send a code to this address to check it is yours, and use it for password resets."
        )
        # Built here, not at import: the links are reversed and the text translated per request.
        self.fields["health_data"] = ConsentField(Consent.Kind.HEALTH_DATA)
        self.fields["health_data"].help_text = documents_help_text()
        self.fields["terms"] = ConsentField(Consent.Kind.TERMS)

    def save(self, request: HttpRequest) -> User:
        """Create the account and record both agreements, all or nothing."""
        with transaction.atomic():
            user = super().save(request)
            record_consents(
                user=user,
                kinds=(Consent.Kind.HEALTH_DATA, Consent.Kind.TERMS),
                now=timezone.now(),
            )
        return user


class ProfileForm(forms.ModelForm):
    """A person's own details. The e-mail address changes through its own page (verified,
    with the password); a clinician's name is the one staff approved, so not here either."""

    class Meta:
        model = User
        fields = ("first_name", "last_name", "date_of_birth", "nhs_number", "time_zone")
        field_classes = {"date_of_birth": DateOfBirthField, "nhs_number": NHSNumberField}
        widgets = {"time_zone": TimeZoneInput(attrs={"autocomplete": "off"})}

    def __init__(self, *args: object, clinician: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if clinician:
            for name in ("first_name", "last_name", "date_of_birth", "nhs_number"):
                del self.fields[name]
