"""After logging in, each role lands on its own page (issue 16); a safe ?next= still wins.

Every login here goes through the real pages: the password form, and for clinicians and staff
the second-factor step (issue 17).
"""

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from accounts.models import User
from accounts.roles import CLINICIANS
from tests.conftest import PASSWORD, log_in_with_form, make_user

pytestmark = pytest.mark.django_db


def log_in(client, user: User, next_url: str | None = None) -> str:
    response = log_in_with_form(client, user.username, next_url=next_url)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)
    return response["Location"]


def test_a_patient_lands_on_their_tracker(anonymous, alice) -> None:
    assert log_in(anonymous, alice) == reverse("tracker:dashboard")


def test_a_clinician_lands_on_their_queue_after_the_second_factor(anonymous, bob) -> None:
    assert log_in(anonymous, bob) == reverse("clinic:queue")


def test_the_password_alone_does_not_log_a_clinician_in(anonymous, bob) -> None:
    response = anonymous.post(reverse("account_login"), {"login": "bob", "password": PASSWORD})
    assert response["Location"].startswith(reverse("mfa_authenticate"))
    assert SESSION_KEY not in anonymous.session
    wrong = anonymous.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "Incorrect code" in wrong.content.decode()
    assert SESSION_KEY not in anonymous.session
    assert anonymous.get(reverse("clinic:queue")).status_code == 302


def test_a_clinician_who_is_also_staff_still_lands_on_the_queue(anonymous) -> None:
    both = make_user("casey", groups=(CLINICIANS,), is_staff=True)
    assert log_in(anonymous, both) == reverse("clinic:queue")


def test_an_editor_lands_on_the_admin(anonymous, erin) -> None:
    landing = log_in(anonymous, erin)
    assert landing == reverse("admin:index")
    assert anonymous.get(landing).status_code == 200


def test_a_patient_can_log_in_with_their_e_mail_address_in_any_case(anonymous, alice) -> None:
    response = log_in_with_form(anonymous, "ALICE@example.org")
    assert response.status_code == 302
    assert anonymous.session[SESSION_KEY] == str(alice.pk)


def test_a_safe_next_still_wins_for_every_role(alice, bob, erin, client) -> None:
    article_list = reverse("education:article_list")
    for user in (alice, bob, erin):
        client.logout()
        assert log_in(client, user, next_url=article_list) == article_list
    # Also when it comes in the address, as a login redirect sends it.
    client.logout()
    response = client.post(
        f"{reverse('account_login')}?next={reverse('tracker:hydration')}",
        {"login": "alice", "password": PASSWORD},
    )
    assert response["Location"] == reverse("tracker:hydration")


def test_an_unsafe_next_is_ignored_for_the_roles_own_page(anonymous, alice) -> None:
    for unsafe in ("https://evil.example/", "//evil.example/tracker/"):
        anonymous.logout()
        assert log_in(anonymous, alice, next_url=unsafe) == reverse("tracker:dashboard")
