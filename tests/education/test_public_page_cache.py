"""Public pages are cached whole for visitors, never for a signed-in person, and forgotten on
any change an editor makes."""

import time
from collections.abc import Callable

import pytest
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.core.management import call_command
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.test import RequestFactory
from django.urls import reverse

from accounts.roles import CONTENT_EDITORS
from education.models import Article
from education.pages import GENERATION_KEY, forget_public_pages, public_page
from tests.conftest import client_for, make_article, make_user

pytestmark = pytest.mark.django_db


def test_a_visitor_gets_the_cached_page_without_a_query(
    anonymous, django_assert_num_queries
) -> None:
    article = make_article(slug="heat", title="Heat and cold", steps=("one",))
    first = anonymous.get(article.get_absolute_url())
    with django_assert_num_queries(0):
        second = anonymous.get(article.get_absolute_url())
    assert second.status_code == 200
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    # The middleware still runs on a cached page: its security headers are all there.
    for header in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"):
        assert second[header] == first[header]


@pytest.mark.parametrize(
    "url",
    [
        reverse("home"),
        reverse("education:article_list"),
        reverse("education:category", args=["causes"]),
    ],
)
def test_the_lists_are_cached_for_visitors(anonymous, url, django_assert_num_queries) -> None:
    make_article(slug="heat")
    anonymous.get(url)
    with django_assert_num_queries(0):
        assert anonymous.get(url).status_code == 200


def test_a_signed_in_person_never_gets_or_leaves_a_cached_page(anonymous, alice) -> None:
    article = make_article(slug="heat")
    signed_in = "Your tracker"  # the navigation of a signed-in person
    # Alice first: her page must not be kept for visitors.
    assert signed_in in client_for(alice).get(article.get_absolute_url()).content.decode()
    assert signed_in not in anonymous.get(article.get_absolute_url()).content.decode()
    # Now the visitor's page is cached; Alice still gets her own, not it.
    page = client_for(alice).get(article.get_absolute_url())
    assert signed_in in page.content.decode()
    assert "no-store" in page["Cache-Control"]


def test_an_editors_change_in_the_admin_shows_at_once(anonymous) -> None:
    article = make_article(slug="heat", title="Heat and cold")
    assert "Heat and cold" in anonymous.get(article.get_absolute_url()).content.decode()
    editor = make_user("editor", groups=(CONTENT_EDITORS,), is_staff=True)
    client_for(editor).post(
        reverse("admin:education_article_changelist"),
        {"action": "unpublish_selected", "_selected_action": [article.pk]},
    )
    assert Article.objects.get(pk=article.pk).status == Article.Status.DRAFT
    assert anonymous.get(article.get_absolute_url()).status_code == 404


def test_loading_the_library_forgets_the_cached_pages(anonymous, rhys) -> None:
    article = make_article(slug="heat", title="Old title")
    anonymous.get(article.get_absolute_url())
    Article.objects.filter(pk=article.pk).update(title="New title")
    assert "Old title" in anonymous.get(article.get_absolute_url()).content.decode()
    call_command("load_articles", approve_as="rhys", role="Physiotherapist", verbosity=0)
    assert "New title" in anonymous.get(article.get_absolute_url()).content.decode()


def visitor_request(rf: RequestFactory) -> HttpRequest:
    request = rf.get("/some/page/")
    request.user = AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def counting_view(calls: list[str], *, with_token: bool = False) -> Callable:
    @public_page
    def view(request: HttpRequest) -> HttpResponse:
        calls.append(request.path)
        return HttpResponse(get_token(request) if with_token else "the page")

    return view


def test_a_message_waiting_for_the_visitor_bypasses_the_cache(rf) -> None:
    calls: list[str] = []
    view = counting_view(calls)
    view(visitor_request(rf))
    view(visitor_request(rf))
    assert len(calls) == 1  # the second came from the cache
    with_message = visitor_request(rf)
    messages.info(with_message, "You were logged out after 30 minutes without activity.")
    view(with_message)
    assert len(calls) == 2


def test_a_page_with_a_form_token_is_never_cached(rf) -> None:
    calls: list[str] = []
    view = counting_view(calls, with_token=True)
    view(visitor_request(rf))
    view(visitor_request(rf))
    assert len(calls) == 2


def test_a_missing_article_is_not_cached(anonymous) -> None:
    url = reverse("education:article_detail", args=["later"])
    assert anonymous.get(url).status_code == 404
    make_article(slug="later")
    assert anonymous.get(url).status_code == 200


UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "portal.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
    }
}


def test_a_cache_that_is_down_does_not_take_the_pages_down(anonymous, settings, caplog) -> None:
    article = make_article(slug="heat", title="Heat and cold")
    settings.CACHES = UNREACHABLE_REDIS
    from django.core.cache import caches

    caches.close_all()
    try:
        for url in (article.get_absolute_url(), reverse("home")):
            assert anonymous.get(url).status_code == 200
        # An editor's change is still saved when the cache cannot be told.
        editor = make_user("editor", groups=(CONTENT_EDITORS,), is_staff=True)
        response = client_for(editor).post(
            reverse("admin:education_article_changelist"),
            {"action": "unpublish_selected", "_selected_action": [article.pk]},
        )
        assert response.status_code == 302
        assert Article.objects.get(pk=article.pk).status == Article.Status.DRAFT
        assert "The page cache is unavailable" in caplog.text
    finally:
        caches.close_all()


def test_with_a_replica_a_page_made_just_after_a_change_is_served_but_not_kept(
    rf, settings
) -> None:
    """A replica may not have an editor's change for a few seconds: a page rendered then is
    served (a few seconds old, as any page read there) but not kept for minutes."""
    settings.PUBLIC_PAGE_SETTLE_SECONDS = 6
    calls: list[str] = []
    view = counting_view(calls)
    forget_public_pages()  # an editor's change, now
    view(visitor_request(rf))
    view(visitor_request(rf))
    assert len(calls) == 2  # neither kept
    # The same generation, 7 seconds on: every replica in use has the change.
    cache.set(GENERATION_KEY, time.time_ns() - 7 * 1_000_000_000, timeout=None)
    view(visitor_request(rf))
    view(visitor_request(rf))
    assert len(calls) == 3  # kept, then served from the cache
