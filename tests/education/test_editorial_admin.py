"""Approval before publishing, as an editor and a clinical reviewer use it: through the admin.

erin writes (content editor); rhys approves (clinical reviewer, a named person with a role);
a second reviewer, ravi, stands in where rhys wrote something herself.
"""

import datetime
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from education.models import Article, ArticleRevision
from tests.conftest import client_for, make_article, make_reviewer

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _revision_form(revision: ArticleRevision, **changes: object) -> dict[str, object]:
    """Return the revision page's form as the admin renders it, with some fields changed."""
    data: dict[str, object] = {
        "why": revision.why,
        "title": revision.title,
        "slug": revision.slug,
        "category": revision.category,
        "summary": revision.summary,
        "body": revision.body,
        "related": [article.pk for article in revision.related.all()],
        "starting_position": revision.starting_position,
        "hold": revision.hold,
        "repetitions": revision.repetitions,
        "cautions": revision.cautions,
        "steps-TOTAL_FORMS": "0",
        "steps-INITIAL_FORMS": "0",
        "sources-TOTAL_FORMS": str(revision.sources.count()),
        "sources-INITIAL_FORMS": str(revision.sources.count()),
    }
    for index, source in enumerate(revision.sources.all()):
        data.update(
            {
                f"sources-{index}-id": source.pk,
                f"sources-{index}-revision": revision.pk,
                f"sources-{index}-position": source.position,
                f"sources-{index}-title": source.title,
                f"sources-{index}-publisher": source.publisher,
                f"sources-{index}-year": source.year,
                f"sources-{index}-url": source.url,
            }
        )
    data.update(changes)
    return data


def propose(client, article: Article) -> ArticleRevision:
    response = client.post(reverse("admin:education_article_propose", args=[article.pk]))
    assert response.status_code == 302
    revision = ArticleRevision.objects.get(article=article, state="pending")
    assert response["Location"] == revision.get_absolute_url()
    return revision


def edit(client, revision: ArticleRevision, **changes: object):
    url = reverse("admin:education_articlerevision_change", args=[revision.pk])
    response = client.post(url, _revision_form(revision, **changes))
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


def review(client, revision: ArticleRevision, **data: object):
    fields = {
        "approve": "1",
        "reviewer_role": "Physiotherapist",
        "next_review_due": (TODAY() + datetime.timedelta(days=365)).isoformat(),
        "note": "",
    }
    fields.update(data)
    fields = {name: value for name, value in fields.items() if value is not None}
    return client.post(
        reverse("admin:education_articlerevision_review", args=[revision.pk]), fields
    )


def page_text(client, article: Article) -> str:
    return html.unescape(client.get(article.get_absolute_url()).content.decode())


# --- An edit to a published article is a pending revision ----------------------------------


def test_an_edit_to_a_published_article_waits_for_a_reviewer(erin, rhys, anonymous) -> None:
    article = make_article(slug="heat", body="Use a warm towel.")
    editor = client_for(erin)

    revision = propose(editor, article)
    edit(editor, revision, body="Use a warm towel or a heat pack, wrapped.")

    # Saved as revision 1, waiting; the public page keeps the approved text.
    revision.refresh_from_db()
    assert revision.state == "pending" and revision.body.startswith("Use a warm towel or")
    assert "heat pack" not in page_text(anonymous, article)
    assert "Use a warm towel." in page_text(anonymous, article)

    response = review(client_for(rhys), revision)

    assert response.status_code == 302
    assert "heat pack" in page_text(anonymous, article)
    article.refresh_from_db()
    assert (article.reviewed_by, article.reviewer_role) == ("Rhys Reviewer", "Physiotherapist")
    assert article.approved_by == rhys
    assert article.last_reviewed == TODAY()
    assert article.next_review_due == TODAY() + datetime.timedelta(days=365)
    revision.refresh_from_db()
    assert (revision.state, revision.decided_by, revision.reviewer_name) == (
        "approved",
        rhys,
        "Rhys Reviewer",
    )
    page = page_text(anonymous, article)
    assert "Rhys Reviewer" in page and "Physiotherapist" in page


