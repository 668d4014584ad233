"""The medicine log on a phone (390x844 with touch): from the dashboard's card to a saved dose
on one screen whose Save button shows without scrolling, every target at least 44 px, and a
double tap on Save storing one dose."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import PHONE, log_in
from tracker.models import Effect, MedicineDose

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def small_targets(page) -> list[str]:
    """Return the form's controls smaller than 44 px high, with their sizes."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
                '.medicine-form input:not([type=hidden]):not(.btn-check), .medicine-form select,'
                + ' .medicine-form label.btn, .medicine-form summary, .medicine-form button')]
            .map(el => [el.name || el.htmlFor || el.textContent.trim(), el.getBoundingClientRect()])
            .filter(([, r]) => r.height < 44)
            .map(([name, r]) => `${name}: ${Math.round(r.width)}x${Math.round(r.height)}`)"""
    )


def test_a_patient_logs_a_medicine_on_her_phone(open_browser) -> None:
    alice = make_user("alice")
    phone = open_browser(viewport=PHONE, has_touch=True)
    log_in(phone, "alice", PASSWORD)
    page = phone.page
    phone.goto(reverse("tracker:dashboard"))
    card = page.get_by_role("region", name="Medicines")
    card.get_by_role("link", name="Log a medicine").tap()

    expect(page.get_by_role("heading", name="Log a medicine", level=1)).to_be_visible()
    phone.check(screenshot="medicine-form")
    save = page.get_by_role("button", name="Save", exact=True)
    box = save.bounding_box()
    # The main action on the first screen, without scrolling.
    assert box is not None and box["y"] + box["height"] <= PHONE["height"], box
    assert small_targets(page) == []

    page.get_by_label("Medicine").fill("Ibuprofen")
    page.get_by_label("How much").fill("400")
    page.get_by_role("group", name="Did it help?").get_by_text("A bit better").tap()
    page.get_by_text("Any side effects?").tap()
    page.get_by_label("Side effects").fill("A little sleepy")
    save.dblclick()

    expect(page.get_by_role("heading", name="Your medicines")).to_be_visible()
    expect(page.get_by_text("Saved: Ibuprofen.")).to_be_visible()
    phone.check(screenshot="medicine-list")
    dose = MedicineDose.objects.get(patient=alice)
    assert (dose.name, dose.dose, dose.unit, dose.helped, dose.side_effects) == (
        "Ibuprofen",
        400,
        "mg",
        Effect.A_BIT_BETTER,
        "A little sleepy",
    )

    phone.goto(reverse("tracker:dashboard"))
    expect(page.get_by_role("region", name="Medicines").get_by_text("Ibuprofen")).to_be_visible()
