"""After logging in, each role lands on its own page (issue 16); a safe ?next= still wins."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from accounts.models import User
from accounts.roles import CLINICIANS
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")


def log_in(client, user: User, next_url: str | None = None):
    data = {"username": user.username, "password": PASSWORD}
    if next_url is not None:
        data["next"] = next_url
    response = client.post(LOGIN, data)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)
    return response["Location"]


def test_a_patient_lands_on_their_tracker(anonymous, alice) -> None:
    assert log_in(anonymous, alice) == reverse("tracker:dashboard")


def test_a_clinician_lands_on_their_queue(anonymous, bob) -> None:
    assert log_in(anonymous, bob) == reverse("clinic:queue")


def test_a_clinician_who_is_also_staff_still_lands_on_the_queue(anonymous) -> None:
    both = make_user("casey", groups=(CLINICIANS,), is_staff=True)
    assert log_in(anonymous, both) == reverse("clinic:queue")


def test_an_editor_lands_on_the_admin(anonymous, erin) -> None:
    landing = log_in(anonymous, erin)
    assert landing == reverse("admin:index")
    assert anonymous.get(landing).status_code == 200


def test_a_safe_next_still_wins_for_every_role(alice, bob, erin, client) -> None:
    article_list = reverse("education:article_list")
    for user in (alice, bob, erin):
        client.logout()
        assert log_in(client, user, next_url=article_list) == article_list
    # Also when it comes in the address, as a login redirect sends it.
    client.logout()
    response = client.post(
        f"{LOGIN}?next={reverse('tracker:hydration')}",
        {"username": "alice", "password": PASSWORD},
    )
    assert response["Location"] == reverse("tracker:hydration")


def test_an_unsafe_next_is_ignored_for_the_roles_own_page(anonymous, alice) -> None:
    for unsafe in ("https://evil.example/", "//evil.example/tracker/"):
        anonymous.logout()
        assert log_in(anonymous, alice, next_url=unsafe) == reverse("tracker:dashboard")


def test_a_wrong_password_still_counts_towards_the_lockout(anonymous, alice) -> None:
    for _ in range(5):
        response = anonymous.post(LOGIN, {"username": "alice", "password": "wrong"})
    assert response.status_code == 429
    right = anonymous.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert right.status_code == 429
    assert SESSION_KEY not in anonymous.session
