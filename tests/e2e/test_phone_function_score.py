"""The weekly function score on a phone (390x844 with touch, and 320 px wide): the dashboard
offers the week's three questions, each number is a 44 px target, the answers are saved with one
tap of Save, and the dashboard then shows the score with its chart."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import PHONE, log_in
from tracker.models import FunctionScore

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NARROW_PHONE = {"width": 320, "height": 640}


def small_targets(page) -> list[str]:
    """Return the number buttons smaller than 44x44 px, with their sizes."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.severity-scale label')]
            .map(l => [l.htmlFor, l.getBoundingClientRect()])
            .filter(([, r]) => r.width < 44 || r.height < 44)
            .map(([id, r]) => `${id}: ${Math.round(r.width)}x${Math.round(r.height)}`)"""
    )


def test_a_patient_answers_the_weekly_questions_on_her_phone(open_browser) -> None:
    alice = make_user("alice")
    phone = open_browser(viewport=PHONE, has_touch=True)
    log_in(phone, "alice", PASSWORD)
    page = phone.page
    phone.goto(reverse("tracker:dashboard"))
    expect(page.get_by_role("heading", name="How has the past week been?")).to_be_visible()
    page.get_by_role("link", name="Answer this week's questions").tap()

    expect(page.get_by_role("heading", name="How has the past week been?", level=1)).to_be_visible()
    phone.check(screenshot="function-score-form")
    assert small_targets(page) == []
    page.set_viewport_size(NARROW_PHONE)
    assert small_targets(page) == []
    page.set_viewport_size(PHONE)

    # Each question's group is named by its question, so a screen reader says which 6 this is.
    for question, number in (
        ("how bad was your pain on average", "6"),
        ("enjoying life", "7"),
        ("everyday activities", "4"),
    ):
        group = page.get_by_role("group", name=question)
        group.get_by_text(number, exact=True).tap()
        expect(group.get_by_role("radio", name=number, exact=True)).to_be_checked()
    save = page.get_by_role("button", name="Save this week's answers")
    assert save.bounding_box()["height"] >= 44
    save.tap()

    expect(page.get_by_text("your score is 5.7")).to_be_visible()
    expect(page.get_by_text("This week: 5.7 out of 10")).to_be_visible()
    expect(page.locator("#function-score-chart")).to_be_visible()
    phone.check(screenshot="function-score-dashboard")
    score = FunctionScore.objects.get(patient=alice)
    assert (score.pain, score.enjoyment, score.activity) == (6, 7, 4)