def _article_form(article: Article, **changes: object) -> dict[str, object]:
    """Return a published article's admin page form as rendered, with some fields changed."""
    data: dict[str, object] = {
        "title": article.title,
        "slug": article.slug,
        "category": article.category,
        "summary": article.summary,
        "body": article.body,
        "related": [other.pk for other in article.related.all()],
        "starting_position": article.starting_position,
        "hold": article.hold,
        "repetitions": article.repetitions,
        "cautions": article.cautions,
        "steps-TOTAL_FORMS": "0",
        "steps-INITIAL_FORMS": "0",
        "sources-TOTAL_FORMS": str(article.sources.count()),
        "sources-INITIAL_FORMS": str(article.sources.count()),
    }
    for index, source in enumerate(article.sources.all()):
        data.update(
            {
                f"sources-{index}-id": source.pk,
                f"sources-{index}-article": article.pk,
                f"sources-{index}-position": source.position,
                f"sources-{index}-title": source.title,
                f"sources-{index}-publisher": source.publisher,
                f"sources-{index}-year": source.year,
                f"sources-{index}-url": source.url,
            }
        )
    data.update(changes)
    return data


def test_editing_a_published_articles_page_makes_a_revision_not_a_change(
    erin, rhys, anonymous
) -> None:
    article = make_article(slug="heat", title="Heat and cold", body="Use a warm towel.")
    url = reverse("admin:education_article_change", args=[article.pk])
    data = _article_form(article, title="Heat and cold, safely", body="Use a heat pack.")
    data.update(
        {
            "sources-TOTAL_FORMS": "2",
            "sources-1-position": "1",
            "sources-1-title": "Back pain",
            "sources-1-publisher": "NHS",
            "sources-1-year": "2024",
            "sources-1-url": "www.nhs.uk/conditions/back-pain/",
        }
    )

    response = client_for(erin).post(url, data)

    revision = ArticleRevision.objects.get(article=article, state="pending")
    assert response.status_code == 302 and response["Location"] == revision.get_absolute_url()
    assert (revision.title, revision.body, revision.author) == (
        "Heat and cold, safely",
        "Use a heat pack.",
        erin,
    )
    assert [(s.title, s.url) for s in revision.sources.all()] == [
        ("A source", ""),
        ("Back pain", "https://www.nhs.uk/conditions/back-pain/"),
    ]
    article.refresh_from_db()
    assert (article.title, article.body, article.sources.count()) == (
        "Heat and cold",
        "Use a warm towel.",
        1,
    )
    assert "Use a heat pack." not in page_text(anonymous, article)
    # The page now points to the waiting revision and takes no more edits itself.
    assert "Open the waiting revision" in client_for(erin).get(url).content.decode()
    assert review(client_for(rhys), revision).status_code == 302
    assert "Use a heat pack." in page_text(anonymous, article)


def test_an_edit_sent_after_someone_elses_revision_arrived_is_refused_and_said(erin, rhys) -> None:
    article = make_article(slug="heat", title="Heat and cold", body="Use a warm towel.")
    form = _article_form(article, body="Erin's words.")  # erin opened the page before...
    propose(client_for(rhys), article)  # ...rhys proposed a change

    page = (
        client_for(erin)
        .post(reverse("admin:education_article_change", args=[article.pk]), form, follow=True)
        .content.decode()
    )

    assert "is waiting for review, so your edits were not saved" in page
    assert "was changed successfully" not in page
    assert ArticleRevision.objects.get().author == rhys


def test_saving_a_published_articles_page_unchanged_makes_no_revision(erin) -> None:
    article = make_article(slug="heat", title="Heat and cold", body="Use a warm towel.")

    client_for(erin).post(
        reverse("admin:education_article_change", args=[article.pk]), _article_form(article)
    )

    assert not ArticleRevision.objects.exists()


def test_featuring_a_published_article_needs_no_review(erin, anonymous) -> None:
    article = make_article(slug="heat", title="Heat and cold", body="Use a warm towel.")

    client_for(erin).post(
        reverse("admin:education_article_change", args=[article.pk]),
        _article_form(article, featured="on"),
    )

    article.refresh_from_db()
    assert article.featured and not ArticleRevision.objects.exists()


