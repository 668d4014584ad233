"""Static files as production serves them: hashed names, brotli and gzip, cached for a year;
and what an article page costs a visitor to download."""

import re

import pytest

from tests.conftest import make_article

pytestmark = pytest.mark.django_db

ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')
HASHED = re.compile(r"\.[0-9a-f]{12}\.(?:css|js|svg)$")
ONE_YEAR = 365 * 24 * 3600
# The budget for everything an article page downloads.
ARTICLE_PAGE_BUDGET = 100 * 1024


def assets_of(page: str) -> list[str]:
    return ASSET.findall(page)


def max_age(response) -> int:
    match = re.search(r"max-age=(\d+)", response["Cache-Control"])
    return int(match.group(1)) if match else 0


def body_size(response) -> int:
    return len(b"".join(response.streaming_content if response.streaming else [response.content]))


def test_every_asset_has_a_hashed_name_and_is_cached_a_year_compressed(anonymous) -> None:
    page = anonymous.get(make_article(slug="heat").get_absolute_url()).content.decode()
    assets = assets_of(page)
    assert len(assets) >= 4  # two style sheets, the icon, two scripts
    for url in assets:
        assert HASHED.search(url), f"{url} has no content hash"
        for encoding in ("br", "gzip"):
            response = anonymous.get(url, headers={"accept-encoding": encoding})
            assert response.status_code == 200, url
            assert max_age(response) >= ONE_YEAR, url
            assert "immutable" in response["Cache-Control"], url
            assert response.get("Content-Encoding") == encoding, f"{url} not {encoding}"


def test_an_article_page_downloads_at_most_100_kb(anonymous) -> None:
    article = make_article(slug="heat", body="A paragraph of plain words. " * 400)
    response = anonymous.get(article.get_absolute_url())
    total = len(response.content)  # the HTML, sent uncompressed (see docs/performance.md)
    for url in assets_of(response.content.decode()):
        total += body_size(anonymous.get(url, headers={"accept-encoding": "br, gzip"}))
    assert total <= ARTICLE_PAGE_BUDGET, f"{total} bytes"
