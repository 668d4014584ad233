"""This phone's notifications (issue 18): the reminder page's script posts the browser's push
subscription to tracker:push_device, which keeps it for the signed-in patient, or forgets it.

The worker later posts to the address a browser gives, so only push services' addresses are
kept; anything else is refused and nothing is saved."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from notifications.models import PushSubscription
from tests.conftest import client_for
from tests.notifications.conftest import FakeBrowser, VapidKeys, make_vapid_keys
from tracker.reminder_views import MAX_DEVICES

pytestmark = pytest.mark.django_db

URL = reverse("tracker:push_device")
# The push services' addresses the settings allow by default (Chrome's, Firefox's, Apple's).
CHROME = "https://fcm.googleapis.com/fcm/send/"
FIREFOX = "https://updates.push.services.mozilla.com/wpush/v2/"
APPLE = "https://web.push.apple.com/"


@pytest.fixture
def vapid_keys(settings) -> VapidKeys:
    keys = make_vapid_keys()
    settings.PORTAL_VAPID_PUBLIC_KEY = keys.public
    settings.PORTAL_VAPID_PRIVATE_KEY = keys.private
    return keys


def post(client: Client, data: object) -> object:
    body = data if isinstance(data, str) else json.dumps(data)
    return client.post(
        URL, data=body, content_type="application/json", HTTP_ACCEPT="application/json"
    )


def endpoints(person) -> list[str]:
    return sorted(PushSubscription.objects.filter(person=person).values_list("endpoint", flat=True))


def test_a_patient_turns_notifications_on_for_this_phone(alice, vapid_keys) -> None:
    browser = FakeBrowser()
    subscription = browser.subscription(CHROME + "alice-phone")

    response = post(client_for(alice), subscription)

    assert response.status_code == 201
    assert response.json() == {"saved": True}
    device = PushSubscription.objects.get()
    assert device.person == alice
    assert device.as_webpush() == {
        "endpoint": CHROME + "alice-phone",
        "keys": subscription["keys"],
    }


@pytest.mark.parametrize("service", [CHROME, FIREFOX, APPLE])
def test_each_browsers_push_service_is_accepted(alice, vapid_keys, service: str) -> None:
    assert post(client_for(alice), FakeBrowser().subscription(service + "x")).status_code == 201
    assert endpoints(alice) == [service + "x"]


def test_the_same_phone_again_replaces_its_keys_and_is_not_added_twice(alice, vapid_keys) -> None:
    client = client_for(alice)
    post(client, FakeBrowser().subscription(CHROME + "alice-phone"))
    # The browser subscribed again (new keys) under the same address.
    again = FakeBrowser().subscription(CHROME + "alice-phone")

    assert post(client, again).status_code == 201

    device = PushSubscription.objects.get()
    assert device.as_webpush()["keys"] == again["keys"]


def _valid() -> dict[str, object]:
    return FakeBrowser().subscription(CHROME + "alice-phone")


@pytest.mark.parametrize(
    "data",
    [
        # Not a push service: the worker would post into someone else's server, or our own.
        _valid() | {"endpoint": "https://attacker.example.org/push/1"},
        _valid() | {"endpoint": "https://fcm.googleapis.com.attacker.example.org/push/1"},
        _valid() | {"endpoint": "https://127.0.0.1/push/1"},
        _valid() | {"endpoint": "https://localhost:8000/admin/"},
        _valid() | {"endpoint": "https://evilfcm.googleapis.com.example/push/1"},
        # Read as the push service by urlsplit, but sent elsewhere by requests (urllib3).
        _valid() | {"endpoint": "https://127.0.0.1:9\\@fcm.googleapis.com/fcm/send/1"},
        _valid() | {"endpoint": "https://attacker.example\\@fcm.googleapis.com/fcm/send/1"},
        _valid() | {"endpoint": "https://user@fcm.googleapis.com/fcm/send/1"},
        _valid() | {"endpoint": "https://127.0.0.1\t.fcm.googleapis.com/fcm/send/1"},
        _valid() | {"endpoint": "https://127.0.0.1 .fcm.googleapis.com/fcm/send/1"},
        _valid() | {"endpoint": "https://ａ.fcm.googleapis.com/fcm/send/1"},
        # A push service, but not over HTTPS.
        _valid() | {"endpoint": "http://fcm.googleapis.com/fcm/send/alice-phone"},
        _valid() | {"endpoint": "ftp://fcm.googleapis.com/fcm/send/alice-phone"},
        _valid() | {"endpoint": CHROME + "x" * 1000},
        # Without the keys to encrypt for the phone.
        {"endpoint": CHROME + "alice-phone"},
        _valid() | {"keys": {}},
        _valid() | {"keys": {"p256dh": "BPqR8nm4K2j4"}},
        _valid() | {"keys": {"auth": "c2VjcmV0"}},
        _valid() | {"keys": {"p256dh": "", "auth": ""}},
        _valid() | {"keys": {"p256dh": "B" * 201, "auth": "c2VjcmV0"}},
        _valid() | {"keys": "not keys"},
        # Not a subscription at all.
        {"keys": _valid()["keys"]},
        "{not json",
        "",
        '["https://fcm.googleapis.com/fcm/send/alice-phone"]',
        "null",
    ],
    ids=[
        "another-host",
        "lookalike-host",
        "loopback",
        "localhost",
        "suffix-without-dot",
        "backslash-loopback",
        "backslash-host",
        "userinfo",
        "tab",
        "space",
        "not-ascii",
        "http",
        "ftp",
        "too-long",
        "no-keys",
        "empty-keys",
        "no-auth",
        "no-p256dh",
        "blank-keys",
        "p256dh-too-long",
        "keys-not-an-object",
        "no-endpoint",
        "bad-json",
        "empty-body",
        "a-list",
        "null",
    ],
)
def test_what_is_not_a_push_subscription_is_refused_and_nothing_saved(
    alice, vapid_keys, data: object
) -> None:
    response = post(client_for(alice), data)

    assert response.status_code == 400
    assert response.json() == {"error": "That was not a device subscription."}
    assert not PushSubscription.objects.exists()


def test_without_the_sites_keys_it_says_notifications_are_not_set_up(alice, settings) -> None:
    settings.PORTAL_VAPID_PUBLIC_KEY = ""
    settings.PORTAL_VAPID_PRIVATE_KEY = ""

    response = post(client_for(alice), FakeBrowser().subscription(CHROME + "alice-phone"))

    assert response.status_code == 409
    assert response.json() == {"error": "Notifications are not set up on this site."}
    assert not PushSubscription.objects.exists()


def test_turning_off_forgets_only_the_callers_own_device(alice, charlie, vapid_keys) -> None:
    alices, charlies = client_for(alice), client_for(charlie)
    post(alices, FakeBrowser().subscription(CHROME + "alice-phone"))
    post(charlies, FakeBrowser().subscription(CHROME + "charlie-phone"))

    # Alice cannot turn off Charlie's phone by naming its address (nor learn that it exists).
    response = post(alices, {"endpoint": CHROME + "charlie-phone", "remove": True})
    assert response.status_code == 200
    assert endpoints(charlie) == [CHROME + "charlie-phone"]
    assert endpoints(alice) == [CHROME + "alice-phone"]

    response = post(alices, {"endpoint": CHROME + "alice-phone", "remove": True})
    assert response.status_code == 200
    assert response.json() == {"removed": True}
    assert endpoints(alice) == []
    assert endpoints(charlie) == [CHROME + "charlie-phone"]


def test_turning_off_works_after_the_sites_keys_are_gone(alice, vapid_keys, settings) -> None:
    client = client_for(alice)
    post(client, FakeBrowser().subscription(CHROME + "alice-phone"))
    settings.PORTAL_VAPID_PRIVATE_KEY = ""

    assert post(client, {"endpoint": CHROME + "alice-phone", "remove": True}).status_code == 200
    assert endpoints(alice) == []


def test_an_eleventh_device_forgets_the_oldest(alice, vapid_keys) -> None:
    client = client_for(alice)
    for number in range(MAX_DEVICES + 1):
        assert post(client, FakeBrowser().subscription(f"{CHROME}{number:02}")).status_code == 201

    assert MAX_DEVICES == 10
    assert endpoints(alice) == [f"{CHROME}{number:02}" for number in range(1, MAX_DEVICES + 1)]


def test_another_persons_devices_do_not_count_towards_the_limit(alice, charlie, vapid_keys):
    for number in range(MAX_DEVICES):
        post(client_for(charlie), FakeBrowser().subscription(f"{CHROME}c{number:02}"))

    post(client_for(alice), FakeBrowser().subscription(CHROME + "alice-phone"))

    assert len(endpoints(charlie)) == MAX_DEVICES
    assert endpoints(alice) == [CHROME + "alice-phone"]


def test_an_anonymous_visitor_is_sent_to_log_in_and_nothing_is_saved(anonymous, vapid_keys):
    data = json.dumps(FakeBrowser().subscription(CHROME + "phone"))

    response = anonymous.post(URL, data=data, content_type="application/json")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))

    # The page's script asks for JSON: it is told where to log in instead of being redirected.
    response = post(anonymous, json.loads(data))
    assert response.status_code == 401
    assert response.json() == {"login": reverse("account_login")}
    assert not PushSubscription.objects.exists()


def test_only_post_is_allowed(alice, vapid_keys) -> None:
    assert client_for(alice).get(URL).status_code == 405


def test_the_csrf_token_from_the_cookie_is_needed_as_the_pages_script_sends_it(
    alice, vapid_keys
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get(reverse("tracker:reminders"))  # sets the csrftoken cookie
    data = json.dumps(FakeBrowser().subscription(CHROME + "alice-phone"))

    refused = client.post(URL, data=data, content_type="application/json")
    assert refused.status_code == 403
    assert not PushSubscription.objects.exists()

    token = client.cookies["csrftoken"].value
    response = client.post(
        URL,
        data=data,
        content_type="application/json",
        HTTP_ACCEPT="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 201
    assert endpoints(alice) == [CHROME + "alice-phone"]


# The page's part


def test_the_reminder_page_offers_notifications_with_the_sites_public_key(alice, vapid_keys):
    page = client_for(alice).get(reverse("tracker:reminders")).content.decode()

    assert 'id="push"' in page
    assert f'data-push-key="{vapid_keys.public}"' in page
    assert f'data-push-url="{URL}"' in page
    assert 'name="by_push"' in page
    assert "Add to Home Screen" in page  # an iPhone needs the app on the home screen first
    assert '<script src="/static/js/push.' in page
    assert "{#" not in page and "{%" not in page  # no template comment or tag shown as text
    # The CSP allows no inline script: every script is a file of ours.
    assert page.count("<script") == page.count('<script src="/static/')


def test_without_the_sites_keys_the_page_does_not_offer_notifications(alice, settings) -> None:
    settings.PORTAL_VAPID_PUBLIC_KEY = ""
    settings.PORTAL_VAPID_PRIVATE_KEY = ""

    page = client_for(alice).get(reverse("tracker:reminders")).content.decode()

    assert 'id="push"' not in page
    assert "data-push-key" not in page
    assert 'name="by_push"' not in page
    assert "js/push." not in page


def test_the_page_says_how_many_devices_get_the_notifications(alice, charlie, vapid_keys):
    client = client_for(alice)
    assert "No phone or computer gets your notifications yet." in client.get(
        reverse("tracker:reminders")
    ).content.decode("utf-8")
    post(client, FakeBrowser().subscription(CHROME + "alice-phone"))
    post(client, FakeBrowser().subscription(FIREFOX + "alice-laptop"))
    post(client_for(charlie), FakeBrowser().subscription(CHROME + "charlie-phone"))

    page = client.get(reverse("tracker:reminders")).content.decode()

    assert "Your notifications go to 2 phones or computers." in page