def test_a_second_proposal_opens_the_waiting_revision(erin, rhys) -> None:
    article = make_article(slug="heat")
    first = propose(client_for(erin), article)

    second = propose(client_for(rhys), article)

    assert first == second
    assert set(second.contributors.all()) == {erin, rhys}


def test_the_author_cannot_approve_their_own_revision(rhys, anonymous) -> None:
    article = make_article(slug="heat", body="Old words.")
    reviewer = client_for(rhys)
    revision = propose(reviewer, article)
    edit(reviewer, revision, body="Rhys's new words.")

    page = reviewer.get(reverse("admin:education_articlerevision_review", args=[revision.pk]))
    response = review(reviewer, revision)

    assert "You wrote or changed this revision" in page.content.decode()
    assert 'name="approve"' not in page.content.decode()
    assert response.status_code == 200
    assert "a second person must approve it" in response.content.decode()
    revision.refresh_from_db()
    assert revision.state == "pending"
    assert "Old words." in page_text(anonymous, article)


def test_a_reviewer_who_changed_someone_elses_revision_cannot_approve_it(erin, rhys) -> None:
    article = make_article(slug="heat")
    revision = propose(client_for(erin), article)
    edit(client_for(rhys), revision, body="Rhys fixed a typo.")

    response = review(client_for(rhys), revision)

    assert "a second person must approve it" in response.content.decode()
    revision.refresh_from_db()
    assert revision.state == "pending"
    # Another reviewer, who wrote none of it, may.
    assert (
        review(client_for(make_reviewer("ravi", first="Ravi", last="Rao")), revision).status_code
        == 302
    )


def test_an_editor_cannot_approve(erin) -> None:
    article = make_article(slug="heat")
    revision = propose(client_for(erin), article)
    other_editor_revision_page = client_for(erin).get(
        reverse("admin:education_articlerevision_change", args=[revision.pk])
    )

    response = review(client_for(erin), revision)

    assert "Review and approve" not in other_editor_revision_page.content.decode()
    assert response.status_code == 403
    revision.refresh_from_db()
    assert revision.state == "pending"


def test_a_reviewer_without_a_name_is_refused(erin) -> None:
    nameless = make_reviewer("nameless", first="", last="")
    revision = propose(client_for(erin), make_article(slug="heat"))

    response = review(client_for(nameless), revision)

    assert "Add your first and last name" in response.content.decode()
    revision.refresh_from_db()
    assert revision.state == "pending"


# --- The rules a page meets before publishing ------------------------------------------------


def test_approval_is_refused_without_a_source_and_says_so_next_to_sources(
    erin, rhys, anonymous
) -> None:
    article = make_article(slug="heat", body="Old words.")
    editor = client_for(erin)
    revision = propose(editor, article)
    data = _revision_form(revision, body="New words.")
    data["sources-0-DELETE"] = "on"
    editor.post(reverse("admin:education_articlerevision_change", args=[revision.pk]), data)
    assert revision.sources.count() == 0

    response = review(client_for(rhys), revision)

    page = response.content.decode()
    assert response.status_code == 200
    assert "<strong>Sources:</strong> Add at least one source" in page
    revision.refresh_from_db()
    article.refresh_from_db()
    assert revision.state == "pending"
    assert article.body == "Old words." and article.last_reviewed != TODAY()


def test_approval_is_refused_for_a_link_to_an_unpublished_article(erin, rhys) -> None:
    make_article(slug="secret-draft", status=Article.Status.DRAFT)
    revision = propose(client_for(erin), make_article(slug="heat"))
    edit(
        client_for(erin),
        revision,
        body="See [the draft](/articles/secret-draft/) and [nowhere](/no-such-page/).",
    )

    page = review(client_for(rhys), revision).content.decode()

    assert "“/articles/secret-draft/” links to the article “secret-draft”" in page
    assert "“/no-such-page/” is not a page of this portal" in page
    revision.refresh_from_db()
    assert revision.state == "pending"


