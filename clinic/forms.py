import datetime
import uuid

from allauth.account.models import EmailAddress
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import DateOfBirthField, NHSNumberField
from accounts.models import User
from accounts.roles import CLINICIANS
from clinic.models import ClinicianMessage, ClinicianNote, ClinicianProfile
from clinic.services import Identity
from tracker.assessment import Kind
from tracker.forms import DayField

# The flags of a run a clinician marks one by one (red-flag answers go answer by answer).
RUN_KINDS = (Kind.TWO_WEEK, Kind.SEVERE_STREAK, Kind.WORSENING)

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
    """Ask a clinician, by their code or e-mail, to accept the log, after reading the consent
    text; with the name and date of birth the clinician will see (saved on the account)."""

    code_or_email = forms.CharField(
        label=_("Your clinician's share code or e-mail address"),
        max_length=254,
        help_text=_("A share code looks like K7PM-Q2XD."),
    )
    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        widget=forms.TextInput({"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        widget=forms.TextInput({"autocomplete": "family-name"}),
    )
    date_of_birth = DateOfBirthField(
        help_text=_("Your clinician sees your name and date of birth, to know it is you.")
    )
    nhs_number = NHSNumberField()
    consent = forms.BooleanField(
        label=_("I have read the text above and I agree to share my log with this clinician."),
        error_messages={"required": _("Please tick to agree, or do not share.")},
    )

    def __init__(self, *args: object, patient: User, **kwargs: object) -> None:
        kwargs.setdefault(
            "initial",
            {
                "first_name": patient.first_name,
                "last_name": patient.last_name,
                "date_of_birth": patient.date_of_birth,
                "nhs_number": patient.nhs_number,
            },
        )
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.clinician: User | None = None

    def clean_code_or_email(self) -> str:
        value = self.cleaned_data["code_or_email"].strip()
        clinicians = User.objects.filter(groups__name=CLINICIANS, is_active=True)
        if "@" in value:
            # Only an address its owner has shown they read: an unverified one could have been
            # typed by anyone, including a case variant of a real clinician's address.
            verified = EmailAddress.objects.filter(email__iexact=value, verified=True)
            clinician = clinicians.filter(pk__in=verified.values("user_id")).first()
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
        # The same message whether no account, not a clinician, an unverified address or an
        # old code, so nothing about who has an account can be learnt here.
        if clinician is None:
            raise ValidationError(NO_MATCH, code="no_match")
        self.clinician = clinician
        return value

    def identity(self) -> Identity:
        data = self.cleaned_data
        return Identity(
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
            nhs_number=data["nhs_number"],
        )


class NoteForm(forms.ModelForm):
    class Meta:
        model = ClinicianNote
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
        labels = {"text": _("Add a note (seen by the clinicians this patient shares with)")}


class MessageForm(forms.Form):
    """A short message to the patient; the hidden key makes a double tap send one."""

    text = forms.CharField(
        label=_("Send the patient a short message (they see it on their dashboard)"),
        max_length=ClinicianMessage._meta.get_field("text").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Up to 1000 characters. The patient gets an e-mail saying only that there is a "
            "message; they read it after signing in."
        ),
        error_messages={"required": _("Please write the message.")},
    )
    key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("key", uuid.uuid4())


class AcknowledgeForm(forms.Form):
    """What a clinician saw: a red-flag answer by its id, or one flag of the current run as
    their page showed it (its kind, the run's first and last days, its worst severity)."""

    red_flag = forms.IntegerField(required=False, min_value=1)
    kind = forms.ChoiceField(
        required=False,
        choices=[(kind.value, kind.value) for kind in RUN_KINDS],
    )
    first = forms.DateField(required=False)
    last = forms.DateField(required=False)
    worst = forms.IntegerField(required=False, min_value=0, max_value=10)

    def clean(self) -> dict:
        data = super().clean()
        if self.errors or data.get("red_flag"):
            return data
        shown = [data.get(name) for name in ("kind", "first", "last", "worst")]
        if any(value in (None, "") for value in shown) or data["first"] > data["last"]:
            raise ValidationError("Say which flag was seen", code="incomplete")
        return data


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


class NoticeForm(forms.Form):
    by_email = forms.BooleanField(
        label=_("E-mail me when a patient who shares with me needs attention"),
        required=False,
        help_text=_(
            "When a patient's status rises to two weeks of symptoms, urgent or emergency. The "
            "e-mail names nobody and says nothing about their health; it links to your list. At "
            "most one every 15 minutes."
        ),
    )
