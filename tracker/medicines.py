"""The medicine log: what a patient took, how much, when, and whether it helped.

Writes go through the three functions here (views never save a dose themselves). A dose is not
part of the assessment (CLINICAL.md gives medicines no rule), so a write does not recompute the
stored status; it only moves the patient's latest write, which orders the clinician's queue, as
drinks do. Time is an argument (`now`): nothing here reads the clock.

The portal records medicines and never advises on them (CLINICAL.md 1: "no dosing advice";
muscle relaxants are recorded, never recommended): no check here compares a dose with anything
but the database's own bounds, and the suggested names are only spellings, listed A to Z so
that their order recommends nothing.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from accounts.models import User
from tracker import dates
from tracker.models import Effect, MedicineDose
from tracker.services import HOUR, WriteLimitReached, _touch

# Medicines people commonly take or are given for back pain, offered as spellings while typing.
# Any other name may be typed.
COMMON_MEDICINES = (
    "Aspirin",
    "Co-codamol",
    "Codeine",
    "Diazepam",
    "Diclofenac",
    "Diclofenac gel",
    "Dihydrocodeine",
    "Ibuprofen",
    "Ibuprofen gel",
    "Naproxen",
    "Paracetamol",
    "Tramadol",
)
# How many of the patient's own earlier names are offered, most recent first.
OWN_NAMES_OFFERED = 20
# Doses on the dashboard's card.
DASHBOARD_DOSES = 3
# Doses in the clinician's patient view, at most.
CLINICIAN_DOSES = 50


@dataclass
class MedicineTotals:
    """One medicine over a period, for the printable summary."""

    name: str
    doses: int = 0
    # Doses the patient said something about, and of those, how many helped.
    answered: int = 0
    helped: int = 0
    with_side_effects: int = 0
    last_day: datetime.date | None = None


@dataclass(frozen=True)
class DoseInput:
    """A dose as the patient described it; `taken_at` is an aware instant."""

    name: str
    dose: Decimal
    unit: str
    taken_at: datetime.datetime
    helped: int | None = None
    side_effects: str = ""


def _fill(dose: MedicineDose, data: DoseInput) -> None:
    # Dated in the zone the dose was recorded in, so a later move never re-dates it.
    dose.name, dose.dose, dose.unit = data.name, data.dose, data.unit
    dose.taken_at = data.taken_at
    dose.day = dates.local_day(data.taken_at, dates.zone_or_utc(dose.time_zone))
    dose.helped, dose.side_effects = data.helped, data.side_effects


@transaction.atomic
def add_medicine_dose(*, patient: User, data: DoseInput, now: datetime.datetime) -> MedicineDose:
    """Log a dose, dated in the patient's zone now. Raises WriteLimitReached."""
    _touch(patient, now=now)
    # Counted under the status row's lock (_touch), so two requests cannot both pass the limit.
    limit = settings.PORTAL_MEDICINES_PER_HOUR
    if MedicineDose.objects.filter(patient=patient, logged_at__gt=now - HOUR).count() >= limit:
        raise WriteLimitReached(limit=limit)
    dose = MedicineDose(patient=patient, time_zone=patient.time_zone)
    _fill(dose, data)
    dose.save()
    return dose


@transaction.atomic
def change_medicine_dose(*, dose: MedicineDose, data: DoseInput, now: datetime.datetime) -> None:
    """Change a dose; its day is worked out again in the zone it was recorded in."""
    _touch(dose.patient, now=now)
    _fill(dose, data)
    dose.save()


@transaction.atomic
def delete_medicine_dose(*, dose: MedicineDose, now: datetime.datetime) -> None:
    _touch(dose.patient, now=now)
    dose.delete()


# Reads


def zone_of(dose: MedicineDose) -> ZoneInfo:
    """Return the zone the dose was recorded in (UTC for a zone this machine does not know)."""
    return dates.zone_or_utc(dose.time_zone)


def name_suggestions(patient: User) -> list[str]:
    """Return names to offer while typing: the patient's own, most recently taken first, then
    the common ones they have not used (one query)."""
    rows = (
        MedicineDose.objects.filter(patient=patient)
        .values_list("name")
        .annotate(last=Max("taken_at"))
        .order_by("-last", "name")[:OWN_NAMES_OFFERED]
    )
    names: dict[str, str] = {}
    for name, _last in rows:
        names.setdefault(name.casefold(), name)
    for name in COMMON_MEDICINES:
        names.setdefault(name.casefold(), name)
    return list(names.values())


def recent_doses(patient: User, *, count: int) -> list[MedicineDose]:
    """Return the patient's latest doses, newest first (one query)."""
    return list(MedicineDose.objects.filter(patient=patient).order_by("-taken_at", "-id")[:count])


def doses_between(
    patient: User, *, since: datetime.date, until: datetime.date, count: int
) -> tuple[list[MedicineDose], bool]:
    """Return the newest `count` doses taken on the local days since..until (both included),
    newest first, and whether there were more (one query)."""
    doses = list(
        MedicineDose.objects.filter(patient=patient, day__gte=since, day__lte=until).order_by(
            "-taken_at", "-id"
        )[: count + 1]
    )
    return doses[:count], len(doses) > count


def totals_by_medicine(doses: list[dict[str, Any]]) -> list[MedicineTotals]:
    """Sum export_data's doses by medicine (names compared ignoring case), most doses first.

    "Helped" counts the answers "a bit better" and "much better".
    """
    totals: dict[str, MedicineTotals] = {}
    for dose in doses:
        item = totals.setdefault(dose["name"].casefold(), MedicineTotals(name=dose["name"]))
        item.doses += 1
        if dose["helped"] is not None:
            item.answered += 1
            item.helped += dose["helped"] >= Effect.A_BIT_BETTER
        item.with_side_effects += bool(dose["side_effects"])
        day = datetime.date.fromisoformat(dose["day"])
        item.last_day = day if item.last_day is None else max(item.last_day, day)
    return sorted(totals.values(), key=lambda item: (-item.doses, item.name.casefold()))
