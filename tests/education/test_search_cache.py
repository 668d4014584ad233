"""The search page is kept for visitors per normalised query (education.pages), never for a
signed-in person or a bad query, and forgotten when an editor changes what the public reads."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.run import TRANSACTION_CONTROL
from tests.conftest import client_for, make_article
from tests.education.test_editorial_admin import edit, propose, review

pytestmark = pytest.mark.django_db

SEARCH = reverse("education:search")


def found(client, query: str) -> str:
    response = client.get(SEARCH, {"q": query})
    assert response.status_code == 200
    return response.content.decode()


def test_a_visitor_gets_the_page_of_the_same_normalised_query_without_a_query(
    anonymous, django_assert_num_queries
) -> None:
    make_article(slug="heat", title="Heat and cold")
    first = anonymous.get(SEARCH, {"q": "Heat  pack"})
    with django_assert_num_queries(0):
        second = anonymous.get(SEARCH, {"q": " heat PACK\t"})
    assert second.status_code == 200
    assert second.content == first.content
    # The page shows the query as it was normalised, which every sharer of the page typed.
    assert 'value="heat pack"' in second.content.decode()


def test_another_query_is_searched_afresh(anonymous) -> None:
    make_article(slug="heat", title="Heat and cold")
    make_article(slug="stretch", title="Gentle stretching")
    assert "Heat and cold" in found(anonymous, "heat")
    with CaptureQueriesContext(connection) as captured:
        page = found(anonymous, "stretching")
    # The search itself, in the transaction a page to be kept is rendered in (education.pages).
    searched = [
        query["sql"] for query in captured if not query["sql"].startswith(TRANSACTION_CONTROL)
    ]
    assert len(searched) == 1, searched
    assert "Gentle stretching" in page and "Heat and cold" not in page


def test_the_kept_page_carries_no_token_cookie_or_signed_in_navigation(anonymous, alice) -> None:
    make_article(slug="heat", title="Heat and cold")
    # Alice searches first: her page must not be kept for visitors.
    assert "Your tracker" in found(client_for(alice), "heat")
    response = anonymous.get(SEARCH, {"q": "heat"})
    kept = anonymous.get(SEARCH, {"q": "heat"})
    for page in (response, kept):
        text = page.content.decode()
        assert "Heat and cold" in text
        assert "csrfmiddlewaretoken" not in text and "Your tracker" not in text
        assert not page.cookies


def test_a_signed_in_person_never_gets_the_visitors_page(anonymous, alice) -> None:
    make_article(slug="heat", title="Heat and cold")
    found(anonymous, "heat")
    with CaptureQueriesContext(connection) as queries:
        page = found(client_for(alice), "heat")
    assert "Your tracker" in page and "Heat and cold" in page
    assert any("education_article" in query["sql"] for query in queries)


def test_bad_queries_are_never_shared(anonymous) -> None:
    # Each keeps what its reader typed, so no page of one can be served for another, even for
    # queries that would normalise alike.
    for typed in ("Stretch " * 40, "stretch  " * 40):
        page = found(anonymous, typed)
        assert "at most 200 characters" in page and typed.strip() in page
    assert "character we cannot read" in found(anonymous, "heat\x00")
    assert "character we cannot read" in found(anonymous, "cold\x00")
    assert "Type a word or two" in found(anonymous, "")
    assert "Type a word or two" in found(anonymous, "   ")


def test_publishing_an_article_shows_in_the_visitors_search(anonymous, erin, rhys) -> None:
    draft = make_article(slug="sciatica", title="Sciatica", status="draft")
    assert "0 articles found" in found(anonymous, "sciatica")
    review(client_for(rhys), propose(client_for(erin), draft))
    assert "1 article found" in found(anonymous, "sciatica")


def test_an_approved_edit_shows_in_the_visitors_search(anonymous, erin, rhys) -> None:
    article = make_article(slug="heat", title="Heat and cold")
    assert "Heat and cold" in found(anonymous, "heat")
    revision = propose(client_for(erin), article)
    edit(client_for(erin), revision, title="Heat, cold and rest")
    assert "Heat and cold" in found(anonymous, "heat")  # waiting for review: unchanged
    review(client_for(rhys), revision)
    assert "Heat, cold and rest" in found(anonymous, "heat")


def test_unpublishing_an_article_takes_it_out_of_the_visitors_search(anonymous, erin) -> None:
    article = make_article(slug="heat", title="Heat and cold")
    assert "Heat and cold" in found(anonymous, "heat")
    client_for(erin).post(
        reverse("admin:education_article_changelist"),
        {"action": "unpublish_selected", "_selected_action": [article.pk]},
    )
    assert "Heat and cold" not in found(anonymous, "heat")
