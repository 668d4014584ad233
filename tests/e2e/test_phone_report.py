"""The patient's report on a phone (390x844 with touch): from the dashboard to the report, a
read-only link made with a double tap (one link), opened by someone without an account, and
revoked, after which the same address is the site's 404."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import PHONE, log_in
from tests.factories import log_episode
from tracker.models import Effect, Relief, ReportLink, ReportLinkOpening, Trigger

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def small_targets(page) -> list[str]:
    """Return the page's own buttons, links styled as buttons and fields under 44 px high."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.report-links .btn, .report-links input')]
            .filter(el => el.offsetParent !== null)
            .map(el => [el.textContent.trim() || el.name, el.getBoundingClientRect()])
            .filter(([, r]) => r.height < 44)
            .map(([name, r]) => `${name}: ${Math.round(r.width)}x${Math.round(r.height)}`)"""
    )


def test_a_patient_shares_her_report_from_her_phone_and_revokes_it(open_browser) -> None:
    alice = make_user("alice")
    log_episode(
        alice,
        start=timezone.now() - datetime.timedelta(days=3, hours=2),
        end=timezone.now() - datetime.timedelta(days=3),
        severity=6,
        triggers=[Trigger.HEAVY_LIFTING],
        relief={Relief.HEAT: Effect.MUCH_BETTER},
    )
    phone = open_browser(viewport=PHONE, has_touch=True)
    log_in(phone, "alice", PASSWORD)
    page = phone.page
    phone.goto(reverse("tracker:dashboard"))
    page.get_by_role("link", name="Report for an appointment").tap()

    expect(page.get_by_role("heading", name="Your report", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Questions to ask")).to_be_visible()
    expect(page.get_by_text("1 episode started in the period")).to_be_visible()
    phone.check(screenshot="report-page")
    assert small_targets(page) == []
    page.get_by_role("link", name="Share a read-only link").tap()

    expect(page.get_by_role("heading", name="Links to your report", level=1)).to_be_visible()
    phone.check()
    page.get_by_role("button", name="Make a link").dblclick()

    expect(page.get_by_text("Your link is ready. Copy it now.")).to_be_visible()
    address = page.get_by_role("textbox", name="Link").input_value()
    assert ReportLink.objects.filter(patient=alice).count() == 1
    phone.check(screenshot="report-links")
    assert small_targets(page) == []

    # Someone without an account (her GP) opens it on a computer.
    visitor = open_browser()
    path = address.removeprefix(visitor.base_url)
    visitor.goto(path)
    expect(visitor.page.get_by_role("heading", name="Back cramp report: alice")).to_be_visible()
    assert visitor.page.locator("a[href*='/tracker/'], a[href*='/accounts/']").count() == 0
    visitor.check(screenshot="report-shared")

    phone.goto(reverse("tracker:report_links"))
    expect(page.get_by_text("Opened 1 time:")).to_be_visible()
    page.get_by_role("button", name="Revoke this link").tap()
    expect(page.get_by_text("The link no longer opens.")).to_be_visible()

    visitor.goto(path, status=404)
    assert ReportLinkOpening.objects.count() == 1
