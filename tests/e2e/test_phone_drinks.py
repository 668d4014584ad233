"""On a phone (390x844): "+ a glass" is stored and shown in place, without a page load, without
the page jumping to the top, once per tap and once per double tap."""

import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import PHONE, log_in
from tracker.models import Drink

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADD = reverse("tracker:drink_add")
# Set on the window once the page has loaded: a page load (the plain form's redirect) clears it.
MARK = "() => { window.stillTheSamePage = true; }"
SAME_PAGE = "() => window.stillTheSamePage === true"
# The buttons fade between their hover colours (Bootstrap's transitions); axe must read the
# colours they settle on, not one half way.
SETTLED = "() => document.getAnimations().length === 0"


def drinks_of(user) -> list[int]:
    return list(Drink.objects.filter(patient=user).values_list("amount_ml", flat=True))


def test_a_glass_tapped_twice_on_the_dashboard_is_two_drinks_shown_in_place(web):
    alice = make_user("alice")
    page = web.page
    page.set_viewport_size(PHONE)
    log_in(web, "alice", PASSWORD)
    web.goto(reverse("tracker:dashboard"))
    web.check()
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" and ADD in r.url else None)

    glass = page.get_by_role("button", name="+ a glass (200 ml)")
    form = glass.locator("xpath=ancestor::form")
    key = form.locator("input[name=submission_key]")
    total = page.locator("[data-drinks-text=dashboard]")
    status = page.locator("[data-drinks-status]")  # aria-live="polite"
    expect(total).to_have_text("0 ml of your 1600 ml target")

    # Scrolled down so the button is at the top of the screen, as a thumb would leave it
    # (at once: Bootstrap asks for smooth scrolling).
    glass.evaluate("el => el.scrollIntoView({block: 'start', behavior: 'instant'})")
    scrolled = page.evaluate("() => window.scrollY")
    assert scrolled > 100
    page.evaluate(MARK)

    first_key = key.input_value()
    glass.click()
    expect(total).to_have_text("200 ml of your 1600 ml target")
    expect(status).to_have_text("Added 200 ml. 200 ml of your 1600 ml target.")
    expect(glass).to_be_focused()
    # A new key, so the next tap is a new drink.
    expect(key).not_to_have_value(first_key)

    second_key = key.input_value()
    glass.click()
    expect(total).to_have_text("400 ml of your 1600 ml target")
    expect(status).to_have_text("Added 200 ml. 400 ml of your 1600 ml target.")
    expect(glass).to_be_focused()
    expect(key).not_to_have_value(second_key)
    assert page.evaluate(SAME_PAGE), "the page was loaded again"
    assert page.evaluate("() => window.scrollY") == scrolled
    assert len(posts) == 2
    assert all(r.headers["accept"] == "application/json" for r in posts)
    assert drinks_of(alice) == [200, 200]
    # The chart's table says the same.
    expect(page.locator("[data-drinks-cell]")).to_have_text("400")

    # A double tap is one drink: the second tap is dropped or resent with the same key.
    third_key = key.input_value()
    glass.dblclick()
    expect(total).to_have_text("600 ml of your 1600 ml target")
    expect(key).not_to_have_value(third_key)
    time.sleep(1.5)  # long enough for any second request and its answer
    assert drinks_of(alice) == [200, 200, 200]
    expect(total).to_have_text("600 ml of your 1600 ml target")
    assert page.evaluate(SAME_PAGE)
    assert page.evaluate("() => window.scrollY") == scrolled

    page.wait_for_function(SETTLED)
    web.check(screenshot="phone-drinks-dashboard")


def test_on_the_drinks_page_a_glass_joins_the_list_and_the_bar_in_place(web):
    alice = make_user("alice")
    page = web.page
    page.set_viewport_size(PHONE)
    log_in(web, "alice", PASSWORD)
    web.goto(reverse("tracker:hydration"))
    expect(page.get_by_text("Nothing logged for this day yet.")).to_be_visible()
    web.check()
    page.evaluate(MARK)

    glass = page.get_by_role("button", name="+ a glass (200 ml)")
    glass.click()
    expect(page.locator("[data-drinks-text=day]")).to_have_text("200 ml, about 1.0 glasses")
    expect(page.locator("[data-drinks-status]")).to_have_text(
        "Added 200 ml. 200 ml, about 1.0 glasses."
    )
    expect(page.get_by_text("Nothing logged for this day yet.")).to_be_hidden()
    items = page.get_by_role("list").filter(has_text="200 ml").get_by_role("listitem")
    expect(items).to_have_count(1)
    drink = Drink.objects.get(patient=alice)
    expect(items.get_by_role("link", name="Change the 200 ml drink")).to_have_attribute(
        "href", reverse("tracker:drink_edit", args=[drink.pk])
    )
    expect(page.locator("progress")).to_have_js_property("value", 200)
    expect(glass).to_be_focused()

    # A bad amount: the message next to the field, the field marked, nothing stored.
    web.expected_errors.add(web.base_url + ADD)  # answered 400 in place
    amount = page.get_by_label("Other amount (ml)")
    amount.fill("0")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Please enter an amount above 0 ml.")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_have_accessible_description("Please enter an amount above 0 ml.")
    # Focus stays on the button pressed.
    expect(page.get_by_role("button", name="Add", exact=True)).to_be_focused()
    assert drinks_of(alice) == [200]
    # The status line and the message in place, clean in the dark colours too (Auto follows
    # the device).
    page.emulate_media(color_scheme="dark")
    page.wait_for_function("() => document.documentElement.dataset.bsTheme === 'dark'")
    page.wait_for_function(SETTLED)
    web.check(screenshot="phone-drinks-day-error-dark")
    page.emulate_media(color_scheme="light")
    page.wait_for_function("() => document.documentElement.dataset.bsTheme === 'light'")

    # The rest takes the day to its target: said at once, and the message goes.
    amount.fill("1400")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("You have reached it.")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(amount).not_to_have_attribute("aria-invalid", "true")
    expect(items).to_have_count(2)
    expect(amount).to_have_value("")
    assert page.evaluate(SAME_PAGE)
    assert sorted(drinks_of(alice)) == [200, 1400]
    page.wait_for_function(SETTLED)
    web.check(screenshot="phone-drinks-day")

    # The line added in place links to the drink like any other.
    items.first.get_by_role("link", name="Change the 200 ml drink").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change a drink")
    expect(page.get_by_label("Amount (ml)")).to_have_value("200")
    web.check()
    page.get_by_label("Amount (ml)").fill("250")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("[data-drinks-text=day]")).to_have_text("1650 ml, about 8.3 glasses")
    web.check()
