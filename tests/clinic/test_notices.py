"""Clinicians' e-mail notices (issue 18): one e-mail when a shared patient's stored status rises
to emergency, urgent or two-week, at most one every 15 minutes, naming nobody."""

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import CLINICIANS
from clinic import notices
from clinic import services as share_services
from clinic.models import NoticeSettings
from notifications.links import stop_token
from notifications.models import Delivery
from tests.conftest import client_for, make_user
from tests.factories import answer_red_flags, log_episode, share, share_request
from tracker import services
from tracker.assessment import Urgency
from tracker.models import PatientStatus

MINUTE = datetime.timedelta(minutes=1)
HEALTH_WORDS = ("pain", "cramp", "spasm", "symptom", "episode", "emergency", "urgent", "flag")


def notice_mails(clinician: User) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if m.to == [clinician.email]]


@pytest.fixture
def world(db) -> dict[str, User]:
    people = {
        "alice": make_user("alice"),
        "charlie": make_user("charlie"),
        "bob": make_user("bob", groups=(CLINICIANS,)),
        "dana": make_user("dana", groups=(CLINICIANS,)),
        "rita": make_user("rita", groups=(CLINICIANS,)),
    }
    now = timezone.now() - datetime.timedelta(hours=1)
    share(people["alice"], people["bob"], now=now)
    share(people["charlie"], people["bob"], now=now)
    share_request(people["alice"], people["dana"], now=now)
    share_services.stop(share=share(people["alice"], people["rita"], now=now), now=now)
    mail.outbox.clear()
    return people


def test_an_emergency_answer_sends_the_clinician_one_e_mail_naming_nobody(world) -> None:
    alice, bob = world["alice"], world["bob"]
    now = timezone.now()
    answer_red_flags(alice, "chest_pain", now=now)
    assert PatientStatus.objects.get(patient=alice).raised_at == now

    assert notices.send_clinician_notices(now=now + MINUTE) == 1
    (message,) = notice_mails(bob)
    text = f"{message.subject}\n{message.body}".lower()
    assert "/clinic/" in message.body
    for word in (*HEALTH_WORDS, "alice"):
        assert word not in text, word
    assert "/clinic/notices/stop/" in message.body
    assert message.from_email.startswith("Care portal")
    # Nobody else: dana was only asked, rita's share is stopped.
    assert notice_mails(world["dana"]) == [] and notice_mails(world["rita"]) == []


def test_more_rises_within_fifteen_minutes_wait_for_one_more_e_mail(world) -> None:
    alice, charlie, bob = world["alice"], world["charlie"], world["bob"]
    now = timezone.now()
    answer_red_flags(alice, "chest_pain", now=now)
    notices.send_clinician_notices(now=now)
    answer_red_flags(charlie, "fever", now=now + 2 * MINUTE)
    for minute in range(1, 15):
        notices.send_clinician_notices(now=now + minute * MINUTE)
    assert len(notice_mails(bob)) == 1
    notices.send_clinician_notices(now=now + 15 * MINUTE)
    assert len(notice_mails(bob)) == 2
    # Nothing new since: no more.
    for minute in range(16, 60, 5):
        notices.send_clinician_notices(now=now + minute * MINUTE)
    assert len(notice_mails(bob)) == 2


def test_a_status_that_does_not_rise_sends_nothing(world) -> None:
    alice = world["alice"]
    now = timezone.now()
    answer_red_flags(alice, "chest_pain", now=now)
    notices.send_clinician_notices(now=now)
    # Another emergency answer: still emergency, not a rise.
    answer_red_flags(alice, "both_legs", now=now + 20 * MINUTE)
    notices.send_clinician_notices(now=now + 21 * MINUTE)
    assert len(notice_mails(world["bob"])) == 1


def test_a_soon_answer_is_no_rise_to_tell_of(world) -> None:
    now = timezone.now()
    answer_red_flags(world["alice"], "not_coping", now=now)
    assert PatientStatus.objects.get(patient=world["alice"]).urgency == Urgency.SOON
    assert notices.send_clinician_notices(now=now) == 0


def test_a_rise_from_urgent_to_emergency_is_told(world) -> None:
    now = timezone.now()
    answer_red_flags(world["alice"], "fever", now=now)
    notices.send_clinician_notices(now=now)
    answer_red_flags(world["alice"], "chest_pain", now=now + 16 * MINUTE)
    notices.send_clinician_notices(now=now + 17 * MINUTE)
    assert len(notice_mails(world["bob"])) == 2


