"""Journey 5: a content editor edits and publishes an article in the admin and sees it on the
site, where a script staged in the body does not run."""

import re

import pytest
from playwright.sync_api import expect

from accounts.roles import CONTENT_EDITORS
from education.models import Article, Category
from tests.conftest import PASSWORD, make_article, make_user

# Each journey commits for real, since the live server reads it from its own thread.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STAGED = """Cramps at night are common and usually harmless.

<script>window.staged = 'script tag'</script>
<img src="/static/missing.png" onerror="window.staged = 'event handler'">
<svg onload="window.staged = 'svg'"><circle r="4"></circle></svg>
[Read this first](javascript:window.staged='link')

Stretch your calves and lower back gently before bed.
"""


def test_an_editor_publishes_an_article_and_a_staged_script_stays_inert(web):
    make_user("erin", groups=(CONTENT_EDITORS,), is_staff=True)
    make_article(
        slug="cramps-at-night",
        title="Back cramps at night",
        status=Article.Status.DRAFT,
        category=Category.PREVENTION,
    )
    page = web.page
    web.goto("/admin/")
    page.get_by_label("Username").fill("erin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="Articles", exact=True).first.click()
    page.get_by_role("link", name="Back cramps at night").click()
    page.get_by_label("Body").fill(STAGED)
    page.get_by_label("Status").select_option(label="Published")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text(re.compile("was changed successfully"))).to_be_visible()

    # The article is live, in its topic, and nothing the body staged has run.
    web.goto("/articles/topic/prevention/")
    web.check()
    page.get_by_role("link", name="Back cramps at night").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Back cramps at night")
    body = page.get_by_role("main")
    expect(body).to_contain_text("Stretch your calves and lower back gently before bed.")
    web.check()
    assert page.evaluate("() => window.staged") is None
    assert page.locator("main script, main svg, main [onerror], main [onload]").count() == 0
    assert page.locator("main a[href^='javascript']").count() == 0
