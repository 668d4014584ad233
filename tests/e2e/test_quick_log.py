"""The quick log on a phone (issue 16), in Chromium at 390x844 with touch: an episode logged in
three taps from the dashboard, the whole first screen inside 844 px with 44 px targets, a
double-tapped Save storing one episode, the optional steps after it, and bad input explained
next to the scale with what was typed kept. Screenshots of each screen go to test-artifacts/."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, log_in
from tracker.models import Episode

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DASHBOARD = "/tracker/"
QUICK_LOG = "/tracker/episodes/new/"
TOUCH_TARGET = 44


@pytest.fixture
def phone(open_browser):
    return open_browser(viewport=PHONE, has_touch=True, is_mobile=True)


def signed_in(phone) -> None:
    log_in(phone, "alice", PASSWORD)


def box_of(locator) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not rendered"
    return box


def assert_on_first_screen(page, locator, name: str) -> dict[str, float]:
    """The control is wholly inside the 390x844 screen, the page not scrolled."""
    assert page.evaluate("() => window.scrollY") == 0
    box = box_of(locator)
    inside = (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= PHONE["width"]
        and box["y"] + box["height"] <= PHONE["height"]
    )
    assert inside, f"{name} is not on the first screen: {box}"
    return box


def severity_button(page, value: int):
    """The visible button of the 0-10 scale (the radio itself is visually hidden)."""
    return page.locator(f"label[for='id_severity_{value}']")


def save_button(page):
    return page.get_by_role("button", name="Save", exact=True)


def expect_step(page, heading: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def settled(page) -> None:
    """Wait until the page has stopped talking to the server before reading the database.

    The next page sends the outbox's copy of a saved quick log again (the server answers that
    it has it). The live server shares this thread's in-memory SQLite connection, so a read made
    while that request is inside its transaction would see its episode before it is rolled
    back: a second episode that is never stored.
    """
    page.wait_for_load_state("networkidle")


def test_from_the_dashboard_an_episode_is_logged_in_three_taps_on_one_screen(phone, alice):
    page = phone.page
    signed_in(phone)
    phone.goto(DASHBOARD)
    phone.check()
    taps = 0

    def tap(locator) -> None:
        nonlocal taps
        taps += 1
        locator.tap()

    # The dashboard's own "Log an episode", on its first screen (the menu stays collapsed).
    log_link = page.get_by_role("main").get_by_role("link", name="Log an episode")
    assert_on_first_screen(page, log_link, "the dashboard's Log an episode")
    tap(log_link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Log an episode")
    page.wait_for_load_state("load")

    # The whole first screen fits 390x844 unscrolled: the scale, ongoing or ended, Save and
    # the way to the warning signs; each of the eleven buttons is at least 44 px each way.
    for value in range(11):
        button = severity_button(page, value)
        expect(button).to_be_visible()
        box = assert_on_first_screen(page, button, f"severity {value}")
        assert box["width"] >= TOUCH_TARGET and box["height"] >= TOUCH_TARGET, (value, box)
    for name, control in (
        ("0 no pain", page.get_by_text("0 no pain")),
        ("10 worst imaginable", page.get_by_text("10 worst imaginable")),
        ("Still going", page.locator("label[for='id_status_0']")),
        ("It has stopped", page.locator("label[for='id_status_1']")),
        ("Save", save_button(page)),
        ("I have a warning sign", page.get_by_role("link", name="I have a warning sign")),
        ("Started earlier?", page.locator(".started-earlier summary")),
    ):
        expect(control).to_be_visible()
        box = assert_on_first_screen(page, control, name)
        if name not in ("0 no pain", "10 worst imaginable"):
            assert box["height"] >= TOUCH_TARGET, (name, box)
    expect(page.get_by_role("radio", name="Still going")).to_be_checked()
    phone.check(screenshot="quick-log-first-screen")
    page.evaluate("() => window.scrollTo(0, 0)")

    tap(severity_button(page, 6))
    expect(page.get_by_role("radio", name=re.compile("^6:"))).to_be_checked()
    tap(save_button(page))

    expect_step(page, "A few safety questions")
    expect(page.get_by_role("status")).to_contain_text("Your episode is saved.")
    assert taps <= 3, f"{taps} taps from the dashboard"
    settled(page)
    episode = Episode.objects.get()
    assert (episode.patient, episode.severity, episode.ended_at) == (alice, 6, None)
    # It started "now": within the minute of the tap, as the phone's clock had it.
    assert timezone.now() - episode.started_at < datetime.timedelta(minutes=2)
    phone.check(screenshot="quick-log-step-safety")


def assert_touch_targets(locator, *, count: int) -> None:
    """Each of the step's tick boxes (their labels) and lists is at least 44 px high."""
    expect(locator).to_have_count(count)
    for n in range(count):
        box = box_of(locator.nth(n))
        assert box["height"] >= TOUCH_TARGET, (locator.nth(n).inner_text(), box)


