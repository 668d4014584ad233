"""The words for an assessment: the one place that says what a flag means, to whom.

Templates, the clinician's queue, the printed summary and the FHIR export show what these
functions return; none of them words a flag itself. The patient is spoken to ("you"); a
clinician reads short third-person reasons with dates.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tracker import rules
from tracker.assessment import Assessment, Kind, Reason, Urgency


@lru_cache(maxsize=8192)
def _formatted(value: datetime.date, format_string: str, language: str | None) -> str:
    return formats.date_format(value, format_string)


def format_local(
    value: datetime.date | datetime.datetime, format_string: str, zone: ZoneInfo | None = None
) -> str:
    """Format a date, or an instant as the wall-clock time in a zone, with Django's localised
    date format (formats naming no time zone: "j M Y", "D j M Y, H:i").

    Remembers recent results per language: a clinician's queue formats the same few hundred
    dates on every view, and Django's formatting costs about 50 microseconds a call.
    """
    if isinstance(value, datetime.datetime):
        if zone is None:
            raise ValueError("an instant needs a zone to be shown as a local time")
        # The wall-clock time, without its zone: equal aware datetimes in two zones are one
        # key to a cache, and would be shown in whichever zone came first.
        value = value.astimezone(zone).replace(tzinfo=None)
    return _formatted(value, format_string, translation.get_language())


URGENCY_LABELS = {
    Urgency.EMERGENCY: gettext_lazy("Emergency"),
    Urgency.URGENT: gettext_lazy("Urgent"),
    Urgency.TWO_WEEK: gettext_lazy("Over two weeks"),
    Urgency.SOON: gettext_lazy("Soon"),
    Urgency.NONE: "",
}
# The queue's filter, by the names in its form.
URGENCY_NAMES = {
    "emergency": Urgency.EMERGENCY,
    "urgent": Urgency.URGENT,
    "persistence": Urgency.TWO_WEEK,
    "prompt": Urgency.SOON,
    "none": Urgency.NONE,
}


def urgency_label(urgency: int) -> str:
    """Return the badge text of an urgency ("" for none)."""
    return str(URGENCY_LABELS[Urgency(urgency)])


def _day(day: datetime.date | None) -> str:
    return format_local(day, "j M Y") if day else ""


def _short_day(day: datetime.date | None) -> str:
    return format_local(day, "j M") if day else ""


def _moment(moment: datetime.datetime, zone: ZoneInfo) -> str:
    return format_local(moment, "j M H:i", zone)


def _question(code: str) -> str:
    flag = rules.RED_FLAGS_BY_CODE.get(code)
    return str(flag.text) if flag else code


def run_days(reason: Reason) -> str:
    """Say how long the run has lasted, and from when to when."""
    if reason.reaches_back:
        return _("from at least %(first)s to %(last)s") % {
            "first": _day(reason.first),
            "last": _day(reason.last),
        }
    days = (reason.last - reason.first).days + 1 if reason.first and reason.last else 0
    return ngettext(
        "%(days)s day, from %(first)s to %(last)s",
        "%(days)s days, from %(first)s to %(last)s",
        days,
    ) % {"days": days, "first": _day(reason.first), "last": _day(reason.last)}


def clinician_line(reason: Reason, *, viewer_zone: ZoneInfo) -> str:
    """Return one short reason for a clinician, as on the queue and the printed summary."""
    if reason.kind == Kind.RED_FLAG:
        line = _("answered yes: %(question)s, %(when)s") % {
            "question": _question(reason.code),
            "when": _moment(reason.at, viewer_zone) if reason.at else "",
        }
        if reason.count > 1:
            line += " " + _("(%(count)s times)") % {"count": reason.count}
        return line
    if reason.kind == Kind.TWO_WEEK:
        line = _("symptoms for more than two weeks: %(days)s") % {"days": run_days(reason)}
    elif reason.kind == Kind.SEVERE_STREAK:
        line = _("severe pain (7 or more) on three logged days in a row")
    else:
        line = _(
            "pain getting worse: the last three logged days are at least 2 points worse than the "
            "first three of the run"
        )
    if not reason.seen:
        return line
    if reason.seen_at is None:
        return line + " " + _("(seen)")
    return line + " " + _("(seen by %(name)s on %(date)s)") % _seen_words(reason, viewer_zone)


def _seen_words(reason: Reason, zone: ZoneInfo) -> dict[str, str]:
    assert reason.seen_at is not None
    return {
        "name": reason.seen_by or _("a clinician"),
        "date": format_local(reason.seen_at, "j M Y", zone),
    }


def seen_line(reason: Reason, *, viewer_zone: ZoneInfo) -> str:
    """Say who marked a flag as seen and on which day (in the reader's zone); "" if unseen."""
    if not reason.seen:
        return ""
    if reason.seen_at is None:
        return _("Seen")
    return _("Seen by %(name)s on %(date)s") % _seen_words(reason, viewer_zone)


def clinician_lines(assessment: Assessment, *, viewer_zone: ZoneInfo) -> list[str]:
    return [clinician_line(reason, viewer_zone=viewer_zone) for reason in assessment.reasons]


def fhir_text(reason: Reason) -> str:
    """Return a flag's text for a FHIR Flag resource (no times of day: FHIR gives a date)."""
    if reason.kind == Kind.RED_FLAG:
        return _question(reason.code)
    if reason.kind == Kind.TWO_WEEK:
        return _("Back symptoms for more than two weeks: %(days)s") % {"days": run_days(reason)}
    if reason.kind == Kind.SEVERE_STREAK:
        return _("Severe pain on three logged days in a row")
    return _("Pain getting worse")


@dataclass(frozen=True)
class Notice:
    """A card on the patient's dashboard: a heading, sentences, and where to read more."""

    urgency: Urgency
    heading: str
    lines: list[str] = field(default_factory=list)
    reason: Reason | None = None
    # The notice's flags a clinician has seen (and nothing changed since): who, and when.
    seen: list[Reason] = field(default_factory=list)


def patient_notices(assessment: Assessment) -> list[Notice]:
    """Return what the patient's dashboard says about their log (red-flag advice has its own
    page and banner, worded with the questions themselves)."""
    notices = []
    two_week = assessment.reason(Kind.TWO_WEEK)
    if two_week is not None:
        if two_week.reaches_back:
            logged = _("You have logged back symptoms from at least %(first)s to %(last)s.") % {
                "first": _day(two_week.first),
                "last": _day(two_week.last),
            }
        else:
            logged = _("You have logged back symptoms for %(days)s.") % {"days": run_days(two_week)}
        notices.append(
            Notice(
                urgency=two_week.urgency,
                heading=_("Your symptoms have gone on for more than two weeks"),
                lines=[
                    logged,
                    _(
                        "Most back spasms settle within a couple of weeks. Please book an "
                        "appointment with a GP or physiotherapist."
                    ),
                ],
                reason=two_week,
                seen=[two_week] if two_week.seen else [],
            )
        )
    prompts = []
    streak, worse = assessment.reason(Kind.SEVERE_STREAK), assessment.reason(Kind.WORSENING)
    if streak:
        prompts.append(
            _("You have rated your pain as severe (7 or more) on three logged days in a row.")
        )
    if worse:
        prompts.append(
            _(
                "Your pain has been getting worse: your last three logged days are at least 2 "
                "points worse than your first three."
            )
        )
    if prompts:
        notices.append(
            Notice(
                urgency=Urgency.SOON,
                heading=_("Book an appointment with a GP or physiotherapist in the next few days"),
                lines=prompts,
                seen=[reason for reason in (streak, worse) if reason and reason.seen],
            )
        )
    return notices


# The drinks comparison (CLINICAL.md 3.3): rates per logged day, never raw counts.


def _per_day(episodes: int, days: int) -> str:
    """Return episodes per day to two places, rounded half up from the exact fraction."""
    rate = (Decimal(episodes) / Decimal(days)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return formats.number_format(rate, decimal_pos=2)


def _episodes_after(episodes: int, days: int) -> str:
    return _("%(episodes)s after %(days)s") % {
        "episodes": ngettext("%(count)s episode", "%(count)s episodes", episodes)
        % {"count": episodes},
        "days": ngettext("%(count)s day", "%(count)s days", days) % {"count": days},
    }


def hydration_comparison_lines(comparison: rules.HydrationComparison) -> list[str]:
    """Say how often episodes started after low days and after days at target, per day.

    Neutral words (no "you"): the patient's dashboard and the clinician's view both show them.
    """
    lines = [
        _(
            "After fully logged days with drinks below three quarters of the target: "
            "%(rate)s episodes per day (%(counts)s)."
        )
        % {
            "rate": _per_day(comparison.episodes_after_low, comparison.low_days),
            "counts": _episodes_after(comparison.episodes_after_low, comparison.low_days),
        },
        _("After fully logged days at the target: %(rate)s episodes per day (%(counts)s).")
        % {
            "rate": _per_day(comparison.episodes_after_target, comparison.target_days),
            "counts": _episodes_after(comparison.episodes_after_target, comparison.target_days),
        },
    ]
    order = comparison.order
    if order is rules.RateOrder.HIGHER_AFTER_LOW:
        lines.append(_("Per day, episodes started more often after the low days."))
    elif order is rules.RateOrder.HIGHER_AFTER_TARGET:
        lines.append(_("Per day, episodes started more often after the days at the target."))
    else:
        lines.append(_("Per day, episodes started as often after both kinds of day."))
    return lines
