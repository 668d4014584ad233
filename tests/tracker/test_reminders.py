"""Daily reminders and the weekly summary (issue 18): due at the patient's local time, once per
local day, never on a day already logged, across zones and both changes of the clocks."""

import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection

from accounts.models import User
from notifications.models import Delivery
from tests.conftest import make_user
from tests.factories import add_drink, check_in, log_episode, readable_text
from tracker import dates, reminders
from tracker.models import Reminder

UTC = datetime.UTC
MINUTE = datetime.timedelta(minutes=1)
# Words that would tell a lock screen's reader something about the person's health.
HEALTH_WORDS = (
    "pain",
    "cramp",
    "spasm",
    "back",
    "symptom",
    "episode",
    "severity",
    "flag",
    "emergency",
    "urgent",
    "medic",
    "doctor",
    "999",
    "111",
)


def at(zone: str, *args: int) -> datetime.datetime:
    """Return a local wall-clock time in a zone as an aware instant."""
    return datetime.datetime(*args, tzinfo=ZoneInfo(zone))


def remind(
    patient: User,
    *,
    time: datetime.time,
    now: datetime.datetime,
    weekdays: int = 0b1111111,
    by_email: bool = True,
    by_push: bool = False,
    digest: bool = False,
    digest_weekday: int = 6,
    daily: bool = True,
) -> Reminder:
    reminder = Reminder(
        patient=patient,
        daily=daily,
        at=time,
        weekdays=weekdays,
        by_email=by_email,
        by_push=by_push,
        weekly_digest=digest,
        digest_weekday=digest_weekday,
    )
    reminders.save_choices(reminder=reminder, now=now)
    return reminder


def passes(start: datetime.datetime, end: datetime.datetime, step: datetime.timedelta = MINUTE):
    """Run the scheduler's pass at every step from start to end, as beat does every minute."""
    moment = start
    while moment <= end:
        reminders.send_due_reminders(now=moment)
        moment += step


def reminder_mails(to: str) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if m.to == [to] and m.subject == "Your daily reminder"]


def set_zone(user: User, zone: str) -> User:
    user.time_zone = zone
    user.save(update_fields=["time_zone"])
    return user


# The next time a wall-clock time happens (tracker.dates)


def test_a_time_the_clocks_skip_happens_once_just_after_the_jump() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 28 March 2027: 02:00 CET becomes 03:00 CEST, so 02:30 never shows on a clock.
    instant = dates.wall_clock_instant(datetime.date(2027, 3, 28), datetime.time(2, 30), berlin)
    assert instant == datetime.datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert instant.astimezone(berlin).strftime("%H:%M") == "03:30"


def test_a_time_that_happens_twice_when_the_clocks_go_back_is_the_first() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    instant = dates.wall_clock_instant(datetime.date(2027, 10, 31), datetime.time(2, 30), berlin)
    assert instant == datetime.datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_the_next_occurrence_keeps_to_the_chosen_weekdays() -> None:
    london = ZoneInfo("Europe/London")
    # Tuesday 2 March 2027 at 20:00; Mondays and Wednesdays at 19:00.
    found = dates.next_occurrence(
        time=datetime.time(19),
        weekdays=frozenset({0, 2}),
        zone=london,
        first_day=datetime.date(2027, 3, 2),
        not_before=at("Europe/London", 2027, 3, 2, 20),
    )
    assert found == (datetime.date(2027, 3, 3), datetime.datetime(2027, 3, 3, 19, tzinfo=UTC))


def test_no_weekday_means_no_occurrence() -> None:
    assert (
        dates.next_occurrence(
            time=datetime.time(19),
            weekdays=frozenset(),
            zone=ZoneInfo("UTC"),
            first_day=datetime.date(2027, 3, 2),
            not_before=datetime.datetime(2027, 3, 2, tzinfo=UTC),
        )
        is None
    )


# Scheduling


