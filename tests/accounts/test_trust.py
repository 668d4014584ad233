"""Issue 17 for accounts: deleting an account leaves nothing of the person behind and ends
every session; clinicians and staff must have a second factor; the NHS number's check digit;
guessing the password on the deletion form is limited."""

import datetime

import pytest
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts.middleware import SECOND_FACTOR_SEEN
from accounts.models import User, age_on, nhs_number_is_valid
from accounts.roles import CLINICIANS
from tests.conftest import PASSWORD, client_for, log_in_with_form, make_user
from tests.factories import agree_to_current_texts

pytestmark = pytest.mark.django_db


# Deleting an account -------------------------------------------------------------------------


def test_deleting_the_account_ends_every_session_on_every_device(alice) -> None:
    phone, laptop, tablet = Client(), Client(), Client()
    for client, address in (
        (phone, "198.51.100.1"),
        (laptop, "198.51.100.2"),
        (tablet, "198.51.100.3"),
    ):
        assert log_in_with_form(client, "alice", address=address).status_code == 302
    keys = [c.session.session_key for c in (phone, laptop, tablet)]
    assert UserSession.objects.filter(user=alice).count() == 3

    response = phone.post(reverse("tracker:account_delete"), {"password": PASSWORD})

    assert response.status_code == 302
    assert not User.objects.filter(username="alice").exists()
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not UserSession.objects.filter(session_key__in=keys).exists()
    for client in (laptop, tablet):
        assert client.get(reverse("tracker:dashboard")).status_code == 302


def test_deleting_the_account_removes_the_admin_log_rows_about_the_person(alice, bob) -> None:
    admin = make_user("ada", is_staff=True)
    user_type = ContentType.objects.get_for_model(User)
    LogEntry.objects.log_actions(
        user_id=admin.pk, queryset=User.objects.filter(pk=alice.pk), action_flag=CHANGE
    )
    LogEntry.objects.log_actions(
        user_id=admin.pk, queryset=User.objects.filter(pk=bob.pk), action_flag=CHANGE
    )
    alice_pk = alice.pk

    client_for(alice).post(reverse("tracker:account_delete"), {"password": PASSWORD})

    about_alice = LogEntry.objects.filter(content_type=user_type, object_id=str(alice_pk))
    assert not about_alice.exists()
    assert not LogEntry.objects.filter(object_repr__icontains="alice").exists()
    # Others' rows stay.
    assert LogEntry.objects.filter(content_type=user_type, object_id=str(bob.pk)).exists()


def test_guessing_the_password_on_the_deletion_form_is_limited(alice) -> None:
    client = client_for(alice)
    for _ in range(5):
        wrong = client.post(reverse("tracker:account_delete"), {"password": "guess"})
        assert wrong.status_code == 200
    limited = client.post(reverse("tracker:account_delete"), {"password": PASSWORD})
    assert limited.status_code == 429
    assert User.objects.filter(pk=alice.pk).exists()


# Second factors ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["clinician", "staff"])
def test_a_clinician_or_staff_member_without_a_second_factor_must_set_one_up(
    role, settings
) -> None:
    settings.PORTAL_REQUIRE_SECOND_FACTOR = True
    user = User.objects.create_user(username="newdoc", email="n@example.org", password=PASSWORD)
    if role == "clinician":
        make_user("x")  # groups exist
        from django.contrib.auth.models import Group

        user.groups.add(Group.objects.get(name=CLINICIANS))
        page = reverse("clinic:queue")
    else:
        user.is_staff = True
        user.save()
        page = reverse("admin:index")
    agree_to_current_texts(user)
    client = client_for(user)

    response = client.get(page)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_index")
    # The set-up pages, logging out and the help page stay open.
    assert client.get(reverse("mfa_index")).status_code == 200
    assert client.get(reverse("get_help")).status_code == 200
    # Once a factor exists, the pages open.
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert client.get(page).status_code == 200
    assert client.session[SECOND_FACTOR_SEEN] is True


