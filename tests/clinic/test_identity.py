"""A clinician at their desk tells two patients apart, and the portal records what they saw.

Issue 17: name, age, date of birth and NHS number in the queue, the patient view, the printed
summary and the FHIR export; the queue finds a patient by NHS number; page titles carry no
patient's name; the queue writes audit rows for the red-flag answers it shows; clinicians are
named to patients by the display name staff gave them.
"""

import datetime
import hashlib
import html
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import CLINICIANS
from clinic.access import approve_clinician
from clinic.fhir import NHS_NUMBER_SYSTEM, patient_pseudonym
from clinic.identity import format_nhs_number
from clinic.models import AuditEvent
from tests.conftest import client_for, make_user
from tests.factories import answer_red_flags, share
from tracker.models import RedFlagAnswer

pytestmark = pytest.mark.django_db

QUEUE = reverse("clinic:queue")
NHS_NUMBER = "9434765919"
# 12:00 UTC on 1 March 2026 is 02:00 on 2 March in Kiritimati (UTC+14).
NOON = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def noon(monkeypatch) -> datetime.datetime:
    monkeypatch.setattr(timezone, "now", lambda: NOON)
    return NOON


@pytest.fixture
def bob_client(bob):
    approve_clinician(user=bob, display_name="Dr Robert Stone, physiotherapist")
    return client_for(bob)


def patient(
    username: str,
    clinician: User,
    *,
    first: str,
    last: str,
    born: datetime.date | None,
    nhs_number: str = "",
) -> User:
    """Make a patient who shares their log with the clinician, with the identity given."""
    person = make_user(username)
    person.first_name, person.last_name = first, last
    person.save()
    share(person, clinician)
    # An account from before dates of birth were asked for has none (its share was accepted
    # by the migration that made shares pending); set what the test needs after sharing.
    person.date_of_birth, person.nhs_number = born, nhs_number
    person.save()
    return person


def title(response) -> str:
    match = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
    assert match is not None
    return html.unescape(match.group(1))


def text(response) -> str:
    """Return the page's text without its tags, spaces collapsed, as a person reads it."""
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(without_tags.split())


# Telling patients apart


def test_two_patients_of_one_name_are_told_apart_in_the_queue(bob, bob_client, noon):
    patient("js1", bob, first="Jo", last="Smith", born=datetime.date(1961, 3, 2))
    patient(
        "js2",
        bob,
        first="Jo",
        last="Smith",
        born=datetime.date(1990, 7, 30),
        nhs_number=NHS_NUMBER,
    )
    page = text(bob_client.get(QUEUE))
    # Bob works in London: on 1 March the first Jo Smith is still 64, the second is 35.
    assert "Jo Smith Born 2 Mar 1961 (age 64)" in page
    assert "Jo Smith Born 30 Jul 1990 (age 35) · NHS number 943 476 5919" in page
    assert "(age 64) · NHS" not in page


def test_an_account_without_a_date_of_birth_says_not_given(bob, bob_client, noon):
    patient("old", bob, first="Olive", last="Oldacre", born=None)
    response = bob_client.get(QUEUE)
    (row,) = response.context["page"].object_list
    assert (row.identity.date_of_birth, row.identity.age) == (None, None)
    assert "Olive Oldacre Date of birth: not given" in text(response)
    assert "NHS number" not in text(response)


def test_the_age_is_counted_on_the_clinicians_calendar(bob, bob_client, noon):
    # Born on 2 March: still 1 March in London, already 2 March in Kiritimati.
    patient("kit", bob, first="Kit", last="Marlow", born=datetime.date(1990, 3, 2))
    assert "(age 35)" in text(bob_client.get(QUEUE))
    bob.time_zone = "Pacific/Kiritimati"
    bob.save()
    assert "(age 36)" in text(bob_client.get(QUEUE))


def test_the_patient_view_and_the_summary_say_who_the_patient_is(bob, bob_client, noon):
    person = patient(
        "ann",
        bob,
        first="Ann",
        last="Lee",
        born=datetime.date(1975, 2, 28),
        nhs_number=NHS_NUMBER,
    )
    for name in ("clinic:patient_detail", "clinic:summary"):
        page = text(bob_client.get(reverse(name, args=[person.pk])))
        assert "Ann Lee Born 28 Feb 1975 (age 51) · NHS number 943 476 5919" in page, name


