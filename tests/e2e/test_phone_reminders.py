"""Reminders on a phone (issue 18), in Chromium at 390x844 with touch: a patient turns on a
daily reminder from the dashboard, the pass sends it at her local time, and the e-mail's stop
link works in a browser where nobody is signed in."""

import datetime
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import PHONE, log_in
from tracker import reminders
from tracker.models import Reminder

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_patient_sets_a_reminder_on_her_phone_and_stops_it_from_the_e_mail(
    open_browser,
) -> None:
    alice = make_user("alice")
    alice.time_zone = "Asia/Kolkata"
    alice.save()
    phone = open_browser(viewport=PHONE, has_touch=True)
    log_in(phone, "alice", PASSWORD)
    page = phone.page

    page.get_by_role("link", name="Reminders").tap()
    expect(page.get_by_role("heading", name="Reminders", level=1)).to_be_visible()
    phone.check(screenshot="reminders-empty")
    page.get_by_label("Remind me every day").check()
    page.get_by_label("At (your local time)").fill("07:30")
    for day in ("Saturday", "Sunday"):
        page.get_by_text(day[:3], exact=True).tap()
    save = page.get_by_role("button", name="Save")
    assert save.bounding_box()["height"] >= 44
    save.tap()
    expect(page.get_by_text("Your reminder choices are saved.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Next reminder: \w+day \d+ \w+, 07:30"))).to_be_visible()
    phone.check(screenshot="reminders-saved")

    reminder = Reminder.objects.get(patient=alice)
    assert reminder.weekday_set == frozenset(range(5))
    due = reminder.next_daily_at
    assert due.astimezone(alice.zone).time() == datetime.time(7, 30)

    reminders.send_due_reminders(now=due + datetime.timedelta(minutes=1))
    (message,) = [m for m in mail.outbox if m.subject == "Your daily reminder"]
    link = re.search(r"http\S+/tracker/reminders/stop/daily/\S+", message.body).group(0)

    stranger = open_browser(viewport=PHONE, has_touch=True)
    stranger.goto("/tracker/" + link.split("/tracker/", 1)[1])
    expect(stranger.page.get_by_role("heading", name="Daily reminders stopped")).to_be_visible()
    stranger.check(screenshot="reminders-stopped")
    assert not Reminder.objects.get(patient=alice).daily
    assert Reminder.objects.get(patient=alice).next_daily_at is None
