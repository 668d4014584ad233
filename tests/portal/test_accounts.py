"""Signing up, logging in and out, resetting and changing the password and the e-mail address,
and the profile: django-allauth's flows as the portal configures them (issue 17)."""

import datetime
import re
import time

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.roles import CLINICIANS
from tests.conftest import PASSWORD, client_for, log_in_with_form, make_user

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "newpatient",
    "email": "new@example.org",
    "first_name": "Noor",
    "date_of_birth": "1980-03-21",
    "time_zone": "Europe/Paris",
    "password1": "plenty of words in here",
    "password2": "plenty of words in here",
    # The two tick boxes of issue 19 (tests/accounts/test_consent.py tests them).
    "health_data": "on",
    "terms": "on",
}
CODE = re.compile(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", re.MULTILINE)


def code_in(message) -> str:
    return CODE.search(message.body).group(1)


def sign_up(client, **changes):
    return client.post(reverse("account_signup"), {**SIGNUP, **changes})


# Sign-up -------------------------------------------------------------------------------------


def test_sign_up_asks_for_the_code_sent_to_the_address_then_opens_the_tracker(anonymous) -> None:
    response = sign_up(anonymous)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(username="newpatient")
    assert user.time_zone == "Europe/Paris"
    assert user.date_of_birth == datetime.date(1980, 3, 21)
    assert not user.groups.exists() and not user.is_staff
    # Not in yet: the address is not verified.
    assert SESSION_KEY not in anonymous.session
    assert anonymous.get(reverse("tracker:dashboard")).status_code == 302
    [message] = mail.outbox
    assert message.to == ["new@example.org"]
    assert "Back cramp care" in message.body

    done = anonymous.post(reverse("account_email_verification_sent"), {"code": code_in(message)})

    assert done.status_code == 302
    assert done["Location"] == reverse("tracker:dashboard")
    assert anonymous.session[SESSION_KEY] == str(user.pk)
    assert EmailAddress.objects.get(user=user).verified


def test_a_wrong_code_says_so_and_lets_nobody_in(anonymous) -> None:
    sign_up(anonymous)
    response = anonymous.post(reverse("account_email_verification_sent"), {"code": "AAAA-AAAA"})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert SESSION_KEY not in anonymous.session
    assert not EmailAddress.objects.get(email="new@example.org").verified


def test_sign_up_does_not_tell_whether_an_address_has_an_account(anonymous, alice) -> None:
    """A taken address (in any case) gets the very same answer as a new one; its owner gets
    an e-mail saying someone tried, and no second account exists."""
    new = sign_up(anonymous, username="someone", email="fresh@example.org")
    anonymous.logout()
    taken = sign_up(anonymous, username="another", email="ALICE@example.org")

    assert taken.status_code == new.status_code == 302
    assert taken["Location"] == new["Location"]
    assert not User.objects.filter(username="another").exists()
    assert User.objects.filter(email__iexact="alice@example.org").count() == 1
    to_alice = [m for m in mail.outbox if m.to == ["ALICE@example.org"] or m.to == [alice.email]]
    assert len(to_alice) == 1
    assert "already" in to_alice[0].body.lower()


def test_sign_up_cannot_choose_a_role(anonymous) -> None:
    sign_up(anonymous, groups="1", is_staff="on", is_superuser="on")
    user = User.objects.get(username="newpatient")
    assert not user.groups.exists() and not user.is_staff and not user.is_superuser


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("time_zone", "Mars/Olympus_Mons", "is not a time zone we know"),
        ("password2", "something else entirely", "same password"),
        ("email", "not-an-email", "valid email"),
        ("date_of_birth", "", "This field is required"),
        ("date_of_birth", "2999-01-01", "cannot be in the future"),
        ("date_of_birth", "1850-01-01", "more than 120 years ago"),
        ("date_of_birth", "31/02/1980", "Enter a date"),
    ],
)
def test_bad_sign_up_says_what_is_wrong_and_keeps_what_was_typed(
    anonymous, field: str, value: str, message: str
) -> None:
    response = sign_up(anonymous, **{field: value})

    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert 'value="newpatient"' in page
    assert 'value="Noor"' in page
    assert not User.objects.filter(username="newpatient").exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    "password",
    ["aaaaaaaaaaaa", "        abcd", "abababababababab", "            "],
)
def test_repeated_or_mostly_blank_passwords_are_refused_with_the_reason(
    anonymous, password
) -> None:
    response = sign_up(anonymous, password1=password, password2=password)
    assert response.status_code == 200
    page = response.content.decode()
    assert "different ones" in page or "not spaces" in page or "at least 12" in page
    assert not User.objects.filter(username="newpatient").exists()