def test_a_patient_needs_no_second_factor(alice, settings) -> None:
    settings.PORTAL_REQUIRE_SECOND_FACTOR = True
    assert client_for(alice).get(reverse("tracker:dashboard")).status_code == 200


def test_removing_the_last_factor_is_noticed_on_the_next_request(bob, settings) -> None:
    settings.PORTAL_REQUIRE_SECOND_FACTOR = True
    client = client_for(bob)
    assert client.get(reverse("clinic:queue")).status_code == 200
    from accounts.middleware import forget_second_factor

    Authenticator.objects.filter(user=bob).delete()
    request = type("R", (), {"session": client.session})()
    forget_second_factor(sender=None, request=request)
    request.session.save()
    assert client.get(reverse("clinic:queue"))["Location"] == reverse("mfa_index")


def test_debug_waives_the_requirement_for_the_demo_only(settings) -> None:
    settings.PORTAL_REQUIRE_SECOND_FACTOR = False
    user = User.objects.create_user(username="demo", email="d@example.org", is_staff=True)
    agree_to_current_texts(user)
    assert client_for(user).get(reverse("admin:index")).status_code == 200


# Identity ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("9434765919", True),
        ("9434765918", False),  # wrong check digit
        ("4010232137", True),
        ("1234567890", False),  # check digit would be 10: never valid
        ("943476591", False),
        ("94347659190", False),
        ("943476591a", False),
        ("９４３４７６５９１９", False),  # full-width digits are not ASCII
    ],
)
def test_nhs_numbers_are_checked_by_their_check_digit(number, valid) -> None:
    assert nhs_number_is_valid(number) is valid


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (datetime.date(1980, 5, 17), datetime.date(2026, 5, 16), 45),
        (datetime.date(1980, 5, 17), datetime.date(2026, 5, 17), 46),
        (datetime.date(2000, 2, 29), datetime.date(2026, 2, 28), 25),
        (datetime.date(2000, 2, 29), datetime.date(2026, 3, 1), 26),
        (datetime.date(2000, 2, 29), datetime.date(2028, 2, 29), 28),
    ],
)
def test_age_in_whole_years(born, day, age) -> None:
    assert age_on(born, day) == age


def test_a_second_factor_is_asked_at_login_for_every_clinician(anonymous) -> None:
    make_user("casey", groups=(CLINICIANS,))
    response = anonymous.post(reverse("account_login"), {"login": "casey", "password": PASSWORD})
    assert response["Location"].startswith(reverse("mfa_authenticate"))


def test_a_change_of_role_ends_the_persons_sessions(alice, settings) -> None:
    """A patient's session made staff or clinician must not skip the second factor: the
    session's checks were made at login for the role it had then."""
    settings.PORTAL_REQUIRE_SECOND_FACTOR = True
    client = Client()
    assert log_in_with_form(client, "alice").status_code == 302
    assert client.get(reverse("tracker:dashboard")).status_code == 200

    from django.contrib.auth.models import Group

    alice.groups.add(Group.objects.get(name=CLINICIANS))

    response = client.get(reverse("clinic:queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))

    other = Client()
    assert log_in_with_form(other, "alice").status_code == 302
    alice.is_staff = True
    alice.save()
    assert other.get(reverse("tracker:dashboard")).status_code == 302


def test_the_sessions_page_lists_each_device_and_signs_the_others_out(alice) -> None:
    phone, laptop = Client(), Client()
    log_in_with_form(phone, "alice", address="198.51.100.1")
    log_in_with_form(laptop, "alice", address="198.51.100.2")

    page = phone.get(reverse("usersessions_list")).content.decode()
    assert "This device" in page and "From the address 198.51.100.2" in page
    assert "Sign out everywhere else" in page

    assert phone.post(reverse("usersessions_list")).status_code == 302
    assert laptop.get(reverse("tracker:dashboard")).status_code == 302
    assert phone.get(reverse("tracker:dashboard")).status_code == 200
