"""Clinicians who can answer (issue 20): every flag can be marked seen (and a later change is
not hidden), "New since you last looked", and short messages to the patient."""

import datetime
import re
import uuid

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic import messaging
from clinic import services as share_services
from clinic.access import approve_clinician
from clinic.models import AuditEvent, ClinicianMessage
from clinic.queue import QueueRow
from notifications.models import Delivery
from tests.conftest import client_for
from tests.factories import answer_red_flags, check_in, log_episode, share, take_medicine
from tracker import dates
from tracker.assessment import Kind, Urgency
from tracker.models import Acknowledgement, RedFlagAnswer

QUEUE = reverse("clinic:queue")
MINUTE = datetime.timedelta(minutes=1)


class Clock:
    """The portal's clock, moved on by the test (auto_now_add fields read it too)."""

    def __init__(self, now: datetime.datetime) -> None:
        self.now = now

    def __call__(self) -> datetime.datetime:
        return self.now

    def advance(self, delta: datetime.timedelta) -> datetime.datetime:
        self.now += delta
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock(timezone.now().replace(hour=12, minute=0, second=0, microsecond=0))
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def bob_client(bob):
    approve_clinician(user=bob)
    return client_for(bob)


@pytest.fixture
def shared(alice, bob, bob_client, clock):
    """alice shares with bob (accepted), with the clock pinned."""
    return share(alice, bob)


def today_of(patient) -> datetime.date:
    return dates.local_day(timezone.now(), patient.zone)


def episode_on(patient, day: datetime.date, *, severity: int = 4):
    start = dates.to_instant(day, datetime.time(8), patient.zone)
    return log_episode(
        patient, start=start, end=start + datetime.timedelta(hours=1), severity=severity
    )


def run_of(patient, severities: list[int]) -> None:
    """Log one episode a day, the last one today, with these severities."""
    today = today_of(patient)
    for n, severity in enumerate(reversed(severities)):
        episode_on(patient, today - datetime.timedelta(days=n), severity=severity)


def queue_rows(client) -> list[QueueRow]:
    return list(client.get(QUEUE).context["page"].object_list)


def detail(client, patient):
    return client.get(reverse("clinic:patient_detail", args=[patient.pk]))


def flag(response, kind: Kind):
    return next(row for row in response.context["flags"] if row.reason.kind == kind)


def mark(client, patient, kind: Kind, response=None):
    """Tap "Mark as seen" on a flag as the page showed it."""
    response = response or detail(client, patient)
    reason = flag(response, kind).reason
    return client.post(
        reverse("clinic:acknowledge", args=[patient.pk]),
        {"kind": kind.value, "first": reason.first, "last": reason.last, "worst": reason.worst},
    )


# Marking every kind of flag as seen


@pytest.mark.parametrize(
    ("kind", "severities", "before", "after"),
    [
        (Kind.TWO_WEEK, [4] * 16, Urgency.TWO_WEEK, Urgency.SOON),
        (Kind.SEVERE_STREAK, [8, 8, 8], Urgency.SOON, Urgency.NONE),
        (Kind.WORSENING, [2, 2, 2, 3, 5, 5, 5], Urgency.SOON, Urgency.NONE),
    ],
)
def test_each_flag_has_its_own_button_and_a_mark_lowers_only_its_urgency(
    alice, bob, bob_client, shared, kind, severities, before, after
):
    run_of(alice, severities)
    page = detail(bob_client, alice)
    content = page.content.decode()
    assert f'name="kind" value="{kind.value}"' in content
    assert (queue_rows(bob_client)[0].urgency) == before
    response = mark(bob_client, alice, kind, page)
    assert response.status_code == 302
    ack = Acknowledgement.objects.get(kind=kind.value)
    assert (ack.clinician, ack.run_last_day) == (bob, today_of(alice))
    assert ack.worst_seen == max(severities)
    (row,) = queue_rows(bob_client)
    assert row.urgency == after
    # Still shown, with who saw it and when.
    assert any("seen by bob on" in reason for reason in row.reasons)
    again = detail(bob_client, alice)
    assert flag(again, kind).seen.startswith("Seen by bob on ")
    assert f'name="kind" value="{kind.value}"' not in again.content.decode()
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACKNOWLEDGE)
    assert kind.value in event.detail


