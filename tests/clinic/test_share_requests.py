"""The clinician's side of sharing: requests wait, are accepted or declined once, expire after
14 days, and only an accepted share lets the clinician see anything or puts a patient in the
queue."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from clinic import services as share_services
from clinic.access import approve_clinician
from clinic.models import SHARE_REQUEST_LIFETIME, AuditEvent, Share
from clinic.views import REQUESTS_PAGE_SIZE
from tests.conftest import client_for, make_user
from tests.factories import answer_red_flags, log_episode, share_request
from tests.factories import share as accepted_share
from tracker.models import PatientStatus

REQUESTS = reverse("clinic:requests")
SECOND = datetime.timedelta(microseconds=1)


@pytest.fixture
def bob(bob):
    approve_clinician(user=bob)
    return bob


@pytest.fixture
def dana(dana):
    approve_clinician(user=dana)
    return dana


def accept_url(share: Share) -> str:
    return reverse("clinic:request_accept", args=[share.pk])


def decline_url(share: Share) -> str:
    return reverse("clinic:request_decline", args=[share.pk])


# States, by the clock


def test_a_request_waits_until_just_before_fourteen_days(alice, bob, midday):
    record = share_request(alice, bob, now=midday)
    assert SHARE_REQUEST_LIFETIME == datetime.timedelta(days=14)
    just_before = midday + SHARE_REQUEST_LIFETIME - SECOND
    assert record.state(now=just_before) == Share.Status.PENDING
    assert record.state(now=midday + SHARE_REQUEST_LIFETIME) == Share.Status.EXPIRED
    assert list(Share.objects.waiting(now=just_before)) == [record]
    assert list(Share.objects.waiting(now=midday + SHARE_REQUEST_LIFETIME)) == []


def test_a_request_can_be_accepted_until_the_last_instant(alice, bob, midday):
    record = share_request(alice, bob, now=midday)
    at = midday + SHARE_REQUEST_LIFETIME - SECOND
    record, changed = share_services.accept(share=record, now=at)
    assert changed
    assert (record.status, record.decided_at) == (Share.Status.ACCEPTED, at)


@pytest.mark.parametrize("answer", [share_services.accept, share_services.decline])
def test_a_request_fourteen_days_old_cannot_be_answered(alice, bob, midday, answer):
    record = share_request(alice, bob, now=midday)
    record, changed = answer(share=record, now=midday + SHARE_REQUEST_LIFETIME)
    assert not changed
    record.refresh_from_db()
    assert (record.status, record.decided_at) == (Share.Status.EXPIRED, None)
    assert not AuditEvent.objects.exists()


def test_accepting_is_done_once(alice, bob, midday):
    record = share_request(alice, bob, now=midday)
    later = midday + datetime.timedelta(minutes=1)
    first, changed = share_services.accept(share=record, now=midday)
    again, changed_again = share_services.accept(share=record, now=later)
    declined, declined_changed = share_services.decline(share=record, now=later)
    assert (changed, changed_again, declined_changed) == (True, False, False)
    record.refresh_from_db()
    assert (record.status, record.decided_at) == (Share.Status.ACCEPTED, midday)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCEPT).count() == 1


def test_declining_is_done_once(alice, bob, midday):
    record = share_request(alice, bob, now=midday)
    share_services.decline(share=record, now=midday)
    _share, changed = share_services.accept(share=record, now=midday)
    assert not changed
    record.refresh_from_db()
    assert (record.status, record.decided_at) == (Share.Status.DECLINED, midday)
    event = AuditEvent.objects.get()
    assert (event.actor, event.patient, event.action) == (bob, alice, AuditEvent.Action.DECLINE)


@pytest.mark.parametrize("end", ["withdrawn", "stopped"])
def test_an_ended_request_or_share_cannot_be_answered(alice, bob, midday, end):
    record = share_request(alice, bob, now=midday)
    if end == "stopped":
        share_services.accept(share=record, now=midday)
    share_services.stop(share=record, now=midday)
    for answer in (share_services.accept, share_services.decline):
        _share, changed = answer(share=record, now=midday)
        assert not changed
    record.refresh_from_db()
    assert record.status == end


# The database's own guards


def test_a_pair_has_at_most_one_open_request_or_share(alice, bob):
    accepted_share(alice, bob)
    with pytest.raises(IntegrityError), transaction.atomic():
        Share.objects.create(patient=alice, clinician=bob, consent_version="x")


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "accepted"},  # accepted without a time
        {"status": "pending", "decided_at": "now"},
        {"status": "declined", "decided_at": "now", "revoked_at": "now"},
        {"status": "withdrawn"},
        {"status": "stopped", "revoked_at": "now"},
        {"status": "expired", "revoked_at": "now"},
    ],
)
def test_a_state_must_carry_exactly_its_times(alice, bob, fields):
    now = timezone.now()
    values = {name: now if value == "now" else value for name, value in fields.items()}
    with pytest.raises(IntegrityError), transaction.atomic():
        Share.objects.create(patient=alice, clinician=bob, consent_version="x", **values)


# The requests page


def test_the_requests_page_shows_who_asks_oldest_first(alice, charlie, bob, midday):
    alice.first_name, alice.last_name = "Alice", "Smith"
    alice.date_of_birth = datetime.date(1984, 2, 29)
    alice.nhs_number = "9434765919"
    alice.save()
    charlie.first_name, charlie.last_name = "Charlie", "Brown"
    charlie.date_of_birth = datetime.date(midday.year - 30, 1, 1)
    charlie.save()
    share_request(charlie, bob, now=midday - datetime.timedelta(days=1))
    share_request(alice, bob, now=midday - datetime.timedelta(days=2))
    response = client_for(bob).get(REQUESTS)
    assert response.status_code == 200
    rows = response.context["page"].object_list
    assert [row.share.patient for row in rows] == [alice, charlie]
    assert rows[1].identity.age == 30
    page = response.content.decode()
    assert page.index("Alice Smith") < page.index("Charlie Brown")
    assert "29 Feb 1984" in page
    assert "943 476 5919" in page
    # An expiry 14 days after each request.
    assert (midday + datetime.timedelta(days=12)).strftime("%-d %b %Y") in page
    assert page.count('action="/clinic/requests/') == 4
    assert "no-store" in response["Cache-Control"]


def test_the_requests_page_lists_only_requests_waiting_for_this_clinician(
    alice, charlie, bob, dana, midday
):
    others = [make_user(name) for name in ("pat", "quinn", "ruth", "sam")]
    waiting = share_request(alice, bob, now=midday)
    accepted_share(charlie, bob)
    share_request(others[0], dana, now=midday)  # someone else's
    share_request(others[1], bob, now=midday - SHARE_REQUEST_LIFETIME)  # expired
    share_services.decline(share=share_request(others[2], bob), now=midday)
    share_services.stop(share=share_request(others[3], bob), now=midday)
    rows = client_for(bob).get(REQUESTS).context["page"].object_list
    assert [row.share for row in rows] == [waiting]


def test_the_requests_page_is_paginated(bob, midday):
    for n in range(REQUESTS_PAGE_SIZE + 1):
        patient = make_user(f"patient{n}")
        share_request(patient, bob, now=midday - datetime.timedelta(minutes=n))
    client = client_for(bob)
    first = client.get(REQUESTS).context["page"]
    assert len(first.object_list) == REQUESTS_PAGE_SIZE
    assert first.object_list[0].share.patient.username == f"patient{REQUESTS_PAGE_SIZE}"
    second = client.get(REQUESTS, {"page": 2}).context["page"]
    assert [row.share.patient.username for row in second.object_list] == ["patient0"]


@pytest.mark.parametrize("waiting", [1, 20])
def test_the_requests_page_is_five_queries_whatever_the_number(
    bob, midday, waiting, django_assert_num_queries
):
    for n in range(waiting):
        share_request(make_user(f"patient{n}"), bob, now=midday)
    client = client_for(bob)
    client.get(REQUESTS)
    # 1 session, 2 the clinician, 3 their roles, 4 the number of waiting requests (the
    # paginator), 5 the page of requests with their patients.
    with django_assert_num_queries(5):
        response = client.get(REQUESTS)
    assert len(response.context["page"].object_list) == waiting


def test_the_queue_says_how_many_requests_wait(alice, charlie, bob, midday):
    share_request(alice, bob)
    share_request(charlie, bob)
    page = client_for(bob).get(reverse("clinic:queue")).content.decode()
    assert "Requests waiting (2)" in page
    assert REQUESTS in page


# Accepting and declining through the pages


def test_accepting_puts_the_patient_in_the_queue_with_a_current_status(alice, bob, midday):
    record = share_request(alice, bob)
    PatientStatus.objects.filter(patient=alice).delete()
    response = client_for(bob).post(accept_url(record))
    assert response["Location"] == REQUESTS
    record.refresh_from_db()
    assert (record.status, record.decided_at) == (Share.Status.ACCEPTED, midday)
    status = PatientStatus.objects.get(patient=alice)
    assert status.computed_at == midday
    queue = client_for(bob).get(reverse("clinic:queue"))
    assert [row.patient for row in queue.context["page"].object_list] == [alice]


def test_declining_through_the_page(alice, bob, midday):
    record = share_request(alice, bob)
    response = client_for(bob).post(decline_url(record), follow=True)
    assert "You declined" in response.content.decode()
    record.refresh_from_db()
    assert (record.status, record.decided_at) == (Share.Status.DECLINED, midday)
    detail = reverse("clinic:patient_detail", args=[alice.pk])
    assert client_for(bob).get(detail).status_code == 404


@pytest.mark.parametrize(("first", "second"), [("accept", "accept"), ("accept", "decline")])
def test_a_double_tap_changes_nothing_the_second_time(alice, bob, midday, first, second):
    record = share_request(alice, bob)
    client = client_for(bob)
    urls = {"accept": accept_url(record), "decline": decline_url(record)}
    client.post(urls[first])
    response = client.post(urls[second], follow=True)
    assert response.status_code == 200
    assert "You had already accepted this request." in response.content.decode()
    record.refresh_from_db()
    assert record.status == Share.Status.ACCEPTED
    assert AuditEvent.objects.count() == 1


def test_answering_an_expired_request_says_so(alice, bob, midday):
    record = share_request(alice, bob, now=midday - SHARE_REQUEST_LIFETIME)
    response = client_for(bob).post(accept_url(record), follow=True)
    assert "This request has expired" in response.content.decode()
    record.refresh_from_db()
    assert record.status == Share.Status.EXPIRED
    detail = reverse("clinic:patient_detail", args=[alice.pk])
    assert client_for(bob).get(detail).status_code == 404


@pytest.mark.parametrize("url", [accept_url, decline_url])
def test_another_clinicians_request_is_not_found(alice, bob, dana, url):
    record = share_request(alice, bob)
    response = client_for(dana).post(url(record))
    assert response.status_code == 404
    record.refresh_from_db()
    assert record.status == Share.Status.PENDING
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("url", [accept_url, decline_url])
def test_the_patient_cannot_answer_their_own_request(alice, bob, url):
    record = share_request(alice, bob)
    assert client_for(alice).post(url(record)).status_code == 404
    record.refresh_from_db()
    assert record.status == Share.Status.PENDING


def test_answers_are_post_only_and_need_the_csrf_token(alice, bob):
    record = share_request(alice, bob)
    client = client_for(bob)
    assert client.get(accept_url(record)).status_code == 405
    client.handler.enforce_csrf_checks = True
    assert client.post(accept_url(record)).status_code == 403
    record.refresh_from_db()
    assert record.status == Share.Status.PENDING


# Only an accepted share grants anything


PATIENT_PAGES = [
    ("get", "clinic:patient_detail"),
    ("get", "clinic:summary"),
    ("get", "clinic:export_csv"),
    ("get", "clinic:export_fhir"),
    ("post", "clinic:acknowledge"),
    ("post", "clinic:note_add"),
]


@pytest.mark.parametrize("state", ["pending", "declined", "expired", "withdrawn", "stopped"])
@pytest.mark.parametrize(("method", "name"), PATIENT_PAGES)
def test_only_an_accepted_share_opens_the_patients_pages(alice, bob, midday, state, method, name):
    log_episode(alice, start=midday - datetime.timedelta(hours=2), severity=7)
    answer_red_flags(alice, "saddle_numbness", now=midday - datetime.timedelta(hours=1))
    asked = midday - (SHARE_REQUEST_LIFETIME if state == "expired" else datetime.timedelta(0))
    record = share_request(alice, bob, now=asked)
    if state == "declined":
        share_services.decline(share=record, now=midday)
    if state in ("withdrawn", "stopped"):
        if state == "stopped":
            share_services.accept(share=record, now=midday)
        share_services.stop(share=record, now=midday)
    url = reverse(name, args=[alice.pk])
    data = {"text": "A note"} if name == "clinic:note_add" else {}
    client = client_for(bob)
    assert getattr(client, method)(url, data).status_code == 404
    assert not AuditEvent.objects.exclude(
        action__in=[AuditEvent.Action.ACCEPT, AuditEvent.Action.DECLINE]
    ).exists()
    # The same request once accepted does open it: the 404 above was the share's state.
    if state in ("pending",):
        share_services.accept(share=record, now=midday)
        assert getattr(client, method)(url, data).status_code in (200, 302)


def test_the_queue_lists_only_accepted_shares(alice, charlie, bob, midday):
    waiting_patients = [charlie, *(make_user(name) for name in ("pat", "quinn"))]
    for patient in waiting_patients:
        answer_red_flags(patient, "saddle_numbness", now=midday - datetime.timedelta(hours=1))
        share_request(patient, bob)
    accepted_share(alice, bob)
    response = client_for(bob).get(reverse("clinic:queue"))
    assert [row.patient for row in response.context["page"].object_list] == [alice]
    assert response.context["page"].paginator.count == 1
    page = response.content.decode()
    assert "Requests waiting (3)" in page
    for patient in waiting_patients:
        assert f"/clinic/patients/{patient.pk}/" not in page


def test_another_clinicians_accepted_share_grants_nothing(alice, bob, dana, midday):
    accepted_share(alice, bob)
    share_request(alice, dana)
    assert client_for(dana).get(reverse("clinic:patient_detail", args=[alice.pk])).status_code == (
        404
    )
