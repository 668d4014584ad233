"""Journey: a content editor writes an article body in the admin's Markdown editor and sees the
site's own preview and the draft's reading age follow what they type (issue 19)."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.roles import CONTENT_EDITORS
from education.models import Article, Category
from tests.conftest import PASSWORD, make_article, make_user
from tests.e2e.conftest import AXE_SOURCE, AXE_TAGS

# Each journey commits for real, since the live server reads it from its own thread.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PLAIN = """## Warmth for a tight back

A warm towel can help a tight muscle. Wrap a heat pack in a cloth first.
Keep it on for a short time. Check your skin often.

- Walk a little every day.
- Rest for a short time when you need to.
"""

HARD = (
    "\n\nPharmacological management of musculoskeletal spasm necessitates individualised "
    "consideration of contraindications, particularly gastrointestinal, cardiovascular and "
    "renal vulnerabilities, which require comprehensive evaluation.\n"
)


def _axe_on_the_editor(page: Page) -> list[str]:
    """Audit the editor alone (the admin around it is Django's own) against WCAG 2.1 A/AA."""
    page.evaluate(AXE_SOURCE.read_text())
    return page.evaluate(
        """async (tags) => {
            const r = await axe.run('.markdown-editor', {runOnly: {type: 'tag', values: tags}});
            return r.violations.map(v => `${v.id}: ${v.help} at ` +
                v.nodes.map(n => n.target.join(' ')).join(', '));
        }""",
        AXE_TAGS,
    )


def _open_article_as_editor(web, article: Article) -> None:
    page = web.page
    web.goto("/admin/")
    page.get_by_label("Username").fill("erin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    web.goto(f"/admin/education/article/{article.pk}/change/")


def test_the_preview_and_reading_age_follow_what_the_editor_types(web):
    make_user("erin", groups=(CONTENT_EDITORS,), is_staff=True)
    article = make_article(
        slug="warmth",
        title="Warmth for a tight back",
        status=Article.Status.DRAFT,
        category=Category.TREATMENTS,
        body="Short.",
    )
    page = web.page
    _open_article_as_editor(web, article)

    body = page.get_by_label("Body")
    toolbar = page.get_by_role("toolbar", name="Formatting")
    preview = page.locator(".markdown-editor-preview-body")
    reading = page.get_by_role("status")
    expect(toolbar).to_be_visible()
    expect(reading).to_contain_text("Too little text")

    # Room to write: the box is the form's width and most of the screen's height.
    box = body.bounding_box()
    assert box is not None and box["height"] >= 0.55 * 800
    form_width = page.locator("#article_form, form").first.bounding_box()
    assert form_width is not None and box["width"] >= 0.4 * form_width["width"]

    body.fill("")
    body.press_sequentially(PLAIN, delay=2)
    expect(preview.get_by_role("heading", name="Warmth for a tight back")).to_be_visible()
    expect(preview.get_by_role("listitem")).to_have_count(2)
    expect(reading).to_contain_text(re.compile(r"Reading age about \d+\.\d \(target 9 to 11\)"))
    expect(page.locator(".markdown-editor-hardest")).to_be_hidden()

    # A hard sentence raises the age, says so in words, and is named as the one to fix.
    body.press("End")
    body.press_sequentially(HARD, delay=1)
    expect(reading).to_contain_text("too hard")
    hardest = page.locator(".markdown-editor-hardest")
    expect(hardest).to_be_visible()
    expect(hardest.get_by_role("listitem").first).to_contain_text("Pharmacological management")
    assert _axe_on_the_editor(page) == []

    # The toolbar writes Markdown into the box, and the preview follows.
    body.press("Control+End")
    body.press_sequentially("\n\nWhen to stop", delay=1)
    body.evaluate("el => el.setSelectionRange(el.value.length - 12, el.value.length)")
    toolbar.get_by_role("button", name="Subheading").click()
    expect(body).to_have_value(re.compile(r"### When to stop$"))
    expect(preview.get_by_role("heading", name="When to stop", level=3)).to_be_visible()

    # Nothing the preview shows is run: the server sanitised it.
    body.press("Control+End")
    body.press_sequentially("\n\n<img src=x onerror=\"window.staged='yes'\">", delay=1)
    expect(preview.locator("img")).to_have_count(0)
    assert page.evaluate("() => window.staged") is None

    # What the editor typed is what is saved.
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_text(re.compile("changed successfully"))).to_be_visible()
    article.refresh_from_db()
    assert "Pharmacological management" in article.body
    assert "### When to stop" in article.body
    web.screenshot("admin-markdown-editor")

    # Text too long to preview says so, and the text stays in the box.
    page.get_by_label("Body").fill("word " * 20_001)
    expect(page.get_by_role("status")).to_contain_text("too long to preview")
    expect(page.get_by_label("Body")).to_have_value(re.compile(r"^(word ){20001}$"))


def test_the_article_form_fits_a_1280_screen(web):
    make_user("erin", groups=(CONTENT_EDITORS,), is_staff=True)
    article = make_article(slug="fits", title="Fits", status=Article.Status.DRAFT)
    article.sources.create(
        title="Low back pain and sciatica in over 16s: assessment and management (NG59)",
        publisher="National Institute for Health and Care Excellence (NICE)",
        year=2016,
        url="https://www.nice.org.uk/guidance/ng59",
    )
    page = web.page
    page.set_viewport_size({"width": 1280, "height": 800})
    _open_article_as_editor(web, article)
    expect(page.get_by_role("toolbar", name="Formatting")).to_be_visible()

    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    title = page.locator("input[name$='-title'][value^='Low back pain']")
    year = page.locator("input[name$='-year'][value='2016']")
    title_box, year_box = title.bounding_box(), year.bounding_box()
    assert title_box is not None and year_box is not None
    assert title_box["width"] > 3 * year_box["width"]
    # The whole title fits its box.
    assert title.evaluate("el => el.scrollWidth <= el.clientWidth + 1")


def test_without_javascript_the_body_is_a_tall_full_width_box_that_saves(open_browser):
    web = open_browser(java_script_enabled=False)
    make_user("erin", groups=(CONTENT_EDITORS,), is_staff=True)
    article = make_article(slug="plain", title="Plain", status=Article.Status.DRAFT)
    page = web.page
    _open_article_as_editor(web, article)

    body = page.get_by_label("Body")
    box = body.bounding_box()
    assert box is not None and box["height"] >= 0.55 * 800 and box["width"] >= 600
    expect(page.get_by_role("toolbar")).to_have_count(0)
    body.fill("## Written without scripts\n\nIt saves all the same.")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_text(re.compile("changed successfully"))).to_be_visible()
    article.refresh_from_db()
    # Browsers send a textarea's lines ended with CR LF.
    assert (
        article.body.replace("\r\n", "\n") == "## Written without scripts\n\nIt saves all the same."
    )