@pytest.mark.django_db
def test_reminders_are_off_until_the_patient_turns_them_on() -> None:
    alice = make_user("alice")
    reminder = reminders.reminder_for(alice)
    assert not reminder.daily and not reminder.weekly_digest
    reminders.send_due_reminders(now=at("Europe/London", 2027, 3, 2, 19))
    assert Delivery.objects.count() == 0


@pytest.mark.django_db
def test_a_reminder_chosen_before_its_time_is_due_today_and_after_it_tomorrow() -> None:
    alice = set_zone(make_user("alice"), "Europe/London")
    early = remind(alice, time=datetime.time(19), now=at("Europe/London", 2027, 3, 2, 18))
    assert early.next_daily_day == datetime.date(2027, 3, 2)
    late = remind(alice, time=datetime.time(19), now=at("Europe/London", 2027, 3, 2, 19, 1))
    assert late.next_daily_day == datetime.date(2027, 3, 3)


# Sending: within five minutes, once per local day


@pytest.mark.django_db
def test_the_reminder_goes_at_its_local_time_once_that_day() -> None:
    alice = set_zone(make_user("alice"), "Europe/London")
    remind(alice, time=datetime.time(19), now=at("Europe/London", 2027, 3, 2, 9))

    passes(at("Europe/London", 2027, 3, 2, 18, 50), at("Europe/London", 2027, 3, 2, 18, 59))
    assert reminder_mails(alice.email) == []

    reminders.send_due_reminders(now=at("Europe/London", 2027, 3, 2, 19))
    assert len(reminder_mails(alice.email)) == 1
    passes(at("Europe/London", 2027, 3, 2, 19, 1), at("Europe/London", 2027, 3, 2, 23, 59))
    assert len(reminder_mails(alice.email)) == 1

    reminders.send_due_reminders(now=at("Europe/London", 2027, 3, 3, 19, 2))
    assert len(reminder_mails(alice.email)) == 2
    delivery = Delivery.objects.filter(recipient=alice).order_by("local_date").first()
    assert delivery.local_date == datetime.date(2027, 3, 2)
    assert delivery.status == Delivery.Status.SENT and delivery.body == ""


@pytest.mark.django_db
def test_a_pass_four_minutes_late_still_sends_and_six_minutes_late_does_not() -> None:
    alice = set_zone(make_user("alice"), "Europe/London")
    remind(alice, time=datetime.time(19), now=at("Europe/London", 2027, 3, 2, 9))
    reminders.send_due_reminders(now=at("Europe/London", 2027, 3, 2, 19, 5))
    assert len(reminder_mails(alice.email)) == 1

    charlie = set_zone(make_user("charlie"), "Europe/London")
    remind(charlie, time=datetime.time(19), now=at("Europe/London", 2027, 3, 2, 9))
    result = reminders.send_due_reminders(now=at("Europe/London", 2027, 3, 2, 19, 6))
    assert reminder_mails(charlie.email) == []
    assert result.missed == 1
    # Tomorrow's is still due.
    assert Reminder.objects.get(patient=charlie).next_daily_day == datetime.date(2027, 3, 3)


@pytest.mark.django_db
@pytest.mark.parametrize("logged", ["check-in", "episode", "drink"])
def test_no_reminder_on_a_day_already_logged(logged: str) -> None:
    # In the past: an episode cannot start after the moment it is stored.
    alice = set_zone(make_user("alice"), "Europe/London")
    remind(alice, time=datetime.time(19), now=at("Europe/London", 2026, 3, 2, 9))
    morning = at("Europe/London", 2026, 3, 2, 8)
    if logged == "check-in":
        check_in(alice, day=datetime.date(2026, 3, 2), severity=0, now=morning)
    elif logged == "episode":
        log_episode(alice, start=morning - datetime.timedelta(hours=1), severity=3, now=morning)
    else:
        add_drink(alice, day=datetime.date(2026, 3, 2), ml=250, now=morning)

    result = reminders.send_due_reminders(now=at("Europe/London", 2026, 3, 2, 19))
    assert reminder_mails(alice.email) == []
    assert result.skipped_logged == 1
    # The next day, with nothing logged, it comes.
    reminders.send_due_reminders(now=at("Europe/London", 2026, 3, 3, 19))
    assert len(reminder_mails(alice.email)) == 1


