"""The clinician's queue (most urgent first, with reasons), the patient view, notes and audit."""

import datetime
import io
import json
import zipfile
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.access import approve_clinician
from clinic.models import AuditEvent, ClinicianNote, Share
from tests.conftest import client_for, make_user
from tracker.dashboard import local_today
from tracker.models import Acknowledgement, CheckIn, Drink, Episode, RedFlagAnswer

# Episodes are logged at fixed times today; a pinned clock keeps them in the past.
pytestmark = pytest.mark.usefixtures("midday")

QUEUE = reverse("clinic:queue")
UTC = zoneinfo.ZoneInfo("UTC")


def shares_with(patient, clinician) -> Share:
    return Share.objects.create(patient=patient, clinician=clinician, consent_version="test")


def daily_episodes(patient, *, days: int, severity: int = 4, ending_days_ago: int = 0) -> None:
    today = local_today(patient.zone)
    Episode.objects.bulk_create(
        Episode(
            patient=patient,
            started_at=datetime.datetime.combine(
                today - datetime.timedelta(days=ending_days_ago + n), datetime.time(8), tzinfo=UTC
            ),
            ended_at=datetime.datetime.combine(
                today - datetime.timedelta(days=ending_days_ago + n), datetime.time(9), tzinfo=UTC
            ),
            severity=severity,
        )
        for n in range(days)
    )


@pytest.fixture
def bob_client(bob):
    approve_clinician(user=bob)
    return client_for(bob)


def queue_names(response) -> list[str]:
    return [status.patient.username for status in response.context["page"].object_list]


def test_the_queue_puts_emergency_then_urgent_then_persistence_then_prompts_then_recent(
    bob, bob_client
):
    quiet_old = make_user("quiet_old")
    quiet_new = make_user("quiet_new")
    prompt = make_user("prompt")
    persistent = make_user("persistent")
    urgent = make_user("urgent")
    emergency = make_user("emergency")
    for patient in (quiet_old, quiet_new, prompt, persistent, urgent, emergency):
        shares_with(patient, bob)
    daily_episodes(quiet_old, days=1, ending_days_ago=20)
    daily_episodes(quiet_new, days=1, ending_days_ago=1)
    # "Last logged" is when the entry was made, so say when each was.
    for patient, days_ago in ((quiet_old, 20), (quiet_new, 1)):
        Episode.objects.filter(patient=patient).update(
            created_at=timezone.now() - datetime.timedelta(days=days_ago)
        )
    daily_episodes(prompt, days=3, severity=8)
    daily_episodes(persistent, days=16)
    RedFlagAnswer.objects.create(patient=urgent, code="fever")
    RedFlagAnswer.objects.create(patient=emergency, code="both_legs")
    response = bob_client.get(QUEUE)
    assert queue_names(response) == [
        "emergency",
        "urgent",
        "persistent",
        "prompt",
        "quiet_new",
        "quiet_old",
    ]
    content = response.content.decode()
    assert "answered yes: Pain, tingling, numbness or weakness in both legs" in content
    assert "symptoms for 16 days since" in content


def test_an_acknowledged_red_flag_no_longer_leads_the_queue(alice, charlie, bob, bob_client):
    shares_with(alice, bob)
    shares_with(charlie, bob)
    answer = RedFlagAnswer.objects.create(patient=alice, code="chest_pain")
    daily_episodes(charlie, days=16)
    assert queue_names(bob_client.get(QUEUE)) == ["alice", "charlie"]
    bob_client.post(reverse("clinic:acknowledge", args=[alice.pk]), {"red_flag": str(answer.pk)})
    assert queue_names(bob_client.get(QUEUE)) == ["charlie", "alice"]
    assert Acknowledgement.objects.filter(red_flag=answer, clinician=bob).exists()


def test_the_queue_shows_only_patients_who_share_now(alice, charlie, bob, bob_client, dana):
    shares_with(alice, bob)
    Share.objects.create(
        patient=charlie, clinician=bob, consent_version="t", revoked_at=timezone.now()
    )
    shares_with(make_user("other"), dana)
    assert queue_names(bob_client.get(QUEUE)) == ["alice"]


