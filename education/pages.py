"""Whole-page caching of the public pages, for visitors who are not signed in.

Articles are the same for every visitor, so the rendered page is kept in Django's cache (local
memory by default; Redis when REDIS_URL is set, shared by every server) and the view does not
run again. Never for a signed-in person: their pages carry their name and may carry their
red-flag advice. Never for a page that set a cookie, used a CSRF token or showed a message.

The search page is kept the same way, under its normalised query rather than its address
(education.views.search).

Any change made in the admin or by `load_articles` calls forget_public_pages(), which starts a
new generation: a kept page records the generation it was rendered in, and one from an older
generation is stale. With a read replica, pages rendered in the first seconds of a generation
are served but not kept (_settled). With local memory each server process has its own cache, so
another process may show the old page for up to PUBLIC_PAGE_CACHE_SECONDS; with Redis the
change shows on every server within PUBLIC_PAGE_LOCAL_SECONDS.

With Redis, each process also keeps its own copy of a page it served, in the "local" cache, for
PUBLIC_PAGE_LOCAL_SECONDS (2 by default) without asking Redis again. A Redis round trip on
every view cost a busy server 40 % of its article-page throughput (docs/performance.md); the
copy costs an editor's change up to those seconds to reach the other processes. The process
that made the change drops its copies at once.
"""

import hashlib
import logging
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache, caches
from django.core.cache.backends.base import BaseCache
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

GENERATION_KEY = "public-pages:generation"
View = Callable[..., HttpResponseBase]
LOCAL_COPIES = "local"  # the alias in settings.CACHES, present with Redis only
logger = logging.getLogger(__name__)


class CacheUnavailable(Exception):
    """The cache did not answer; the page is rendered as if nothing were cached."""


def _cache(operation: Callable[[], object]) -> object:
    # A cache that is down (Redis restarting, say) must not take the public pages down with it.
    try:
        return operation()
    except Exception as error:  # each cache backend raises its own errors
        logger.warning("The page cache is unavailable: %r", error)
        raise CacheUnavailable from error


def _generation() -> int:
    generation = _cache(lambda: cache.get(GENERATION_KEY))
    if generation is None:
        _cache(lambda: cache.add(GENERATION_KEY, time.time_ns(), timeout=None))
        generation = _cache(lambda: cache.get(GENERATION_KEY, 0))
    return generation


def _settled(generation: int) -> bool:
    """Whether a page rendered now may be kept: PUBLIC_PAGE_SETTLE_SECONDS have passed since the
    change that started this generation (its value is the time of that change, in ns).

    Where pages read from a read replica, one rendered just after an editor's change may come
    from a replica that does not have it yet: served, it is a few seconds old, as any page read
    there; kept, it would be old for PUBLIC_PAGE_CACHE_SECONDS. So until every replica in use
    must have the change, pages are served but not kept. Without a replica the wait is 0.
    """
    return time.time_ns() - generation >= settings.PUBLIC_PAGE_SETTLE_SECONDS * 1_000_000_000


def _local_copies() -> BaseCache | None:
    return caches[LOCAL_COPIES] if LOCAL_COPIES in settings.CACHES else None


def forget_public_pages() -> None:
    """Make every cached public page stale, after an article or its parts changed.

    If the cache is down the change is saved all the same (and logged): cached copies then last
    at most PUBLIC_PAGE_CACHE_SECONDS.
    """
    if (local := _local_copies()) is not None:
        local.clear()
    try:
        _cache(lambda: cache.set(GENERATION_KEY, time.time_ns(), timeout=None))
    except CacheUnavailable:
        pass


def _cacheable_request(request: HttpRequest) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not request.user.is_authenticated
        # A message waiting to be shown (after logging out, say) is for this visitor only.
        and not get_messages(request)
    )


def _cacheable_response(request: HttpRequest, response: HttpResponseBase) -> bool:
    return (
        response.status_code == 200
        and isinstance(response, HttpResponse)
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
    )


def public_page(view: View) -> View:
    """Serve a visitor's page from the cache, rendering and keeping it on a miss."""
    return public_page_kept_by(_full_path)(view)


def _full_path(request: HttpRequest) -> str:
    return request.get_full_path()


def public_page_kept_by(key_of: Callable[[HttpRequest], str | None]) -> Callable[[View], View]:
    """Return public_page's decorator keeping a page under key_of(request), not its address.

    Requests that key_of gives the same name share one page; None means the page is not kept.
    """
    return lambda view: _cached_for_visitors(view, key_of=key_of)


def _cached_for_visitors(view: View, *, key_of: Callable[[HttpRequest], str | None]) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        if not _cacheable_request(request):
            return view(request, *args, **kwargs)
        name = key_of(request)
        if name is None:
            return view(request, *args, **kwargs)
        key = "public-page:" + hashlib.sha256(name.encode()).hexdigest()
        local = _local_copies()
        if local is not None and (page := local.get(key)) is not None:
            return _response(page)
        # One round trip: the current generation and the kept page, which records the
        # generation it was rendered in. A page from an older generation is stale.
        try:
            kept = _cache(lambda: cache.get_many([GENERATION_KEY, key]))
            generation = kept.get(GENERATION_KEY) or _generation()
        except CacheUnavailable:
            return view(request, *args, **kwargs)
        page = kept.get(key)
        if page is not None and page[0] == generation:
            _keep_locally(local, key, page)
            return _response(page)
        response = view(request, *args, **kwargs)
        if hasattr(response, "render"):
            response.render()  # a TemplateResponse, from the class-based views
        if _cacheable_response(request, response) and _settled(generation):
            page = (generation, response.content, response["Content-Type"])
            try:
                _cache(lambda: cache.set(key, page, timeout=settings.PUBLIC_PAGE_CACHE_SECONDS))
            except CacheUnavailable:
                return response  # served, just not kept
            _keep_locally(local, key, page)
        return response

    return wrapper


def _response(page: tuple[int, bytes, str]) -> HttpResponse:
    _generation_of_page, content, content_type = page
    return HttpResponse(content, content_type=content_type)


def _keep_locally(local: BaseCache | None, key: str, page: tuple[int, bytes, str]) -> None:
    if local is not None:
        local.set(key, page, timeout=settings.PUBLIC_PAGE_LOCAL_SECONDS)
