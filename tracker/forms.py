"""The tracker's forms. Every day and time a patient types is local to their own time zone."""

import datetime
import uuid
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker import dates, rules
from tracker.dates import CLOCK_SKEW_TOLERANCE
from tracker.models import (
    MAX_DRINK_ML,
    CheckIn,
    Drink,
    Effect,
    Episode,
    PatientProfile,
    Region,
    Relief,
    Reminder,
    Side,
    Spread,
    Trigger,
)
from tracker.services import Details, EpisodeInput

BAND_WORDS = {
    "none": _("no pain"),
    "mild": _("mild"),
    "moderate": _("moderate"),
    "severe": _("severe"),
}


def severity_choices() -> list[tuple[int, str]]:
    """Return 0-10 with the band word beside each number, as the patient sees them."""
    return [
        (n, f"{n}: {BAND_WORDS[rules.severity_band(n)]}")
        for n in range(rules.SEVERITY_MIN, rules.SEVERITY_MAX + 1)
    ]


def local_now(zone: ZoneInfo) -> datetime.datetime:
    return timezone.now().astimezone(zone)


def to_utc(day: datetime.date, time: datetime.time, zone: ZoneInfo) -> datetime.datetime:
    """Turn a local day and time into a UTC instant, refusing a time the clocks skipped."""
    try:
        return dates.to_instant(day, time, zone)
    except dates.SkippedTime:
        raise ValidationError(
            _("The clocks changed then, so %(time)s did not happen on that day. Please check."),
            params={"time": time.strftime("%H:%M")},
            code="skipped_time",
        ) from None


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class DayField(forms.DateField):
    """A calendar date in a plausible range, shown as a date picker.

    The range keeps every date convertible to an instant in any time zone (1 January of year 1
    east of UTC is not), and catches typing slips such as 0202 for 2022.
    """

    widget = DateInput
    first = datetime.date(1900, 1, 1)
    last = datetime.date(2100, 12, 31)

    def validate(self, value: datetime.date | None) -> None:
        super().validate(value)
        if value is not None and not self.first <= value <= self.last:
            raise ValidationError(
                _("Please enter a date between 1900 and 2100."), code="implausible_date"
            )


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%H:%M")


class SubmissionKeyForm(forms.Form):
    """A hidden random key, so a form sent twice (double click, resend) is acted on once."""

    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4())


def _asked(flag: rules.RedFlag, *, pregnant: bool, short: bool) -> bool:
    if flag.pregnancy_only:
        # Asked of a pregnant patient even on the short screen: they need care now.
        return pregnant
    return flag.on_short_screen or not short


def red_flag_choices(*, pregnant: bool, short: bool) -> list[tuple[str, str]]:
    """Return the red-flag questions to ask: the short screen or the full list."""
    return [
        (flag.code, flag.text)
        for flag in rules.RED_FLAGS
        if _asked(flag, pregnant=pregnant, short=short)
    ]


EFFECT_CHOICES = [
    ("", _("Did not try")),
    ("unsure", _("Tried it, not sure yet")),
    *[(str(value), label) for value, label in Effect.choices],
]

ONGOING, ENDED = "ongoing", "ended"