def test_search_and_filter(alice, charlie, bob, bob_client):
    shares_with(alice, bob)
    shares_with(charlie, bob)
    RedFlagAnswer.objects.create(patient=charlie, code="fever")
    assert queue_names(bob_client.post(QUEUE, {"q": "ali"}, follow=True)) == ["alice"]
    assert queue_names(bob_client.post(QUEUE, {"flag": "urgent"}, follow=True)) == ["charlie"]
    assert queue_names(bob_client.post(QUEUE, {"flag": "none"}, follow=True)) == ["alice"]
    nonsense = bob_client.post(QUEUE, {"flag": "nonsense"})
    assert "flag" in nonsense.context["form"].errors
    assert queue_names(nonsense) == ["charlie", "alice"]
    assert queue_names(bob_client.post(QUEUE, {"clear": ""}, follow=True)) == ["charlie", "alice"]


def test_a_search_never_puts_a_name_in_the_address(alice, bob, bob_client):
    shares_with(alice, bob)
    response = bob_client.post(QUEUE, {"q": "alice"})
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    page = bob_client.get(QUEUE)
    assert queue_names(page) == ["alice"]
    assert page.context["form"]["q"].value() == "alice"
    assert 'method="get"' not in page.content.decode()
    # A NUL is refused next to the field, not stripped or sent to the database.
    refused = bob_client.post(QUEUE, {"q": "ali\x00ce"})
    assert refused.status_code == 200
    assert "q" in refused.context["form"].errors


def test_the_queue_is_paginated(bob, bob_client):
    for n in range(30):
        shares_with(make_user(f"patient{n:02d}"), bob)
    first = bob_client.get(QUEUE)
    assert len(queue_names(first)) == 25
    assert len(queue_names(bob_client.get(QUEUE, {"page": "2"}))) == 5


@pytest.mark.parametrize(("patients", "days"), [(2, 10), (40, 200)])
def test_queue_queries_do_not_grow_with_patients_or_history(
    bob, bob_client, patients, days, django_assert_num_queries
):
    for n in range(patients):
        patient = make_user(f"p{n}")
        shares_with(patient, bob)
        daily_episodes(patient, days=days)
        RedFlagAnswer.objects.create(patient=patient, code="fever")
        Drink.objects.create(patient=patient, day=local_today(UTC), amount_ml=200)
    # 1 session, 2 user, 3 roles (the view's and the navigation's check), 4 shares with
    # patients, 5 every patient's window (episodes, check-ins, open red flags, acknowledged
    # runs, last drinks: one UNION ALL), 6 share code.
    with django_assert_num_queries(6):
        response = bob_client.get(QUEUE)
    assert response.status_code == 200


def test_the_patient_view_is_read_only_and_audited(alice, bob, bob_client):
    shares_with(alice, bob)
    daily_episodes(alice, days=3, severity=6)
    Episode.objects.filter(patient=alice).update(notes="Hurt after gardening")
    CheckIn.objects.create(patient=alice, day=local_today(UTC), worst_severity=0)
    url = reverse("clinic:patient_detail", args=[alice.pk])
    content = bob_client.get(url).content.decode()
    assert "Hurt after gardening" in content
    assert "6 (moderate)" in content
    assert 'id="chart-data"' in content
    assert reverse("tracker:episode_edit", args=[Episode.objects.first().pk]) not in content
    event = AuditEvent.objects.get()
    assert (event.actor, event.patient, event.action) == (bob, alice, "view")


def test_a_bad_date_range_is_explained_and_falls_back(alice, bob, bob_client):
    shares_with(alice, bob)
    url = reverse("clinic:patient_detail", args=[alice.pk])
    response = bob_client.get(url, {"since": "2026-05-10", "until": "2026-05-01"})
    assert response.status_code == 200
    assert "until" in response.context["form"].errors
    assert response.context["until"] == local_today(alice.zone)
    response = bob_client.get(url, {"since": "2020-01-01", "until": "2026-01-01"})
    assert "at most a year" in response.content.decode()


def test_acknowledging_the_run_is_shown_and_recorded(alice, bob, bob_client):
    shares_with(alice, bob)
    daily_episodes(alice, days=16)
    response = bob_client.post(reverse("clinic:acknowledge", args=[alice.pk]), {"run": "current"})
    assert response.status_code == 302
    ack = Acknowledgement.objects.get()
    assert ack.run_first_day == local_today(alice.zone) - datetime.timedelta(days=15)
    assert AuditEvent.objects.filter(action="acknowledge").count() == 1
    assert "(seen)" in bob_client.get(QUEUE).content.decode()