def test_a_double_tap_makes_one_mark_and_one_audit_row(alice, bob_client, shared):
    run_of(alice, [8, 8, 8])
    page = detail(bob_client, alice)
    mark(bob_client, alice, Kind.SEVERE_STREAK, page)
    second = mark(bob_client, alice, Kind.SEVERE_STREAK, page)
    assert second.status_code == 302
    assert Acknowledgement.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACKNOWLEDGE).count() == 1
    shown = [str(m) for m in bob_client.get(second["Location"]).context["messages"]]
    # The first tap's message, then the second's.
    assert shown[-1] == "That was already marked as seen: nothing has changed."


def test_a_worse_day_logged_after_the_page_was_opened_is_not_covered_by_the_tap(
    alice, bob_client, shared
):
    run_of(alice, [4] * 16)
    page = detail(bob_client, alice)
    # While bob reads, alice logs a worse episode today.
    episode_on(alice, today_of(alice), severity=7)
    response = mark(bob_client, alice, Kind.TWO_WEEK, page)
    messages = [str(m) for m in bob_client.get(response["Location"]).context["messages"]]
    assert messages == [
        "The log changed after you opened this page, so the flag stays unseen. Look at it again."
    ]
    (row,) = queue_rows(bob_client)
    assert row.urgency == Urgency.TWO_WEEK


def test_a_later_worse_day_unsees_the_flag_and_ranks_the_patient_again(
    alice, bob_client, shared, clock
):
    run_of(alice, [4] * 16)
    mark(bob_client, alice, Kind.TWO_WEEK)
    assert queue_rows(bob_client)[0].urgency == Urgency.SOON
    # (Within the hour: a day later bob's session would have ended.)
    clock.advance(datetime.timedelta(minutes=30))
    episode_on(alice, today_of(alice), severity=4)
    # As bad as before: still seen.
    assert queue_rows(bob_client)[0].urgency == Urgency.SOON
    check_in(alice, day=today_of(alice), severity=6)
    (row,) = queue_rows(bob_client)
    assert row.urgency == Urgency.TWO_WEEK
    assert not any("seen by" in reason for reason in row.reasons)
    # And the button is back.
    assert 'name="kind" value="persistence"' in detail(bob_client, alice).content.decode()


def test_a_forged_mark_cannot_cover_more_than_the_run_as_it_is(alice, bob_client, shared):
    run_of(alice, [4] * 16)
    reason = flag(detail(bob_client, alice), Kind.TWO_WEEK).reason
    bob_client.post(
        reverse("clinic:acknowledge", args=[alice.pk]),
        {
            "kind": "persistence",
            "first": reason.first,
            "last": reason.last + datetime.timedelta(days=30),
            "worst": 10,
        },
    )
    ack = Acknowledgement.objects.get()
    assert (ack.run_last_day, ack.worst_seen) == (reason.last, 4)


def test_a_mark_for_a_flag_that_is_not_raised_changes_nothing(alice, bob_client, shared):
    run_of(alice, [4, 4])
    today = today_of(alice)
    response = bob_client.post(
        reverse("clinic:acknowledge", args=[alice.pk]),
        {"kind": "worsening", "first": today, "last": today, "worst": 4},
    )
    assert response.status_code == 302
    assert not Acknowledgement.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ACKNOWLEDGE).exists()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"kind": "red_flag", "first": "2026-01-01", "last": "2026-01-02", "worst": 3},
        {"kind": "persistence", "first": "2026-01-03", "last": "2026-01-02", "worst": 3},
        {"kind": "persistence", "first": "2026-01-01", "last": "2026-01-02", "worst": 11},
        {"kind": "persistence", "first": "2026-01-01", "last": "2026-01-02"},
    ],
)
def test_a_mark_that_does_not_say_which_flag_marks_nothing(alice, bob_client, shared, data):
    run_of(alice, [4] * 16)
    response = bob_client.post(reverse("clinic:acknowledge", args=[alice.pk]), data)
    assert response["Location"] == reverse("clinic:patient_detail", args=[alice.pk])
    shown = [str(m) for m in bob_client.get(response["Location"]).context["messages"]]
    assert shown == ["Nothing was marked: please use a flag's own button."]
    assert not Acknowledgement.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ACKNOWLEDGE).exists()


