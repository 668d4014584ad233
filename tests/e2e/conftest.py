"""Browser tests: Playwright driving Debian's Chromium against a live Django server.

Every test gets a `Browser` helper (`web`). It listens on each page for console errors,
uncaught exceptions, failed requests and Content-Security-Policy violations, and fails the test
at teardown if any happened. `web.check()` audits the page in front of it: axe-core's WCAG 2.1
A/AA rules (axe is injected with `page.evaluate`, so the site's strict CSP stays on) and no
horizontal scrolling at 320 px wide. Teardown also fails if a page the test visited was never
checked, so "every page the journeys visit" cannot silently shrink.
"""

import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test.testcases import LiveServerThread, _StaticFilesHandler
from django.test.utils import modify_settings
from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from accounts.models import User
from accounts.second_factor import current_code, give_totp

# Playwright's sync API runs an event loop in the test's thread; the ORM calls that tests make
# to arrange data are still plain synchronous calls on that thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
AXE_SOURCE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
NARROWEST = 320
# Every page must fit without sideways scrolling at a phone's width and at the widths where the
# navigation is laid out in a row (it once overflowed at 1280 px for a clinician).
WIDTHS = (NARROWEST, 1024, 1280, 1400)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can see whether the test passed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        # Not a skip: CI must go red when the browser tests cannot run.
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium package.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class _OneAtATimeStaticFilesHandler(_StaticFilesHandler):
    """Handle one request at a time. On SQLite every thread of the live server shares the test's
    in-memory connection, so two requests at once (a patient's tab and a clinician's, or a
    service worker fetching while a page loads) would start a transaction inside the other's
    ("cannot start a transaction within a transaction") and answer 503. PostgreSQL gives each
    thread its own connection and needs no lock."""

    lock = threading.Lock()

    def __call__(self, environ: dict, start_response: object) -> object:
        with self.lock:
            return super().__call__(environ, start_response)


class _LiveServer:
    """pytest-django's live server, but serving the collected, hashed static files.

    The templates link `/static/js/charts.<hash>.js` as production does; Django's default live
    server looks static files up with the finders, which only know the unhashed names.
    """

    def __init__(self) -> None:
        from django.db import connections

        overrides = {
            conn.alias: conn
            for conn in connections.all()
            if conn.vendor == "sqlite" and conn.is_in_memory_db()
        }
        self.thread = LiveServerThread(
            "localhost",
            static_handler=_OneAtATimeStaticFilesHandler if overrides else _StaticFilesHandler,
            connections_override=overrides,
        )
        self.thread.daemon = True
        self._live_server_modified_settings = modify_settings(ALLOWED_HOSTS={"append": "localhost"})
        for conn in overrides.values():
            conn.inc_thread_sharing()
        self.thread.start()
        self.thread.is_ready.wait()
        if self.thread.error:
            raise self.thread.error

    @property
    def url(self) -> str:
        return f"http://localhost:{self.thread.port}"

    def stop(self) -> None:
        self.thread.terminate()
        for conn in self.thread.connections_override.values():
            conn.dec_thread_sharing()


@pytest.fixture(scope="session")
def live_server(django_db_setup):
    """Overrides pytest-django's fixture of the same name (its helper still flushes the data)."""
    server = _LiveServer()
    yield server
    server.stop()


