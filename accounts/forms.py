"""Form fields for a person's identity, shared by sign-up, the profile and the share request."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import normalise_nhs_number, validate_date_of_birth, validate_nhs_number


class DateOfBirthInput(forms.DateInput):
    """The phone's own date picker; it sends the ISO date."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs={"autocomplete": "bday", **(attrs or {})}, format="%Y-%m-%d")


class DateOfBirthField(forms.DateField):
    widget = DateOfBirthInput
    default_validators = [validate_date_of_birth]
    default_error_messages = {"invalid": _("Enter a date, for example 21/03/1980.")}

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("label", _("Date of birth"))
        kwargs.setdefault(
            "help_text", _("So that a clinician you share with can tell you apart from others.")
        )
        super().__init__(**kwargs)


class NHSNumberField(forms.CharField):
    """An optional NHS number, typed with or without spaces, kept as its ten digits."""

    default_validators = [validate_nhs_number]

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("label", _("NHS number (optional)"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", _("10 digits, on letters from your GP or in the NHS App."))
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict:
        return {**super().widget_attrs(widget), "inputmode": "numeric", "autocomplete": "off"}

    def to_python(self, value: object) -> str:
        return normalise_nhs_number(super().to_python(value))