def test_links_to_published_articles_and_other_sites_are_fine(erin, rhys) -> None:
    make_article(slug="heat-and-cold-safely")
    revision = propose(client_for(erin), make_article(slug="heat"))
    edit(
        client_for(erin),
        revision,
        body="See [heat](/articles/heat-and-cold-safely/), [help](/get-help/) and "
        "[the NHS](https://www.nhs.uk/conditions/back-pain/).",
    )

    assert review(client_for(rhys), revision).status_code == 302


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reviewer_role": ""}, "Give your role as readers will see it."),
        ({"next_review_due": ""}, "Choose the date of the next review."),
        ({"next_review_due": "2000-01-01"}, "The next review must be after today."),
        ({"next_review_due": "not a date"}, "Enter a date like 2027-12-05."),
        ({"next_review_due": "2099-01-01"}, "Review again within three years."),
    ],
)
def test_the_approval_form_refuses_a_missing_role_or_a_bad_review_date(
    erin, rhys, data, message
) -> None:
    revision = propose(client_for(erin), make_article(slug="heat"))

    response = review(client_for(rhys), revision, **data)

    assert response.status_code == 200
    assert message in response.content.decode()
    # What was typed is kept.
    if data.get("next_review_due"):
        assert data["next_review_due"] in response.content.decode()
    revision.refresh_from_db()
    assert revision.state == "pending"


