from decimal import Decimal

from django import template

from tracker.medicines import zone_of
from tracker.models import DoseUnit, Effect, MedicineDose
from tracker.presenter import format_local

register = template.Library()


@register.filter
def taken_local(dose: MedicineDose) -> str:
    """Show when a dose was taken, as the clock read where the patient logged it."""
    return format_local(dose.taken_at, "D j M Y, H:i", zone_of(dose))


def plain_number(value: Decimal) -> str:
    """Write a dose without trailing zeros: 400, 2.5."""
    return format(value.normalize(), "f")


@register.filter
def amount(dose: MedicineDose) -> str:
    """Show how much was taken with its unit, e.g. "400 mg" or "2 tablet(s)"."""
    # A unit no longer offered still shows, as stored, rather than break the page.
    unit = dict(DoseUnit.choices).get(dose.unit, dose.unit)
    return f"{plain_number(dose.dose)} {unit}"


@register.filter
def helped_words(value: int | None) -> str:
    """Show whether a dose helped, or nothing when the patient did not say."""
    return "" if value is None else str(dict(Effect.choices).get(value, ""))
