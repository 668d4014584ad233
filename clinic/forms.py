import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import CLINICIANS
from clinic.models import ClinicianNote, ClinicianProfile
from tracker.forms import DayField

MAX_RANGE_DAYS = 366
NO_MATCH = _(
    "We could not match that to a clinician. Check the code or e-mail with your clinician: "
    "codes last 30 days, so you may need a new one."
)


def normalise_code(value: str) -> str:
    return "".join(value.split()).replace("-", "").upper()


class QueueFilterForm(forms.Form):
    """Find patients in the queue by name, or by why they are there."""

    q = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    flag = forms.ChoiceField(
        label=_("Why"),
        required=False,
        choices=[
            ("", _("Everyone")),
            ("emergency", _("Emergency answers")),
            ("urgent", _("Urgent answers")),
            ("persistence", _("Symptoms over two weeks")),
            ("prompt", _("Other prompts")),
            ("none", _("Nothing flagged")),
        ],
    )


class ShareForm(forms.Form):
    """Share the log with a clinician, by their code or e-mail, after reading the consent text."""

    code_or_email = forms.CharField(
        label=_("Your clinician's share code or e-mail address"),
        max_length=254,
        help_text=_("A share code looks like K7PM-Q2XD."),
    )
    consent = forms.BooleanField(
        label=_("I have read the text above and I agree to share my log with this clinician."),
        error_messages={"required": _("Please tick to agree, or do not share.")},
    )

    def __init__(self, *args: object, patient: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.clinician: User | None = None

    def clean_code_or_email(self) -> str:
        value = self.cleaned_data["code_or_email"].strip()
        clinicians = User.objects.filter(groups__name=CLINICIANS, is_active=True)
        if "@" in value:
            clinician = clinicians.filter(email__iexact=value).first()
        else:
            profile = (
                ClinicianProfile.objects.select_related("user")
                .filter(
                    share_code=normalise_code(value),
                    code_expires_at__gt=timezone.now(),
                    user__in=clinicians,
                )
                .first()
            )
            clinician = profile.user if profile else None
        # The same message whether no account, not a clinician or an old code, so nothing about
        # who has an account can be learnt here.
        if clinician is None:
            raise ValidationError(NO_MATCH, code="no_match")
        if clinician == self.patient:
            raise ValidationError(_("You cannot share your log with yourself."), code="self")
        if clinician.shares_received.filter(patient=self.patient, revoked_at__isnull=True).exists():
            raise ValidationError(
                _("You already share your log with %(name)s.") % {"name": clinician},
                code="already",
            )
        self.clinician = clinician
        return value


class NoteForm(forms.ModelForm):
    class Meta:
        model = ClinicianNote
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
        labels = {"text": _("Add a note (seen by the clinicians this patient shares with)")}


class AcknowledgeForm(forms.Form):
    """What a clinician saw: a red-flag answer, by its id, or without one the current run."""

    red_flag = forms.IntegerField(required=False, min_value=1)


class DateRangeForm(forms.Form):
    since = DayField(label=_("From"), required=False)
    until = DayField(label=_("To"), required=False)

    def __init__(self, *args: object, today: datetime.date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict:
        data = super().clean()
        until = data.get("until") or self.today
        since = data.get("since") or until - datetime.timedelta(days=29)
        if since > until:
            self.add_error("until", _("The end of the range must not be before its start."))
        elif (until - since).days >= MAX_RANGE_DAYS:
            self.add_error("since", _("Please choose at most a year at a time."))
        data["since"], data["until"] = since, until
        return data

    def dates(self) -> tuple[datetime.date, datetime.date]:
        """Return the chosen range, or the last 30 days when the choice is missing or invalid."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["since"], self.cleaned_data["until"]
        return self.today - datetime.timedelta(days=29), self.today