def test_each_red_flag_answer_has_its_own_named_button_and_a_new_answer_is_new(
    alice, bob_client, shared, clock
):
    answer_red_flags(alice, "fever")
    page = detail(bob_client, alice).content.decode()
    assert re.search(r"Mark as seen<span class=\"visually-hidden\">: A high temperature", page)
    answer = RedFlagAnswer.objects.get(patient=alice)
    bob_client.post(reverse("clinic:acknowledge", args=[alice.pk]), {"red_flag": answer.pk})
    bob_client.post(reverse("clinic:acknowledge", args=[alice.pk]), {"red_flag": answer.pk})
    assert Acknowledgement.objects.filter(red_flag=answer).count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACKNOWLEDGE).count() == 1
    assert queue_rows(bob_client)[0].urgency == Urgency.NONE
    clock.advance(MINUTE)
    answer_red_flags(alice, "fever")
    assert queue_rows(bob_client)[0].urgency == Urgency.URGENT


def test_the_patient_sees_who_saw_each_flag_on_their_dashboard_and_access_log(
    alice, bob_client, shared
):
    run_of(alice, [8, 8, 8])
    mark(bob_client, alice, Kind.SEVERE_STREAK)
    patient = client_for(alice)
    dashboard = patient.get(reverse("tracker:dashboard")).content.decode()
    assert "Your clinician bob saw this on" in dashboard
    log = patient.get(reverse("clinic:access_log")).content.decode()
    assert "bob saw that you rated your pain as severe on three days in a row" in log


def test_the_patient_is_not_told_a_flag_was_seen_once_it_got_worse(
    alice, bob_client, shared, clock
):
    run_of(alice, [8, 8, 8])
    mark(bob_client, alice, Kind.SEVERE_STREAK)
    clock.advance(datetime.timedelta(days=1))
    episode_on(alice, today_of(alice), severity=9)
    dashboard = client_for(alice).get(reverse("tracker:dashboard")).content.decode()
    assert "saw this on" not in dashboard


# New since you last looked


def test_the_queue_says_what_is_new_since_the_clinicians_last_look(
    alice, charlie, bob, bob_client, shared, clock
):
    share(charlie, bob)
    episode_on(alice, today_of(alice))
    episode_on(charlie, today_of(charlie))
    # Never opened: no badge (the patient view says it is a first look).
    assert not any(row.new_since_look for row in queue_rows(bob_client))
    clock.advance(MINUTE)
    detail(bob_client, alice)
    detail(bob_client, charlie)
    assert not any(row.new_since_look for row in queue_rows(bob_client))
    clock.advance(MINUTE)
    take_medicine(alice, taken_at=clock.now - MINUTE)
    rows = {row.patient: row for row in queue_rows(bob_client)}
    assert rows[alice].new_since_look and not rows[charlie].new_since_look
    assert "New since you last looked" in bob_client.get(QUEUE).content.decode()
    # Another clinician's look is not bob's.
    clock.advance(MINUTE)
    detail(bob_client, alice)
    assert not any(row.new_since_look for row in queue_rows(bob_client))


def test_the_patient_view_lists_and_marks_what_is_new_since_the_last_look(
    alice, bob_client, shared, clock
):
    old = episode_on(alice, today_of(alice) - datetime.timedelta(days=1))
    first = detail(bob_client, alice)
    assert first.context["last_look"] is None
    assert "You are opening this log for the first time." in first.content.decode()
    looked = clock.now
    clock.advance(datetime.timedelta(hours=1))
    new = episode_on(alice, today_of(alice))
    answer_red_flags(alice, "fever")
    check_in(alice, day=today_of(alice), severity=5)
    page = detail(bob_client, alice)
    assert page.context["last_look"] == looked
    counts = page.context["new_since"].counts
    assert (counts["episodes"], counts["answers"], counts["checkins"]) == (1, 1, 1)
    content = page.content.decode()
    assert "New since you last looked" in content
    assert "1 episode, 1 check-in and 1 red-flag answer" in content
    episodes = {e.pk: e.is_new for e in page.context["episodes"]}
    assert episodes == {new.pk: True, old.pk: False}
    assert [a.is_new for a in page.context["red_flags"]] == [True]
    assert content.count('class="timeline-new"') == 1
    # Looked at again: nothing new.
    clock.advance(MINUTE)
    assert "Nothing new since you last looked" in detail(bob_client, alice).content.decode()