@pytest.mark.django_db
def test_logging_yesterday_late_in_the_evening_does_not_skip_today() -> None:
    alice = set_zone(make_user("alice"), "Pacific/Kiritimati")  # UTC+14
    remind(alice, time=datetime.time(7), now=at("Pacific/Kiritimati", 2027, 3, 1, 9))
    check_in(
        alice,
        day=datetime.date(2027, 3, 1),
        severity=2,
        now=at("Pacific/Kiritimati", 2027, 3, 1, 23, 50),
    )
    reminders.send_due_reminders(now=at("Pacific/Kiritimati", 2027, 3, 2, 7))
    assert len(reminder_mails(alice.email)) == 1


@pytest.mark.django_db
def test_only_on_the_chosen_days() -> None:
    alice = set_zone(make_user("alice"), "Europe/London")
    # Mondays and Thursdays; 1 March 2027 is a Monday.
    remind(
        alice,
        time=datetime.time(8),
        weekdays=0b0001001,
        now=at("Europe/London", 2027, 2, 28, 12),
    )
    passes(
        at("Europe/London", 2027, 3, 1, 7, 58),
        at("Europe/London", 2027, 3, 7, 8, 2),
        step=datetime.timedelta(minutes=4),
    )
    days = sorted(d.local_date for d in Delivery.objects.filter(recipient=alice))
    assert days == [datetime.date(2027, 3, 1), datetime.date(2027, 3, 4)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "zone", ["Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Pacific/Kiritimati"]
)
def test_each_zone_gets_its_reminder_at_its_own_local_time(zone: str) -> None:
    """Half-hour, three-quarter-hour and +14 offsets: 08:00 there, and at no other time."""
    here = set_zone(make_user("here"), zone)
    london = set_zone(make_user("london"), "Europe/London")
    for person in (here, london):
        remind(person, time=datetime.time(8), now=at("UTC", 2027, 1, 1))
    reminders.send_due_reminders(now=at(zone, 2027, 1, 5, 8, 1))
    assert len(reminder_mails(here.email)) == 1
    assert reminder_mails(london.email) == []
    sent = Delivery.objects.get(recipient=here)
    assert sent.local_date == datetime.date(2027, 1, 5)


@pytest.mark.django_db
def test_a_reminder_at_a_time_the_clocks_skip_is_sent_once_on_that_day() -> None:
    """02:30 in Berlin on 28 March 2027 does not exist: it goes once, at 03:30 summer time."""
    alice = set_zone(make_user("alice"), "Europe/Berlin")
    remind(alice, time=datetime.time(2, 30), now=at("UTC", 2027, 3, 27, 12))
    passes(
        datetime.datetime(2027, 3, 27, 23, 0, tzinfo=UTC),
        datetime.datetime(2027, 3, 28, 4, 0, tzinfo=UTC),
    )
    sent = Delivery.objects.filter(recipient=alice)
    assert [d.local_date for d in sent] == [datetime.date(2027, 3, 28)]
    assert len(reminder_mails(alice.email)) == 1
    reminder = Reminder.objects.get(patient=alice)
    assert reminder.next_daily_day == datetime.date(2027, 3, 29)
    assert reminder.next_daily_at == datetime.datetime(2027, 3, 29, 0, 30, tzinfo=UTC)


