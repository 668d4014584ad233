"""Journeys 2 and 3: a new patient signs up and logs an episode by keyboard (the quick log, its
optional steps, then a warning sign); then drinks, the dashboard and their data."""

import datetime
import json
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import log_in
from tests.factories import log_episode
from tracker.models import Episode, HydrationDay

# Each journey commits for real, since the live server reads it from its own thread.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_new_patient_signs_up_and_logs_an_emergency_by_keyboard(web):
    page = web.page
    web.goto("/")
    web.check()
    page.get_by_role("link", name="Start a symptom diary").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    # The browser's own zone (the context runs in New York) is suggested; she sets her own.
    zone = page.get_by_label("Time zone")
    expect(zone).to_have_value("America/New_York")
    web.check()

    page.get_by_label("Username").fill("nadia")
    page.get_by_label("Email").fill("nadia@example.org")
    page.get_by_label("Date of birth").fill("1986-04-30")
    zone.fill("Europe/London")
    page.get_by_role("textbox", name=re.compile(r"^Password\W*$")).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD + "typo")
    # Consent (issue 19): two boxes, never ticked in advance; they stay ticked when refused.
    page.get_by_role("checkbox", name=re.compile("store and use my health information")).check()
    page.get_by_role("checkbox", name="I accept the terms of use").check()
    page.get_by_role("button", name="Create my account").click()
    # The error is announced: a summary in an alert, and the field describes its own error.
    expect(page.get_by_role("alert")).to_contain_text("Nothing has been saved yet")
    confirmation = page.get_by_label("Password (again)")
    expect(confirmation).to_have_attribute("aria-invalid", "true")
    expect(confirmation).to_have_accessible_description(re.compile("same password"))
    expect(page.get_by_label("Username")).to_have_value("nadia")  # nothing typed is lost
    web.check()
    page.get_by_role("textbox", name=re.compile(r"^Password\W*$")).fill(PASSWORD)
    confirmation.fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    # The address is checked with a code sent to it, typed on the page (no link to follow).
    page.wait_for_url("**/accounts/confirm-email/")
    web.check(screenshot="sign-up-code")
    [message] = mail.outbox
    code = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", message.body, re.MULTILINE).group(1)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your tracker")
    nadia = User.objects.get(username="nadia")
    assert nadia.time_zone == "Europe/London"
    assert nadia.date_of_birth == datetime.date(1986, 4, 30)
    web.check()

    # From here on, the keyboard only. A new account lands on the tracker, whose own button is
    # the first "Log an episode" the keyboard reaches after the menu's.
    web.tab_to(page.locator("main").get_by_role("link", name="Log an episode"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log an episode")
    web.check(screenshot="quick-log-keyboard")
    web.assert_focus_follows_reading_order()

    # The quick log: the start is now and "still going" is chosen; only how bad is asked.
    page.evaluate("() => document.activeElement.blur()")
    expect(page.get_by_role("radio", name="Still going")).to_be_checked()
    web.tab_to(page.get_by_role("radio", name="0:", exact=False).first)
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name=re.compile("^7:"))).to_be_checked()
    web.tab_to(page.get_by_role("button", name="Save", exact=True))
    page.keyboard.press("Enter")

    # Stored at once; the optional steps follow, the safety questions first.
    expect(page.get_by_role("heading", level=1)).to_have_text("A few safety questions")
    expect(page.get_by_role("status")).to_contain_text("Your episode is saved.")
    # This page sends the outbox's copy again (already stored); read once it has finished, as
    # the live server shares this thread's database connection.
    page.wait_for_load_state("networkidle")
    episode = Episode.objects.get(patient__username="nadia")
    assert (episode.severity, episode.ended_at) == (7, None)
    web.check()
    web.tab_to(page.get_by_role("button", name="None of these: go on"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Where it hurts")
    web.check()
    web.tab_to(page.get_by_label("Lower back"))
    page.keyboard.type("Left")
    expect(page.get_by_label("Lower back")).to_have_value("left")
    web.tab_to(page.get_by_role("button", name="Save and continue"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("What might have set it off")
    web.check()
    web.tab_to(page.get_by_role("checkbox", name="Heavy lifting"))
    page.keyboard.press("Space")
    web.tab_to(page.get_by_role("checkbox", name="A sudden twist or jerk"))
    page.keyboard.press("Space")
    web.tab_to(page.get_by_role("button", name="Save and continue"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("What you tried, and did it help?")
    web.check()
    web.tab_to(page.get_by_label("Heat"))
    page.keyboard.type("Much")
    expect(page.get_by_label("Heat")).to_have_value("2")
    web.tab_to(page.get_by_role("button", name="Save and continue"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Anything else")
    web.check()
    web.tab_to(page.get_by_label("Notes"))
    page.keyboard.type("Bent down to lift a box of books.")
    web.tab_to(page.get_by_role("button", name="Save and continue"))
    page.keyboard.press("Enter")

    # The episode, with what each step saved.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Episode on")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Bent down to lift a box of books.")
    expect(main).to_contain_text("Heat: Much better")
    web.check()

    # Later the warning sign comes: the safety questions, opened from the episode.
    web.tab_to(page.get_by_role("link", name="Answer the safety questions"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("A few safety questions")
    web.check()
    web.tab_to(page.get_by_role("checkbox", name=re.compile("^Numbness or tingling around")))
    page.keyboard.press("Space")
    web.tab_to(page.get_by_role("button", name="Save my answers"))
    page.keyboard.press("Enter")

    # The emergency advice comes at once, first on the page.
    expect(page.get_by_role("heading", level=1)).to_have_text("What to do now")
    headings = page.get_by_role("main").get_by_role("heading")
    expect(headings.nth(1)).to_have_text("Call 999 or go to A&E now")
    web.check()

    episode.refresh_from_db()
    assert episode.severity == 7
    assert episode.ended_at is None
    assert {(loc.region, loc.side) for loc in episode.locations.all()} == {("lower", "left")}
    assert {t.code for t in episode.triggers.all()} == {"heavy_lifting", "sudden_twist"}
    assert {(r.code, r.effect) for r in episode.relief.all()} == {("heat", 2)}
    assert episode.notes == "Bent down to lift a box of books."
    assert [answer.code for answer in episode.red_flags.all()] == ["saddle_numbness"]


def test_a_patient_logs_drinks_sees_the_chart_and_its_table_and_downloads_their_data(web):
    patient = make_user("alice")
    yesterday = timezone.now() - datetime.timedelta(days=1)
    log_episode(patient, start=yesterday, end=yesterday, severity=6)
    page = web.page
    log_in(web, "alice", PASSWORD)

    page.get_by_role("link", name="Drinks", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Today's drinks")
    web.check()
    # Drinks are added in place (static/js/drinks.js; tests/e2e/test_phone_drinks.py).
    page.get_by_role("button", name="+ a glass (200 ml)").click()
    expect(page.locator("[data-drinks-status]")).to_have_text(
        "Added 200 ml. 200 ml, about 1.0 glasses."
    )
    page.get_by_role("button", name="+ a 500 ml bottle").click()
    expect(page.locator("[data-drinks-status]")).to_have_text(
        "Added 500 ml. 700 ml, about 3.5 glasses."
    )

    # A mistyped amount: the message is next to the field and the typed value is kept.
    web.expected_errors.add(web.base_url + "/tracker/drinks/add/")  # answered 400 in place
    amount = page.get_by_label("Other amount (ml)")
    amount.fill("6000")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_have_value("6000")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(amount).to_have_accessible_description(re.compile("more than 5 litres in one go"))
    expect(page.get_by_role("main")).to_contain_text("700 ml")
    page.wait_for_function("() => document.getAnimations().length === 0")
    web.check()
    amount.fill("300")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("main")).to_contain_text("1000 ml")
    expect(amount).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_have_count(0)

    page.get_by_role("button", name="I logged all my drinks today").click()
    expect(page.get_by_role("button", name=re.compile("undo"))).to_be_visible()
    assert HydrationDay.objects.get(patient=patient).complete
    web.check()

    # The dashboard's charts say what they are, and the same numbers are in a table.
    page.get_by_role("link", name="Your tracker").click()
    expect(page.get_by_role("img", name=re.compile("worst pain each day"))).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("drinks each day"))).to_be_visible()
    page.get_by_text("Show these numbers as a table").click()
    table = page.get_by_role("table", name=re.compile("Worst pain and drinks"))
    expect(table).to_be_visible()
    expect(table.get_by_role("row").nth(1)).to_contain_text("1000")
    web.check(screenshot="dashboard")
    web.assert_focus_follows_reading_order()

    # Their data, in both formats.
    page.get_by_role("link", name="Your data").click()
    web.check()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as JSON").click()
    data = json.loads(download.value.path().read_text())
    assert sum(drink["amount_ml"] for drink in data["drinks"]) == 1000
    assert [episode["severity"] for episode in data["episodes"]] == [6]
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download as spreadsheets")).click()
    assert download.value.suggested_filename.endswith(".zip")
    assert download.value.path().read_bytes()[:2] == b"PK"
