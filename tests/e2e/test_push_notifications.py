"""Notifications in a real browser (issue 18), on a phone: 390x844 with touch.

The reminder page's script (static/js/push.js) turns notifications on and off through the real
view; the service worker (static/js/sw-push.js inside /sw.js) shows what a push brings. Chromium
without a network has no push service, so two things stand in for it: PushManager.subscribe
answers with a subscription made of real keys (FakeBrowser), and pushes are handed to the
service worker through the DevTools protocol, as the push service would hand them to the phone.
"""

import json

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from notifications.models import Delivery, PushSubscription
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import PHONE, log_in
from tests.notifications.conftest import FakeBrowser, make_vapid_keys
from tracker import reminders
from tracker.models import Reminder

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REMINDERS = "/tracker/reminders/"
ENDPOINT = "https://fcm.googleapis.com/fcm/send/alice-phone"
# What the browser's push service would give: the subscription, kept until unsubscribed.
FAKE_PUSH_SERVICE = """(subscription) => {
    let current = null;
    PushManager.prototype.subscribe = function (options) {
        current = {
            endpoint: subscription.endpoint,
            options: {applicationServerKey: options.applicationServerKey.buffer},
            toJSON: () => subscription,
            unsubscribe: () => { current = null; return Promise.resolve(true); },
        };
        return Promise.resolve(current);
    };
    PushManager.prototype.getSubscription = () => Promise.resolve(current);
}"""
NOTIFICATIONS = """async () => {
    const registration = await navigator.serviceWorker.ready;
    return (await registration.getNotifications()).map(n => (
        {title: n.title, body: n.body, tag: n.tag, icon: n.icon, url: n.data.url}));
}"""


@pytest.fixture
def site_keys(settings) -> None:
    keys = make_vapid_keys()
    settings.PORTAL_VAPID_PUBLIC_KEY = keys.public
    settings.PORTAL_VAPID_PRIVATE_KEY = keys.private


def test_a_phone_turns_notifications_on_and_off_on_the_reminder_page(open_browser, site_keys):
    alice = make_user("alice")
    subscription = FakeBrowser().subscription(ENDPOINT)
    phone = open_browser(viewport=PHONE, has_touch=True)
    phone.page.context.grant_permissions(["notifications"], origin=phone.base_url)
    phone.page.context.add_init_script(f"({FAKE_PUSH_SERVICE})({json.dumps(subscription)})")
    log_in(phone, "alice", PASSWORD)
    phone.goto(REMINDERS)
    section = phone.page.locator("#push")
    on = section.get_by_role("button", name="Turn on notifications on this phone")
    off = section.get_by_role("button", name="Turn them off on this phone")
    on.wait_for()
    phone.check(screenshot="push-off")

    on.tap()

    off.wait_for()
    expect(section.get_by_role("status")).to_have_text("Notifications are on for this phone.")
    assert on.is_hidden()
    device = PushSubscription.objects.get()
    assert device.person == alice and device.as_webpush() == {
        "endpoint": ENDPOINT,
        "keys": subscription["keys"],
    }
    # The daily reminder is not sent here until the patient also chooses it.
    assert phone.page.locator("[data-push-tick]").is_visible()
    phone.check(screenshot="push-on")

    off.tap()

    on.wait_for()
    expect(section.get_by_role("status")).to_have_text("Notifications are off for this phone.")
    assert not PushSubscription.objects.exists()


def test_a_phone_that_blocks_notifications_is_told_how_to_allow_them(open_browser, site_keys):
    make_user("alice")
    phone = open_browser(viewport=PHONE, has_touch=True)
    phone.page.context.grant_permissions([], origin=phone.base_url)
    log_in(phone, "alice", PASSWORD)
    phone.goto(REMINDERS)
    on = phone.page.get_by_role("button", name="Turn on notifications on this phone")

    on.tap()

    help_text = phone.page.locator("[data-push-denied]")
    help_text.wait_for()
    assert "open Settings, then Notifications" in help_text.inner_text()
    assert not PushSubscription.objects.exists()
    phone.check(screenshot="push-blocked")


