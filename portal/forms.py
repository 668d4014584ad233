from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import User, time_zone_names


class TimeZoneInput(forms.TextInput):
    """A text box with the IANA zones as suggestions, so the list can be searched by typing."""

    template_name = "includes/time_zone_input.html"

    def get_context(self, name: str, value: object, attrs: dict | None) -> dict:
        context = super().get_context(name, value, attrs)
        context["widget"]["zones"] = time_zone_names()
        context["widget"]["attrs"]["list"] = f"{context['widget']['attrs']['id']}_zones"
        return context


class SignUpForm(UserCreationForm):
    """Create a patient account. Roles are never chosen here: staff assign them."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "first_name", "time_zone")
        labels = {"first_name": _("What should we call you? (optional)")}
        widgets = {"time_zone": TimeZoneInput(attrs={"autocomplete": "off"})}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = _("Only used to reset your password.")


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("first_name", "last_name", "email", "time_zone")
        widgets = {"time_zone": TimeZoneInput(attrs={"autocomplete": "off"})}