def fresh_quick_log(phone, value: int = 5) -> None:
    phone.goto(QUICK_LOG)
    phone.page.wait_for_load_state("load")
    severity_button(phone.page, value).tap()


def test_a_double_tapped_save_stores_one_episode(phone, alice):
    page = phone.page
    signed_in(phone)
    posts: list[str] = []

    def on_request(request) -> None:
        if request.method == "POST" and request.url.endswith(QUICK_LOG):
            posts.append(request.url)

    page.on("request", on_request)

    def wait_for_the_first_step() -> None:
        expect_step(page, "A few safety questions")
        settled(page)
        phone.check()

    # A double click, as a mouse or an impatient finger sends it.
    fresh_quick_log(phone, 3)
    phone.check()
    save_button(page).dblclick()
    wait_for_the_first_step()
    assert Episode.objects.count() == 1

    # Two quick taps on the screen at Save, with no wait between them.
    fresh_quick_log(phone, 4)
    box = box_of(save_button(page))
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.touchscreen.tap(x, y)
    page.touchscreen.tap(x, y)
    wait_for_the_first_step()
    assert Episode.objects.count() == 2

    # The form submitted twice over by script, the same key both times.
    fresh_quick_log(phone, 5)
    page.evaluate(
        """() => {
            const form = document.getElementById('quick-log');
            form.requestSubmit();
            form.requestSubmit();
        }"""
    )
    wait_for_the_first_step()
    assert Episode.objects.count() == 3

    # Both reach the server for certain: two POSTs of the same form, one after the other.
    fresh_quick_log(phone, 7)
    before = len(posts)
    landed = page.evaluate(
        """async () => {
            const form = document.getElementById('quick-log');
            const send = () => fetch(form.action, {method: 'POST', body: new FormData(form)});
            const first = await send();
            const second = await send();
            return [first.status, first.url, second.status, second.url];
        }"""
    )
    assert len(posts) - before == 2
    # Both are shown the same next page: the first step of the one episode stored.
    assert landed[0] == landed[2] == 200 and landed[1] == landed[3]
    assert Episode.objects.count() == 4
    assert sorted(Episode.objects.values_list("severity", flat=True)) == [3, 4, 5, 7]
    safety = landed[1].removeprefix(phone.base_url)
    phone.goto(safety)
    phone.check()


