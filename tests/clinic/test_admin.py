"""Staff pages for clinicians: approving them, share links and the audit log, read-only; and
the health-derived data only staff with `accounts.view_health_data` may see."""

import datetime
import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import CLINICIANS
from clinic.models import AuditEvent, ClinicianProfile, Share
from tests.conftest import client_for, make_user
from tests.factories import share

pytestmark = pytest.mark.django_db

USERS = reverse("admin:accounts_user_changelist")


@pytest.fixture
def superuser(db):
    user = make_user("sam", is_staff=True)
    user.is_superuser = True
    user.save()
    return user


def staff_with(username: str, *codenames: str) -> User:
    """Make a member of staff with these permissions only (codenames, or app.codename)."""
    staff = make_user(username, is_staff=True)
    for name in codenames:
        app, _dot, codename = name.rpartition(".")
        found = Permission.objects.filter(codename=codename)
        if app:
            found = found.filter(content_type__app_label=app)
        staff.user_permissions.add(found.get())
    return staff


def approve(client, user: User, **names: str):
    """Choose the action on the user list; then, if asked, confirm the names."""
    chosen = {"action": "approve_as_clinician", "_selected_action": [user.pk]}
    first = client.post(USERS, chosen)
    if first.status_code != 200 or "form" not in (first.context or {}):
        return first, None
    second = client.post(USERS, {**chosen, "confirm": "yes", **names})
    return first, second


def is_clinician(user: User) -> bool:
    return user.groups.filter(name=CLINICIANS).exists()


# Approving a clinician


def test_staff_confirm_the_name_patients_will_see_then_approve(superuser, charlie):
    charlie.first_name, charlie.last_name = "Charlie", "Cole"
    charlie.save()
    client = client_for(superuser)

    first, second = approve(
        client, charlie, **{f"display_name_{charlie.pk}": "Dr Charlie Cole, GP"}
    )

    # The list's action asks first, offering the account's full name, and changes nothing yet.
    assert first.status_code == 200
    assert first.context["form"][f"display_name_{charlie.pk}"].value() == "Charlie Cole"
    assert second.status_code == 302
    assert is_clinician(charlie)
    profile = ClinicianProfile.objects.get(user=charlie)
    assert profile.display_name == "Dr Charlie Cole, GP"
    assert profile.share_code


def test_nothing_is_approved_until_staff_confirm(superuser, charlie):
    first = client_for(superuser).post(
        USERS, {"action": "approve_as_clinician", "_selected_action": [charlie.pk]}
    )
    assert first.status_code == 200
    assert not is_clinician(charlie)
    assert not ClinicianProfile.objects.exists()


def test_an_empty_name_is_refused_and_approves_nobody(superuser, charlie):
    _first, second = approve(client_for(superuser), charlie, **{f"display_name_{charlie.pk}": ""})
    assert second.status_code == 200
    assert second.context["form"].errors
    assert not is_clinician(charlie)


def test_each_approval_is_recorded_in_the_admin_log(superuser, alice, charlie):
    client = client_for(superuser)
    chosen = {"action": "approve_as_clinician", "_selected_action": [alice.pk, charlie.pk]}
    client.post(USERS, chosen)
    client.post(
        USERS,
        {
            **chosen,
            "confirm": "yes",
            f"display_name_{alice.pk}": "Dr Alice A",
            f"display_name_{charlie.pk}": "Nurse Charlie C",
        },
    )
    entries = LogEntry.objects.filter(user=superuser, action_flag=CHANGE).order_by("object_id")
    assert sorted((int(e.object_id), e.get_change_message()) for e in entries) == sorted(
        [
            (alice.pk, "Approved as a clinician, shown to patients as “Dr Alice A”."),
            (charlie.pk, "Approved as a clinician, shown to patients as “Nurse Charlie C”."),
        ]
    )


def test_staff_who_may_only_view_users_cannot_approve_a_clinician(charlie):
    viewer = staff_with("vic", "view_user")
    client = client_for(viewer)
    # The action is not offered...
    assert "approve_as_clinician" not in client.get(USERS).content.decode()
    # ...and posting it anyway, with the names, approves nobody.
    approve(client, charlie, **{f"display_name_{charlie.pk}": "Dr Mallory"})
    assert not is_clinician(charlie)
    assert not ClinicianProfile.objects.exists()
    assert not LogEntry.objects.exists()