class QuickLogForm(SubmissionKeyForm):
    """Log an episode in one screen, or change when it was and how bad: start, 0-10, ongoing or
    ended. Where, triggers, what helped and notes are optional steps after it is saved.

    Only severity must be chosen: the start defaults to now, an episode is ongoing unless the
    patient says it stopped, and "stopped" with no end time means it stopped now.
    """

    start_date = DayField(label=_("Date it started"))
    start_time = forms.TimeField(label=_("Time it started"), widget=TimeInput)
    severity = forms.TypedChoiceField(
        label=_("How bad is it at its worst?"),
        choices=severity_choices,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={"required": _("Please choose how bad it is, from 0 to 10.")},
    )
    status = forms.ChoiceField(
        label=_("Is it still going?"),
        choices=[(ONGOING, _("Still going")), (ENDED, _("It has stopped"))],
        initial=ONGOING,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={"required": _("Please say whether it is still going.")},
    )
    end_date = DayField(label=_("Date it stopped"), required=False)
    end_time = forms.TimeField(
        label=_("Time it stopped"),
        widget=TimeInput,
        required=False,
        help_text=_("Leave empty if it stopped just now."),
    )

    def __init__(
        self, *args: object, zone: ZoneInfo, episode: Episode | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.episode = episode
        # The start and end as instants, once clean() has read them.
        self.started_at: datetime.datetime | None = None
        self.ended_at: datetime.datetime | None = None
        if not self.is_bound:
            self._set_initial()

    def _set_initial(self) -> None:
        episode = self.episode
        if episode is None:
            now = local_now(self.zone)
            self.initial.update(start_date=now.date(), start_time=now.time().replace(second=0))
            return
        start = episode.started_at.astimezone(self.zone)
        self.initial.update(
            start_date=start.date(), start_time=start.time(), severity=episode.severity
        )
        if episode.ended_at is None:
            self.initial["status"] = ONGOING
        else:
            end = episode.ended_at.astimezone(self.zone)
            self.initial.update(status=ENDED, end_date=end.date(), end_time=end.time())

    def clean(self) -> dict:
        data = super().clean()
        if "start_date" not in data or "start_time" not in data or "status" not in data:
            return data
        try:
            start = to_utc(data["start_date"], data["start_time"], self.zone)
        except ValidationError as error:
            self.add_error("start_time", error)
            return data
        now = timezone.now()
        latest = now + CLOCK_SKEW_TOLERANCE
        if start > latest:
            self.add_error("start_time", _("The start cannot be in the future."))
            return data
        end_date, end_time = data.get("end_date"), data.get("end_time")
        if data["status"] == ONGOING:
            # The end fields are hidden while "Still going" is chosen, and still sent: changing
            # an ended episode back to ongoing sends its old end. What the person sees wins.
            self.started_at, self.ended_at = start, None
            return data
        self.started_at = start
        if end_time is None:
            if end_date is not None:
                self.add_error("end_time", _("Please give the time it stopped."))
                return data
            # "It has stopped" with no time: it stopped now (after a start a little ahead).
            self.ended_at = max(now, start)
            return data
        try:
            end = to_utc(end_date or local_now(self.zone).date(), end_time, self.zone)
        except ValidationError as error:
            self.add_error("end_time", error)
            return data
        if end < start:
            self.add_error("end_time", _("The end must not be before the start."))
        elif end > latest:
            self.add_error(
                "end_time",
                _("The end cannot be in the future. If it is still going, choose “Still going”."),
            )
        else:
            self.ended_at = end
        return data

    def episode_input(self) -> EpisodeInput:
        """Return the new episode as entered, for tracker.services to store."""
        if self.started_at is None:
            raise ValueError("episode_input() needs a valid form")
        return EpisodeInput(
            started_at=self.started_at,
            ended_at=self.ended_at,
            severity=self.cleaned_data["severity"],
        )


class DetailsStep(forms.Form):
    """One optional step of an episode's details, filled in from the episode as it is."""

    title: str = ""
    # What current() reads of the episode, fetched with it when the step is shown.
    related: tuple[str, ...] = ()

    def __init__(self, *args: object, episode: Episode, pregnant: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.episode = episode
        self.pregnant = pregnant
        self.setup()
        if not self.is_bound:
            self.initial.update(self.current())

    def setup(self) -> None:
        """Add the fields that depend on the patient."""

    def current(self) -> dict:
        return {}

    def details(self) -> Details:
        raise NotImplementedError


class SafetyStep(DetailsStep):
    title = _("A few safety questions")
    related = ("red_flags",)
    red_flags = forms.MultipleChoiceField(
        label=_("Do you have any of these now?"),
        help_text=_(
            "Tick any that apply. If you tick one, we will tell you straight away what to do."
        ),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def setup(self) -> None:
        self.fields["red_flags"].choices = red_flag_choices(pregnant=self.pregnant, short=True)

    def current(self) -> dict:
        return {"red_flags": [answer.code for answer in self.episode.red_flags.all()]}

    def details(self) -> Details:
        return Details(red_flags=self.cleaned_data["red_flags"])


class WhereStep(DetailsStep):
    title = _("Where it hurts")
    related = ("locations", "spread")
    spread = forms.MultipleChoiceField(
        label=_("Does the pain spread?"),
        choices=Spread.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Pain in both legs counts as yes to the emergency question about both legs."),
    )

    def setup(self) -> None:
        for region in Region:
            self.fields[f"side_{region.value}"] = forms.ChoiceField(
                label=region.label,
                choices=[("", _("Not here")), *Side.choices],
                required=False,
            )
        # The sides first, then where it spreads, as a person describes it.
        self.order_fields([f"side_{region.value}" for region in Region])

    @property
    def location_fields(self) -> list[forms.BoundField]:
        return [self[f"side_{region.value}"] for region in Region]

    def current(self) -> dict:
        initial: dict = {"spread": [item.code for item in self.episode.spread.all()]}
        for location in self.episode.locations.all():
            initial[f"side_{location.region}"] = location.side
        return initial

    def details(self) -> Details:
        return Details(
            locations=[
                (region.value, self.cleaned_data[f"side_{region.value}"])
                for region in Region
                if self.cleaned_data.get(f"side_{region.value}")
            ],
            spread=self.cleaned_data["spread"],
        )


class TriggersStep(DetailsStep):
    title = _("What might have set it off")
    related = ("triggers",)
    activity = forms.CharField(label=_("What were you doing?"), max_length=200, required=False)
    triggers = forms.MultipleChoiceField(
        label=_("What might have set it off?"),
        choices=Trigger.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    trigger_other = forms.CharField(
        label=_("If something else, what?"), max_length=200, required=False
    )

    def current(self) -> dict:
        return {
            "activity": self.episode.activity,
            "triggers": [item.code for item in self.episode.triggers.all()],
            "trigger_other": self.episode.trigger_other,
        }

    def clean(self) -> dict:
        data = super().clean()
        triggers = set(data.get("triggers") or [])
        if data.get("trigger_other", "").strip():
            triggers.add(Trigger.OTHER)
        elif Trigger.OTHER in triggers:
            self.add_error("trigger_other", _("Please say what else might have set it off."))
        if Trigger.NONE_IDENTIFIED in triggers and len(triggers) > 1:
            self.add_error(
                "triggers",
                _("You ticked “None that I can think of” and a trigger too. Please untick one."),
            )
        data["triggers"] = sorted(triggers)
        return data

    def details(self) -> Details:
        data = self.cleaned_data
        return Details(
            activity=data["activity"],
            triggers=data["triggers"],
            trigger_other=data["trigger_other"],
        )


class ReliefStep(DetailsStep):
    title = _("What you tried, and did it help?")
    related = ("relief",)

    def setup(self) -> None:
        for relief in Relief:
            self.fields[f"relief_{relief.value}"] = forms.ChoiceField(
                label=relief.label, choices=EFFECT_CHOICES, required=False
            )

    def current(self) -> dict:
        return {
            f"relief_{tried.code}": "unsure" if tried.effect is None else str(tried.effect)
            for tried in self.episode.relief.all()
        }

    def details(self) -> Details:
        tried: dict[str, int | None] = {}
        for relief in Relief:
            answer = self.cleaned_data.get(f"relief_{relief.value}")
            if answer:
                tried[relief.value] = None if answer == "unsure" else int(answer)
        return Details(relief=tried)


class NotesStep(DetailsStep):
    title = _("Anything else")
    notes = forms.CharField(
        label=_("Notes"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Anything that might help you or your clinician later."),
    )

    def current(self) -> dict:
        return {"notes": self.episode.notes}

    def details(self) -> Details:
        return Details(notes=self.cleaned_data["notes"])


# The optional steps after a quick log, in order, by the name in their address.
DETAIL_STEPS: dict[str, type[DetailsStep]] = {
    "safety": SafetyStep,
    "where": WhereStep,
    "triggers": TriggersStep,
    "relief": ReliefStep,
    "notes": NotesStep,
}


class RedFlagForm(SubmissionKeyForm):
    """The full red-flag list, answered at any time from "Get help now"."""

    red_flags = forms.MultipleChoiceField(
        label=_("Tick any you have now"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one, or go back if none apply.")},
    )

    def __init__(self, *args: object, pregnant: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["red_flags"].choices = red_flag_choices(pregnant=pregnant, short=False)


def checkin_choices() -> list[tuple[int, str]]:
    choices = severity_choices()
    return [(0, _("No back symptoms today")), *choices[1:]]


def checkin_label(severity: int) -> str:
    """Return a check-in answer as the form shows it."""
    return str(dict(checkin_choices())[severity])


class PastDayForm(forms.ModelForm):
    """A form whose `day` is a local date in the patient's zone, today or earlier."""

    future_day_message = _("That day has not come yet.")

    def __init__(self, *args: object, zone: ZoneInfo, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean_day(self) -> datetime.date:
        day = self.cleaned_data["day"]
        if day > local_now(self.zone).date():
            raise ValidationError(self.future_day_message)
        return day


class CheckInForm(PastDayForm):
    """The day's summary, so days without symptoms are known rather than guessed."""

    day = DayField(label=_("Day"))
    worst_severity = forms.TypedChoiceField(
        label=_("How was your back?"),
        help_text=_("If you had pain, pick the worst it got."),
        choices=checkin_choices,
        coerce=int,
        widget=forms.RadioSelect,
    )

    # Offered only after a milder answer than the day's earlier one was refused.
    confirm_lower = forms.BooleanField(
        label=_("Yes, change it to the milder answer"),
        required=False,
        widget=forms.HiddenInput,
    )

    future_day_message = _("You cannot check in for a day that has not come yet.")

    class Meta:
        model = CheckIn
        fields = ["day", "worst_severity"]

    def ask_to_confirm(self, *, earlier: int) -> None:
        """Refuse a milder answer than the one already given for the day, and say why."""
        self.add_error(
            "worst_severity",
            _(
                "Earlier you said your worst pain on this day was %(earlier)s. We have kept "
                "that. If it was a mistake, tick the box below and save again."
            )
            % {"earlier": checkin_label(earlier)},
        )
        self.fields["confirm_lower"].widget = forms.CheckboxInput()


class DrinkForm(SubmissionKeyForm, PastDayForm):
    day = DayField(label=_("Day"))
    amount_ml = forms.IntegerField(
        label=_("Amount (ml)"),
        help_text=_("A mug or glass is about 200 to 250 ml; a small bottle is 500 ml."),
        error_messages={"invalid": _("Please enter a whole number of millilitres.")},
    )

    class Meta:
        model = Drink
        fields = ["day", "amount_ml"]

    future_day_message = _("You cannot log a drink for a day that has not come yet.")

    def __init__(self, *args: object, zone: ZoneInfo, **kwargs: object) -> None:
        super().__init__(*args, zone=zone, **kwargs)
        if self.instance.pk is not None:
            # Changing a drink twice changes it to the same thing: no key is needed.
            del self.fields["submission_key"]

    def clean_amount_ml(self) -> int:
        amount = self.cleaned_data["amount_ml"]
        if amount < 1:
            raise ValidationError(_("Please enter an amount above 0 ml."))
        if amount > MAX_DRINK_ML:
            raise ValidationError(
                _(
                    "That is more than 5 litres in one go. "
                    "Please check the amount, or log it as several drinks."
                )
            )
        return amount


class TrackerSettingsForm(forms.ModelForm):
    """What the tracker uses to suggest a drinks target."""

    confirm_high_target = forms.BooleanField(
        label=_("Yes, I mean a target above 3 litres a day"),
        required=False,
        help_text=_(
            "Drinking a lot more than you need can be harmful. Only tick this if a doctor agrees."
        ),  # noqa: E501
    )

    class Meta:
        model = PatientProfile
        fields = [
            "sex",
            "pregnant",
            "breastfeeding",
            "year_of_birth",
            "limit_fluids",
            "own_target_ml",
            "glass_ml",
            "confirm_high_target",
        ]

    def clean_year_of_birth(self) -> int | None:
        year = self.cleaned_data["year_of_birth"]
        if year is not None and not 1900 <= year <= timezone.now().year:
            raise ValidationError(_("Please check the year: it should be four digits, like 1980."))
        return year

    def clean_own_target_ml(self) -> int | None:
        target = self.cleaned_data["own_target_ml"]
        if target is not None:
            try:
                rules.validate_own_target_ml(target)
            except ValueError:
                raise ValidationError(
                    _("A daily target must be between 1,000 and 4,000 ml.")
                ) from None
        return target

    def clean_glass_ml(self) -> int:
        glass = self.cleaned_data["glass_ml"]
        if not 50 <= glass <= 1000:
            raise ValidationError(_("A glass must hold between 50 and 1,000 ml."))
        return glass

    def clean(self) -> dict:
        data = super().clean()
        target = data.get("own_target_ml")
        if target and rules.needs_confirmation(target) and not data.get("confirm_high_target"):
            self.add_error(
                "confirm_high_target",
                _("A target above 3,000 ml is unusual. Please tick to confirm it."),
            )
        return data


class HistoryFilterForm(forms.Form):
    since = DayField(label=_("From"), required=False)
    until = DayField(label=_("To"), required=False)
    trigger = forms.ChoiceField(
        label=_("Trigger"), choices=[("", _("Any trigger")), *Trigger.choices], required=False
    )

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end of the range must not be before its start."))
        return data


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: object, user: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("That is not your password. Nothing has been deleted."))
        return password


WEEKDAY_CHOICES = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class ReminderForm(forms.ModelForm):
    """A daily reminder at a local time on chosen days, and a weekly summary: both off until the
    patient turns them on."""

    at = forms.TimeField(
        label=_("At (your local time)"),
        widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M"),
        error_messages={"invalid": _("Please give a time like 19:00.")},
    )
    days = forms.TypedMultipleChoiceField(
        label=_("On these days"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    digest_weekday = forms.TypedChoiceField(
        label=_("Weekly summary on"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        help_text=_("At the time chosen above."),
    )

    class Meta:
        model = Reminder
        fields = ["daily", "at", "by_email", "by_push", "weekly_digest", "digest_weekday"]

    def __init__(self, *args: object, push_available: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["days"].initial = sorted(self.instance.weekday_set)
        if not push_available:
            del self.fields["by_push"]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("daily"):
            if not data.get("days"):
                self.add_error("days", _("Pick at least one day, or turn the daily reminder off."))
            if not data.get("by_email") and not data.get("by_push"):
                self.add_error(
                    "by_email", _("Choose how to be reminded, or turn the daily reminder off.")
                )
        if data.get("weekly_digest") and not self.instance.patient.email:
            self.add_error("weekly_digest", _("Add an e-mail address to your profile first."))
        return data

    def save(self, commit: bool = True) -> Reminder:
        reminder = super().save(commit=False)
        days = self.cleaned_data.get("days") or []
        if days:
            reminder.weekdays = sum(1 << day for day in set(days))
        if commit:
            reminder.save()
        return reminder


# The weekly function score (tracker.scores): the PEG's three questions in the portal's words,
# with what each end of the 0-10 scale means.
PEG_QUESTIONS: dict[str, tuple[str, str, str]] = {
    "pain": (
        _("Over the past week, how bad was your pain on average?"),
        _("0 means no pain at all"),
        _("10 means pain as bad as you can imagine"),
    ),
    "enjoyment": (
        _("Over the past week, how much did pain get in the way of enjoying life?"),
        _("0 means it did not get in the way: you enjoyed things as much as usual"),
        _("10 means it got in the way completely: pain took all the enjoyment away"),
    ),
    "activity": (
        _(
            "Over the past week, how much did pain get in the way of your everyday activities, "
            "such as work, jobs at home and getting out?"
        ),
        _("0 means it did not get in the way: you did everything you usually do"),
        _("10 means it got in the way completely: you could not do them at all"),
    ),
}


def _peg_field(name: str) -> forms.TypedChoiceField:
    label, zero, ten = PEG_QUESTIONS[name]
    return forms.TypedChoiceField(
        label=label,
        help_text=f"{zero}; {ten}.",
        choices=[(n, str(n)) for n in range(0, 11)],
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={
            "required": _("Please choose a number from 0 to 10 for this question."),
            "invalid_choice": _("Please choose a number from 0 to 10 for this question."),
        },
    )


class FunctionScoreForm(SubmissionKeyForm):
    """This week's three PEG answers, 0 to 10 each; all three are needed for a score."""

    pain = _peg_field("pain")
    enjoyment = _peg_field("enjoyment")
    activity = _peg_field("activity")

    def questions(self) -> list[tuple[forms.BoundField, str, str]]:
        """Return each question's field with the words for its 0 and its 10."""
        return [(self[name], zero, ten) for name, (_label, zero, ten) in PEG_QUESTIONS.items()]