def test_a_rise_the_clinician_already_cleared_is_not_sent_later(world) -> None:
    alice, bob = world["alice"], world["bob"]
    now = timezone.now()
    answer_red_flags(alice, "fever", now=now)
    notices.send_clinician_notices(now=now)
    answer_red_flags(alice, "chest_pain", now=now + MINUTE)
    # bob sees it in the queue and marks each answer as seen before the next notice is due.
    from tracker.models import RedFlagAnswer

    for answer in RedFlagAnswer.objects.filter(patient=alice):
        services.acknowledge_answer(clinician=bob, answer=answer, now=now + 2 * MINUTE)
    notices.send_clinician_notices(now=now + 16 * MINUTE)
    assert len(notice_mails(bob)) == 1


def test_a_two_week_flag_raised_by_time_alone_is_told(world) -> None:
    alice = world["alice"]
    # An episode going on for 14 days today: no flag yet; tomorrow it is 15 days.
    today = timezone.localdate(timezone=alice.zone)
    start = datetime.datetime.combine(
        today - datetime.timedelta(days=13), datetime.time(12), tzinfo=alice.zone
    )
    log_episode(alice, start=start, severity=4)
    assert PatientStatus.objects.get(patient=alice).urgency < Urgency.TWO_WEEK
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    notices.send_clinician_notices(now=tomorrow)
    assert PatientStatus.objects.get(patient=alice).urgency == Urgency.TWO_WEEK
    assert len(notice_mails(world["bob"])) == 1


def test_a_clinician_who_turned_notices_off_gets_none(world) -> None:
    bob = world["bob"]
    response = client_for(bob).post(reverse("clinic:notices"), {})
    assert response.status_code == 302
    assert NoticeSettings.objects.get(clinician=bob).by_email is False
    now = timezone.now()
    answer_red_flags(world["alice"], "chest_pain", now=now)
    notices.send_clinician_notices(now=now)
    assert notice_mails(bob) == []


def test_turned_back_on_they_start_from_now(world) -> None:
    bob = world["bob"]
    now = timezone.now()
    notices.save_choice(clinician=bob, by_email=False, now=now)
    answer_red_flags(world["alice"], "chest_pain", now=now)
    notices.save_choice(clinician=bob, by_email=True, now=now + MINUTE)
    notices.send_clinician_notices(now=now + 2 * MINUTE)
    assert notice_mails(bob) == []


def test_the_stop_link_turns_notices_off_without_signing_in(world) -> None:
    bob = world["bob"]
    link = reverse("clinic:notice_stop", args=[stop_token(person_id=bob.pk, topic=notices.TOPIC)])
    response = Client(enforce_csrf_checks=True).post(link)
    assert response.status_code == 200
    assert "no more e-mails" in response.content.decode()
    assert NoticeSettings.objects.get(clinician=bob).by_email is False
    again = Client().get(link)
    assert "already off" in again.content.decode()


def test_a_reminder_stop_link_cannot_stop_notices(world) -> None:
    bob = world["bob"]
    token = stop_token(person_id=bob.pk, topic="daily")
    response = Client().get(reverse("clinic:notice_stop", args=[token]))
    assert response.status_code == 400
    assert not NoticeSettings.objects.filter(clinician=bob, by_email=False).exists()


def test_two_passes_in_the_same_quarter_hour_send_one_notice(world) -> None:
    bob = world["bob"]
    now = timezone.now()
    answer_red_flags(world["alice"], "chest_pain", now=now)
    notices.send_clinician_notices(now=now)
    # A second scheduler whose view of the settings was from before the first sent.
    NoticeSettings.objects.filter(clinician=bob).update(covered_until=None, last_sent_at=None)
    notices.send_clinician_notices(now=now)
    assert Delivery.objects.filter(recipient=bob, kind=Delivery.Kind.CLINICIAN_NOTICE).count() == 1
    assert len(notice_mails(bob)) == 1


def test_the_notice_page_is_for_clinicians(world) -> None:
    assert client_for(world["alice"]).get(reverse("clinic:notices")).status_code == 404
    page = client_for(world["bob"]).get(reverse("clinic:notices"))
    assert page.status_code == 200
    assert "checked" in page.content.decode()


def test_a_rise_already_told_costs_three_queries_a_pass_whatever_the_clinicians(
    world, django_assert_num_queries
) -> None:
    now = timezone.now()
    answer_red_flags(world["alice"], "chest_pain", now=now)
    notices.send_clinician_notices(now=now)
    later = now + 20 * MINUTE
    services.refresh_stale(list(User.objects.all()), now=later)
    # 1: sharing patients with a stale status; 2: each clinician's latest rise; 3: their
    # notice settings. Nobody is owed a notice, so nobody's row is locked or read again.
    with django_assert_num_queries(3):
        assert notices.send_clinician_notices(now=later) == 0
