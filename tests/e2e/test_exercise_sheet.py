"""A visitor follows an exercise's drawings to the exercise sheet and prints it on one A4 page."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from education.models import Article
from tests.e2e.conftest import ARTIFACTS, PHONE, Browser

# Each journey commits for real, since the live server reads it from its own thread.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHEET = "/articles/exercises/sheet/"
DRAWINGS_IN_LIBRARY = 27  # 5 + 5 + 6 + 5 + 6 steps
# A PDF has one page object per page ("/Type /Page"); the page tree is "/Type /Pages".
PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
ALL_IMAGES_LOADED = "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"


@pytest.fixture
def library(published_library: list[Article]) -> None:
    """The article library, approved by a clinical reviewer (tests/conftest.py)."""


def pdf_pages(pdf: bytes) -> int:
    return len(PAGE_OBJECT.findall(pdf))


def test_pdf_page_counter_counts_pages_not_the_page_tree() -> None:
    assert (
        pdf_pages(b"<< /Type /Pages /Kids [3 0 R 4 0 R] >> << /Type /Page >> << /Type/Page >>") == 2
    )


def test_a_visitor_on_a_phone_sees_each_step_drawn_and_opens_the_sheet(
    open_browser: Callable[..., Browser], library: None
) -> None:
    web = open_browser(viewport=PHONE, has_touch=True)
    page = web.page
    web.goto("/articles/exercise-low-bridge/")
    drawings = page.locator("img.exercise-drawing")
    expect(drawings).to_have_count(5)
    drawings.last.scroll_into_view_if_needed()  # they load lazily
    page.wait_for_function(ALL_IMAGES_LOADED)
    # On a phone each drawing spans the width of its step, above the instruction.
    step_width = drawings.first.evaluate("el => el.closest('li').clientWidth")
    drawing = drawings.first.bounding_box()
    assert drawing is not None and drawing["width"] >= step_width - 1 >= 280
    assert drawings.nth(2).get_attribute("alt") == (
        "Lying on the back, knees bent and feet flat; the bottom and hips are lifted a few "
        "centimetres off the floor while the shoulders stay down."
    )
    web.check(screenshot="exercise-article")

    page.get_by_role("link", name="Print the exercise sheet").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gentle exercises for a back spasm")
    page.wait_for_function(ALL_IMAGES_LOADED)
    expect(page.locator(".sheet-steps img")).to_have_count(DRAWINGS_IN_LIBRARY)
    expect(page.get_by_role("heading", level=2)).to_have_count(5)
    web.check(screenshot="exercise-sheet")


def test_the_exercise_sheet_prints_on_one_a4_page(web: Browser, library: None) -> None:
    page = web.page
    web.goto("/articles/exercise-lying-knee-rolls/")
    # On a desktop the drawing sits beside its step, smaller than the text column.
    drawing = page.locator("img.exercise-drawing").first.bounding_box()
    assert drawing is not None and 150 <= drawing["width"] <= 260
    web.check()

    web.goto(SHEET)
    page.wait_for_function(ALL_IMAGES_LOADED)
    expect(page.locator(".sheet-steps img")).to_have_count(DRAWINGS_IN_LIBRARY)
    web.check()

    # The button prints the page (the browser's dialogue is replaced by a note of the call).
    page.evaluate(
        "() => { window.print = () => { window.printCalls = (window.printCalls || 0) + 1; }; }"
    )
    page.get_by_role("button", name="Print this sheet").click()
    assert page.evaluate("() => window.printCalls") == 1

    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "exercise-sheet.pdf").write_bytes(pdf)
    # How the printed page looks, for a person to look at: the width inside A4's margins
    # (190 mm at 96 dpi) with the print styles.
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 718, "height": 1054})
    page.screenshot(path=ARTIFACTS / "exercise-sheet-print-a4.png", full_page=True)
    assert pdf_pages(pdf) == 1, f"the sheet printed on {pdf_pages(pdf)} A4 pages"
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Print this sheet")).to_be_hidden()