def test_the_optional_steps_follow_and_end_on_the_episode_with_what_was_saved(phone, alice):
    page = phone.page
    signed_in(phone)
    fresh_quick_log(phone, 7)
    phone.check()
    save_button(page).tap()

    expect_step(page, "A few safety questions")
    expect(page.get_by_text("Step 1 of 5, optional")).to_be_visible()
    phone.check()
    assert_touch_targets(page.locator("form.episode-step label.form-check-label"), count=10)
    page.get_by_role("button", name="None of these: go on").tap()

    expect_step(page, "Where it hurts")
    phone.check(screenshot="quick-log-step-where")
    assert_touch_targets(page.locator("form.episode-step label.form-check-label"), count=4)
    assert_touch_targets(page.locator("form.episode-step select"), count=4)
    page.get_by_label("Lower back").select_option("left")
    page.get_by_role("checkbox", name="Buttock").tap()
    page.get_by_role("button", name="Save and continue").tap()

    expect_step(page, "What might have set it off")
    expect(page.get_by_role("status")).to_contain_text("Saved: Where it hurts.")
    phone.check(screenshot="quick-log-step-triggers")
    assert_touch_targets(page.locator("form.episode-step label.form-check-label"), count=14)
    page.get_by_role("checkbox", name="Heavy lifting").tap()  # then skipped: not saved
    page.get_by_role("link", name="Skip this step").tap()

    expect_step(page, "What you tried, and did it help?")
    phone.check(screenshot="quick-log-step-relief")
    page.get_by_label("Heat").select_option("2")
    page.get_by_role("button", name="Save and continue").tap()

    expect_step(page, "Anything else")
    phone.check(screenshot="quick-log-step-notes")
    page.get_by_label("Notes").fill("Bent down to lift a box of books.")
    page.get_by_role("button", name="Save and continue").tap()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Episode on")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Lower back, Left")
    expect(main).to_contain_text("Buttock")
    expect(main).to_contain_text("Heat: Much better")
    expect(main).to_contain_text("Bent down to lift a box of books.")
    phone.check(screenshot="quick-log-episode")
    settled(page)

    episode = Episode.objects.get()
    assert episode.severity == 7
    assert list(episode.locations.values_list("region", "side")) == [("lower", "left")]
    assert list(episode.spread.values_list("code", flat=True)) == ["buttock"]
    assert not episode.triggers.exists()
    assert list(episode.relief.values_list("code", "effect")) == [("heat", 2)]
    assert episode.notes == "Bent down to lift a box of books."
    assert not episode.red_flags.exists()

    # One step opened alone from the episode returns to it.
    page.get_by_role("link", name="Change triggers").tap()
    expect_step(page, "What might have set it off")
    expect(page.get_by_text("Step 1 of 5, optional")).to_have_count(0)
    phone.check()
    page.get_by_role("checkbox", name="Heavy lifting").tap()
    page.get_by_role("button", name="Save", exact=True).tap()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Episode on")
    expect(page.get_by_role("main")).to_contain_text("Heavy lifting")
    settled(page)
    assert list(episode.triggers.values_list("code", flat=True)) == ["heavy_lifting"]


def test_without_a_severity_the_message_is_next_to_the_scale_and_the_start_is_kept(phone, alice):
    page = phone.page
    signed_in(phone)
    # In dark colours too, from the first paint (no colours caught mid-transition).
    page.emulate_media(color_scheme="dark")
    phone.goto(QUICK_LOG)
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    phone.check(screenshot="quick-log-first-screen-dark")
    page.emulate_media(color_scheme="light")
    phone.goto(QUICK_LOG)
    page.wait_for_load_state("load")
    # Started earlier: yesterday at 08:15, typed in; then Save with no severity chosen.
    yesterday = (timezone.now().astimezone(alice.zone) - datetime.timedelta(days=1)).date()
    page.get_by_text("Started earlier?").tap()
    page.get_by_label("Date it started").fill(yesterday.isoformat())
    page.get_by_label("Time it started").fill("08:15")
    save_button(page).tap()

    scale = page.locator("fieldset.severity-scale")
    message = scale.locator("#severity-error")
    expect(message).to_have_text("Please choose how bad it is, from 0 to 10.")
    expect(message).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Nothing has been saved yet")
    # Next to the scale: inside its group, between its question and its buttons, and read out
    # with it.
    expect(scale).to_have_attribute("aria-describedby", "severity-error")
    legend, first = box_of(scale.locator("legend")), box_of(severity_button(page, 0))
    said = box_of(message)
    assert legend["y"] < said["y"] < first["y"], (legend, said, first)
    # What was typed is kept, and the folded start says so rather than "Now".
    expect(page.get_by_label("Date it started")).to_have_value(yesterday.isoformat())
    expect(page.get_by_label("Time it started")).to_have_value("08:15")
    expect(page.locator("[data-start-summary]")).to_have_text(
        f"Started {yesterday.isoformat()} at 08:15"
    )
    settled(page)
    assert not Episode.objects.exists()
    phone.check(screenshot="quick-log-no-severity")

    severity_button(page, 4).tap()
    save_button(page).tap()
    expect_step(page, "A few safety questions")
    settled(page)
    episode = Episode.objects.get()
    start = episode.started_at.astimezone(alice.zone)
    assert (start.date(), start.time()) == (yesterday, datetime.time(8, 15))
    assert episode.severity == 4
    phone.check()