@dataclass
class Browser:
    page: Page
    base_url: str
    name: str
    problems: list[str] = field(default_factory=list)
    visited: dict[str, str] = field(default_factory=dict)  # path -> first URL seen
    checked: set[str] = field(default_factory=set)
    expected_errors: set[str] = field(default_factory=set)  # URLs meant to answer 4xx

    # Navigation ----------------------------------------------------------------------------

    def goto(self, path: str, status: int = 200) -> None:
        url = self.base_url + path
        if status >= 400:
            self.expected_errors.add(url)
        response = self.page.goto(url)
        assert response is not None and response.status == status, (
            f"GET {path}: {response and response.status}, expected {status}"
        )

    @property
    def path(self) -> str:
        return urlsplit(self.page.url).path

    # Audits --------------------------------------------------------------------------------

    def check(self, screenshot: str | None = None) -> None:
        """Audit the current page: axe-core WCAG 2.1 A/AA, and no sideways scroll at WIDTHS."""
        self.page.wait_for_load_state("load")
        # A colour that is still changing (a button's transition after a tap or a colour-mode
        # switch) is measured half-way by axe: let transitions end first.
        self.page.wait_for_function(
            "() => document.getAnimations().every(a => !(a instanceof CSSTransition) || "
            "a.playState !== 'running')",
            timeout=5000,
        )
        violations = self._axe()
        assert not violations, f"axe on {self.path}:\n" + "\n".join(violations)
        if screenshot:
            self.screenshot(screenshot)
        for width in WIDTHS:
            self._assert_fits(width)
        self.checked.add(self.path)

    def _axe(self) -> list[str]:
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE_SOURCE.read_text())
        results = self.page.evaluate(
            """async (tags) => {
                const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
                return r.violations.map(v => `${v.id} (${v.impact}): ${v.help}\\n    ` +
                    v.nodes.map(n => n.target.join(' ') + ' | ' + n.failureSummary
                        .replace(/\\s+/g, ' ')).join('\\n    '));
            }""",
            AXE_TAGS,
        )
        return results

    def _assert_fits(self, width: int) -> None:
        original = self.page.viewport_size
        self.page.set_viewport_size({"width": width, "height": 800})
        try:
            # Charts redraw for the new width on the next animation frames, which can take a
            # while on a busy machine: allow them three seconds (only spent if they stick out).
            try:
                self.page.wait_for_function(
                    "() => document.documentElement.scrollWidth <= "
                    "document.documentElement.clientWidth",
                    timeout=3000,
                )
            except PlaywrightTimeoutError:
                pass  # reported below, with the elements that stick out
            overflow = self.page.evaluate(
                """() => {
                    const doc = document.documentElement;
                    if (doc.scrollWidth <= doc.clientWidth) return [];
                    return [...document.querySelectorAll('body *')]
                        .filter(el => el.getBoundingClientRect().right > doc.clientWidth + 1)
                        .slice(0, 5)
                        .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                            (el.className && typeof el.className === 'string'
                                ? '.' + el.className.trim().split(/\\s+/).join('.') : ''));
                }"""
            )
            assert not overflow, f"{self.path} scrolls sideways at {width}px: {overflow}"
        finally:
            self.page.set_viewport_size(original)

    def screenshot(self, name: str) -> None:
        """Write full-page screenshots at phone and desktop sizes into test-artifacts/."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        original = self.page.viewport_size
        for label, size in (("390x844", PHONE), ("1280x800", DESKTOP)):
            self.page.set_viewport_size(size)
            self.page.screenshot(path=ARTIFACTS / f"{name}-{label}.png", full_page=True)
        self.page.set_viewport_size(original)

    # Keyboard ------------------------------------------------------------------------------

    def tab_to(self, locator, limit: int = 120) -> list[str]:
        """Press Tab until `locator` has focus; return what received focus on the way."""
        seen = []
        for _ in range(limit):
            if locator.evaluate("el => el === document.activeElement"):
                return seen
            self.page.keyboard.press("Tab")
            seen.append(self.page.evaluate(DESCRIBE_FOCUS))
        raise AssertionError(f"Tab never reached {locator}; focus went through {seen}")

    def assert_focus_follows_reading_order(self, limit: int = 300) -> None:
        """Tab through the whole page: focus must never jump back up the page or skip an
        element that a keyboard can reach, so it follows the order a reader sees."""
        # Start from the top of the document, as on arriving at the page: focus a sentinel
        # placed before everything (it is not itself a tab stop) and Tab on from there.
        self.page.evaluate(
            """() => {
                const start = document.createElement('span');
                start.id = 'focus-order-start';
                start.tabIndex = -1;
                document.body.prepend(start);
                start.focus();
            }"""
        )
        stops = []
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            stop = self.page.evaluate(FOCUS_POSITION)
            if stop is None or (stops and stop["id"] == stops[0]["id"]):
                break
            stops.append(stop)
        else:
            raise AssertionError(f"more than {limit} tab stops on {self.path}")
        self.page.evaluate("() => document.getElementById('focus-order-start').remove()")
        for before, after in zip(stops, stops[1:], strict=False):
            assert after["top"] >= before["top"] - 2, (
                f"on {self.path}, focus moved up the page from {before['name']} to {after['name']}"
            )
        reachable = self.page.evaluate(TABBABLE_COUNT)
        assert len({stop["id"] for stop in stops}) == reachable, (
            f"on {self.path}, Tab reached {len(stops)} of {reachable} focusable elements: "
            f"{[stop['name'] for stop in stops]}"
        )

    # Teardown ------------------------------------------------------------------------------

    def assert_clean(self, *, test_passed: bool) -> None:
        assert not self.problems, "\n".join(self.problems)
        if test_passed:  # a test that stopped early has already said why
            unchecked = sorted(set(self.visited) - self.checked)
            assert not unchecked, f"pages visited but never audited: {unchecked}"


DESCRIBE_FOCUS = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'body';
    const label = el.labels && el.labels.length ? el.labels[0].innerText :
        (el.getAttribute('aria-label') || el.innerText || el.name || '');
    return `${el.tagName.toLowerCase()}:${label.trim().replace(/\\s+/g, ' ').slice(0, 50)}`;
}"""