# Messages to the patient


def send(client, patient, text: str = "Please book a review with the physio.", key=None):
    return client.post(
        reverse("clinic:message_send", args=[patient.pk]),
        {"text": text, "key": str(key or uuid.uuid4())},
    )


def test_a_message_reaches_the_patients_dashboard_with_an_email_without_detail(
    alice, bob_client, shared
):
    text = "Your back pain sounds worse: please book a review with the physio."
    response = send(bob_client, alice, text)
    assert response.status_code == 302
    message = ClinicianMessage.objects.get()
    assert (message.patient, message.clinician_name, message.text) == (alice, "bob", text)
    event = AuditEvent.objects.get(action=AuditEvent.Action.MESSAGE)
    assert text not in event.detail
    (email,) = mail.outbox
    assert email.to == [alice.email]
    assert email.subject == "You have a new message from your clinician on Back cramp care"
    body = email.body
    assert "/accounts/login/?next=%2Fmessages%2F" in body
    for detail_word in (text, "back pain", "physio", "bob"):
        assert detail_word not in body
    dashboard = client_for(alice).get(reverse("tracker:dashboard")).content.decode()
    assert "Messages from your clinician" in dashboard
    assert text in dashboard
    assert "From bob," in dashboard
    # The clinicians she shares with see what was sent, and whether she has read it.
    sent = detail(bob_client, alice)
    assert list(sent.context["sent_messages"]) == [message]
    assert "not read yet" in sent.content.decode()


def test_a_double_tap_sends_one_message_and_one_email(alice, bob_client, shared):
    key = uuid.uuid4()
    send(bob_client, alice, key=key)
    second = send(bob_client, alice, key=key)
    assert second.status_code == 302
    assert ClinicianMessage.objects.count() == 1
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.MESSAGE).count() == 1


def test_an_empty_or_long_message_comes_back_with_the_text_kept(alice, bob_client, shared):
    empty = send(bob_client, alice, "   ")
    assert empty.status_code == 200
    assert "Please write the message." in empty.content.decode()
    long = "x" * 1001
    response = send(bob_client, alice, long)
    assert response.status_code == 200
    assert response.context["message_form"].errors["text"]
    assert long in response.content.decode()
    assert not ClinicianMessage.objects.exists()
    assert not mail.outbox


def test_a_key_used_for_another_patient_sends_nothing(alice, charlie, bob, bob_client, shared):
    share(charlie, bob)
    key = uuid.uuid4()
    send(bob_client, alice, key=key)
    response = send(bob_client, charlie, "Hello charlie", key=key)
    assert response.status_code == 200
    assert "Hello charlie" in response.content.decode()
    assert ClinicianMessage.objects.count() == 1


def test_messages_are_rate_limited_per_clinician(alice, bob_client, shared, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "clinician_message": "2/h/user"}
    assert send(bob_client, alice).status_code == 302
    assert send(bob_client, alice).status_code == 302
    assert send(bob_client, alice).status_code == 429
    assert ClinicianMessage.objects.count() == 2


def test_only_patients_who_share_can_be_sent_a_message(alice, charlie, bob, bob_client, shared):
    assert send(bob_client, charlie).status_code == 404
    # The patient herself cannot send one to anybody either.
    assert send(client_for(alice), alice).status_code == 404
    assert not ClinicianMessage.objects.exists()