@pytest.mark.django_db
def test_a_reminder_at_a_time_that_happens_twice_is_sent_once() -> None:
    """02:30 in Berlin on 31 October 2027 happens twice: one reminder, at the first."""
    alice = set_zone(make_user("alice"), "Europe/Berlin")
    remind(alice, time=datetime.time(2, 30), now=at("UTC", 2027, 10, 30, 12))
    passes(
        datetime.datetime(2027, 10, 30, 23, 0, tzinfo=UTC),
        datetime.datetime(2027, 10, 31, 0, 29, tzinfo=UTC),
    )
    assert not Delivery.objects.exists()
    # The first 02:30 (summer time).
    reminders.send_due_reminders(now=datetime.datetime(2027, 10, 31, 0, 30, tzinfo=UTC))
    assert len(reminder_mails(alice.email)) == 1
    # On through the second 02:30 (winter time, 01:30 UTC) and beyond.
    passes(
        datetime.datetime(2027, 10, 31, 0, 31, tzinfo=UTC),
        datetime.datetime(2027, 10, 31, 3, 0, tzinfo=UTC),
    )
    sent = Delivery.objects.get(recipient=alice)
    assert sent.local_date == datetime.date(2027, 10, 31)
    assert len(reminder_mails(alice.email)) == 1


