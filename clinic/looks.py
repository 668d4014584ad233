"""What a clinician has seen: their marks on a patient's flags, and what is new since they last
looked (issue 20).

A clinician's look at a patient is their audit row of viewing the patient's log
(AuditEvent VIEW): the previous one is the last before the page being shown now. Entries
logged after it are new to them. The queue asks the same question for every row in its own
query (`with_last_look`).
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    IntegerField,
    Max,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from clinic.forms import RUN_KINDS
from clinic.models import AuditEvent
from tracker import presenter
from tracker.assessment import Assessment, Kind, Reason
from tracker.models import CheckIn, Drink, Episode, FunctionScore, MedicineDose, RedFlagAnswer


@dataclass(frozen=True)
class FlagRow:
    """One flag on the patient view: its words, whether and by whom it was seen, and (for a
    flag of a run) what its "Mark as seen" form sends: the run as shown on this page."""

    line: str
    reason: Reason
    seen: str
    # A short name for the button's accessible name ("Mark as seen: <name>").
    name: str

    @property
    def can_mark(self) -> bool:
        return self.reason.kind in RUN_KINDS and not self.reason.seen


def _short_name(reason: Reason) -> str:
    return {
        Kind.TWO_WEEK: _("symptoms for more than two weeks"),
        Kind.SEVERE_STREAK: _("severe pain three days in a row"),
        Kind.WORSENING: _("pain getting worse"),
    }.get(reason.kind, _("red-flag answers"))


def flag_rows(assessment: Assessment, *, viewer_zone: ZoneInfo) -> list[FlagRow]:
    """Return the patient's flags for the clinician's page, in the assessment's order."""
    return [
        FlagRow(
            line=presenter.clinician_line(reason, viewer_zone=viewer_zone),
            reason=reason,
            seen=presenter.seen_line(reason, viewer_zone=viewer_zone),
            name=_short_name(reason),
        )
        for reason in assessment.reasons
    ]


# New since the last look


def _views_by(clinician: User) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(actor=clinician, action=AuditEvent.Action.VIEW)


def last_look_subquery(*, clinician: User) -> Subquery:
    """Return, for a query over PatientStatus rows, the clinician's last view of each patient
    (a subquery on the partial audit index "audit_views_by_actor")."""
    return Subquery(
        _views_by(clinician)
        .filter(patient_id=OuterRef("patient_id"))
        .order_by()
        .values("patient_id")
        .annotate(last=Max("created_at"))
        .values("last")[:1]
    )


def previous_look(*, clinician: User, patient: User) -> datetime.datetime | None:
    """Return when the clinician last viewed the patient's log (before this page), or None."""
    return (
        _views_by(clinician)
        .filter(patient=patient)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def is_new(since: datetime.datetime | None, field: str) -> "ExpressionWrapper[Q]":
    """Annotate rows logged after the last look (all rows when there was none: never looked)."""
    condition = Q(**{f"{field}__gt": since}) if since is not None else Q(pk__isnull=False)
    return ExpressionWrapper(condition, output_field=BooleanField())


# What counts as an entry, and when it was logged.
ENTRIES = (
    ("episodes", Episode, "created_at"),
    ("checkins", CheckIn, "created_at"),
    ("answers", RedFlagAnswer, "answered_at"),
    ("medicines", MedicineDose, "logged_at"),
    ("scores", FunctionScore, "answered_at"),
    ("drinks", Drink, "logged_at"),
)


@dataclass(frozen=True)
class NewSince:
    """How many entries of each kind the patient logged after the clinician's last look."""

    since: datetime.datetime | None
    counts: dict[str, int]

    @property
    def any(self) -> bool:
        return any(self.counts.values())

    def summary(self) -> str:
        """Say what is new, e.g. "2 episodes, 1 check-in and 1 red-flag answer"."""
        words = {
            "episodes": lambda n: ngettext("%(n)s episode", "%(n)s episodes", n),
            "checkins": lambda n: ngettext("%(n)s check-in", "%(n)s check-ins", n),
            "answers": lambda n: ngettext("%(n)s red-flag answer", "%(n)s red-flag answers", n),
            "medicines": lambda n: ngettext("%(n)s medicine dose", "%(n)s medicine doses", n),
            "scores": lambda n: ngettext("%(n)s weekly score", "%(n)s weekly scores", n),
            "drinks": lambda n: ngettext("%(n)s drink", "%(n)s drinks", n),
        }
        parts = [words[key](n) % {"n": n} for key, n in self.counts.items() if n]
        if len(parts) < 2:
            return "".join(parts)
        return _("%(first)s and %(last)s") % {"first": ", ".join(parts[:-1]), "last": parts[-1]}


def new_since(*, patient: User, since: datetime.datetime | None) -> NewSince:
    """Count what the patient logged after `since`, in one query (a subquery per kind)."""
    if since is None:
        return NewSince(since=None, counts={})

    def count(model: type[Model], field: str) -> Coalesce:
        rows = (
            model._default_manager.filter(patient=OuterRef("pk"), **{f"{field}__gt": since})
            .order_by()
            .values("patient")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))

    # Annotated under their own names: "episodes" and "checkins" are relations of a user.
    row = (
        User.objects.filter(pk=patient.pk)
        .annotate(**{f"new_{key}": count(model, field) for key, model, field in ENTRIES})
        .values(*[f"new_{key}" for key, _model, _field in ENTRIES])
        .get()
    )
    return NewSince(since=since, counts={key: row[f"new_{key}"] for key, _m, _f in ENTRIES})
