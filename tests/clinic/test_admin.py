"""Staff pages for clinicians: approving them, share links and the audit log, read-only."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from clinic.models import AuditEvent, ClinicianProfile, Share
from tests.conftest import client_for, make_user


@pytest.fixture
def superuser(db):
    user = make_user("sam", is_staff=True)
    user.is_superuser = True
    user.save()
    return user


def test_staff_approve_a_clinician_from_the_user_list(superuser, charlie):
    response = client_for(superuser).post(
        reverse("admin:accounts_user_changelist"),
        {"action": "approve_as_clinician", "_selected_action": [charlie.pk]},
    )
    assert response.status_code == 302
    assert charlie.groups.filter(name="Clinicians").exists()
    assert ClinicianProfile.objects.filter(user=charlie).exists()


def test_the_audit_log_and_shares_cannot_be_changed_even_by_a_superuser(superuser, alice, bob):
    share = Share.objects.create(patient=alice, clinician=bob, consent_version="t")
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
    assert client.post(reverse("admin:clinic_share_delete", args=[share.pk])).status_code == 403
    assert Share.objects.filter(pk=share.pk).exists()


def test_an_editor_cannot_read_the_audit_log(erin):
    client = client_for(erin)
    assert client.get(reverse("admin:clinic_auditevent_changelist")).status_code == 403
    assert client.get(reverse("admin:clinic_share_changelist")).status_code == 403


def test_staff_with_view_permission_read_the_audit_log(alice, bob):
    staff = make_user("stan", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    AuditEvent.objects.create(actor=bob, actor_name="bob", patient=alice, action="view")
    content = client_for(staff).get(reverse("admin:clinic_auditevent_changelist")).content.decode()
    assert "Viewed your log" in content
