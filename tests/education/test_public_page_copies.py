"""With Redis, each process keeps the public pages it served for a few seconds; Redis stays the
shared truth. These run against the real Redis of the machine (PORTAL_TEST_REDIS_URL, database
15 by default); without one they are skipped, which CI's PostgreSQL run counts as a failure."""

import os
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import redis
from django.core.cache import cache, caches
from django.core.cache.backends import locmem
from django.urls import reverse

from accounts.roles import CONTENT_EDITORS
from education.models import Article
from education.pages import GENERATION_KEY, forget_public_pages
from tests.conftest import client_for, make_article, make_user

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def shared_redis(settings) -> Iterator[redis.Redis]:
    """Redis as the shared cache, plus each process's local copies, as production has them."""
    server = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        server.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL} (start redis-server, or set PORTAL_TEST_REDIS_URL)")
    server.flushdb()
    settings.CACHES = {
        "default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": REDIS_URL},
        "local": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "test-public-page-copies",
        },
    }
    settings.PUBLIC_PAGE_LOCAL_SECONDS = 2
    caches.close_all()
    caches["local"].clear()
    yield server
    caches["local"].clear()
    caches.close_all()
    server.flushdb()
    server.close()


def later(monkeypatch, seconds: float) -> None:
    """Move the clock the local copies expire by on, as if that many seconds had passed."""
    now = time.time() + seconds
    monkeypatch.setattr(locmem, "time", SimpleNamespace(time=lambda: now))


def test_the_redis_backend_keeps_one_client_and_round_trips_values(shared_redis) -> None:
    backend = caches["default"]._cache
    assert backend.get_client() is backend.get_client()
    assert backend.get_client(write=True) is backend.get_client()  # one server: one client
    cache.set("a", ("page", b"\x00bytes"), timeout=30)
    assert cache.get_many(["a", "missing"]) == {"a": ("page", b"\x00bytes")}
    assert 0 < shared_redis.ttl(":1:a") <= 30
    assert cache.delete("a")
    assert cache.get("a") is None


def test_a_visitors_page_is_kept_in_redis_and_in_the_process(anonymous, shared_redis) -> None:
    article = make_article(slug="heat", title="Heat and cold")
    first = anonymous.get(article.get_absolute_url())
    assert len(shared_redis.keys(":1:public-page:*")) == 1
    # Redis loses everything; the process still has its copy, for a while.
    shared_redis.flushdb()
    second = anonymous.get(article.get_absolute_url())
    assert second.content == first.content
    assert shared_redis.keys(":1:public-page:*") == []  # the view did not run again


def test_another_servers_change_shows_once_the_local_copy_expires(
    anonymous, shared_redis, monkeypatch
) -> None:
    article = make_article(slug="heat", title="Old title")
    assert "Old title" in anonymous.get(article.get_absolute_url()).content.decode()
    # Another server saves a change: the database and Redis's generation change, not this
    # process's copies.
    Article.objects.filter(pk=article.pk).update(title="New title")
    cache.set(GENERATION_KEY, time.time_ns(), timeout=None)
    assert "Old title" in anonymous.get(article.get_absolute_url()).content.decode()
    later(monkeypatch, 1.5)
    assert "Old title" in anonymous.get(article.get_absolute_url()).content.decode()
    later(monkeypatch, 2.5)
    assert "New title" in anonymous.get(article.get_absolute_url()).content.decode()


def mget_calls(server: redis.Redis) -> int:
    """How many MGETs the Redis server has answered: each is one page looked up there."""
    return server.info("commandstats").get("cmdstat_mget", {}).get("calls", 0)


def test_the_process_asks_redis_again_only_when_its_copy_expires(
    anonymous, shared_redis, monkeypatch
) -> None:
    article = make_article(slug="heat", title="Heat and cold")
    anonymous.get(article.get_absolute_url())
    asked = mget_calls(shared_redis)
    Article.objects.filter(pk=article.pk).update(title="Changed without telling the cache")
    anonymous.get(article.get_absolute_url())
    assert mget_calls(shared_redis) == asked  # the process's own copy
    later(monkeypatch, 3)
    page = anonymous.get(article.get_absolute_url()).content.decode()
    assert mget_calls(shared_redis) == asked + 1
    # Redis's copy is still current (no generation change), so the view did not run.
    assert "Heat and cold" in page


def test_an_editors_change_shows_at_once_on_their_own_server(anonymous, shared_redis) -> None:
    article = make_article(slug="heat", title="Heat and cold")
    assert anonymous.get(article.get_absolute_url()).status_code == 200
    editor = make_user("editor", groups=(CONTENT_EDITORS,), is_staff=True)
    client_for(editor).post(
        reverse("admin:education_article_changelist"),
        {"action": "unpublish_selected", "_selected_action": [article.pk]},
    )
    assert anonymous.get(article.get_absolute_url()).status_code == 404


def test_forgetting_drops_the_local_copies_even_when_redis_is_down(
    anonymous, shared_redis, settings, caplog
) -> None:
    article = make_article(slug="heat", title="Old title")
    anonymous.get(article.get_absolute_url())
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
    }
    caches.close_all()
    # While the local copy lasts, the page is served from it without Redis.
    assert "Old title" in anonymous.get(article.get_absolute_url()).content.decode()
    Article.objects.filter(pk=article.pk).update(title="New title")
    forget_public_pages()
    assert "The page cache is unavailable" in caplog.text
    assert "New title" in anonymous.get(article.get_absolute_url()).content.decode()
