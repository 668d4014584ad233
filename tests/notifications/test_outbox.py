"""The outbox (issue 18): every e-mail goes through the worker, is retried with a growing wait,
is sent once whatever repeats, and what failed is visible to staff."""

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications import services
from notifications.models import Delivery
from tests.conftest import client_for, make_user
from tests.notifications.brokers import broker_at

DOWN = "tests.notifications.backends.DownBackend"
REFUSING = "tests.notifications.backends.RefusingBackend"


def queue(person, **overrides) -> Delivery:
    values = {
        "to": person.email,
        "subject": "Hello",
        "body": "A code: 123456",
        "kind": Delivery.Kind.ACCOUNT,
        "recipient": person,
        "local_date": timezone.now().date(),
    }
    delivery = services.queue_email(**(values | overrides))
    assert delivery is not None
    delivery.refresh_from_db()
    return delivery


@pytest.mark.django_db
def test_a_password_reset_e_mail_goes_through_the_outbox_and_forgets_its_code() -> None:
    alice = make_user("alice")
    response = Client().post(reverse("account_reset_password"), {"email": alice.email})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == [alice.email]
    delivery = Delivery.objects.get(recipient=alice, kind=Delivery.Kind.ACCOUNT)
    assert delivery.status == Delivery.Status.SENT and delivery.sent_at is not None
    # The code went out; the stored copy of the body is gone.
    assert delivery.body == ""


@pytest.mark.django_db
def test_a_mail_server_that_is_down_leaves_the_message_waiting_with_a_growing_wait(
    settings,
) -> None:
    settings.EMAIL_BACKEND = DOWN
    alice = make_user("alice")
    delivery = Delivery.objects.create(
        recipient=alice,
        kind=Delivery.Kind.ACCOUNT,
        channel=Delivery.Channel.EMAIL,
        local_date=timezone.now().date(),
        to=alice.email,
        subject="Hello",
        body="A code",
    )
    now = timezone.now()
    waits = []
    for attempt in range(1, services.MAX_ATTEMPTS):
        retries = services.send_deliveries([delivery.pk], now=now)
        delivery.refresh_from_db()
        assert delivery.status == Delivery.Status.QUEUED
        assert delivery.attempts == attempt
        assert "SMTPServerDisconnected" in delivery.last_error
        waits.append(retries[0][1])
        assert delivery.next_attempt_at == now + datetime.timedelta(seconds=waits[-1])
    assert waits == [30, 60, 120, 240, 480, 960, 1920]
    services.send_deliveries([delivery.pk], now=now)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == services.MAX_ATTEMPTS
    # Kept, so staff can send it again once the server is back.
    assert delivery.body == "A code"


@pytest.mark.django_db
def test_an_address_the_server_refuses_fails_at_once(settings) -> None:
    settings.EMAIL_BACKEND = REFUSING
    delivery = queue(make_user("alice"))
    assert delivery.status == Delivery.Status.FAILED and delivery.attempts == 1


@pytest.mark.django_db
def test_a_message_already_sent_is_not_sent_again_by_a_retry_or_a_second_worker() -> None:
    delivery = queue(make_user("alice"))
    assert len(mail.outbox) == 1
    services.send_deliveries([delivery.pk, delivery.pk], now=timezone.now())
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_row_another_worker_is_sending_is_left_to_it() -> None:
    alice = make_user("alice")
    delivery = Delivery.objects.create(
        recipient=alice,
        kind=Delivery.Kind.ACCOUNT,
        channel=Delivery.Channel.EMAIL,
        local_date=timezone.now().date(),
        to=alice.email,
        subject="Hello",
        status=Delivery.Status.SENDING,
        claimed_at=timezone.now(),
    )
    services.send_deliveries([delivery.pk], now=timezone.now())
    assert mail.outbox == []
    # A worker that died holding it: after the claim's timeout the sweep hands it over.
    later = timezone.now() + services.CLAIM_TIMEOUT + datetime.timedelta(seconds=1)
    assert services.sweep(now=later) == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_same_scheduled_key_is_queued_once() -> None:
    alice = make_user("alice")
    message = services.Message(
        recipient=alice,
        channel=Delivery.Channel.EMAIL,
        to=alice.email,
        subject="Your daily reminder",
        body="...",
    )
    day = {alice.pk: datetime.date(2027, 3, 2)}
    (first,) = services.queue_scheduled([message], kind=Delivery.Kind.REMINDER, local_dates=day)
    # Sent at once here (the eager worker): nothing of that key waits any more, nothing is new.
    assert services.queue_scheduled([message], kind=Delivery.Kind.REMINDER, local_dates=day) == []
    assert list(Delivery.objects.values_list("pk", flat=True)) == [first]
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_broker_that_is_down_loses_nothing_and_keeps_the_page_working() -> None:
    alice = make_user("alice")
    started = timezone.now()
    # Nothing listens on port 1.
    with broker_at("redis://127.0.0.1:1/0"):
        response = Client().post(reverse("account_reset_password"), {"email": alice.email})
    assert response.status_code == 302
    # The page did not wait for the broker's retries (a few seconds at most for the connect).
    assert timezone.now() - started < datetime.timedelta(seconds=15)
    delivery = Delivery.objects.get(recipient=alice)
    assert delivery.status == Delivery.Status.QUEUED and mail.outbox == []
    # The broker is back (here: tasks run at once): the sweep hands the message over.
    assert services.sweep(now=timezone.now() + datetime.timedelta(minutes=2)) == 1
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT and len(mail.outbox) == 1


# Serialized rollback: a plain flush would make the role groups again under new ids, which
# tests/ops/test_backup.py (restoring rows with their own ids) then meets twice.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_nothing_is_sent_for_a_transaction_that_rolled_back() -> None:
    alice = make_user("alice")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.queue_email(
            to=alice.email,
            subject="Hello",
            body="...",
            kind=Delivery.Kind.ACCOUNT,
            recipient=alice,
            local_date=timezone.now().date(),
        )
        raise RuntimeError("the write failed")
    assert mail.outbox == [] and not Delivery.objects.exists()
    with transaction.atomic():
        queue(alice)
        assert mail.outbox == []  # not before the commit
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_staff_see_failures_in_the_admin_and_can_send_them_again(settings) -> None:
    staff = make_user("sam", is_staff=True)
    staff.is_superuser = True
    staff.save()
    admin_client = client_for(staff)
    settings.EMAIL_BACKEND = REFUSING
    alice = make_user("alice")
    delivery = queue(alice)
    assert delivery.status == Delivery.Status.FAILED
    page = admin_client.get(reverse("admin:notifications_delivery_changelist") + "?status=failed")
    assert page.status_code == 200
    text = page.content.decode()
    assert "SMTPRecipientsRefused" in text
    assert "A code" not in text
    detail = admin_client.get(reverse("admin:notifications_delivery_change", args=[delivery.pk]))
    assert detail.status_code == 200 and "A code" not in detail.content.decode()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = admin_client.post(
        reverse("admin:notifications_delivery_changelist"),
        {"action": "send_again", "_selected_action": [delivery.pk]},
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT and len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_sweep_forgets_old_sent_rows_but_keeps_failures() -> None:
    alice = make_user("alice")
    sent = queue(alice)
    failed = queue(alice, subject="Another")
    Delivery.objects.filter(pk=failed.pk).update(status=Delivery.Status.FAILED)
    later = timezone.now() + services.KEEP + datetime.timedelta(days=1)
    services.sweep(now=later)
    assert not Delivery.objects.filter(pk=sent.pk).exists()
    assert Delivery.objects.filter(pk=failed.pk).exists()
