"""The medicine log's form: one short phone screen. The time is local to the patient's zone."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.dates import CLOCK_SKEW_TOLERANCE
from tracker.forms import DayField, SubmissionKeyForm, TimeInput, local_now, to_utc
from tracker.medicines import DoseInput
from tracker.models import MAX_DOSE, DoseUnit, Effect, MedicineDose

SIDE_EFFECTS_MAX = 500
HELPED_CHOICES = [("", _("Not sure yet")), *Effect.choices]


class MedicineDoseForm(SubmissionKeyForm, forms.ModelForm):
    """What was taken, how much, when (empty: now), whether it helped, any side effects."""

    name = forms.CharField(
        label=_("Medicine"),
        max_length=100,
        error_messages={"required": _("Please enter the name of the medicine.")},
        widget=forms.TextInput(attrs={"list": "medicine-names", "autocomplete": "off"}),
    )
    dose = forms.DecimalField(
        label=_("How much"),
        max_digits=9,
        decimal_places=2,
        error_messages={
            "required": _("Please enter how much you took, for example 400 or 2."),
            "invalid": _("Please enter a number, for example 400 or 2.5."),
            "max_decimal_places": _("Please use at most 2 decimal places."),
            "max_digits": _("Please check the amount: that number is too long."),
            "max_whole_digits": _("Please check the amount: that number is too long."),
        },
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any", "min": "0"}),
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=DoseUnit.choices, initial=DoseUnit.MG)
    taken_date = DayField(label=_("Date taken"), required=False)
    taken_time = forms.TimeField(
        label=_("Time taken"),
        widget=TimeInput,
        required=False,
        help_text=_("Leave both empty if you took it just now."),
    )
    helped = forms.TypedChoiceField(
        label=_("Did it help?"),
        choices=HELPED_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
    )
    side_effects = forms.CharField(
        label=_("Side effects"),
        max_length=SIDE_EFFECTS_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Anything you noticed after taking it, in your own words."),
    )

    class Meta:
        model = MedicineDose
        fields = ["name", "dose", "unit", "helped", "side_effects"]

    def __init__(self, *args: object, zone: ZoneInfo, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # A dose is read and changed in the zone it was recorded in; a new one in the patient's.
        self.zone = zone
        self.taken_at: datetime.datetime | None = None
        if self.instance.pk is not None:
            # Changing a dose twice changes it to the same thing: no key is needed.
            del self.fields["submission_key"]
            if not self.is_bound:
                taken = self.instance.taken_at.astimezone(zone)
                self.initial.update(taken_date=taken.date(), taken_time=taken.time())

    def clean_dose(self) -> Decimal:
        dose: Decimal = self.cleaned_data["dose"]
        if dose <= 0:
            raise ValidationError(_("Please enter an amount above 0."), code="not_positive")
        if dose > MAX_DOSE:
            raise ValidationError(
                _("That is more than 100,000. Please check the amount and the unit."),
                code="too_much",
            )
        return dose

    def clean(self) -> dict:
        data = super().clean()
        day, time = data.get("taken_date"), data.get("taken_time")
        if "taken_date" not in data or "taken_time" not in data:
            return data
        now = timezone.now()
        if time is None:
            if day is not None:
                self.add_error("taken_time", _("Please give the time you took it."))
            else:
                self.taken_at = now
            return data
        try:
            taken_at = to_utc(day or local_now(self.zone).date(), time, self.zone)
        except ValidationError as error:
            self.add_error("taken_time", error)
            return data
        if taken_at > now + CLOCK_SKEW_TOLERANCE:
            self.add_error(
                "taken_time",
                _("That time has not come yet. Please give the time you took it."),
            )
            return data
        self.taken_at = taken_at
        return data

    def dose_input(self) -> DoseInput:
        """Return the dose as entered, for tracker.medicines to store."""
        if self.taken_at is None:
            raise ValueError("dose_input() needs a valid form")
        data = self.cleaned_data
        return DoseInput(
            name=data["name"],
            dose=data["dose"],
            unit=data["unit"],
            taken_at=self.taken_at,
            helped=data["helped"],
            side_effects=data["side_effects"],
        )
