import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "newpatient",
    "email": "new@example.org",
    "first_name": "Noor",
    "time_zone": "Europe/Paris",
    "password1": "plenty of words in here",
    "password2": "plenty of words in here",
}


def test_sign_up_creates_a_patient_with_no_roles_and_logs_them_in(anonymous) -> None:
    response = anonymous.post(reverse("signup"), SIGNUP)

    assert response.status_code == 302
    # A new patient lands on their tracker, as a patient does after logging in.
    assert response["Location"] == reverse("tracker:dashboard")
    user = User.objects.get(username="newpatient")
    assert user.time_zone == "Europe/Paris"
    assert not user.groups.exists()
    assert not user.is_staff
    assert anonymous.session[SESSION_KEY] == str(user.pk)


def test_sign_up_cannot_choose_a_role(anonymous) -> None:
    anonymous.post(reverse("signup"), {**SIGNUP, "groups": "1", "is_staff": "on"})
    user = User.objects.get(username="newpatient")
    assert not user.groups.exists() and not user.is_staff


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("time_zone", "Mars/Olympus_Mons", "is not a time zone we know"),
        ("password2", "something else entirely", "didn’t match"),
        ("email", "not-an-email", "valid email"),
    ],
)
def test_bad_sign_up_says_what_is_wrong_and_keeps_what_was_typed(
    anonymous, field: str, value: str, message: str
) -> None:
    response = anonymous.post(reverse("signup"), {**SIGNUP, field: value})

    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert 'value="newpatient"' in page
    assert 'value="Noor"' in page
    assert not User.objects.filter(username="newpatient").exists()


def test_short_and_common_passwords_are_refused(anonymous) -> None:
    for password in ("short1", "password1234", "123456789012"):
        response = anonymous.post(
            reverse("signup"), {**SIGNUP, "password1": password, "password2": password}
        )
        assert response.status_code == 200
    assert not User.objects.filter(username="newpatient").exists()


def test_login_and_logout_by_post(anonymous, alice) -> None:
    response = anonymous.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert SESSION_KEY in anonymous.session

    assert anonymous.get(reverse("logout")).status_code == 405
    assert anonymous.post(reverse("logout")).status_code == 302
    assert SESSION_KEY not in anonymous.session


def test_wrong_password_gives_a_message_and_keeps_the_username(anonymous, alice) -> None:
    response = anonymous.post(reverse("login"), {"username": "alice", "password": "wrong"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Please enter a correct username and password" in page
    assert 'value="alice"' in page


def test_password_reset_by_email_end_to_end(anonymous, alice) -> None:
    response = anonymous.post(reverse("password_reset"), {"email": "alice@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)

    form_page = anonymous.get(link, follow=True)
    assert form_page.status_code == 200
    new_password = "a brand new long password"
    done = anonymous.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(new_password)


def test_password_reset_for_an_unknown_address_looks_the_same(anonymous) -> None:
    response = anonymous.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_password_change(alice) -> None:
    client = client_for(alice)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another long pass phrase",
            "new_password2": "another long pass phrase",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("another long pass phrase")


def test_profile_sets_the_time_zone(alice) -> None:
    client = client_for(alice)
    response = client.post(
        reverse("profile"),
        {
            "first_name": "Alice",
            "last_name": "",
            "email": "alice@example.org",
            "time_zone": "Asia/Tokyo",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.time_zone == "Asia/Tokyo"


def test_profile_refuses_an_unknown_time_zone_and_keeps_the_typing(alice) -> None:
    response = client_for(alice).post(
        reverse("profile"),
        {"first_name": "Alice", "email": "alice@example.org", "time_zone": "Europe/Atlantis"},
    )
    page = response.content.decode()
    assert "is not a time zone we know" in page
    assert 'value="Europe/Atlantis"' in page
    alice.refresh_from_db()
    assert alice.time_zone == "Europe/London"


def test_profile_needs_login(anonymous) -> None:
    response = anonymous.get(reverse("profile"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
