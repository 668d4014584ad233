"""Logging in safely: limits on repeated failures (per account and per address), password
rules, and sessions that end when they should (at logout, on a password change elsewhere, after
a spell of inactivity)."""

import datetime
import time

import pytest
from allauth.core.internal import ratelimit as ratelimit_impl
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import IDLE_LIMIT, LAST_SEEN
from tests.conftest import PASSWORD, log_in_with_form, make_user

pytestmark = pytest.mark.django_db

HOME_ADDRESS = "198.51.100.7"
ATTACKER = "203.0.113.66"


def attempt(client: Client, username: str, password: str, address: str, **headers: str):
    return client.post(
        reverse("account_login"),
        {"login": username, "password": password},
        REMOTE_ADDR=address,
        **headers,
    )


def log_in(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    response = log_in_with_form(client, username, password, address=HOME_ADDRESS)
    assert response.status_code == 302, response.content[:300]
    return client


@pytest.fixture
def clock(monkeypatch):
    """Move the rate limiter's clock (allauth reads time.time()) forward by hand."""
    offset = [0.0]
    real = time.time
    monkeypatch.setattr(ratelimit_impl.time, "time", lambda: real() + offset[0])
    return offset


# Lockout: per account, and per address ------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_with_a_plain_429_page(alice) -> None:
    client = Client()
    for _ in range(5):
        response = attempt(client, "alice", "wrong password", ATTACKER)
        assert response.status_code == 200
        assert "are not correct" in response.content.decode()

    # Locked: even the right password is refused, with the reason and the wait.
    locked = attempt(client, "alice", PASSWORD, ATTACKER)
    page = locked.content.decode()
    assert locked.status_code == 429
    assert "Too many tries: please wait a little" in page
    assert "Nothing has been changed or sent" in page
    assert SESSION_KEY not in client.session


def test_the_account_lock_holds_from_every_address_and_for_its_e_mail_too(alice) -> None:
    """Per account: a guesser who changes address gets no more tries."""
    for number in range(5):
        attempt(Client(), "alice", "wrong password", f"203.0.113.{number}")
    assert attempt(Client(), "alice", PASSWORD, "198.51.100.99").status_code == 429
    # Another account is not affected.
    make_user("zara")
    assert log_in_with_form(Client(), "zara", address=ATTACKER).status_code == 302


def test_ten_failures_a_minute_from_one_address_stop_a_sweep_across_accounts(db) -> None:
    """Per address: one machine guessing one password for many accounts is stopped."""
    for number in range(10):
        response = attempt(Client(), f"person{number}", "Summer2026!!", ATTACKER)
        assert response.status_code == 200
    assert attempt(Client(), "person10", "Summer2026!!", ATTACKER).status_code == 429
    # Someone at another address logs in as usual.
    make_user("yusuf")
    assert log_in_with_form(Client(), "yusuf", address=HOME_ADDRESS).status_code == 302


def test_the_lock_lifts_after_15_minutes(alice, clock) -> None:
    for _ in range(5):
        attempt(Client(), "alice", "wrong password", ATTACKER)
    assert attempt(Client(), "alice", PASSWORD, ATTACKER).status_code == 429

    clock[0] = 14 * 60
    assert attempt(Client(), "alice", PASSWORD, ATTACKER).status_code == 429
    clock[0] = 16 * 60
    assert attempt(Client(), "alice", PASSWORD, ATTACKER).status_code == 302


def test_a_successful_login_does_not_reset_the_count_for_the_guesser(alice) -> None:
    for _ in range(4):
        attempt(Client(), "alice", "wrong password", ATTACKER)
    assert log_in_with_form(Client(), "alice", address=HOME_ADDRESS).status_code == 302
    attempt(Client(), "alice", "wrong password", ATTACKER)
    assert attempt(Client(), "alice", PASSWORD, ATTACKER).status_code == 429


def test_behind_one_proxy_only_the_address_it_added_counts(alice, settings) -> None:
    """X-Forwarded-For is trusted for exactly the configured number of proxies: a client that
    forges entries cannot pose as a new address for every guess."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    for number in range(10):
        attempt(
            Client(),
            f"person{number}",
            "wrong password",
            "10.0.0.2",  # the proxy
            HTTP_X_FORWARDED_FOR=f"1.2.3.{number}, {ATTACKER}",  # forged, then the real one
        )
    forged_again = attempt(
        Client(), "person11", "wrong", "10.0.0.2", HTTP_X_FORWARDED_FOR=f"9.9.9.9, {ATTACKER}"
    )
    assert forged_again.status_code == 429
    # Another client behind the same proxy is not limited.
    other = log_in_with_form(Client(), "alice", address=HOME_ADDRESS)
    assert other.status_code == 302


def test_without_a_proxy_forwarded_headers_are_ignored(alice, settings) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    for number in range(10):
        attempt(Client(), f"p{number}", "wrong", ATTACKER, HTTP_X_FORWARDED_FOR=f"1.2.3.{number}")
    assert (
        attempt(Client(), "p10", "wrong", ATTACKER, HTTP_X_FORWARDED_FOR="5.5.5.5").status_code
        == 429
    )


# Passwords -----------------------------------------------------------------------------------

SIGNUP = {
    "username": "newpatient",
    "email": "new@example.org",
    "date_of_birth": "1990-01-01",
    "time_zone": "Europe/London",
    "health_data": "on",
    "terms": "on",
}


@pytest.mark.parametrize(
    "password",
    [
        "kestrel4Zone",  # 12 characters: the minimum
        "correct horse battery staple with spaces",
        "x9y8z7" * 13 + "w",  # 79 characters
    ],
)
def test_long_passwords_and_pass_phrases_with_spaces_are_accepted(anonymous, password) -> None:
    response = anonymous.post(
        reverse("account_signup"), {**SIGNUP, "password1": password, "password2": password}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "password,message",
    [
        ("elevenchars", "at least 12 characters"),
        ("829174650318", "entirely numeric"),
        ("password1234", "too common"),
        ("a" * 11 + "Z", "different ones"),  # long only by repetition
        ("x9" * 40, "different ones"),
        ("        abcd", "not spaces"),  # eight spaces and four characters
    ],
)
def test_short_numeric_and_common_passwords_are_refused_with_the_reason(
    anonymous, password, message
) -> None:
    response = anonymous.post(
        reverse("account_signup"), {**SIGNUP, "password1": password, "password2": password}
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

    client.post(reverse("account_logout"))

    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert replay.get(reverse("tracker:dashboard")).status_code == 302


def test_changing_the_password_ends_the_sessions_on_other_devices(alice) -> None:
    phone, laptop = log_in("alice"), log_in("alice")
    new = "a brand new pass phrase"

    response = laptop.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
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
    assert response.redirect_chain[0][0].startswith(reverse("account_login"))
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