# Where the focused element is in the document, with a stable identity for this page.
FOCUS_POSITION = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    if (!el.dataset.tabStop) el.dataset.tabStop = String(Math.random());
    const rect = el.getBoundingClientRect();
    const name = (el.labels && el.labels.length ? el.labels[0].innerText : el.innerText) || el.name;
    return {id: el.dataset.tabStop, top: rect.top + window.scrollY, name: `${el.tagName}:${name}`};
}"""

# The elements Tab should reach: enabled controls and links that are rendered, one per radio
# group (the browser stops on one radio of each group). What a closed <details> holds, beside
# its summary, is not reached (Chromium still gives it boxes: content-visibility: hidden).
TABBABLE_COUNT = """() => {
    const all = [...document.querySelectorAll(
        'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]')]
        .filter(el => !el.disabled && el.tabIndex >= 0 && el.getClientRects().length > 0
            && getComputedStyle(el).visibility !== 'hidden'
            && !el.closest('details:not([open]) > :not(summary)'));
    const groups = new Set();
    return all.filter(el => {
        if (el.type !== 'radio') return true;
        const key = el.form ? el.form.id + el.name : el.name;
        if (groups.has(key)) return false;
        groups.add(key);
        return true;
    }).length;
}"""

# Reported to the test through a binding added before any of the page's own scripts run.
REPORT_CSP = """
document.addEventListener('securitypolicyviolation', (e) => {
    window.reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} ` +
        `at ${e.sourceFile || document.location.pathname}:${e.lineNumber}`);
});
"""

# Paths the audit does not cover: file downloads never render, and the admin is Django's own
# (its pages are still watched for console errors and CSP violations).
UNAUDITED = re.compile(r"^/(admin/|tracker/your-data/.+\.(json|zip)$)")


def _open(chromium, base_url: str, name: str, **options) -> tuple[Browser, object]:
    # options: Playwright context options on top of these, e.g. a phone's viewport and touch.
    context = chromium.new_context(
        **{
            "viewport": DESKTOP,
            "base_url": base_url,
            "accept_downloads": True,
            "locale": "en-GB",
            "timezone_id": "America/New_York",
            **options,
        }
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    browser = Browser(page=page, base_url=base_url, name=name)

    def on_console(message) -> None:
        if message.type == "error" and message.location.get("url") not in browser.expected_errors:
            browser.problems.append(f"console error on {browser.path}: {message.text}")

    def on_navigated(frame) -> None:
        if frame == page.main_frame:
            path = urlsplit(frame.url).path
            if not UNAUDITED.match(path):
                browser.visited.setdefault(path, frame.url)

    def on_response(response) -> None:
        if response.status >= 500 or (
            response.status >= 400 and response.url not in browser.expected_errors
        ):
            browser.problems.append(f"{response.status} from {response.url}")

    page.expose_function("reportCspViolation", lambda text: browser.problems.append(f"CSP: {text}"))
    page.add_init_script(REPORT_CSP)
    page.on("console", on_console)
    page.on("pageerror", lambda error: browser.problems.append(f"page error: {error}"))
    page.on("framenavigated", on_navigated)
    page.on("response", on_response)
    return browser, context


@pytest.fixture
def open_browser(chromium, live_server, request) -> Iterator:
    """Open a fresh browser (its own cookies) for each person in a test; all are checked."""
    opened = []

    def open_one(**options) -> Browser:
        browser, context = _open(chromium, live_server.url, request.node.name, **options)
        opened.append((browser, context))
        return browser

    try:
        yield open_one
        call = getattr(request.node, "rep_call", None)
        for browser, _ in opened:
            browser.assert_clean(test_passed=bool(call and call.passed))
    finally:
        for _, context in opened:
            context.close()


@pytest.fixture
def web(open_browser) -> Browser:
    return open_browser()


def log_in(web: Browser, username: str, password: str) -> None:
    web.goto("/accounts/login/")
    web.check()
    fill_login_form(web, username, password)


def fill_login_form(web: Browser, username: str, password: str, *, tap: bool = False) -> None:
    """Log in through the form in front of the browser, then, for clinicians and staff, type
    the code their authenticator app shows (the real second-factor step); wait to land."""
    web.page.get_by_label("Username or e-mail address").fill(username)
    web.page.get_by_label("Password").fill(password)
    button = web.page.get_by_role("button", name="Log in")
    button.tap() if tap else button.click()
    web.page.wait_for_url(lambda url: "/accounts/login/" not in url)
    if web.path == "/accounts/2fa/authenticate/":
        web.check()
        secret = give_totp(User.objects.get(username=username))
        web.page.get_by_label("Code").fill(current_code(secret))
        button = web.page.get_by_role("button", name="Sign In")
        button.tap() if tap else button.click()
        web.page.wait_for_url(lambda url: "/accounts/2fa/" not in url)
    web.check()
