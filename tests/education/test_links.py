"""Links into the library: none of them may lead a reader nowhere."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from education.links import broken_links, internal_links
from education.models import PROTECTED_ARTICLES
from tracker.dashboard import RELIEF_ARTICLES, TRIGGER_ARTICLES

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
ARTICLE_URL_IN_TEMPLATE = re.compile(
    r"""\{% url ['"]education:article_detail['"] ['"]([\w-]+)['"]"""
)


def test_internal_links_are_found_and_other_sites_and_mail_are_not() -> None:
    body = (
        "See [heat](/articles/heat/), [help](/get-help/), [nowhere](/no-such-page/), "
        "[relative](articles/heat/), [NHS](https://www.nhs.uk/), [mail](mailto:a@b.org) and "
        "[ours](https://portal.example/articles/own/)."
    )

    found = {link.href: (link.article_slug, link.resolves) for link in internal_links(body)}

    assert found == {
        "/articles/heat/": ("heat", True),
        "/get-help/": (None, True),
        "/no-such-page/": (None, False),
        "articles/heat/": (None, False),
    }


def test_a_link_to_the_portal_by_its_full_address_counts_as_internal(settings) -> None:
    settings.PORTAL_SITE_URL = "https://care.example"

    problems = broken_links(
        "[x](https://care.example/articles/gone/)", published_slugs=set(), own_slug="here"
    )

    assert problems == [
        "“https://care.example/articles/gone/” links to the article “gone”, which does not "
        "exist or is not published."
    ]


def test_a_link_to_the_article_itself_is_fine_before_it_is_published() -> None:
    assert broken_links("[top](/articles/here/)", published_slugs=set(), own_slug="here") == []


def test_every_internal_link_of_the_published_library_opens(published_library, anonymous) -> None:
    walked = 0
    for article in published_library:
        links = [link.path for link in internal_links(article.body)]
        links += [other.get_absolute_url() for other in article.related.all()]
        for path in links:
            response = anonymous.get(path)
            assert response.status_code == 200, f"{article.slug} links to {path}: {response}"
            walked += 1
    assert walked >= 40  # the library is well linked; a walk of nothing proves nothing


def test_every_article_the_portals_own_pages_name_is_protected() -> None:
    named = set(TRIGGER_ARTICLES.values()) | set(RELIEF_ARTICLES.values())
    for template in TEMPLATES.rglob("*.html"):
        named |= set(ARTICLE_URL_IN_TEMPLATE.findall(template.read_text()))

    assert "when-to-get-help" in named
    assert named <= PROTECTED_ARTICLES, named - PROTECTED_ARTICLES


def test_every_article_the_portals_own_pages_name_is_published(
    published_library, anonymous
) -> None:
    for slug in sorted(PROTECTED_ARTICLES):
        assert anonymous.get(f"/articles/{slug}/").status_code == 200, slug
