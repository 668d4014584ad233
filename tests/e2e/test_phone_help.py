"""Help first on a phone (issue 16), in Chromium at 390x844 with touch: the numbers to call in
the first screen of "Get help now", Get help in the header without opening the menu, each role's
landing page, and every main page clean under axe in light and dark colours."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import CLINICIANS, CONTENT_EDITORS
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import PHONE, fill_login_form, log_in
from tests.factories import add_drink, answer_red_flags, log_episode, share

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FOLD = PHONE["height"]
TOUCH_TARGET = 44


@pytest.fixture
def phone(open_browser):
    return open_browser(viewport=PHONE, has_touch=True)


@pytest.fixture
def library(published_library) -> None:
    """The article library, approved by a clinical reviewer (tests/conftest.py)."""


def bottom_of(locator) -> float:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not rendered"
    return box["y"] + box["height"]


def assert_numbers_above_the_fold(phone) -> dict[str, float]:
    """The three ways to get help are entirely inside the first 844 px; returns their bottoms."""
    page = phone.page
    assert page.evaluate("() => window.scrollY") == 0
    numbers = page.locator(".help-numbers")
    calls = numbers.locator('a[href^="tel:"]')
    expect(calls).to_have_count(2)
    links = {
        "tel:999": calls.nth(0),
        "tel:111": calls.nth(1),
        "111 online": numbers.get_by_role("link", name="NHS 111 online"),
    }
    expect(links["tel:999"]).to_have_attribute("href", "tel:999")
    expect(links["tel:111"]).to_have_attribute("href", "tel:111")
    expect(links["111 online"]).to_have_attribute("href", "https://111.nhs.uk/")
    bottoms = {}
    for name, link in links.items():
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box["y"] >= 0 and box["height"] >= TOUCH_TARGET, (name, box)
        bottoms[name] = box["y"] + box["height"]
        # Its line on when to use it is on the first screen too.
        assert bottom_of(link.locator("xpath=following-sibling::p")) <= FOLD, name
    assert max(bottoms.values()) <= FOLD, bottoms
    return bottoms


def assert_header_help_without_the_menu(phone) -> None:
    page = phone.page
    header = page.locator(".site-header")
    get_help = header.get_by_role("link", name=re.compile("^Get help"))
    expect(get_help).to_have_count(1)  # one Get help: the menu's own is not shown here
    expect(get_help).to_be_visible()
    expect(page.locator("#site-nav")).not_to_be_visible()  # the menu is still collapsed
    toggler = header.get_by_role("button", name="Menu")
    for control in (get_help, toggler):
        box = control.bounding_box()
        assert box["height"] >= TOUCH_TARGET and box["width"] >= TOUCH_TARGET, box
    # Beside the site's name, before the toggler, on the same row.
    brand = header.get_by_role("link", name="Back cramp care")
    rows = [brand.bounding_box(), get_help.bounding_box(), toggler.bounding_box()]
    assert rows[0]["x"] < rows[1]["x"] < rows[2]["x"]
    assert abs((rows[1]["y"] + rows[1]["height"] / 2) - (rows[2]["y"] + rows[2]["height"] / 2)) < 4


def test_a_visitor_taps_get_help_and_has_the_numbers_in_the_first_screen(phone):
    page = phone.page
    phone.goto("/")
    assert_header_help_without_the_menu(phone)
    phone.check()
    page.locator(".site-header").get_by_role("link", name="Get help").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Get help now")
    bottoms = assert_numbers_above_the_fold(phone)
    print(f"\nvisitor /get-help/ at 390x844, bottoms of the links: {bottoms}")  # noqa: T201
    assert_header_help_without_the_menu(phone)
    phone.check(screenshot="phone-get-help-visitor")


def test_a_signed_in_patient_has_the_numbers_before_the_checklist(phone):
    alice = make_user("alice")
    page = phone.page
    log_in(phone, "alice", PASSWORD)
    assert phone.path == "/tracker/"  # a patient lands on their tracker
    assert_header_help_without_the_menu(phone)
    page.locator(".site-header").get_by_role("link", name="Get help").tap()
    expect(page.get_by_role("heading", name="Tell us what you have now")).to_be_attached()
    bottoms = assert_numbers_above_the_fold(phone)
    print(f"\npatient /get-help/ at 390x844, bottoms of the links: {bottoms}")  # noqa: T201
    checklist = page.get_by_role("heading", name="Tell us what you have now").bounding_box()
    assert checklist["y"] > max(bottoms.values())
    phone.check(screenshot="phone-get-help-patient")

    # After a warning sign and its advice, the banner is one line: the numbers still fit.
    answer_red_flags(alice, "chest_pain")
    phone.goto("/tracker/advice/")
    phone.check()
    phone.goto("/get-help/")
    banner = page.get_by_role("region", name="Urgent advice for you")
    expect(banner).to_contain_text("Call 999 or go to A&E now.")
    expect(banner.locator('a[href="tel:999"]')).to_be_visible()
    assert bottom_of(banner) < 844 / 4
    bottoms = assert_numbers_above_the_fold(phone)
    print(f"patient /get-help/ with the one-line banner, bottoms: {bottoms}")  # noqa: T201
    phone.check(screenshot="phone-get-help-one-line-banner")


def sign_in(browser, username: str) -> None:
    """Log in through the form on the page in front of the browser (the second factor too, for
    the clinician and the editor); wait to land."""
    fill_login_form(browser, username, PASSWORD, tap=True)


def test_each_role_lands_on_its_own_page(open_browser):
    make_user("alice")
    make_user("bob", groups=(CLINICIANS,))
    make_user("erin", groups=(CONTENT_EDITORS,), is_staff=True)
    for username, landing in (("alice", "/tracker/"), ("bob", "/clinic/"), ("erin", "/admin/")):
        browser = open_browser(viewport=PHONE, has_touch=True)
        browser.goto("/accounts/login/")
        browser.check()
        sign_in(browser, username)
        assert browser.path == landing, username
        if landing != "/admin/":  # Django's own admin is not audited (tests/e2e/conftest.py)
            browser.check()
    # A page that asked for a login still wins over the role's own page.
    browser = open_browser(viewport=PHONE, has_touch=True)
    browser.goto("/tracker/drinks/")
    assert browser.path == "/accounts/login/"
    browser.check()
    sign_in(browser, "alice")
    assert browser.path == "/tracker/drinks/"
    browser.check()


def mode(page) -> str:
    return page.evaluate("() => document.documentElement.dataset.bsTheme || 'light'")


def audit_in_both_modes(phone, name: str) -> None:
    """Audit the page with the device set to light and to dark colours (the switch on Auto),
    each from a fresh load, so the colours are the ones set before the first paint."""
    page = phone.page
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.reload()
        assert mode(page) == scheme, f"{phone.path} in {scheme}"
        phone.check(screenshot=f"phone-{name}-{scheme}")


def test_the_main_pages_are_clean_in_light_and_dark_colours(phone, library):
    patient = make_user("alice")
    days_ago = timezone.now() - datetime.timedelta(days=3)
    log_episode(patient, start=days_ago, end=days_ago + datetime.timedelta(hours=1), severity=6)
    add_drink(patient, day=timezone.localdate() - datetime.timedelta(days=1), ml=1200)
    answer_red_flags(patient, "fever")
    page = phone.page

    phone.goto("/")
    audit_in_both_modes(phone, "home")
    phone.goto("/articles/causes-and-risk-factors/")
    expect(page.get_by_role("heading", level=1)).to_have_text("What causes back spasms")
    audit_in_both_modes(phone, "article")
    phone.goto("/get-help/")
    audit_in_both_modes(phone, "get-help-visitor")

    log_in(phone, "alice", PASSWORD)
    # The advice not yet seen: the banner is in full on the dashboard.
    expect(page.get_by_role("region", name="Urgent advice for you")).to_contain_text(
        "Because you said you have"
    )
    audit_in_both_modes(phone, "dashboard-full-banner")
    phone.goto("/tracker/advice/")
    audit_in_both_modes(phone, "advice")
    phone.goto("/tracker/")
    expect(page.get_by_role("region", name="Urgent advice for you")).not_to_contain_text(
        "Because you said you have"
    )
    audit_in_both_modes(phone, "dashboard")
    phone.goto("/tracker/episodes/new/")
    audit_in_both_modes(phone, "log")
    phone.goto("/get-help/")
    audit_in_both_modes(phone, "get-help-patient")


def test_the_colour_switch_is_remembered_and_auto_follows_the_device(phone):
    page = phone.page
    page.emulate_media(color_scheme="light")
    phone.goto("/")
    assert mode(page) == "light"
    switch = page.get_by_role("group", name=re.compile("^Colours"))
    expect(switch).to_be_visible()
    expect(switch.get_by_role("radio", name="Auto")).to_be_checked()
    for label in ("Auto", "Light", "Dark"):
        box = switch.locator("label", has_text=label).bounding_box()
        assert box["height"] >= TOUCH_TARGET and box["width"] >= TOUCH_TARGET, (label, box)

    switch.locator("label", has_text="Dark").tap()
    assert mode(page) == "dark"
    phone.check(screenshot="phone-home-switched-dark")
    # Remembered on this device, before the first paint of the next page.
    phone.goto("/get-help/")
    assert mode(page) == "dark"
    expect(page.get_by_role("radio", name="Dark")).to_be_checked()
    phone.check()

    # A chosen mode holds whatever the device says; Auto follows the device again, live.
    page.emulate_media(color_scheme="dark")
    page.get_by_role("group", name=re.compile("^Colours")).locator("label", has_text="Light").tap()
    assert mode(page) == "light"
    page.reload()
    assert mode(page) == "light"
    page.get_by_role("group", name=re.compile("^Colours")).locator("label", has_text="Auto").tap()
    assert mode(page) == "dark"
    page.emulate_media(color_scheme="light")
    page.wait_for_function("() => document.documentElement.dataset.bsTheme === 'light'")
    phone.check()


def test_every_other_page_is_clean_in_dark_colours(open_browser, library):
    """The rest of the site in dark colours (light is audited by the journeys)."""
    clinician = make_user("bob", groups=(CLINICIANS,))
    patient = make_user("alice")
    yesterday = timezone.now() - datetime.timedelta(days=1)
    episode = log_episode(patient, start=yesterday, end=yesterday, severity=5)
    add_drink(patient, day=timezone.localdate(), ml=400)
    answer_red_flags(patient, "fever")
    share(patient, clinician)
    pages = {
        None: ["/articles/", "/search/?q=stretch", "/accounts/signup/", "/accounts/login/"],
        # The clinician first, so the patient's "who looked" has a row.
        "bob": [
            "/clinic/",
            f"/clinic/patients/{patient.pk}/",
            f"/clinic/patients/{patient.pk}/summary/",
        ],
        "alice": [
            "/tracker/episodes/",
            f"/tracker/episodes/{episode.pk}/",
            "/tracker/check-in/",
            "/tracker/drinks/",
            "/tracker/red-flags/",
            "/tracker/settings/",
            "/tracker/your-data/",
            "/sharing/",
            "/sharing/who-looked/",
            "/accounts/profile/",
        ],
    }
    for username, paths in pages.items():
        browser = open_browser(viewport=PHONE, has_touch=True, color_scheme="dark")
        if username:
            browser.goto("/accounts/login/")
            browser.check()
            sign_in(browser, username)
            browser.check()
        for path in paths:
            browser.goto(path)
            assert mode(browser.page) == "dark", path
            browser.check()