def test_the_service_worker_shows_the_reminder_and_a_new_one_replaces_it(open_browser, site_keys):
    alice = make_user("alice")
    phone = open_browser(viewport=PHONE, has_touch=True)
    phone.page.context.grant_permissions(["notifications"], origin=phone.base_url)
    log_in(phone, "alice", PASSWORD)
    phone.goto(REMINDERS)
    phone.check()
    phone.page.evaluate("navigator.serviceWorker.ready")
    devtools = phone.page.context.new_cdp_session(phone.page)
    registrations: dict[str, str] = {}
    devtools.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.update(
            {r["scopeURL"]: r["registrationId"] for r in event["registrations"]}
        ),
    )
    devtools.send("ServiceWorker.enable")
    phone.page.wait_for_timeout(500)  # the registrations are reported as events

    def push(message: dict[str, object]) -> list[dict[str, object]]:
        devtools.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": phone.base_url,
                "registrationId": registrations[phone.base_url + "/"],
                "data": json.dumps(message),
            },
        )
        phone.page.wait_for_timeout(500)
        return phone.page.evaluate(NOTIFICATIONS)

    # The message as the outbox sends it (notifications.services._send_push), in its own words.
    (reminder,) = reminders.daily_messages(Reminder(patient=alice, by_email=False, by_push=True))
    assert reminder.channel == Delivery.Channel.PUSH
    message = {"title": reminder.subject, "body": reminder.body, **(reminder.headers or {})}

    shown = push(message)

    assert shown == [
        {
            "title": reminder.subject,
            "body": reminder.body,
            "tag": "daily-reminder",
            "icon": phone.base_url + "/static/img/app-icon-192.png",
            "url": phone.base_url + reverse("tracker:dashboard"),
        }
    ]
    # The next one replaces it; an address elsewhere is never opened: the portal's is instead.
    shown = push(message | {"body": "Tomorrow's", "url": "https://attacker.example.org/"})
    assert [(n["body"], n["url"]) for n in shown] == [
        ("Tomorrow's", phone.base_url + reverse("tracker:dashboard"))
    ]


# A push service whose subscription outlives the page, as a real one does: kept in the tab's
# sessionStorage, with each unsubscribe counted there.
LASTING_PUSH_SERVICE = """(subscription) => {
    const made = () => ({
        endpoint: subscription.endpoint,
        toJSON: () => subscription,
        unsubscribe: () => {
            sessionStorage.removeItem("push-on");
            const ended = Number(sessionStorage.getItem("push-ended") || 0) + 1;
            sessionStorage.setItem("push-ended", String(ended));
            return Promise.resolve(true);
        },
    });
    PushManager.prototype.subscribe = function () {
        sessionStorage.setItem("push-on", "1");
        return Promise.resolve(made());
    };
    PushManager.prototype.getSubscription = () =>
        Promise.resolve(sessionStorage.getItem("push-on") ? made() : null);
}"""


def test_logging_out_ends_the_notifications_of_this_phone(open_browser, site_keys):
    """A shared phone: after alice logs out, her reminders must not reach whoever uses it next."""
    make_user("alice")
    subscription = FakeBrowser().subscription(ENDPOINT)
    phone = open_browser(viewport=PHONE, has_touch=True)
    page = phone.page
    page.context.grant_permissions(["notifications"], origin=phone.base_url)
    page.context.add_init_script(f"({LASTING_PUSH_SERVICE})({json.dumps(subscription)})")
    log_in(phone, "alice", PASSWORD)
    phone.goto(REMINDERS)
    phone.check()
    page.locator("#push").get_by_role("button", name="Turn on notifications on this phone").tap()
    page.locator("#push").get_by_role("button", name="Turn them off on this phone").wait_for()
    phone.goto("/tracker/")  # another page: the subscription lasts
    phone.check()
    assert page.evaluate("sessionStorage.getItem('push-on')") == "1"

    page.get_by_role("button", name="Menu").tap()
    page.get_by_role("button", name="Log out").press("Enter")
    page.wait_for_url(phone.base_url + "/")
    phone.check()

    assert page.evaluate("sessionStorage.getItem('push-on')") is None
    assert page.evaluate("sessionStorage.getItem('push-ended')") == "1"
