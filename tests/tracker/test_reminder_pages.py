"""The reminder page and the one-click stop link of reminder e-mails (issue 18)."""

import datetime
import time
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.links import STOP_LINK_MAX_AGE, stop_token
from tests.conftest import client_for, make_user
from tracker import reminders
from tracker.models import Reminder


def stop_link(patient_id: int, topic: str = "daily") -> str:
    return reverse(
        "tracker:reminder_stop", args=[topic, stop_token(person_id=patient_id, topic=topic)]
    )


def turned_on(patient, **choices) -> Reminder:
    reminder = Reminder(patient=patient, daily=True, weekly_digest=True, **choices)
    reminders.save_choices(reminder=reminder, now=timezone.now())
    return reminder


# The page


@pytest.mark.django_db
def test_the_page_saves_a_daily_reminder_on_chosen_days() -> None:
    alice = make_user("alice")
    client = client_for(alice)
    assert client.get(reverse("tracker:reminders")).status_code == 200
    response = client.post(
        reverse("tracker:reminders"),
        {
            "daily": "on",
            "at": "07:45",
            "days": ["0", "2", "4"],
            "by_email": "on",
            "digest_weekday": "6",
        },
    )
    assert response.status_code == 302
    reminder = Reminder.objects.get(patient=alice)
    assert reminder.daily and reminder.at == datetime.time(7, 45)
    assert reminder.weekday_set == frozenset({0, 2, 4})
    assert reminder.next_daily_at is not None and reminder.next_digest_at is None
    page = client.get(reverse("tracker:reminders")).content.decode()
    assert "Next reminder:" in page


@pytest.mark.django_db
def test_a_daily_reminder_without_days_or_a_way_to_send_is_refused_with_what_was_typed() -> None:
    alice = make_user("alice")
    response = client_for(alice).post(
        reverse("tracker:reminders"), {"daily": "on", "at": "21:10", "digest_weekday": "6"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Pick at least one day" in page
    assert "Choose how to be reminded" in page
    assert 'value="21:10"' in page
    assert not Reminder.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["25:00", "soon", ""])
def test_a_time_that_is_not_a_time_is_refused_next_to_the_field(typed: str) -> None:
    alice = make_user("alice")
    response = client_for(alice).post(
        reverse("tracker:reminders"),
        {"daily": "on", "at": typed, "days": ["1"], "by_email": "on", "digest_weekday": "6"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["at"]
    assert not Reminder.objects.exists()


@pytest.mark.django_db
def test_a_weekday_out_of_range_is_refused_not_a_server_error() -> None:
    alice = make_user("alice")
    response = client_for(alice).post(
        reverse("tracker:reminders"),
        {"daily": "on", "at": "08:00", "days": ["9"], "by_email": "on", "digest_weekday": "12"},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"days", "digest_weekday"}


@pytest.mark.django_db
def test_turning_reminders_off_clears_their_next_times() -> None:
    alice = make_user("alice")
    turned_on(alice)
    client_for(alice).post(reverse("tracker:reminders"), {"at": "19:00", "digest_weekday": "6"})
    reminder = Reminder.objects.get(patient=alice)
    assert not reminder.daily and reminder.next_daily_at is None and reminder.next_digest_at is None


# The stop link


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_the_stop_link_stops_the_daily_reminder_without_signing_in(method: str) -> None:
    alice = make_user("alice")
    turned_on(alice)
    # A mail app's one-click POST carries no CSRF token.
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(stop_link(alice.pk))
    assert response.status_code == 200
    assert "Daily reminders stopped" in response.content.decode()
    assert "You will get no more daily reminders." in response.content.decode()
    reminder = Reminder.objects.get(patient=alice)
    assert not reminder.daily and reminder.next_daily_at is None
    # The weekly summary is a separate choice: still on.
    assert reminder.weekly_digest and reminder.next_digest_at is not None


@pytest.mark.django_db
def test_using_the_stop_link_again_says_it_was_already_off() -> None:
    alice = make_user("alice")
    turned_on(alice)
    Client().get(stop_link(alice.pk))
    response = Client().get(stop_link(alice.pk))
    assert response.status_code == 200
    assert "already off" in response.content.decode()


@pytest.mark.django_db
def test_the_summary_link_stops_only_the_summary() -> None:
    alice = make_user("alice")
    turned_on(alice)
    Client().get(stop_link(alice.pk, "digest"))
    reminder = Reminder.objects.get(patient=alice)
    assert reminder.daily and not reminder.weekly_digest


@pytest.mark.django_db
def test_a_tampered_stop_link_changes_nothing() -> None:
    alice, charlie = make_user("alice"), make_user("charlie")
    turned_on(charlie)
    token = stop_token(person_id=alice.pk, topic="daily")
    # Someone puts charlie's id in alice's link.
    forged = f"{charlie.pk}{token[len(str(alice.pk)) :]}"
    response = Client().get(reverse("tracker:reminder_stop", args=["daily", forged]))
    assert response.status_code == 400
    assert "has been changed" in response.content.decode()
    assert Reminder.objects.get(patient=charlie).daily


@pytest.mark.django_db
def test_a_link_for_one_topic_cannot_stop_another() -> None:
    alice = make_user("alice")
    turned_on(alice)
    token = stop_token(person_id=alice.pk, topic="digest")
    response = Client().get(reverse("tracker:reminder_stop", args=["daily", token]))
    assert response.status_code == 400
    assert Reminder.objects.get(patient=alice).daily


@pytest.mark.django_db
def test_an_expired_stop_link_changes_nothing_and_says_so() -> None:
    alice = make_user("alice")
    turned_on(alice)
    long_ago = time.time() - STOP_LINK_MAX_AGE.total_seconds() - 60
    with mock.patch("django.core.signing.time.time", return_value=long_ago):
        token = stop_token(person_id=alice.pk, topic="daily")
    response = Client().get(reverse("tracker:reminder_stop", args=["daily", token]))
    assert response.status_code == 400
    assert "too old" in response.content.decode()
    assert Reminder.objects.get(patient=alice).daily


@pytest.mark.django_db
def test_a_stop_link_of_a_deleted_account_says_it_was_off() -> None:
    alice = make_user("alice")
    link = stop_link(alice.pk)
    alice.delete()
    response = Client().get(link)
    assert response.status_code == 200
    assert "already off" in response.content.decode()


def test_an_unknown_topic_is_not_found() -> None:
    assert Client().get("/tracker/reminders/stop/everything/abc/").status_code == 404