def test_a_clinician_cannot_acknowledge_another_patients_answer(alice, charlie, bob, bob_client):
    shares_with(alice, bob)
    answer = RedFlagAnswer.objects.create(patient=charlie, code="fever")
    response = bob_client.post(
        reverse("clinic:acknowledge", args=[alice.pk]), {"red_flag": str(answer.pk)}
    )
    assert response.status_code == 404
    assert not Acknowledgement.objects.exists()


def test_notes_are_shared_between_the_patients_clinicians_only(alice, bob, bob_client, dana):
    approve_clinician(user=dana)
    shares_with(alice, bob)
    shares_with(alice, dana)
    bob_client.post(reverse("clinic:note_add", args=[alice.pk]), {"text": "Review at 6 weeks"})
    note = ClinicianNote.objects.get()
    assert (note.author, note.patient) == (bob, alice)
    detail = reverse("clinic:patient_detail", args=[alice.pk])
    assert "Review at 6 weeks" in client_for(dana).get(detail).content.decode()
    for page in ("tracker:dashboard", "clinic:sharing", "clinic:access_log"):
        assert "Review at 6 weeks" not in client_for(alice).get(reverse(page)).content.decode()


def test_an_empty_note_is_refused(alice, bob, bob_client):
    shares_with(alice, bob)
    bob_client.post(reverse("clinic:note_add", args=[alice.pk]), {"text": ""})
    assert not ClinicianNote.objects.exists()


def test_the_patient_sees_who_looked_and_that_a_flag_was_seen(alice, bob, bob_client):
    shares_with(alice, bob)
    answer = RedFlagAnswer.objects.create(patient=alice, code="fever")
    bob_client.get(reverse("clinic:patient_detail", args=[alice.pk]))
    bob_client.post(reverse("clinic:acknowledge", args=[alice.pk]), {"red_flag": str(answer.pk)})
    log = client_for(alice).get(reverse("clinic:access_log")).content.decode()
    assert "Viewed your log" in log
    assert "Marked a flag as seen" in log
    assert "saw your answer “A high temperature" in log
    advice = client_for(alice).get(reverse("tracker:advice")).content.decode()
    assert "bob saw this" in advice


def test_the_csv_export_covers_the_chosen_range_and_is_audited(alice, bob, bob_client):
    shares_with(alice, bob)
    daily_episodes(alice, days=10)
    today = local_today(alice.zone)
    since = today - datetime.timedelta(days=2)
    response = bob_client.get(
        reverse("clinic:export_csv", args=[alice.pk]),
        {"since": since.isoformat(), "until": today.isoformat()},
    )
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    rows = archive.read("episodes.csv").decode("utf-8-sig").strip().splitlines()
    assert len(rows) == 1 + 3
    assert AuditEvent.objects.get().action == "export_csv"


def test_the_fhir_export_validates_and_is_audited(alice, bob, bob_client):
    from clinic.fhir import validate_bundle

    shares_with(alice, bob)
    daily_episodes(alice, days=16)
    RedFlagAnswer.objects.create(patient=alice, code="fever")
    response = bob_client.get(reverse("clinic:export_fhir", args=[alice.pk]))
    bundle = json.loads(response.content)
    validate_bundle(bundle)
    types = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert types.count("Flag") == 2
    assert "alice" not in response.content.decode()
    assert AuditEvent.objects.get().action == "export_fhir"


def test_the_summary_is_one_printable_page(alice, bob, bob_client):
    shares_with(alice, bob)
    daily_episodes(alice, days=16, severity=7)
    response = bob_client.get(reverse("clinic:summary", args=[alice.pk]))
    content = response.content.decode()
    assert "Pre-visit summary" in content
    assert "symptoms for 16 days since" in content
    assert "worst 7/10" in content
    assert AuditEvent.objects.get().action == "summary"


def test_the_same_question_answered_twice_is_one_reason_with_a_count(alice, bob, bob_client):
    shares_with(alice, bob)
    RedFlagAnswer.objects.create(patient=alice, code="fever")
    RedFlagAnswer.objects.create(patient=alice, code="fever")
    (status,) = bob_client.get(QUEUE).context["page"].object_list
    assert len(status.reasons) == 1
    assert status.reasons[0].endswith("(2 times)")
