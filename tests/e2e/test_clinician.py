"""Journey 4: a patient shares with a clinician, who sees her first, opens her timeline,
acknowledges her flag, sends her a message she reads on her dashboard, and prints a summary;
she stops sharing and the clinician is shut out."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import CLINICIANS
from clinic.access import clinician_profile
from clinic.models import AuditEvent
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import ARTIFACTS, log_in
from tests.factories import answer_red_flags, log_episode, share
from tracker.models import Acknowledgement

# Each journey commits for real, since the live server reads it from its own thread.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_sharing_queue_acknowledgement_summary_and_revocation(open_browser):
    clinician = make_user("bob", groups=(CLINICIANS,))
    clinician.first_name, clinician.last_name = "Bob", "Okafor"
    clinician.save()
    code = clinician_profile(clinician=clinician).share_code
    alice = make_user("alice")
    alice.first_name, alice.last_name = "Alice", "Moreau"
    alice.save()
    yesterday = timezone.now() - datetime.timedelta(days=1)
    log_episode(alice, start=yesterday, end=yesterday, severity=5)
    answer_red_flags(alice, "fever")
    # Another patient already shares, with nothing flagged: Alice must come above him.
    calm = make_user("charlie")
    share(calm, clinician)

    patient = open_browser()
    log_in(patient, "alice", PASSWORD)
    patient.page.get_by_role("link", name="Sharing", exact=True).click()
    expect(patient.page.get_by_role("heading", level=1)).to_have_text("Sharing with a clinician")
    patient.check()
    patient.page.get_by_label("Your clinician's share code or e-mail address").fill(code)
    patient.page.get_by_role("checkbox", name=re.compile("I agree to share my log")).check()
    # The name and date of birth are prefilled from her account; the clinician sees them.
    patient.page.get_by_role("button", name="Send my request").click()
    expect(patient.page.get_by_role("status")).to_be_visible()
    expect(patient.page.get_by_role("button", name=re.compile("Withdraw request"))).to_be_visible()
    patient.check()

    doctor = open_browser()
    log_in(doctor, "bob", PASSWORD)
    doctor.page.get_by_role("link", name="Your patients").click()
    # She is not in the queue until he accepts her request.
    doctor.page.get_by_role("link", name="Requests waiting (1)").click()
    expect(doctor.page.get_by_role("heading", name="Alice Moreau")).to_be_visible()
    doctor.check()
    doctor.page.get_by_role("button", name=re.compile("^Accept")).click()
    expect(doctor.page.get_by_role("status")).to_be_visible()
    doctor.page.get_by_role("link", name="Back to your patients").click()
    queue = doctor.page.get_by_role("table", name=re.compile("most urgent first"))
    first = queue.get_by_role("row").nth(1)
    expect(first.get_by_role("rowheader").get_by_role("link")).to_have_text("Alice Moreau")
    # Two patients with one name are told apart by their date of birth and age (issue 17).
    expect(first.get_by_role("rowheader")).to_contain_text("Born 17 May 1980")
    expect(first).to_have_class("urgency-urgent")
    expect(first).to_contain_text("Urgent")
    expect(first).to_contain_text("high temperature")
    calm_row = queue.get_by_role("row").nth(2)
    expect(calm_row.get_by_role("rowheader").get_by_role("link")).to_have_text("charlie")
    expect(calm_row).to_have_class("urgency-none")
    expect(calm_row).to_contain_text("Nothing flagged")
    doctor.check(screenshot="clinician-queue")
    doctor.assert_focus_follows_reading_order()

    first.get_by_role("link", name="Alice Moreau").click()
    expect(doctor.page.get_by_role("heading", name=re.compile("^Timeline"))).to_be_visible()
    doctor.check()
    doctor.page.get_by_role("button", name="Mark as seen").click()
    expect(doctor.page.get_by_role("status")).to_be_visible()
    assert Acknowledgement.objects.filter(
        clinician=clinician, patient=alice, red_flag__isnull=False
    ).exists()
    doctor.check()

    # He sends her a short message (issue 20); she reads it on her dashboard.
    doctor.page.get_by_label(re.compile("Send the patient a short message")).fill(
        "Please book a review with the physio this week."
    )
    doctor.page.get_by_role("button", name="Send message").click()
    expect(doctor.page.get_by_role("status")).to_contain_text("Message sent")
    doctor.check()
    patient.goto(reverse("tracker:dashboard"))
    card = patient.page.get_by_role("region", name="Messages from your clinician")
    expect(card).to_contain_text("Please book a review with the physio this week.")
    expect(card).to_contain_text("From Bob Okafor")
    patient.check()
    card.get_by_role("button", name="Mark as read").click()
    expect(patient.page.get_by_role("region", name="Messages from your clinician")).to_have_count(0)
    patient.page.get_by_role("link", name="Sharing", exact=True).click()

    doctor.page.get_by_role("link", name="Printable summary").click()
    expect(doctor.page.get_by_role("heading", level=1)).to_have_text(
        "Pre-visit summary: Alice Moreau"
    )
    doctor.check()
    # The Print button opens the browser's print dialog; record the call instead of a dialog.
    doctor.page.evaluate("() => { window.printed = 0; window.print = () => window.printed++; }")
    doctor.page.get_by_role("button", name="Print").click()
    assert doctor.page.evaluate("() => window.printed") == 1
    doctor.page.emulate_media(media="print")
    expect(doctor.page.get_by_role("button", name="Print")).to_be_hidden()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    doctor.page.pdf(path=ARTIFACTS / "clinician-summary.pdf")
    doctor.page.emulate_media(media="screen")
    detail_path = f"/clinic/patients/{alice.pk}/"

    # Alice sees who looked, then stops sharing.
    patient.page.get_by_role("link", name="See who has looked at your data").click()
    expect(patient.page.get_by_role("main")).to_contain_text("Bob Okafor")
    patient.check()
    patient.page.get_by_role("link", name="Sharing", exact=True).click()
    patient.page.get_by_role("button", name=re.compile("Stop sharing")).click()
    expect(patient.page.get_by_role("status")).to_contain_text("can no longer see your log")
    patient.check()

    doctor.goto(detail_path, status=404)
    doctor.check()
    doctor.page.get_by_role("link", name="Your patients").click()
    expect(doctor.page.get_by_role("link", name="Alice Moreau")).to_have_count(0)
    doctor.check()
    assert AuditEvent.objects.filter(patient=alice, actor=clinician).exists()
