"""Logging in safely: lockout after repeated failures, password rules, and sessions that end
when they should (at logout, on a password change elsewhere, and after a spell of inactivity)."""

import datetime
import time

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import IDLE_LIMIT, LAST_SEEN
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

HOME_ADDRESS = "198.51.100.7"
ATTACKER = "203.0.113.66"


def attempt(client: Client, username: str, password: str, address: str):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def log_in(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    response = attempt(client, username, password, HOME_ADDRESS)
    assert response.status_code == 302, response.content[:300]
    return client


# Lockout -------------------------------------------------------------------------------------


def test_five_failures_lock_that_username_from_that_address_with_a_clear_message(alice) -> None:
    client = Client()
    for _ in range(4):
        response = attempt(client, "alice", "wrong password", ATTACKER)
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()

    fifth = attempt(client, "alice", "wrong password", ATTACKER)
    assert fifth.status_code == 429
    # Locked: even the right password is refused from there, with the reason and the wait.
    locked = attempt(client, "alice", PASSWORD, ATTACKER)
    page = locked.content.decode()
    assert locked.status_code == 429
    assert "Too many attempts: please wait 15 minutes" in page
    assert SESSION_KEY not in client.session


def test_someone_elses_failures_cannot_lock_a_patient_out(alice) -> None:
    for _ in range(6):
        attempt(Client(), "alice", "wrong password", ATTACKER)

    # Alice, from her own address, logs in as usual.
    client = Client()
    assert attempt(client, "alice", PASSWORD, HOME_ADDRESS).status_code == 302
    assert client.session[SESSION_KEY] == str(alice.pk)


def test_the_lock_lifts_after_15_minutes(alice) -> None:
    for _ in range(5):
        attempt(Client(), "alice", "wrong password", ATTACKER)
    assert attempt(Client(), "alice", PASSWORD, ATTACKER).status_code == 429

    # Fourteen minutes on, still locked; sixteen minutes on, free again.
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=14))
    assert attempt(Client(), "alice", PASSWORD, ATTACKER).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert attempt(Client(), "alice", PASSWORD, ATTACKER).status_code == 302


def test_behind_the_proxy_the_lockout_uses_the_address_the_proxy_saw(alice, settings) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    for _ in range(5):
        Client().post(
            reverse("login"),
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR="10.0.0.2",  # the proxy
            HTTP_X_FORWARDED_FOR=f"1.2.3.4, {ATTACKER}",  # forged first entry, real last one
        )
    # Another client behind the same proxy is not locked out.
    other = Client().post(
        reverse("login"),
        {"username": "alice", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=HOME_ADDRESS,
    )
    assert other.status_code == 302


# Passwords -----------------------------------------------------------------------------------

SIGNUP = {"username": "newpatient", "email": "new@example.org", "time_zone": "Europe/London"}


@pytest.mark.parametrize(
    "password",
    [
        "a" * 11 + "Z",  # 12 characters: the minimum
        "correct horse battery staple with spaces",
        "x9" * 40,  # 80 characters
    ],
)
def test_long_passwords_and_pass_phrases_with_spaces_are_accepted(anonymous, password) -> None:
    response = anonymous.post(
        reverse("signup"), {**SIGNUP, "password1": password, "password2": password}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "password,message",
    [
        ("elevenchars", "at least 12 characters"),
        ("829174650318", "entirely numeric"),
        ("password1234", "too common"),
    ],
)
def test_short_numeric_and_common_passwords_are_refused_with_the_reason(
    anonymous, password, message
) -> None:
    response = anonymous.post(
        reverse("signup"), {**SIGNUP, "password1": password, "password2": password}
    )
    assert response.status_code == 200
    assert message in response.content.decode()


# Sessions ------------------------------------------------------------------------------------


def test_logging_in_gives_a_new_session_key(alice) -> None:
    before = SessionStore()
    before["seen_home"] = True
    before.create()
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = before.session_key

    attempt(client, "alice", PASSWORD, HOME_ADDRESS)

    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before.session_key
    assert not Session.objects.filter(session_key=before.session_key).exists()


def test_logging_out_ends_the_session_on_the_server(alice) -> None:
    client = log_in("alice")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    client.post(reverse("logout"))

    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert replay.get(reverse("tracker:dashboard")).status_code == 302


def test_changing_the_password_ends_the_sessions_on_other_devices(alice) -> None:
    phone, laptop = log_in("alice"), log_in("alice")
    new = "a brand new pass phrase"

    response = laptop.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert response.status_code == 302
    assert laptop.get(reverse("tracker:dashboard")).status_code == 200
    assert phone.get(reverse("tracker:dashboard")).status_code == 302


def _idle_for(client: Client, minutes: int) -> None:
    session = client.session
    session[LAST_SEEN] = int(time.time()) - minutes * 60
    session.save()


@pytest.mark.parametrize(
    "who,page,limit_minutes",
    [("bob", "clinic:queue", 30), ("alice", "tracker:dashboard", 120)],  # clinician; patient
)
def test_an_idle_session_ends_at_the_roles_limit_with_a_message(
    who, page, limit_minutes, alice, bob
) -> None:
    client = log_in(who)
    assert client.session[IDLE_LIMIT] == limit_minutes * 60

    _idle_for(client, limit_minutes - 1)
    assert client.get(reverse(page)).status_code == 200

    _idle_for(client, limit_minutes + 1)
    response = client.get(reverse(page), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert f"logged out after {limit_minutes} minutes without activity" in (
        response.content.decode()
    )
    assert SESSION_KEY not in client.session


def test_activity_moves_the_sessions_own_expiry_too(alice) -> None:
    client = log_in("alice")
    _idle_for(client, 5)

    client.get(reverse("tracker:dashboard"))

    expiry = Session.objects.get(session_key=client.session.session_key).expire_date
    expected = timezone.now() + datetime.timedelta(minutes=120)
    assert abs((expiry - expected).total_seconds()) < 60