def test_a_draft_may_be_incomplete(erin) -> None:
    response = client_for(erin).post(
        reverse("admin:education_article_add"),
        {
            "title": "Half written",
            "slug": "half-written",
            "category": "causes",
            "summary": "Not done yet.",
            "body": "",
            "steps-TOTAL_FORMS": "0",
            "steps-INITIAL_FORMS": "0",
            "sources-TOTAL_FORMS": "0",
            "sources-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    draft = Article.objects.get(slug="half-written")
    assert draft.status == "draft" and draft.next_review_due is None and draft.reviewed_by == ""
    page = client_for(erin).get(reverse("admin:education_article_change", args=[draft.pk]))
    text = page.content.decode()
    assert "Before this draft can be published:" in text
    assert "Add at least one source" in text and "Write the body" in text


def test_a_draft_sent_for_review_goes_live_when_approved(erin, rhys, anonymous) -> None:
    draft = make_article(slug="new-one", status=Article.Status.DRAFT, body="Fresh words.")
    Article.objects.filter(pk=draft.pk).update(
        reviewed_by="", last_reviewed=None, next_review_due=None
    )
    revision = propose(client_for(erin), draft)
    assert anonymous.get(draft.get_absolute_url()).status_code == 404

    review(client_for(rhys), revision)

    draft.refresh_from_db()
    assert draft.status == "published" and draft.published_at is not None
    assert "Fresh words." in page_text(anonymous, draft)


def test_a_draft_with_a_revision_waiting_is_locked_until_it_is_decided(erin) -> None:
    draft = make_article(slug="new-one", status=Article.Status.DRAFT, title="Draft title")
    propose(client_for(erin), draft)
    url = reverse("admin:education_article_change", args=[draft.pk])

    client_for(erin).post(
        url,
        {
            "title": "Sneaky",
            "steps-TOTAL_FORMS": "0",
            "steps-INITIAL_FORMS": "0",
            "sources-TOTAL_FORMS": "0",
            "sources-INITIAL_FORMS": "0",
        },
    )

    draft.refresh_from_db()
    assert draft.title == "Draft title"
    assert "Open the waiting revision" in client_for(erin).get(url).content.decode()


# --- Decisions: once only, sent back, withdrawn ----------------------------------------------


def test_a_second_approval_of_the_same_revision_changes_nothing(erin, rhys) -> None:
    article = make_article(slug="heat")
    revision = propose(client_for(erin), article)
    edit(client_for(erin), revision, body="Approved once.")
    review(client_for(rhys), revision)
    article.refresh_from_db()
    approved_at = article.updated_at

    again = review(client_for(make_reviewer("ravi", first="Ravi", last="Rao")), revision)

    assert again.status_code == 200
    assert "no longer waiting for review" in again.content.decode()
    article.refresh_from_db()
    assert article.updated_at == approved_at and article.reviewed_by == "Rhys Reviewer"


def test_sending_back_needs_a_reason_and_leaves_the_article_alone(erin, rhys, anonymous) -> None:
    article = make_article(slug="heat", body="Old words.")
    revision = propose(client_for(erin), article)
    edit(client_for(erin), revision, body="Doubtful words.")
    url = reverse("admin:education_articlerevision_review", args=[revision.pk])

    empty = client_for(rhys).post(url, {"send_back": "1", "decision_note": ""})
    sent = client_for(rhys).post(url, {"send_back": "1", "decision_note": "Cite NICE."})

    assert "Say what needs to change." in empty.content.decode()
    assert sent.status_code == 302
    revision.refresh_from_db()
    assert (revision.state, revision.decision_note) == ("sent_back", "Cite NICE.")
    assert "Old words." in page_text(anonymous, article)
    # A new proposal can start now.
    assert propose(client_for(erin), article).number == 2


def test_withdrawing_a_revision(erin) -> None:
    article = make_article(slug="heat")
    revision = propose(client_for(erin), article)

    client_for(erin).post(reverse("admin:education_articlerevision_withdraw", args=[revision.pk]))

    revision.refresh_from_db()
    assert revision.state == "withdrawn"


def test_a_decided_revision_is_read_only(erin, rhys) -> None:
    article = make_article(slug="heat")
    revision = propose(client_for(erin), article)
    review(client_for(rhys), revision)

    client_for(erin).post(
        reverse("admin:education_articlerevision_change", args=[revision.pk]),
        _revision_form(revision, body="Rewriting history."),
    )

    revision.refresh_from_db()
    assert revision.body != "Rewriting history."


# --- Bulk actions obey the same rules --------------------------------------------------------


def _action(client, action: str, articles: list[Article]):
    return client.post(
        reverse("admin:education_article_changelist"),
        {"action": action, "_selected_action": [article.pk for article in articles]},
        follow=True,
    )


def _approve_once(rhys) -> None:
    """Give rhys a role on record, as a first approval from the review page does."""
    revision = propose(
        client_for(make_reviewer("ed2", first="Ed", last="Two")), make_article(slug="first")
    )
    assert review(client_for(rhys), revision).status_code == 302


def test_bulk_approval_publishes_what_meets_the_rules_and_names_what_does_not(
    erin, rhys, anonymous
) -> None:
    _approve_once(rhys)
    good = make_article(slug="good", status=Article.Status.DRAFT, title="Good one")
    bare = make_article(slug="bare", status=Article.Status.DRAFT, title="Bare one")
    bare.sources.all().delete()
    propose(client_for(erin), good)
    propose(client_for(erin), bare)

    response = _action(client_for(rhys), "approve_waiting", [good, bare])

    page = response.content.decode()
    assert "1 article approved and published" in page
    assert "Bare one: Sources: Add at least one source" in page
    assert anonymous.get(good.get_absolute_url()).status_code == 200
    assert anonymous.get(bare.get_absolute_url()).status_code == 404


def test_bulk_approval_publishes_articles_that_link_to_each_other_together(erin, rhys) -> None:
    _approve_once(rhys)
    first = make_article(slug="one", status=Article.Status.DRAFT, body="See [two](/articles/two/).")
    second = make_article(
        slug="two", status=Article.Status.DRAFT, body="See [one](/articles/one/)."
    )
    propose(client_for(erin), first)
    propose(client_for(erin), second)

    _action(client_for(rhys), "approve_waiting", [first, second])

    assert set(Article.objects.published().values_list("slug", flat=True)) >= {"one", "two"}


def test_bulk_approval_never_approves_the_reviewers_own_revision(rhys) -> None:
    _approve_once(rhys)
    article = make_article(slug="own", status=Article.Status.DRAFT)
    propose(client_for(rhys), article)

    page = _action(client_for(rhys), "approve_waiting", [article]).content.decode()

    assert "a second person must approve it" in page
    article.refresh_from_db()
    assert article.status == "draft"


def test_bulk_approval_is_not_offered_to_editors_and_does_nothing_for_them(erin) -> None:
    article = make_article(slug="new-one", status=Article.Status.DRAFT)
    propose(client_for(erin), article)

    page = client_for(erin).get(reverse("admin:education_article_changelist")).content.decode()
    _action(client_for(erin), "approve_waiting", [article])

    assert "approve_waiting" not in page
    article.refresh_from_db()
    assert article.status == "draft"


# --- Protected pages and links that must not break -------------------------------------------


def test_when_to_get_help_cannot_be_deleted_one_at_a_time_or_in_bulk(erin, anonymous) -> None:
    help_page = make_article(slug="when-to-get-help", title="When to get help")
    editor = client_for(erin)
    delete_url = reverse("admin:education_article_delete", args=[help_page.pk])

    page = html.unescape(editor.get(delete_url).content.decode())
    posted = editor.post(delete_url, {"post": "yes"})
    bulk = editor.post(
        reverse("admin:education_article_changelist"),
        {"action": "delete_selected", "_selected_action": [help_page.pk], "post": "yes"},
    )

    assert "cannot be deleted" in page and "The portal's own pages link to" in page
    assert posted.status_code in (200, 403)
    assert "Nothing was deleted" in bulk.content.decode()
    assert Article.objects.filter(pk=help_page.pk).exists()
    assert anonymous.get(help_page.get_absolute_url()).status_code == 200


def test_a_protected_page_cannot_be_unpublished(erin, anonymous) -> None:
    help_page = make_article(slug="when-to-get-help", title="When to get help")

    single = client_for(erin).post(
        reverse("admin:education_article_unpublish", args=[help_page.pk]), follow=True
    )
    bulk = _action(client_for(erin), "unpublish_selected", [help_page])

    for response in (single, bulk):
        assert "cannot be unpublished" in response.content.decode()
    assert anonymous.get(help_page.get_absolute_url()).status_code == 200


def test_a_protected_page_cannot_move_to_another_address(erin, rhys, anonymous) -> None:
    help_page = make_article(slug="when-to-get-help", title="When to get help")
    revision = propose(client_for(erin), help_page)
    edit(client_for(erin), revision, slug="help-now", title="Get help now")

    page = review(client_for(rhys), revision).content.decode()

    assert "its address cannot change" in page
    assert anonymous.get("/articles/when-to-get-help/").status_code == 200


def test_a_protected_page_may_get_a_new_title(erin, rhys, anonymous) -> None:
    help_page = make_article(slug="when-to-get-help", title="When to get help")
    revision = propose(client_for(erin), help_page)
    edit(client_for(erin), revision, title="When to get medical help")

    assert review(client_for(rhys), revision).status_code == 302
    assert "When to get medical help" in page_text(anonymous, help_page)


def test_an_article_other_pages_link_to_cannot_be_unpublished_or_moved(
    erin, rhys, anonymous
) -> None:
    target = make_article(slug="massage", title="Massage")
    make_article(slug="self-help", title="Self help", body="Try [massage](/articles/massage/).")

    refused = client_for(erin).post(
        reverse("admin:education_article_unpublish", args=[target.pk]), follow=True
    )
    revision = propose(client_for(erin), target)
    edit(client_for(erin), revision, slug="gentle-massage")
    moved = review(client_for(rhys), revision).content.decode()

    assert "These published articles link to “Massage”: “Self help”" in refused.content.decode()
    assert "These published articles link to “massage”: “Self help”" in moved
    assert anonymous.get(target.get_absolute_url()).status_code == 200


def test_articles_that_link_to_each_other_can_be_unpublished_together(erin, anonymous) -> None:
    first = make_article(slug="one", title="One", body="See [two](/articles/two/).")
    second = make_article(slug="two", title="Two", body="See [one](/articles/one/).")
    linked_from_outside = make_article(slug="three", title="Three")
    make_article(slug="four", title="Four", body="See [three](/articles/three/).")

    alone = _action(client_for(erin), "unpublish_selected", [first]).content.decode()
    together = _action(
        client_for(erin), "unpublish_selected", [first, second, linked_from_outside]
    ).content.decode()

    assert "These published articles link to “One”: “Two”" in alone
    assert "2 articles unpublished" in together
    assert "These published articles link to “Three”: “Four”" in together
    assert anonymous.get("/articles/one/").status_code == 404
    assert anonymous.get("/articles/two/").status_code == 404
    assert anonymous.get("/articles/three/").status_code == 200


def test_an_article_once_approved_keeps_its_history_and_cannot_be_deleted(erin, rhys) -> None:
    article = make_article(slug="lonely", title="Lonely")
    review(client_for(rhys), propose(client_for(erin), article))
    client_for(erin).post(reverse("admin:education_article_unpublish", args=[article.pk]))

    page = html.unescape(
        client_for(erin)
        .post(reverse("admin:education_article_delete", args=[article.pk]), {"post": "yes"})
        .content.decode()
    )

    assert "was published once: its history of reviews is kept" in page
    assert Article.objects.filter(pk=article.pk).exists()
    assert article.revisions.count() == 1


def test_a_draft_never_published_goes_with_its_withdrawn_revision(erin) -> None:
    draft = make_article(slug="idea", status=Article.Status.DRAFT)
    revision = propose(client_for(erin), draft)
    client_for(erin).post(reverse("admin:education_articlerevision_withdraw", args=[revision.pk]))

    client_for(erin).post(
        reverse("admin:education_article_delete", args=[draft.pk]), {"post": "yes"}
    )

    assert not Article.objects.filter(pk=draft.pk).exists()
    assert not ArticleRevision.objects.filter(pk=revision.pk).exists()


def test_an_article_nothing_links_to_can_be_unpublished_then_deleted(erin, anonymous) -> None:
    article = make_article(slug="lonely", title="Lonely")
    editor = client_for(erin)

    published_delete = editor.get(reverse("admin:education_article_delete", args=[article.pk]))
    editor.post(reverse("admin:education_article_unpublish", args=[article.pk]))
    assert anonymous.get("/articles/lonely/").status_code == 404
    editor.post(reverse("admin:education_article_delete", args=[article.pk]), {"post": "yes"})

    assert "unpublish it before deleting it" in published_delete.content.decode()
    assert not Article.objects.filter(pk=article.pk).exists()


# --- History: each revision with a readable difference; restore ------------------------------


def test_history_shows_every_revision_with_its_whole_difference(erin, rhys) -> None:
    long_tail = " ".join(f"word{number}" for number in range(2000))
    article = make_article(slug="heat", body=f"Use a warm towel. {long_tail}")
    for new_body in (f"Use a heat pack. {long_tail}", f"Use a heat pack, wrapped. {long_tail}"):
        revision = propose(client_for(erin), article)
        edit(client_for(erin), revision, body=new_body)
        review(client_for(rhys), revision)

    page = client_for(erin).get(reverse("admin:education_article_history", args=[article.pk]))

    text = page.content.decode()
    assert "Revision 2: Approved and published" in text and "Revision 1:" in text
    assert "Use a <del>warm towel</del><ins>heat pack</ins>. word0" in text
    assert "Use a heat pack<ins>, wrapped</ins>. word0" in text
    assert "word1999" in text  # nothing cut
    assert "Approved by Rhys Reviewer (Physiotherapist)" in text


def test_restoring_an_old_revision_proposes_it_again(erin, rhys, anonymous) -> None:
    article = make_article(slug="heat", body="Version A.")
    first = propose(client_for(erin), article)
    edit(client_for(erin), first, body="Version B.")
    review(client_for(rhys), first)
    second = propose(client_for(erin), article)
    edit(client_for(erin), second, body="Version C.")
    review(client_for(rhys), second)

    response = client_for(erin).post(
        reverse("admin:education_articlerevision_restore", args=[first.pk])
    )

    restored = ArticleRevision.objects.get(article=article, state="pending")
    assert response["Location"] == restored.get_absolute_url()
    assert (restored.number, restored.body, restored.restored_from) == (3, "Version B.", first)
    assert "Version C." in page_text(anonymous, article)  # live only after approval
    assert review(client_for(rhys), restored).status_code == 302
    assert "Version B." in page_text(anonymous, article)


def test_restoring_is_refused_while_another_revision_waits(erin, rhys) -> None:
    article = make_article(slug="heat")
    first = propose(client_for(erin), article)
    review(client_for(rhys), first)
    propose(client_for(erin), article)

    response = client_for(erin).post(
        reverse("admin:education_articlerevision_restore", args=[first.pk]), follow=True
    )

    assert "is waiting for review" in response.content.decode()
    assert ArticleRevision.objects.filter(article=article).count() == 2