def test_staff_who_may_change_users_can_approve_a_clinician(charlie):
    changer = staff_with("cat", "view_user", "change_user")
    _first, second = approve(
        client_for(changer), charlie, **{f"display_name_{charlie.pk}": "Dr Charlie Cole"}
    )
    assert second.status_code == 302
    assert is_clinician(charlie)
    assert LogEntry.objects.get().user == changer


def test_staff_rename_a_clinician_in_the_clinician_profile_page(superuser, charlie):
    client = client_for(superuser)
    approve(client, charlie, **{f"display_name_{charlie.pk}": "Dr Charlie Cole"})
    profile = ClinicianProfile.objects.get(user=charlie)
    url = reverse("admin:clinic_clinicianprofile_change", args=[profile.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["display_name"] = "Dr Charlie Cole-Brown, GP"
    data["code_expires_at_0"], data["code_expires_at_1"] = (
        profile.code_expires_at.strftime("%Y-%m-%d"),
        profile.code_expires_at.strftime("%H:%M:%S"),
    )
    assert client.post(url, data).status_code == 302
    profile.refresh_from_db()
    assert profile.display_name == "Dr Charlie Cole-Brown, GP"


# Evidence stays as it was


def test_the_audit_log_and_shares_cannot_be_changed_even_by_a_superuser(superuser, alice, bob):
    given = share(alice, bob)
    event = AuditEvent.objects.create(actor=bob, actor_name="bob", patient=alice, action="view")
    client = client_for(superuser)
    assert client.get(reverse("admin:clinic_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:clinic_share_changelist")).status_code == 200
    assert client.get(reverse("admin:clinic_auditevent_add")).status_code == 403
    assert (
        client.post(reverse("admin:clinic_auditevent_delete", args=[event.pk])).status_code == 403
    )
    client.post(
        reverse("admin:clinic_auditevent_change", args=[event.pk]),
        {"actor_name": "someone else", "action": "note"},
    )
    event.refresh_from_db()
    assert (event.actor_name, event.action) == ("bob", "view")
    assert client.post(reverse("admin:clinic_share_delete", args=[given.pk])).status_code == 403
    assert Share.objects.filter(pk=given.pk).exists()


# Health-derived data: only with accounts.view_health_data

HEALTH_ADMINS = [
    ("clinic_auditevent", "view_auditevent"),
    ("clinic_share", "view_share"),
    ("usersessions_usersession", "view_usersession"),
    ("mfa_authenticator", "view_authenticator"),
]


def test_an_editor_cannot_read_the_audit_log(erin):
    client = client_for(erin)
    assert client.get(reverse("admin:clinic_auditevent_changelist")).status_code == 403
    assert client.get(reverse("admin:clinic_share_changelist")).status_code == 403


@pytest.mark.parametrize(("admin_name", "permission"), HEALTH_ADMINS)
def test_the_model_permission_alone_does_not_show_health_data(alice, bob, admin_name, permission):
    share(alice, bob)
    AuditEvent.objects.create(actor=bob, actor_name="bob", patient=alice, action="view")
    staff = staff_with("stan", permission)
    client = client_for(staff)
    assert client.get(reverse(f"admin:{admin_name}_changelist")).status_code == 403
    # Absent from the admin's index too.
    assert (
        reverse(f"admin:{admin_name}_changelist")
        not in client.get(reverse("admin:index")).content.decode()
    )


@pytest.mark.parametrize(("admin_name", "permission"), HEALTH_ADMINS)
def test_the_change_permission_alone_does_not_show_health_data(admin_name, permission):
    staff = staff_with("stan", permission.replace("view_", "change_"))
    assert client_for(staff).get(reverse(f"admin:{admin_name}_changelist")).status_code == 403


@pytest.mark.parametrize(("admin_name", "permission"), HEALTH_ADMINS)
def test_with_the_health_data_permission_staff_see_it(alice, bob, admin_name, permission):
    share(alice, bob)
    staff = staff_with("stan", permission, "accounts.view_health_data")
    client = client_for(staff)
    assert client.get(reverse(f"admin:{admin_name}_changelist")).status_code == 200
    assert (
        reverse(f"admin:{admin_name}_changelist")
        in client.get(reverse("admin:index")).content.decode()
    )


def test_the_health_data_permission_alone_shows_nothing(alice, bob):
    staff = staff_with("stan", "accounts.view_health_data")
    for admin_name, _permission in HEALTH_ADMINS:
        assert client_for(staff).get(reverse(f"admin:{admin_name}_changelist")).status_code == 403


def test_staff_with_both_permissions_read_the_audit_log_and_sign_ins(alice, bob):
    AuditEvent.objects.create(actor=bob, actor_name="bob", patient=alice, action="view")
    UserSession.objects.create(
        user=alice, ip="198.51.100.7", session_key="k" * 32, user_agent="Firefox"
    )
    staff = staff_with("stan", "view_auditevent", "view_usersession", "accounts.view_health_data")
    client = client_for(staff)
    content = client.get(reverse("admin:clinic_auditevent_changelist")).content.decode()
    assert "Viewed your log" in content
    content = client.get(reverse("admin:usersessions_usersession_changelist")).content.decode()
    assert "198.51.100.7" in content


def test_a_superuser_sees_every_health_admin(superuser):
    client = client_for(superuser)
    for admin_name, _permission in HEALTH_ADMINS:
        assert client.get(reverse(f"admin:{admin_name}_changelist")).status_code == 200
    assert Authenticator.objects.filter(user=superuser).exists()


# Titles


def test_no_admin_page_title_names_the_patient(superuser, alice, bob):
    alice.first_name, alice.last_name = "Zebedee", "Quartermaine"
    alice.save()
    given = share(alice, bob)
    pages = [
        reverse("admin:accounts_user_change", args=[alice.pk]),
        reverse("admin:accounts_user_history", args=[alice.pk]),
        reverse("admin:accounts_user_delete", args=[alice.pk]),
        reverse("admin:clinic_share_change", args=[given.pk]),
        reverse("admin:clinic_share_history", args=[given.pk]),
    ]
    client = client_for(superuser)
    for url in pages:
        content = client.get(url).content.decode()
        (shown,) = re.findall(r"<title>(.*?)</title>", content, re.S)
        for private in ("Zebedee", "Quartermaine", "alice"):
            assert private not in shown, (url, shown)
        # The page itself still says whose record it is.
        assert "Zebedee Quartermaine" in content, url


def test_staff_can_correct_a_patients_date_of_birth_and_nhs_number(superuser, alice):
    client = client_for(superuser)
    url = reverse("admin:accounts_user_change", args=[alice.pk])
    page = client.get(url)
    assert 'name="date_of_birth"' in page.content.decode()
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name not in {"groups", "user_permissions", "password", "last_login", "date_joined"}
        and value is not None
    }
    data.update(
        {
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
            "date_of_birth": "1979-02-03",
            "nhs_number": "9434765918",  # a wrong check digit first
        }
    )
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "not a valid NHS number" in refused.content.decode()
    data["nhs_number"] = "9434765919"
    assert client.post(url, data).status_code == 302
    alice.refresh_from_db()
    assert (str(alice.date_of_birth), alice.nhs_number) == ("1979-02-03", "9434765919")


def test_the_admin_lists_a_request_past_its_14_days_as_expired(superuser, alice, bob, charlie):
    """Its row still says pending (nothing had to write it); the admin reads its state now."""
    from tests.factories import share_request

    old = share_request(alice, bob, now=timezone.now() - datetime.timedelta(days=14, seconds=1))
    fresh = share_request(charlie, bob)
    client = client_for(superuser)
    changelist = reverse("admin:clinic_share_changelist")

    expired = client.get(changelist, {"state": "expired"}).context["cl"].result_list
    pending = client.get(changelist, {"state": "pending"}).context["cl"].result_list

    assert [s.pk for s in expired] == [old.pk]
    assert [s.pk for s in pending] == [fresh.pk]
    assert Share.objects.get(pk=old.pk).status == "pending"
    assert "Expired" in client.get(changelist).content.decode()