def test_the_printed_summary_of_an_old_account_says_the_date_of_birth_is_not_given(
    bob, bob_client, noon
):
    person = patient("old", bob, first="Olive", last="Oldacre", born=None)
    page = text(bob_client.get(reverse("clinic:summary", args=[person.pk])))
    assert "Pre-visit summary: Olive Oldacre Date of birth: not given" in page


@pytest.mark.parametrize("digits", ["", "1", "12345", NHS_NUMBER])
def test_an_nhs_number_is_printed_three_three_four(digits):
    expected = {"": "", "1": "1  ", "12345": "123 45 ", NHS_NUMBER: "943 476 5919"}[digits]
    assert format_nhs_number(digits) == expected


@pytest.mark.parametrize("typed", ["943 476 5919", "9434765919", " 943-476-5919 ", "476 5919"])
def test_the_queue_finds_a_patient_by_nhs_number(bob, bob_client, noon, typed):
    patient("ann", bob, first="Ann", last="Lee", born=None, nhs_number=NHS_NUMBER)
    patient("ben", bob, first="Ben", last="Lee", born=None, nhs_number="4010232137")
    response = bob_client.post(QUEUE, {"q": typed}, follow=True)
    assert [row.patient.username for row in response.context["page"].object_list] == ["ann"]


def test_digits_that_are_no_ones_nhs_number_find_nobody(bob, bob_client, noon):
    patient("ann", bob, first="Ann", last="Lee", born=None, nhs_number=NHS_NUMBER)
    response = bob_client.post(QUEUE, {"q": "555 555"}, follow=True)
    assert list(response.context["page"].object_list) == []


