"""Sharing a log with a clinician: consent, codes, e-mail, revoking, and what it never reveals."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.access import approve_clinician, renew_share_code
from clinic.forms import NO_MATCH
from clinic.models import CONSENT_VERSION, ClinicianProfile, Share
from tests.conftest import client_for, make_user
from tests.factories import log_episode
from tracker.models import PatientStatus

SHARING = reverse("clinic:sharing")


@pytest.fixture
def bob_code(bob) -> str:
    return approve_clinician(user=bob).share_code


def share(client, code_or_email: str, *, consent: bool = True):
    data = {"code_or_email": code_or_email}
    if consent:
        data["consent"] = "on"
    return client.post(SHARING, data)


def test_sharing_by_code_records_the_consent_version_and_time(alice, bob, bob_code):
    before = timezone.now()
    response = share(client_for(alice), bob_code)
    assert response["Location"] == SHARING
    record = Share.objects.get(patient=alice, clinician=bob)
    assert record.consent_version == CONSENT_VERSION
    assert record.consented_at >= before
    assert record.is_active


@pytest.mark.parametrize("typed", ["{code}", "{lower}", "{half1}-{half2}", " {half1} {half2} "])
def test_a_code_may_be_typed_with_a_dash_spaces_or_in_lower_case(alice, bob, bob_code, typed):
    text = typed.format(
        code=bob_code, lower=bob_code.lower(), half1=bob_code[:4], half2=bob_code[4:]
    )
    share(client_for(alice), text)
    assert Share.objects.filter(patient=alice, clinician=bob).exists()


def test_sharing_by_the_clinicians_email(alice, bob, bob_code):
    share(client_for(alice), "BOB@example.org")
    assert Share.objects.filter(patient=alice, clinician=bob).exists()


def test_consent_must_be_ticked(alice, bob, bob_code):
    response = share(client_for(alice), bob_code, consent=False)
    assert "Please tick to agree" in response.content.decode()
    assert response.context["form"]["code_or_email"].value() == bob_code
    assert not Share.objects.exists()


@pytest.mark.parametrize(
    "who", ["unknown e-mail", "patient e-mail", "wrong code", "expired code", "unapproved"]
)
def test_every_failed_match_gives_the_same_message(alice, charlie, bob, bob_code, who):
    dana_like = make_user("eve")  # has an account, is not a clinician
    ClinicianProfile.objects.create(
        user=dana_like,
        share_code="ZZZZ2222",
        code_expires_at=timezone.now() + datetime.timedelta(days=1),
    )
    if who == "expired code":
        ClinicianProfile.objects.filter(user=bob).update(code_expires_at=timezone.now())
    typed = {
        "unknown e-mail": "nobody@example.org",
        "patient e-mail": charlie.email,
        "wrong code": "AAAA-BBBB",
        "expired code": bob_code,
        "unapproved": "ZZZZ-2222",
    }[who]
    response = share(client_for(alice), typed)
    assert response.status_code == 200
    assert response.context["form"].errors["code_or_email"] == [str(NO_MATCH)]
    assert not Share.objects.exists()


def test_a_new_code_stops_the_old_one(alice, bob, bob_code):
    renew_share_code(clinician=bob)
    response = share(client_for(alice), bob_code)
    assert response.context["form"].errors["code_or_email"] == [str(NO_MATCH)]


def test_sharing_twice_with_the_same_clinician_is_refused(alice, bob, bob_code):
    client = client_for(alice)
    share(client, bob_code)
    response = share(client, bob_code)
    assert "already share" in response.content.decode()
    assert Share.objects.count() == 1


def test_a_clinician_cannot_share_with_themselves(bob, bob_code):
    response = share(client_for(bob), bob_code)
    assert "with yourself" in response.content.decode()


def test_revoking_takes_effect_on_the_next_request(alice, bob, bob_code):
    log_episode(alice, start=timezone.now() - datetime.timedelta(hours=1), severity=3)
    share(client_for(alice), bob_code)
    record = Share.objects.get()
    detail = reverse("clinic:patient_detail", args=[alice.pk])
    clinician = client_for(bob)
    assert clinician.get(detail).status_code == 200
    client_for(alice).post(reverse("clinic:share_revoke", args=[record.pk]))
    assert clinician.get(detail).status_code == 404
    record.refresh_from_db()
    assert record.revoked_at is not None


def test_a_patient_can_share_again_after_revoking(alice, bob, bob_code):
    client = client_for(alice)
    share(client, bob_code)
    client.post(reverse("clinic:share_revoke", args=[Share.objects.get().pk]))
    share(client, bob_code)
    assert Share.objects.filter(revoked_at__isnull=True).count() == 1
    assert Share.objects.count() == 2


def test_another_patient_cannot_revoke_alices_share(alice, charlie, bob, bob_code):
    share(client_for(alice), bob_code)
    record = Share.objects.get()
    response = client_for(charlie).post(reverse("clinic:share_revoke", args=[record.pk]))
    assert response.status_code == 404
    record.refresh_from_db()
    assert record.is_active


def test_the_sharing_page_lists_who_has_access(alice, bob, bob_code):
    share(client_for(alice), bob_code)
    content = client_for(alice).get(SHARING).content.decode()
    assert "Stop sharing" in content
    assert "bob" in content
    assert f"version {CONSENT_VERSION}" in content


def test_staff_approval_makes_a_clinician_with_a_code(charlie):
    profile = approve_clinician(user=charlie)
    assert charlie.groups.filter(name="Clinicians").exists()
    assert len(profile.share_code) == 8
    assert profile.code_expires_at > timezone.now() + datetime.timedelta(days=29)


def test_sharing_gives_the_queue_a_current_status_at_once(alice, bob, bob_code, midday):
    # A new patient has logged nothing, so has no stored status yet.
    assert not PatientStatus.objects.filter(patient=alice).exists()
    share(client_for(alice), bob_code)
    status = PatientStatus.objects.get(patient=alice)
    assert status.computed_at == midday
    assert not status.is_stale(now=midday, time_zone=alice.time_zone)