def test_the_patient_marks_a_message_read_and_lists_them_all(alice, charlie, bob_client, shared):
    send(bob_client, alice, "First message")
    send(bob_client, alice, "Second message")
    patient = client_for(alice)
    first = ClinicianMessage.objects.get(text="First message")
    response = patient.post(
        reverse("clinic:message_read", args=[first.pk]), {"next": reverse("tracker:dashboard")}
    )
    assert response["Location"] == reverse("tracker:dashboard")
    first.refresh_from_db()
    read_at = first.read_at
    assert read_at is not None
    # A second tap keeps the first time.
    patient.post(reverse("clinic:message_read", args=[first.pk]))
    first.refresh_from_db()
    assert first.read_at == read_at
    dashboard = patient.get(reverse("tracker:dashboard")).content.decode()
    assert "Second message" in dashboard and "First message" not in dashboard
    listing = patient.get(reverse("clinic:messages")).content.decode()
    assert "First message" in listing and "Second message" in listing
    # Not charlie's to read, nor to mark; an unsafe "next" is ignored.
    other = client_for(charlie)
    assert other.post(reverse("clinic:message_read", args=[first.pk])).status_code == 404
    assert "First message" not in other.get(reverse("clinic:messages")).content.decode()
    second = ClinicianMessage.objects.get(text="Second message")
    unsafe = patient.post(
        reverse("clinic:message_read", args=[second.pk]), {"next": "https://evil.example/"}
    )
    assert unsafe["Location"] == reverse("clinic:messages")


def test_a_patient_who_stopped_sharing_keeps_the_messages_but_gets_no_new_ones(
    alice, bob_client, shared
):
    send(bob_client, alice, "Before you stopped")
    share_services.stop(share=shared, now=timezone.now())
    assert send(bob_client, alice, "After").status_code == 404
    listing = client_for(alice).get(reverse("clinic:messages")).content.decode()
    assert "Before you stopped" in listing and "After" not in listing


def test_the_dashboard_reads_messages_in_one_query(
    alice, bob_client, shared, django_assert_num_queries
):
    for n in range(5):
        send(bob_client, alice, f"Message {n}")
    patient = client_for(alice)
    patient.get(reverse("tracker:dashboard"))
    # The card's query is made only when the dashboard shows it.
    unread = messaging.unread_for(alice)
    assert len(unread) == messaging.DASHBOARD_MESSAGES
    assert [m.text for m in unread] == ["Message 4", "Message 3", "Message 2"]
    with django_assert_num_queries(1):
        messaging.unread_for(alice)


def test_the_patients_message_list_costs_the_same_whatever_its_length(
    alice, bob_client, shared, django_assert_num_queries
):
    patient = client_for(alice)
    counts = []
    for batch in (1, 25):
        for n in range(batch):
            send(bob_client, alice, f"Message {batch}-{n}")
        with CaptureQueriesContext(connection) as captured:
            assert patient.get(reverse("clinic:messages")).status_code == 200
        counts.append(len(captured.captured_queries))
    # 1 session, 2 the user, 3 the page of messages, 4 their count (the paginator), plus what
    # every page reads (the red-flag banner's answers, the navigation's roles).
    assert counts[0] == counts[1]


def test_no_email_is_sent_to_a_patient_without_an_address(alice, bob_client, shared):
    alice.email = ""
    alice.save(update_fields=["email"])
    send(bob_client, alice)
    assert ClinicianMessage.objects.count() == 1
    assert not Delivery.objects.filter(recipient=alice).exists()


def test_messages_send_at_most_one_notice_an_hour_of_the_patients_clock(alice, bob, shared):
    alice.time_zone = "Asia/Kathmandu"  # +05:45: the hour is the patient's, not UTC's
    alice.save(update_fields=["time_zone"])

    def at(hour: int, minute: int) -> datetime.datetime:
        return dates.to_instant(datetime.date(2026, 3, 10), datetime.time(hour, minute), alice.zone)

    for when in (at(10, 5), at(10, 50), at(11, 1)):
        messaging.send_message(
            clinician=bob, patient=alice, text="Please call us.", key=uuid.uuid4(), now=when
        )

    assert ClinicianMessage.objects.filter(patient=alice).count() == 3
    notices = Delivery.objects.filter(recipient=alice, kind=Delivery.Kind.CLINICIAN_MESSAGE)
    assert sorted(notices.values_list("local_date", "window")) == [
        (datetime.date(2026, 3, 10), 10),
        (datetime.date(2026, 3, 10), 11),
    ]
