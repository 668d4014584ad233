"""The installable app offline (issue 16), on a phone: 390x844 with touch.

The service worker installs and controls the pages; with the connection off, the quick log and
"Get help now" still open; a quick log saved offline waits on the phone and is sent when the
connection returns, stored exactly once however often the sending starts; red-flag answers
given offline show the advice at once and reach the log later; logging out deletes the pages kept.

The live server runs on http://localhost, where browsers allow service workers. Playwright's
set_offline() cuts the page and its service worker off the network (the service worker's own
fetches fail too: the dashboard, which it never keeps, then shows the offline page).
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.conftest import PASSWORD, make_article, make_user
from tests.e2e.conftest import AXE_SOURCE, AXE_TAGS, PHONE, log_in
from tracker.models import Episode, RedFlagAnswer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

QUICK_LOG = "/tracker/episodes/new/"
DASHBOARD = "/tracker/"
GET_HELP = "/get-help/"

WORKER_READY = """async () => {
    const registration = await navigator.serviceWorker.ready;
    return {script: registration.active.scriptURL, scope: registration.scope};
}"""
CONTROLLED = "() => navigator.serviceWorker.controller !== null"
INSTALL_TIMEOUT_MS = 30_000
CLAIM_TIMEOUT_MS = 5_000
# Every URL kept in the caches the service worker fills as pages are visited, with its body.
KEPT_PAGES = """async () => {
    const kept = {};
    for (const name of await caches.keys()) {
        if (!name.startsWith('bcc-pages') && !name.startsWith('bcc-articles')) continue;
        const cache = await caches.open(name);
        for (const request of await cache.keys()) {
            const response = await cache.match(request);
            kept[new URL(request.url).pathname] = await response.text();
        }
    }
    return kept;
}"""
OUTBOX = "async () => (await portalOutbox.entries()).map(e => ({key: e.key, state: e.state}))"
# POST the waiting entry `times` times at once, as the outbox sends it; the statuses, sorted.
SEND_AS_THE_OUTBOX = """async (times) => {
    const [entry] = await portalOutbox.entries();
    const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
    const send = () => fetch(entry.action, {
        method: 'POST', body: new URLSearchParams(entry.fields),
        headers: {'Accept': 'application/json', 'X-CSRFToken': token},
    }).then(response => response.status);
    return (await Promise.all(Array.from({length: times}, send))).sort();
}"""


@pytest.fixture
def phone(open_browser):
    """A browser the size of a phone, with a touch screen, and the service workers it installs."""
    return open_browser(viewport=PHONE, has_touch=True)


def installed(web) -> None:
    """Wait until the service worker is active, controls the page and holds the shell."""
    worker = web.page.evaluate(WORKER_READY)
    assert worker == {"script": web.base_url + "/sw.js", "scope": web.base_url + "/"}
    # The worker is active here, and claims the pages open as it activates (clientsClaim). A
    # page whose navigation began just before can miss that claim (Chromium), and then stays
    # uncontrolled until its next load, which is what a person's next page is: installing
    # takes a few hundredths of a second, but two full runs of the suite each had one journey
    # wait the whole 30 s for a claim that never came. Such a page is loaded once more.
    try:
        web.page.wait_for_function(CONTROLLED, timeout=CLAIM_TIMEOUT_MS)
    except PlaywrightTimeoutError:
        web.page.reload()
        web.page.wait_for_function(CONTROLLED, timeout=INSTALL_TIMEOUT_MS)
    web.page.wait_for_function(
        """async () => {
            const names = await caches.keys();
            const shell = names.find(name => name.startsWith('bcc-precache'));
            return shell && (await (await caches.open(shell)).keys()).length > 10;
        }""",
        timeout=INSTALL_TIMEOUT_MS,
    )


def kept(web, path: str) -> None:
    """Wait until the service worker (or the page's script) has kept a copy of the page."""
    web.page.wait_for_function(f"async () => Boolean((await ({KEPT_PAGES})())[{path!r}])")


def go_offline(web) -> None:
    """Cut the phone off the network. What then fails is expected: the outbox's check that the
    server can be reached (/ping/) and its attempts to send."""
    for path in ("/ping/", QUICK_LOG, "/tracker/red-flags/"):
        web.expected_errors.add(web.base_url + path)
    web.page.context.set_offline(True)


def back_online(web) -> None:
    """Reconnect, and fire the "online" event a phone fires then: Playwright's emulation leaves
    navigator.onLine true in a page its service worker served, so the browser fires none."""
    web.page.context.set_offline(False)
    web.page.evaluate("() => window.dispatchEvent(new Event('online'))")


def check_dark(web, selector: str, screenshot: str) -> None:
    """axe on what this part shows (selector), in the dark colours: the rest of each page is
    audited in the dark by the tests of the parts that draw it."""
    page = web.page
    page.emulate_media(color_scheme="dark")
    try:
        page.wait_for_function("() => document.documentElement.dataset.bsTheme === 'dark'")
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(AXE_SOURCE.read_text())
        violations = page.evaluate(
            """async ([selector, tags]) => {
                const found = [...document.querySelectorAll(selector)];
                if (!found.length) return ['nothing matches ' + selector];
                const r = await axe.run(found, {runOnly: {type: 'tag', values: tags}});
                return r.violations.map(v => `${v.id}: ` +
                    v.nodes.map(n => n.target.join(' ') + ' | ' + n.failureSummary).join('; '));
            }""",
            [selector, AXE_TAGS],
        )
        assert not violations, f"axe in the dark on {selector}:\n" + "\n".join(violations)
        web.screenshot(screenshot)
    finally:
        page.emulate_media(color_scheme="light")


def severity(page, value: int) -> None:
    page.locator(f"label[for='id_severity_{value}']").tap()


def test_the_app_installs_and_opens_offline(phone):
    make_user("alice")
    page = phone.page
    log_in(phone, "alice", PASSWORD)
    phone.goto(DASHBOARD)
    installed(phone)
    # The browser reads the manifest without complaint.
    cdp = page.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"] == phone.base_url + "/manifest.webmanifest"
    assert manifest["errors"] == []
    phone.check(screenshot="offline-dashboard-installed")

    phone.goto(QUICK_LOG)
    phone.check()
    phone.goto(GET_HELP)
    phone.check()
    kept(phone, QUICK_LOG)
    kept(phone, GET_HELP)

    go_offline(phone)
    try:
        phone.goto(QUICK_LOG)
        expect(page.get_by_role("heading", level=1)).to_have_text("Log an episode")
        expect(page.get_by_role("button", name="Save")).to_be_visible()
        phone.check(screenshot="offline-quick-log")

        phone.goto(GET_HELP)
        expect(page.get_by_role("heading", level=1)).to_have_text("Get help now")
        expect(page.locator("a[href='tel:999']").first).to_be_visible()
        phone.check(screenshot="offline-get-help")

        # A page it never keeps (health data) shows the offline page, not an old copy.
        phone.goto(DASHBOARD)
        expect(page.get_by_role("heading", level=1)).to_have_text("You are offline")
        expect(page.get_by_role("link", name="Log an episode").last).to_be_visible()
        phone.check(screenshot="offline-page")
    finally:
        back_online(phone)

    pages = page.evaluate(KEPT_PAGES)
    assert set(pages) <= {QUICK_LOG, GET_HELP}, f"kept: {sorted(pages)}"


def test_a_quick_log_made_offline_waits_then_is_stored_exactly_once(phone, settings):
    alice = make_user("alice")
    page = phone.page
    log_in(phone, "alice", PASSWORD)
    phone.goto(QUICK_LOG)
    installed(phone)
    kept(phone, QUICK_LOG)

    go_offline(phone)
    phone.goto(QUICK_LOG)
    start = page.get_by_label("Time it started")
    typed_start = (page.get_by_label("Date it started").input_value(), start.input_value())
    severity(page, 7)
    page.get_by_role("button", name="Save").tap()

    waiting = page.locator("[data-outbox-status]")
    expect(waiting.get_by_role("heading", name="Waiting to send")).to_be_visible()
    item = waiting.locator(".outbox-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(f"Episode started {typed_start[1]}")
    expect(item).to_contain_text("severity 7 of 10")
    expect(item).to_contain_text("Waiting to send")
    expect(waiting).to_have_attribute("aria-live", "polite")
    # Nothing reached the server; the form is ready for the next entry.
    assert not Episode.objects.exists()
    expect(page.locator("input[name=severity]:checked")).to_have_count(0)
    expect(page.get_by_role("button", name="Save")).to_be_enabled()
    phone.check(screenshot="offline-quick-log-waiting")
    check_dark(phone, "[data-outbox-status]", "offline-quick-log-waiting-dark")

    # Back online, but the server refuses it for now (the hourly limit): it keeps waiting, and
    # the dashboard says so.
    settings.PORTAL_EPISODES_PER_HOUR = 0  # the outbox is told 429 until it lifts
    back_online(phone)
    expect(item).to_contain_text(re.compile("limit|hour|too many", re.I))
    phone.goto(DASHBOARD)
    dashboard_list = page.locator("[data-outbox-status] .outbox-item")
    expect(dashboard_list).to_contain_text("Waiting to send")
    expect(dashboard_list).to_contain_text("severity 7 of 10")
    assert not Episode.objects.exists()
    phone.check(screenshot="offline-dashboard-waiting")

    # The limit lifts. Another tab (or another of her phones) sends the entry first, as the
    # outbox sends it: stored.
    settings.PORTAL_EPISODES_PER_HOUR = 120
    assert page.evaluate(SEND_AS_THE_OUTBOX, 1) == [201]
    # This tab's outbox then sends it on the next page (told 200: already stored, and drops
    # it); a second tab opening and this one coming back find nothing left to send.
    phone.goto(DASHBOARD)
    expect(page.locator(".outbox-sent")).to_contain_text("Sent: Episode started")
    expect(page.locator(".outbox-sent").get_by_role("link", name="Add details")).to_be_visible()
    expect(page.locator(".outbox-item")).to_have_count(0)
    phone.check(screenshot="offline-dashboard-sent")
    second = page.context.new_page()
    second.goto(phone.base_url + DASHBOARD)
    second.wait_for_function(f"async () => (await ({OUTBOX})()).length === 0")
    second.close()
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    page.wait_for_function(f"async () => (await ({OUTBOX})()).length === 0")

    episode = Episode.objects.get()
    assert episode.patient == alice
    assert episode.severity == 7
    assert episode.ended_at is None
    started = timezone.localtime(episode.started_at, alice.zone)
    assert (started.date().isoformat(), started.strftime("%H:%M")) == typed_start
    phone.goto(DASHBOARD)
    expect(page.locator("[data-outbox-status] .outbox-item")).to_have_count(0)
    phone.check()


def test_an_entry_kept_when_the_session_ends_waits_for_its_owner_to_log_in(phone):
    make_user("alice")
    page = phone.page
    log_in(phone, "alice", PASSWORD)
    phone.goto(QUICK_LOG)
    installed(phone)
    kept(phone, QUICK_LOG)
    phone.check()

    go_offline(phone)
    phone.goto(QUICK_LOG)
    severity(page, 3)
    page.get_by_role("button", name="Save").tap()
    item = page.locator(".outbox-item")
    expect(item).to_contain_text("Waiting to send")

    # Her session ends meanwhile (the idle limit, say): the server answers 401 and it waits.
    page.context.clear_cookies(name="sessionid")
    back_online(phone)
    expect(item).to_contain_text("Log in to send")
    assert not Episode.objects.exists()
    phone.check(screenshot="offline-quick-log-log-in-to-send")

    item.get_by_role("link", name="Log in to send it").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    phone.check()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").tap()
    page.wait_for_url(phone.base_url + QUICK_LOG)
    expect(page.locator(".outbox-sent")).to_contain_text("Sent: Episode started")
    phone.check()
    assert Episode.objects.get().severity == 3


@pytest.mark.postgresql  # the live server shares one connection between threads on SQLite
def test_two_tabs_sending_the_same_entry_at_once_store_it_once(phone):
    alice = make_user("alice")
    page = phone.page
    log_in(phone, "alice", PASSWORD)
    phone.goto(QUICK_LOG)
    severity(page, 5)
    # The quick log's fields, sent twice at the same moment as the outbox sends them, past any
    # lock in the browser: the server stores one and tells the other it already has it.
    statuses = page.evaluate(
        """async () => {
            const form = document.getElementById('quick-log');
            const fields = [...new FormData(form)]
                .filter(([name]) => name !== 'csrfmiddlewaretoken');
            const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
            const send = () => fetch(form.action, {
                method: 'POST', body: new URLSearchParams(fields),
                headers: {'Accept': 'application/json', 'X-CSRFToken': token},
            }).then(response => response.status);
            return Promise.all([send(), send(), send()]);
        }"""
    )
    assert sorted(statuses) == [200, 200, 201]
    assert Episode.objects.filter(patient=alice).count() == 1
    phone.check()


def test_an_entry_the_server_refuses_can_be_opened_changed_and_sent(phone):
    alice = make_user("alice")
    page = phone.page
    log_in(phone, "alice", PASSWORD)
    phone.goto(QUICK_LOG)
    installed(phone)
    kept(phone, QUICK_LOG)

    # Offline, a start tomorrow: the phone cannot know it is wrong, the server will.
    go_offline(phone)
    phone.goto(QUICK_LOG)
    tomorrow = timezone.localtime(timezone.now(), alice.zone) + datetime.timedelta(days=2)
    tomorrow = tomorrow.date().isoformat()
    page.get_by_text("Started earlier?").tap()
    page.get_by_label("Date it started").fill(tomorrow)
    severity(page, 4)
    page.get_by_role("button", name="Save").tap()
    expect(page.locator(".outbox-item")).to_contain_text("Waiting to send")

    back_online(phone)  # the server answers 400, with its message
    item = page.locator(".outbox-item")
    expect(item).to_contain_text("Needs a change")
    expect(item).to_contain_text("The start cannot be in the future.")
    assert not Episode.objects.exists()
    phone.check(screenshot="offline-quick-log-needs-a-change")

    # Opened in the form with everything as typed, changed, and sent the usual way.
    item.get_by_role("button", name="Open it in the form").tap()
    expect(page.get_by_label("Date it started")).to_have_value(tomorrow)
    expect(page.locator("#id_severity_4")).to_be_checked()
    an_hour_ago = timezone.localtime(timezone.now(), alice.zone) - datetime.timedelta(hours=1)
    page.get_by_label("Date it started").fill(an_hour_ago.date().isoformat())
    page.get_by_label("Time it started").fill(an_hour_ago.strftime("%H:%M"))
    page.get_by_role("button", name="Save").tap()
    page.wait_for_url(lambda url: QUICK_LOG not in url)
    phone.check()
    page.wait_for_function(f"async () => (await ({OUTBOX})()).length === 0")
    episode = Episode.objects.get()
    assert episode.severity == 4


def test_the_red_flag_advice_shows_offline_at_once_and_reaches_the_log_later(phone):
    alice = make_user("alice")
    page = phone.page
    log_in(phone, "alice", PASSWORD)
    phone.goto(GET_HELP)
    installed(phone)
    kept(phone, GET_HELP)

    go_offline(phone)
    phone.goto(GET_HELP)
    page.get_by_role("checkbox", name=re.compile("weakness in both legs")).check()
    page.get_by_role("checkbox", name=re.compile("high temperature")).check()
    page.get_by_role("button", name="Show me what to do").tap()

    advice = page.locator("[data-offline-advice]")
    expect(advice).to_be_visible()
    expect(advice).to_have_attribute("data-offline-advice", "emergency")
    expect(advice.get_by_role("heading")).to_contain_text("call 999")
    expect(advice).to_contain_text("weakness in both legs")
    call = advice.locator("a[href='tel:999']")
    expect(call).to_be_visible()
    expect(advice).to_be_focused()
    # At the top: under the page's title, inside the first screen.
    box = advice.bounding_box()
    assert box is not None and 0 <= box["y"] < PHONE["height"] / 2
    # The answers wait on the phone, listed under the advice.
    waiting = page.locator(".outbox-item")
    expect(waiting).to_contain_text("2 warning signs you ticked at")
    expect(waiting).to_contain_text("Waiting to send")
    assert advice.evaluate(
        "(el) => Boolean(el.compareDocumentPosition(document.querySelector('.outbox-item')) & "
        "Node.DOCUMENT_POSITION_FOLLOWING)"
    ), "the advice comes first"
    assert not RedFlagAnswer.objects.exists()
    phone.check(screenshot="offline-red-flag-advice")
    check_dark(phone, "[data-offline-advice], [data-outbox-status]", "offline-red-flag-advice-dark")

    back_online(phone)
    expect(page.locator(".outbox-sent")).to_contain_text("Sent: 2 warning signs you ticked")
    expect(page.locator(".outbox-item")).to_have_count(0)
    codes = set(RedFlagAnswer.objects.filter(patient=alice).values_list("code", flat=True))
    assert "both_legs" in codes and len(codes) == 2


def test_logging_out_deletes_the_pages_kept_for_that_person(phone):
    make_user("alice")
    article = make_article(slug="heat-and-cold", title="Heat and cold")
    page = phone.page
    log_in(phone, "alice", PASSWORD)
    phone.goto(QUICK_LOG)
    installed(phone)
    phone.check()
    phone.goto(article.get_absolute_url())
    phone.check()
    kept(phone, QUICK_LOG)
    kept(phone, article.get_absolute_url())
    assert any('data-user="' in body for body in page.evaluate(KEPT_PAGES).values())

    page.get_by_role("button", name="Menu").tap()
    page.get_by_role("button", name="Log out").press("Enter")
    page.wait_for_url(phone.base_url + "/")
    phone.check()
    kept(phone, GET_HELP)  # a visitor's copy of the emergency page, kept again at once
    pages = page.evaluate(KEPT_PAGES)
    assert set(pages) == {GET_HELP}
    assert 'data-user="' not in pages[GET_HELP]
