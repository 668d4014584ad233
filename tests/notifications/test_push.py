"""Web Push (issue 18) with real parts: the daily reminder goes from the outbox, signed with the
site's VAPID key and encrypted for the phone, to a push service (a local HTTP server), and only
that phone can read it. What the push service answers decides what happens to the row and the
device. See conftest.py for the parts."""

import base64
import datetime
import json
import socket

import http_ece
import pytest
from django.urls import reverse
from django.utils import timezone
from py_vapid import Vapid

from notifications import services
from notifications.models import Delivery, PushSubscription
from tests.conftest import client_for
from tests.notifications.conftest import SUBJECT, FakeBrowser, PushService, VapidKeys
from tracker import reminders
from tracker.models import Reminder

pytestmark = pytest.mark.django_db

HEALTH_WORDS = ("pain", "cramp", "spasm", "back", "symptom", "episode", "severity", "flag")
NOW = datetime.datetime(2026, 3, 10, 19, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def worker_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep queued rows for the test to send, as the worker would: the eager handover would send
    them (and retry them at once) inside the queueing call."""
    monkeypatch.setattr(services, "after_commit", lambda callback: None)


def subscribe(person, browser: FakeBrowser, endpoint: str) -> None:
    """Turn notifications on as the page's script does: the subscription's JSON, posted."""
    response = client_for(person).post(
        reverse("tracker:push_device"),
        data=json.dumps(browser.subscription(endpoint)),
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201, response.content


def queue_daily_reminder(person) -> Delivery:
    """Queue the patient's daily reminder as a notification, in the reminder pass's own words."""
    reminder = Reminder(patient=person, daily=True, by_email=False, by_push=True)
    (message,) = reminders.daily_messages(reminder)
    assert message.channel == Delivery.Channel.PUSH
    assert services.queue_scheduled(
        [message], kind=Delivery.Kind.REMINDER, local_dates={person.pk: NOW.date()}
    )
    return Delivery.objects.get(recipient=person, channel=Delivery.Channel.PUSH)


def claims(authorization: str) -> dict[str, object]:
    token = authorization.split("t=", 1)[1].split(",", 1)[0]
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_the_daily_reminder_reaches_the_phone_signed_and_only_it_can_read_it(
    alice, vapid_keys: VapidKeys, browser: FakeBrowser, push_service: PushService
) -> None:
    subscribe(alice, browser, push_service.endpoint("alice-phone"))
    delivery = queue_daily_reminder(alice)
    title, body = delivery.subject, delivery.body

    assert services.send_deliveries([delivery.pk], now=NOW) == []

    (request,) = push_service.received
    assert request.method == "POST" and request.path == "/push/alice-phone"
    # Signed with the site's key (VAPID, RFC 8292), for this push service, by us.
    authorization = request.headers["authorization"]
    assert authorization.startswith("vapid t=")
    assert f"k={vapid_keys.public}" in authorization
    assert Vapid.verify(authorization)
    signed = claims(authorization)
    assert signed["aud"] == push_service.base_url
    assert signed["sub"] == SUBJECT
    assert signed["exp"] > timezone.now().timestamp()
    # Kept by the push service for a while if the phone is off, but not past the day.
    assert 0 < int(request.headers["ttl"]) <= 24 * 3600
    # Encrypted for this phone (RFC 8291): the push service sees no words.
    assert request.headers["content-encoding"] == "aes128gcm"
    assert title.encode() not in request.body and body.encode() not in request.body
    message = browser.read(request.body)
    assert message == {"title": title, "body": body, "url": reverse("tracker:dashboard")}
    # The lock screen shows it to anyone nearby.
    words = json.dumps(message).lower()
    assert not [word for word in HEALTH_WORDS if word in words]
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert delivery.sent_at == NOW and delivery.attempts == 1 and delivery.body == ""


def test_every_device_of_the_person_gets_it_and_no_one_elses(
    alice, charlie, vapid_keys: VapidKeys, push_service: PushService
) -> None:
    phone, laptop, charlies = FakeBrowser(), FakeBrowser(), FakeBrowser()
    subscribe(alice, phone, push_service.endpoint("alice-phone"))
    subscribe(alice, laptop, push_service.endpoint("alice-laptop"))
    subscribe(charlie, charlies, push_service.endpoint("charlie-phone"))
    delivery = queue_daily_reminder(alice)

    services.send_deliveries([delivery.pk], now=NOW)

    by_path = {request.path: request.body for request in push_service.received}
    assert sorted(by_path) == ["/push/alice-laptop", "/push/alice-phone"]
    # Each copy is encrypted for its own device.
    assert phone.read(by_path["/push/alice-phone"]) == laptop.read(by_path["/push/alice-laptop"])
    with pytest.raises(http_ece.ECEException):
        charlies.read(by_path["/push/alice-phone"])


def test_a_device_the_push_service_says_is_gone_is_forgotten(
    alice, vapid_keys: VapidKeys, push_service: PushService
) -> None:
    subscribe(alice, FakeBrowser(), push_service.endpoint("old-phone"))
    subscribe(alice, FakeBrowser(), push_service.endpoint("new-phone"))
    push_service.answer("old-phone", 410)
    delivery = queue_daily_reminder(alice)

    services.send_deliveries([delivery.pk], now=NOW)

    assert len(push_service.received) == 2
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [
        push_service.endpoint("new-phone")
    ]
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


def test_when_the_only_device_is_gone_the_reminder_is_dropped(
    alice, vapid_keys: VapidKeys, push_service: PushService
) -> None:
    subscribe(alice, FakeBrowser(), push_service.endpoint("old-phone"))
    push_service.answer("old-phone", 410)
    delivery = queue_daily_reminder(alice)

    assert services.send_deliveries([delivery.pk], now=NOW) == []

    assert not PushSubscription.objects.exists()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DROPPED
    assert delivery.sent_at is None and delivery.last_error == "no device"


def test_a_push_service_error_keeps_the_reminder_waiting_and_the_next_try_sends_it(
    alice, vapid_keys: VapidKeys, browser: FakeBrowser, push_service: PushService
) -> None:
    subscribe(alice, browser, push_service.endpoint("alice-phone"))
    push_service.answer("alice-phone", 500)
    delivery = queue_daily_reminder(alice)

    retries = services.send_deliveries([delivery.pk], now=NOW)

    wait = services.backoff(1)
    assert retries == [(delivery.pk, int(wait.total_seconds()))]
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.QUEUED
    assert delivery.attempts == 1
    assert delivery.next_attempt_at == NOW + wait
    assert "500" in delivery.last_error
    assert delivery.body  # kept for the next try
    assert PushSubscription.objects.filter(person=alice).count() == 1  # not "gone"

    # The push service is back: the worker's next try sends it.
    del push_service.answers[push_service.path("alice-phone")]
    assert services.send_deliveries([delivery.pk], now=delivery.next_attempt_at) == []

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT and delivery.attempts == 2
    assert browser.read(push_service.received[-1].body)["title"] == "Your daily reminder"


def test_a_push_service_that_does_not_answer_is_tried_again_later(
    alice, vapid_keys: VapidKeys, browser: FakeBrowser, push_service: PushService
) -> None:
    with socket.socket() as spare:  # a port nothing listens on once it is closed
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    subscribe(alice, browser, f"http://127.0.0.1:{port}/push/alice-phone")
    delivery = queue_daily_reminder(alice)

    assert services.send_deliveries([delivery.pk], now=NOW) != []

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.QUEUED and delivery.next_attempt_at is not None
    assert PushSubscription.objects.filter(person=alice).exists()


def test_with_no_device_the_reminder_is_dropped_and_nothing_is_sent(
    alice, vapid_keys: VapidKeys, push_service: PushService
) -> None:
    delivery = queue_daily_reminder(alice)

    assert services.send_deliveries([delivery.pk], now=NOW) == []

    assert push_service.received == []
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DROPPED and delivery.attempts == 1


def test_without_the_sites_keys_nothing_is_sent_and_the_reminder_is_dropped(
    alice, vapid_keys: VapidKeys, browser: FakeBrowser, push_service: PushService, settings
) -> None:
    subscribe(alice, browser, push_service.endpoint("alice-phone"))
    settings.PORTAL_VAPID_PRIVATE_KEY = ""
    delivery = queue_daily_reminder(alice)

    services.send_deliveries([delivery.pk], now=NOW)

    assert push_service.received == []
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DROPPED


def test_a_device_whose_service_is_no_longer_allowed_is_not_posted_to(
    alice, vapid_keys: VapidKeys, browser: FakeBrowser, push_service: PushService, settings
) -> None:
    subscribe(alice, browser, push_service.endpoint("alice-phone"))
    # The list of push services changed after the device was saved.
    settings.PORTAL_PUSH_SERVICE_HOSTS = ["fcm.googleapis.com"]
    delivery = queue_daily_reminder(alice)

    services.send_deliveries([delivery.pk], now=NOW)

    assert push_service.received == []
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DROPPED
