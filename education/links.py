"""Find the links an article body makes to the portal's own pages, and which of them would
break: an article that does not exist or is not published, or a path that leads nowhere."""

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from education.markdown import render_markdown


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


@dataclass(frozen=True)
class InternalLink:
    href: str  # as written in the body
    path: str
    article_slug: str | None  # set when the path is an article's page
    resolves: bool


def _site_hosts() -> set[str]:
    hosts = {urlsplit(settings.PORTAL_SITE_URL).hostname or ""}
    return {host for host in hosts if host}


def internal_links(markdown: str) -> list[InternalLink]:
    """Return the links of the body that point into the portal, in the order written."""
    parser = _Anchors()
    parser.feed(render_markdown(markdown))
    links = []
    for href in parser.hrefs:
        parts = urlsplit(href)
        if parts.scheme in ("mailto", "tel"):
            continue
        if parts.netloc and parts.hostname not in _site_hosts():
            continue  # another site
        if not parts.netloc and not parts.path.startswith("/"):
            if parts.path:  # a relative link would depend on the page it sits on
                links.append(InternalLink(href, parts.path, None, False))
            continue
        path = parts.path or "/"
        try:
            match = resolve(path)
        except Resolver404:
            links.append(InternalLink(href, path, None, False))
            continue
        slug = match.kwargs.get("slug") if match.view_name == "education:article_detail" else None
        links.append(InternalLink(href, path, slug, True))
    return links


def broken_links(markdown: str, *, published_slugs: set[str], own_slug: str) -> list[str]:
    """Return a message for each internal link that would lead a reader nowhere."""
    problems = []
    for link in internal_links(markdown):
        if not link.resolves:
            problems.append(_("“%(href)s” is not a page of this portal.") % {"href": link.href})
        elif link.article_slug is not None and link.article_slug != own_slug:
            if link.article_slug not in published_slugs:
                problems.append(
                    _(
                        "“%(href)s” links to the article “%(slug)s”, which does not exist "
                        "or is not published."
                    )
                    % {"href": link.href, "slug": link.article_slug}
                )
    return problems