@pytest.mark.django_db
def test_an_evening_reminder_across_the_spring_change_keeps_its_local_time() -> None:
    alice = set_zone(make_user("alice"), "America/New_York")
    remind(alice, time=datetime.time(20), now=at("America/New_York", 2027, 3, 13, 9))
    reminders.send_due_reminders(now=at("America/New_York", 2027, 3, 13, 20))
    reminder = Reminder.objects.get(patient=alice)
    # 14 March 2027: clocks go forward; 20:00 EDT is 00:00 UTC, an hour earlier than the day before.
    assert reminder.next_daily_at == datetime.datetime(2027, 3, 15, 0, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_moving_to_another_zone_moves_the_reminder_to_the_new_local_time() -> None:
    from tracker import services

    alice = set_zone(make_user("alice"), "Europe/London")
    remind(alice, time=datetime.time(19), now=at("Europe/London", 2027, 3, 2, 9))
    services.change_time_zone(
        user=alice, time_zone="America/New_York", now=at("Europe/London", 2027, 3, 2, 10)
    )
    reminder = Reminder.objects.get(patient=alice)
    assert reminder.next_daily_at == at("America/New_York", 2027, 3, 2, 19)


# Repeats: a retry, a second scheduler, two passes at once


@pytest.mark.django_db
def test_a_second_scheduler_that_read_the_row_before_the_first_moved_it_sends_nothing_more() -> (
    None
):
    alice = set_zone(make_user("alice"), "Europe/London")
    reminder = remind(alice, time=datetime.time(19), now=at("Europe/London", 2027, 3, 2, 9))
    due = (reminder.next_daily_day, reminder.next_daily_at)
    reminders.send_due_reminders(now=at("Europe/London", 2027, 3, 2, 19))
    # The second scheduler still sees the row as due.
    Reminder.objects.filter(pk=alice.pk).update(next_daily_day=due[0], next_daily_at=due[1])
    reminders.send_due_reminders(now=at("Europe/London", 2027, 3, 2, 19, 1))
    assert Delivery.objects.filter(recipient=alice).count() == 1
    assert len(reminder_mails(alice.email)) == 1


@pytest.mark.postgresql
# A plain flush afterwards (this runs after tests/ops/test_backup.py, which is what a flush
# before it would upset: see tests/notifications/test_outbox.py), like the other transactional
# tests of tests/tracker: a serialized reload after their flush would meet the groups twice.
@pytest.mark.django_db(transaction=True)
def test_two_passes_at_once_send_each_reminder_once() -> None:
    people = [set_zone(make_user(f"p{n}"), "Europe/London") for n in range(40)]
    for person in people:
        remind(person, time=datetime.time(19), now=at("Europe/London", 2027, 3, 2, 9))
    now = at("Europe/London", 2027, 3, 2, 19)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            reminders.send_due_reminders(now=now)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Delivery.objects.count() == len(people)
    for person in people:
        assert len(reminder_mails(person.email)) == 1


# What a reminder says


@pytest.mark.django_db
def test_the_reminder_e_mail_says_nothing_of_health_and_carries_a_stop_link() -> None:
    alice = set_zone(make_user("alice"), "Europe/London")
    remind(alice, time=datetime.time(19), now=at("Europe/London", 2027, 3, 2, 9))
    reminders.send_due_reminders(now=at("Europe/London", 2027, 3, 2, 19))
    (message,) = reminder_mails(alice.email)
    text = readable_text(f"{message.subject}\n{message.body}\n{message.from_email}")
    for word in HEALTH_WORDS:
        assert word not in text, word
    assert "/tracker/reminders/stop/daily/" in message.body
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.from_email.startswith("Care portal")


@pytest.mark.django_db
def test_the_push_reminder_says_nothing_of_health() -> None:
    alice = make_user("alice")
    reminder = Reminder(patient=alice, daily=True, by_email=False, by_push=True)
    (push,) = reminders.daily_messages(reminder)
    assert push.channel == Delivery.Channel.PUSH
    text = f"{push.subject} {push.body}".lower()
    for word in HEALTH_WORDS:
        assert word not in text, word


@pytest.mark.django_db
def test_the_weekly_summary_counts_days_logged_and_says_nothing_of_health() -> None:
    alice = set_zone(make_user("alice"), "Europe/London")
    # Sundays at 18:00; 7 March 2027 is a Sunday.
    remind(
        alice,
        time=datetime.time(18),
        daily=False,
        digest=True,
        digest_weekday=6,
        now=at("Europe/London", 2027, 3, 1, 9),
    )
    for day in (2, 3, 5):
        check_in(
            alice,
            day=datetime.date(2027, 3, day),
            severity=6,
            now=at("Europe/London", 2027, 3, day, 21),
        )
    add_drink(alice, day=datetime.date(2027, 3, 5), ml=300, now=at("Europe/London", 2027, 3, 5, 9))
    result = reminders.send_due_reminders(now=at("Europe/London", 2027, 3, 7, 18))
    assert result.digests == 1
    (message,) = [m for m in mail.outbox if m.subject == "Your weekly summary"]
    assert "on 3 days" in message.body
    assert "/tracker/reminders/stop/digest/" in message.body
    for word in HEALTH_WORDS:
        assert word not in readable_text(message.body), word
    # A week later, the next one.
    assert Reminder.objects.get(patient=alice).next_digest_day == datetime.date(2027, 3, 14)


@pytest.mark.django_db
def test_the_weekly_summary_goes_even_on_a_day_already_logged() -> None:
    alice = set_zone(make_user("alice"), "Europe/London")
    remind(
        alice,
        time=datetime.time(18),
        digest=True,
        digest_weekday=6,
        now=at("Europe/London", 2027, 3, 1, 9),
    )
    check_in(
        alice, day=datetime.date(2027, 3, 7), severity=1, now=at("Europe/London", 2027, 3, 7, 9)
    )
    result = reminders.send_due_reminders(now=at("Europe/London", 2027, 3, 7, 18))
    assert result.digests == 1 and result.skipped_logged == 1


# One pass by hand


@pytest.mark.django_db
def test_the_management_command_runs_one_pass() -> None:
    alice = set_zone(make_user("alice"), "Europe/London")
    remind(alice, time=datetime.time(19), now=at("Europe/London", 2027, 3, 2, 9))
    call_command("send_due_reminders", "--now", "2027-03-02T19:00:00+00:00")
    assert len(reminder_mails(alice.email)) == 1


def test_the_management_command_refuses_a_time_without_its_offset() -> None:
    with pytest.raises(SystemExit):
        call_command("send_due_reminders", "--now", "2027-03-02T19:00:00")


@pytest.mark.django_db
def test_an_account_switched_off_gets_no_reminder_and_its_days_move_on() -> None:
    alice = set_zone(make_user("alice"), "Europe/London")
    remind(alice, time=datetime.time(19), now=at("Europe/London", 2027, 3, 2, 9))
    User.objects.filter(pk=alice.pk).update(is_active=False)
    reminders.send_due_reminders(now=at("Europe/London", 2027, 3, 2, 19))
    assert not Delivery.objects.exists()
    assert Reminder.objects.get(patient=alice).next_daily_day == datetime.date(2027, 3, 3)
