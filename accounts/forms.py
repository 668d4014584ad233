"""Form fields for a person's identity, shared by sign-up, the profile and the share request;
and the tick boxes that ask a person to agree to the privacy notice and the terms."""

from django import forms
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    Consent,
    normalise_nhs_number,
    validate_date_of_birth,
    validate_nhs_number,
)


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


# What each tick box says, and what it says when left empty. Never ticked in advance.
CONSENT_LABELS: dict[str, Promise] = {
    Consent.Kind.HEALTH_DATA: _(
        "I agree that the portal may store and use my health information as the privacy "
        "notice explains"
    ),
    Consent.Kind.PRIVACY_NOTICE: _("I have read the privacy notice"),
    Consent.Kind.TERMS: _("I accept the terms of use"),
}
CONSENT_REFUSED: dict[str, Promise] = {
    Consent.Kind.HEALTH_DATA: _(
        "Please tick this box to go on. Your diary is health information, so the portal needs "
        "your agreement to keep it. Without an account you can still read every article and "
        "use Get help now."
    ),
    Consent.Kind.PRIVACY_NOTICE: _("Please tick this box to go on, once you have read the notice."),
    Consent.Kind.TERMS: _("Please tick this box to accept the terms of use and go on."),
}


def documents_help_text() -> SafeString:
    """Link the privacy notice and the terms; each opens in a new tab, so the form stays as
    typed (a phone's browser may reload a page one goes back to, and lose it)."""
    return format_html(
        gettext(
            'Read the <a href="{privacy}" target="_blank" rel="noopener">privacy notice</a> '
            'and the <a href="{terms}" target="_blank" rel="noopener">terms of use</a> (each '
            "opens in a new tab, so nothing you typed here is lost)."
        ),
        privacy=reverse("privacy"),
        terms=reverse("terms"),
    )


class ConsentField(forms.BooleanField):
    """A required tick box for one kind of agreement, with a message that says why."""

    widget = forms.CheckboxInput

    def __init__(self, kind: str, **kwargs: object) -> None:
        kwargs.setdefault("label", CONSENT_LABELS[kind])
        kwargs.setdefault("required", True)
        kwargs.setdefault("initial", False)
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.error_messages["required"] = str(CONSENT_REFUSED[kind])


class ConsentForm(forms.Form):
    """Ask a signed-in person again for what they have not agreed to in its current version."""

    def __init__(self, *args: object, kinds: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for kind in kinds:
            self.fields[kind] = ConsentField(kind)
        if kinds:
            self.fields[kinds[0]].help_text = documents_help_text()