def test_two_accounts_cannot_share_an_address_in_different_case_in_the_database(alice) -> None:
    with pytest.raises(IntegrityError):
        User.objects.create_user(username="copycat", email="Alice@Example.org", password="x")


# Login and logout ----------------------------------------------------------------------------


def test_login_and_logout_by_post(anonymous, alice) -> None:
    response = log_in_with_form(anonymous, "alice")
    assert response.status_code == 302
    assert anonymous.session[SESSION_KEY] == str(alice.pk)
    # GET only asks to confirm; logging out is a POST.
    assert anonymous.get(reverse("account_logout")).status_code == 200
    assert SESSION_KEY in anonymous.session
    assert anonymous.post(reverse("account_logout")).status_code == 302
    assert SESSION_KEY not in anonymous.session


def test_wrong_password_gives_a_message_and_keeps_the_username(anonymous, alice) -> None:
    response = log_in_with_form(anonymous, "alice", "wrong password here")
    page = response.content.decode()
    assert response.status_code == 200
    assert "username and/or password you specified are not correct" in page
    assert 'value="alice"' in page


def test_an_unverified_address_cannot_log_in_until_its_code_is_typed(anonymous) -> None:
    user = User.objects.create_user(username="nina", email="nina@example.org", password=PASSWORD)
    response = log_in_with_form(anonymous, "nina")
    assert response["Location"] == reverse("account_email_verification_sent")
    assert SESSION_KEY not in anonymous.session
    assert len(mail.outbox) == 1
    anonymous.post(reverse("account_email_verification_sent"), {"code": code_in(mail.outbox[0])})
    assert anonymous.session[SESSION_KEY] == str(user.pk)


# Password reset ------------------------------------------------------------------------------


def test_password_reset_by_code_end_to_end(anonymous, alice) -> None:
    response = anonymous.post(reverse("account_reset_password"), {"email": "alice@example.org"})
    assert response.status_code == 302
    [message] = mail.outbox
    # A code to type, never a link with a token in it (links end up in access logs).
    assert "/password/reset/key/" not in message.body
    confirm = anonymous.post(response["Location"], {"code": code_in(message)})
    assert confirm.status_code == 302
    new_password = "a brand new long password"
    done = anonymous.post(
        confirm["Location"], {"password1": new_password, "password2": new_password}
    )
    assert done.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(new_password)


def test_password_reset_for_an_unknown_address_looks_the_same(anonymous, alice) -> None:
    known = anonymous.post(reverse("account_reset_password"), {"email": "alice@example.org"})
    unknown = Client().post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"]
    # Nothing is sent to an address without an account: the site never e-mails a stranger.
    assert not [m for m in mail.outbox if m.to == ["nobody@example.org"]]
    assert len([m for m in mail.outbox if m.to == ["alice@example.org"]]) == 1


# Changing the password and the address: the current password first -------------------------


def test_password_change_asks_for_the_current_password_and_tells_the_address(alice) -> None:
    client = client_for(alice)
    wrong = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": "not my password",
            "password1": "another long pass phrase",
            "password2": "another long pass phrase",
        },
    )
    assert wrong.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)

    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "another long pass phrase",
            "password2": "another long pass phrase",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("another long pass phrase")
    assert any("password" in m.subject.lower() for m in mail.outbox if m.to == [alice.email])


def test_a_stolen_session_cannot_change_the_address_without_the_password(alice) -> None:
    """A session signed in long ago (over 5 minutes) must give the password again first."""
    client = client_for(alice)
    session = client.session
    # allauth records each authentication; make the only one an hour old.
    session["account_authentication_methods"] = [
        {
            "method": "password",
            "at": time.time() - 3600,
            "username": "alice",
        }
    ]
    session.save()

    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "thief@example.org"}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email="thief@example.org").exists()