def test_the_fhir_export_identifies_the_patient_by_nhs_number_and_date_of_birth(
    bob, bob_client, noon
):
    person = patient(
        "ann", bob, first="Ann", last="Lee", born=datetime.date(1975, 2, 28), nhs_number=NHS_NUMBER
    )
    response = bob_client.get(reverse("clinic:export_fhir", args=[person.pk]))
    bundle = json.loads(response.content)
    (resource,) = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    ]
    assert resource["identifier"] == [
        {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": NHS_NUMBER}
    ]
    assert NHS_NUMBER_SYSTEM == "https://fhir.nhs.uk/Id/nhs-number"
    assert resource["birthDate"] == "1975-02-28"
    # A keyed hash of the primary key: not the old unkeyed hash of the username.
    assert resource["id"] == patient_pseudonym(patient_id=person.pk)
    assert hashlib.sha256(b"ann").hexdigest()[:16] not in resource["id"]
    assert "Ann" not in response.content.decode()


# Page titles


def test_no_page_title_names_the_patient(bob, bob_client, noon):
    person = patient(
        "zq_user", bob, first="Zebedee", last="Quartermaine", born=datetime.date(1975, 2, 28)
    )
    answer_red_flags(person, "fever")
    pages = [
        QUEUE,
        reverse("clinic:patient_detail", args=[person.pk]),
        reverse("clinic:summary", args=[person.pk]),
    ]
    for url in pages:
        response = bob_client.get(url)
        assert response.status_code == 200, url
        shown = title(response)
        for private in ("Zebedee", "Quartermaine", "zq_user"):
            assert private not in shown, (url, shown)
        # The name is on the page itself, where the clinician needs it.
        assert "Zebedee Quartermaine" in response.content.decode(), url
    assert title(bob_client.get(pages[1])).startswith("Patient's log")
    assert title(bob_client.get(pages[2])).startswith("Pre-visit summary")


# The queue's audit rows


def test_the_queue_records_a_look_at_each_patient_whose_red_flag_answers_it_shows(
    bob, bob_client, noon
):
    flagged = patient("flagged", bob, first="Fay", last="Fern", born=None)
    quiet = patient("quiet", bob, first="Quin", last="Quill", born=None)
    answer_red_flags(flagged, "fever")

    page = text(bob_client.get(QUEUE))

    assert "A high temperature" in page
    listed = AuditEvent.objects.filter(action=AuditEvent.Action.LIST)
    assert [(event.actor, event.patient) for event in listed] == [(bob, flagged)]
    assert listed.get().actor_name == "Dr Robert Stone, physiotherapist"
    assert not AuditEvent.objects.filter(patient=quiet).exclude(action="accept").exists()
    # Every showing is a look: a second visit is a second row.
    bob_client.get(QUEUE)
    assert AuditEvent.objects.filter(action="list", patient=flagged).count() == 2


def test_once_a_red_flag_is_marked_as_seen_the_queue_records_nothing(bob, bob_client, noon):
    flagged = patient("flagged", bob, first="Fay", last="Fern", born=None)
    answer_red_flags(flagged, "fever")
    answer = RedFlagAnswer.objects.get()
    bob_client.post(reverse("clinic:acknowledge", args=[flagged.pk]), {"red_flag": answer.pk})
    bob_client.get(QUEUE)
    assert not AuditEvent.objects.filter(action="list").exists()


def test_a_search_that_hides_the_flagged_patient_records_nothing_about_them(bob, bob_client, noon):
    flagged = patient("flagged", bob, first="Fay", last="Fern", born=None)
    patient("quiet", bob, first="Quin", last="Quill", born=None)
    answer_red_flags(flagged, "fever")
    bob_client.post(QUEUE, {"q": "Quin"}, follow=True)
    assert not AuditEvent.objects.filter(action="list").exists()


def test_the_patient_sees_the_queue_look_in_their_access_log(bob, bob_client, noon):
    flagged = patient("flagged", bob, first="Fay", last="Fern", born=None)
    answer_red_flags(flagged, "fever")
    bob_client.get(QUEUE)
    log = text(client_for(flagged).get(reverse("clinic:access_log")))
    assert "Dr Robert Stone, physiotherapist Saw your red-flag answers in their patient list" in log


# Clinicians go by the name staff gave them


def test_a_clinician_who_renames_themselves_is_still_shown_by_their_display_name(
    bob, bob_client, noon
):
    flagged = patient("flagged", bob, first="Fay", last="Fern", born=None)
    answer_red_flags(flagged, "fever")
    bob.first_name, bob.last_name = "Dr", "Casey"
    bob.save()
    answer = RedFlagAnswer.objects.get()
    bob_client.get(reverse("clinic:patient_detail", args=[flagged.pk]))
    bob_client.post(reverse("clinic:acknowledge", args=[flagged.pk]), {"red_flag": answer.pk})

    names = set(AuditEvent.objects.exclude(action="accept").values_list("actor_name", flat=True))
    assert names == {"Dr Robert Stone, physiotherapist"}
    log = text(client_for(flagged).get(reverse("clinic:access_log")))
    assert "Dr Robert Stone, physiotherapist saw your answer" in log
    assert "Casey" not in log
    # Other clinicians see who marked it as seen by the same name.
    dana = make_user("dana_c", groups=(CLINICIANS,))
    approve_clinician(user=dana)
    share(flagged, dana)
    detail = text(client_for(dana).get(reverse("clinic:patient_detail", args=[flagged.pk])))
    assert "Seen by Dr Robert Stone, physiotherapist on" in detail
    assert "Casey" not in detail


def test_where_a_clinician_saw_an_answer_the_patient_reads_the_name_staff_set(alice, bob) -> None:
    """Not the name the clinician gave their own account ("Dr Famous")."""
    share(alice, bob)
    approve_clinician(user=bob, display_name="Dr B. Okafor")
    User.objects.filter(pk=bob.pk).update(first_name="Dr Famous")
    answer_red_flags(alice, "fever")
    answer = RedFlagAnswer.objects.get(patient=alice, code="fever")
    seen = client_for(bob).post(
        reverse("clinic:acknowledge", args=[alice.pk]), {"red_flag": answer.pk}
    )
    assert seen.status_code == 302

    page = client_for(alice).get(reverse("tracker:advice")).content.decode()

    assert "Your clinician Dr B. Okafor saw this" in page
    assert "Dr Famous" not in page
