"""Journey 5: a content editor writes an article in the admin, a clinical reviewer approves it,
and it shows on the site, naming its reviewer, where a script staged in the body does not run."""

import re

import pytest
from playwright.sync_api import expect

from accounts.roles import CONTENT_EDITORS
from education.models import Article, Category
from tests.conftest import PASSWORD, make_article, make_reviewer, make_user

# Each journey commits for real, since the live server reads it from its own thread.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STAGED = """Cramps at night are common and usually harmless.

<script>window.staged = 'script tag'</script>
<img src="/static/missing.png" onerror="window.staged = 'event handler'">
<svg onload="window.staged = 'svg'"><circle r="4"></circle></svg>
[Read this first](javascript:window.staged='link')

Stretch your calves and lower back gently before bed.
"""


def _admin_log_in(web, username: str) -> None:
    page = web.page
    web.goto("/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_an_editor_writes_a_reviewer_publishes_and_a_staged_script_stays_inert(web, open_browser):
    make_user("erin", groups=(CONTENT_EDITORS,), is_staff=True)
    make_reviewer("rhys", first="Rhys", last="Reviewer")
    draft = make_article(
        slug="cramps-at-night",
        title="Back cramps at night",
        status=Article.Status.DRAFT,
        category=Category.PREVENTION,
    )
    page = web.page
    _admin_log_in(web, "erin")

    # erin writes the draft and sends it for review; nothing is public yet.
    page.get_by_role("link", name="Articles", exact=True).first.click()
    page.get_by_role("link", name="Back cramps at night").click()
    page.get_by_label("Body").fill(STAGED)
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_text(re.compile("was changed successfully"))).to_be_visible()
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_text(re.compile("Revision 1: change the words here"))).to_be_visible()
    web.check(screenshot="editor-revision")
    assert not Article.objects.published().filter(pk=draft.pk).exists()

    # rhys, a clinical reviewer who wrote none of it, reviews and approves it.
    reviewer = open_browser()
    _admin_log_in(reviewer, "rhys")
    reviewer.page.get_by_role("link", name="Article revisions").first.click()
    reviewer.page.get_by_role("link", name=re.compile("Back cramps at night, revision 1")).click()
    reviewer.page.get_by_role("link", name="Review and approve").click()
    expect(reviewer.page.get_by_role("heading", name="What changes for readers")).to_be_visible()
    reviewer.page.get_by_label("Your role, as readers will see it").fill("Physiotherapist")
    reviewer.check(screenshot="reviewer-approves")
    reviewer.page.get_by_role("button", name="Approve and publish").click()
    expect(reviewer.page.get_by_text(re.compile("is published with revision 1"))).to_be_visible()

    # The article is live, in its topic, names its reviewer, and nothing the body staged ran.
    web.goto("/articles/topic/prevention/")
    web.check()
    page.get_by_role("link", name="Back cramps at night").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Back cramps at night")
    body = page.get_by_role("main")
    expect(body).to_contain_text("Stretch your calves and lower back gently before bed.")
    expect(body).to_contain_text("Reviewed by Rhys Reviewer, Physiotherapist")
    web.check()
    assert page.evaluate("() => window.staged") is None
    assert page.locator("main script, main svg, main [onerror], main [onload]").count() == 0
    assert page.locator("main a[href^='javascript']").count() == 0