def test_changing_the_address_verifies_the_new_one_and_tells_the_old_one(alice) -> None:
    client = client_for(alice)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.post(reverse("account_email"), {"action_add": "", "email": "alice@new.org"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.email == "alice@example.org"  # not until the new address is verified
    to_new = [m for m in mail.outbox if m.to == ["alice@new.org"]]
    assert len(to_new) == 1
    client.post(reverse("account_email_verification_sent"), {"code": code_in(to_new[0])})
    alice.refresh_from_db()
    assert alice.email == "alice@new.org"
    to_old = [m for m in mail.outbox if m.to == ["alice@example.org"]]
    assert to_old and "alice@new.org" in to_old[-1].body


# Profile -------------------------------------------------------------------------------------


def test_profile_sets_the_time_zone_date_of_birth_and_nhs_number(alice) -> None:
    client = client_for(alice)
    response = client.post(
        reverse("profile"),
        {
            "first_name": "Alice",
            "last_name": "Ng",
            "date_of_birth": "1979-12-31",
            "nhs_number": "943 476 5919",
            "time_zone": "Asia/Tokyo",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.time_zone == "Asia/Tokyo"
    assert alice.date_of_birth == datetime.date(1979, 12, 31)
    assert alice.nhs_number == "9434765919"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("time_zone", "Europe/Atlantis", "is not a time zone we know"),
        ("nhs_number", "943 476 5918", "not a valid NHS number"),
        ("nhs_number", "12345", "not a valid NHS number"),
        ("date_of_birth", "2999-01-01", "cannot be in the future"),
    ],
)
def test_profile_refuses_bad_values_and_keeps_the_typing(alice, field, value, message) -> None:
    data = {"first_name": "Alice", "date_of_birth": "1980-05-17", "time_zone": "Europe/London"}
    response = client_for(alice).post(reverse("profile"), {**data, field: value})
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert f'value="{value}"' in page
    alice.refresh_from_db()
    assert alice.time_zone == "Europe/London" and alice.nhs_number == ""


def test_a_clinician_cannot_rename_themselves_on_the_profile(db) -> None:
    casey = make_user("casey", groups=(CLINICIANS,))
    casey.first_name = "Casey"
    casey.save()
    response = client_for(casey).post(
        reverse("profile"),
        {"first_name": "Dr Famous", "last_name": "Consultant", "time_zone": "Europe/Paris"},
    )
    assert response.status_code == 302
    casey.refresh_from_db()
    assert (casey.first_name, casey.last_name, casey.time_zone) == ("Casey", "", "Europe/Paris")
    page = client_for(casey).get(reverse("profile")).content.decode()
    assert 'name="first_name"' not in page


def test_profile_needs_login(anonymous) -> None:
    response = anonymous.get(reverse("profile"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_a_clinician_cannot_take_another_persons_address_in_another_case(alice, bob) -> None:
    """The finding: a clinician changed their e-mail to a case variant of a patient's address
    and received the shares meant for it. Now the address cannot be added, let alone verified."""
    client = client_for(bob)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "ALICE@Example.org"}
    )

    bob.refresh_from_db()
    assert bob.email == "bob@example.org"
    assert not EmailAddress.objects.filter(user=bob, email__iexact="alice@example.org").exists()
    assert response.status_code in (200, 302)
    # Nothing the owner has to act on is sent to bob; at most the owner hears of the attempt.
    assert not [m for m in mail.outbox if m.to == ["bob@example.org"]]


def test_a_login_far_longer_than_any_account_name_is_refused_next_to_the_field(anonymous) -> None:
    """Found by the property tests: 60,000 characters reached SQLite as a LIKE pattern it
    refuses, and the page answered 503."""
    response = anonymous.post(reverse("account_login"), {"login": "a%_" * 20000, "password": "x"})
    assert response.status_code == 200
    assert "Ensure this value has at most 254 characters" in response.content.decode()
