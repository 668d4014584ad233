"""The report's forms: the period to show, and the same period for a link (validation only)."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from tracker.forms import DayField, SubmissionKeyForm
from tracker.report import MAX_DAYS, default_period


class ReportPeriodForm(forms.Form):
    """A period of whole local days, up to today and at most a year long.

    Either end may be left empty: the start then defaults to four weeks before the end, the end
    to today.
    """

    since = DayField(label=_("From"), required=False)
    until = DayField(label=_("To"), required=False)

    def __init__(self, *args: object, today: datetime.date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        until = data.get("until") or self.today
        since = data.get("since") or default_period(today=until)[0]
        if since > self.today:
            self.add_error("since", _("The start cannot be in the future."))
        elif until > self.today:
            self.add_error("until", _("The end cannot be after today."))
        elif since > until:
            self.add_error("until", _("The end must not be before the start."))
        elif (until - since).days >= MAX_DAYS:
            self.add_error("since", _("Please choose at most a year at a time."))
        data["since"], data["until"] = since, until
        return data

    def period(self) -> tuple[datetime.date, datetime.date]:
        """Return the valid period chosen (call after is_valid())."""
        return self.cleaned_data["since"], self.cleaned_data["until"]


class ReportLinkForm(SubmissionKeyForm, ReportPeriodForm):
    """The period a new link shows; the hidden key makes a double tap make one link."""
