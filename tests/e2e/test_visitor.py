"""Journey 1: a visitor reads an article, searches, opens an exercise and finds urgent help."""

import re

import pytest
from playwright.sync_api import expect

# Each journey commits for real, since the live server reads it from its own thread.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def library(published_library) -> None:
    """The article library, approved by a clinical reviewer (tests/conftest.py)."""


def test_a_visitor_reads_searches_follows_an_exercise_and_finds_help(web, library):
    page = web.page
    web.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Help with back muscle cramps and spasms"
    )
    web.check(screenshot="home")

    # Read an article from a topic.
    page.get_by_role("link", name=re.compile("Causes")).first.click()
    web.check()
    page.get_by_role("link", name="What causes back spasms").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What causes back spasms")
    web.check(screenshot="article")

    # Search, as someone would type it.
    page.get_by_role("link", name="Search", exact=True).click()
    page.get_by_role("searchbox").fill("stretch")
    page.keyboard.press("Enter")
    results = page.get_by_role("main").get_by_role("link", name=re.compile("Exercise:"))
    expect(results.first).to_be_visible()
    web.check()

    # Open an exercise: its steps are an ordered list a screen reader can count.
    page.get_by_role("link", name="Exercise: kneeling child's pose stretch").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("child's pose")
    steps = page.get_by_role("main").get_by_role("list").filter(has=page.locator("li")).first
    expect(steps).to_be_visible()
    web.check()

    # Urgent help is one click away from every page.
    page.get_by_role("link", name="Get help now").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("999")
    web.check()
