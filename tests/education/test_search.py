import pytest
from django.db import connection
from django.urls import reverse

from education.models import Article
from education.search import search_articles
from tests.conftest import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def library() -> None:
    make_article(slug="heat", title="Heat and cold", body="Wrap a heat pack in a towel.")
    make_article(slug="stretch", title="Gentle stretching", summary="Stretch, then use heat.")
    make_article(slug="draft", title="Heat draft", status=Article.Status.DRAFT)


def test_search_finds_published_articles_title_match_first(library) -> None:
    slugs = [article.slug for article in search_articles("heat")]
    assert slugs == ["heat", "stretch"]


def test_search_ignores_drafts(library) -> None:
    assert "draft" not in [article.slug for article in search_articles("draft")]


def test_search_page_lists_results(anonymous, library) -> None:
    page = anonymous.get(reverse("education:search"), {"q": "heat"}).content.decode()
    assert "2 articles found" in page
    assert "Heat and cold" in page


def test_nonsense_query_gives_a_friendly_page(anonymous, library) -> None:
    response = anonymous.get(reverse("education:search"), {"q": "qzxv wibble"})
    assert response.status_code == 200
    assert "We could not find an article with those words" in response.content.decode()


def test_punctuation_only_query_gives_a_friendly_page(anonymous, library) -> None:
    response = anonymous.get(reverse("education:search"), {"q": "!!! & | ( :*"})
    assert response.status_code == 200
    assert "We could not find an article" in response.content.decode()


def test_empty_query_asks_for_words(anonymous) -> None:
    response = anonymous.get(reverse("education:search"), {"q": ""})
    assert response.status_code == 200
    assert "Type a word or two" in response.content.decode()


def test_overlong_query_says_so_and_keeps_what_was_typed(anonymous) -> None:
    query = "stretch " * 40
    response = anonymous.get(reverse("education:search"), {"q": query})
    page = response.content.decode()
    assert response.status_code == 200
    assert "at most 200 characters" in page
    assert query.strip() in page


def test_null_character_query_is_refused_politely(anonymous) -> None:
    response = anonymous.get(reverse("education:search"), {"q": "heat\x00"})
    assert response.status_code == 200
    assert "character we cannot read" in response.content.decode()


@pytest.mark.postgresql
def test_search_ranks_with_full_text_stemming(library) -> None:
    # "stretches" only matches "stretching"/"Stretch" through English stemming.
    assert [article.slug for article in search_articles("stretches")] == ["stretch"]


@pytest.mark.postgresql
def test_postgres_search_uses_the_gin_index(library) -> None:
    # With a realistic number of articles and fresh statistics the planner should choose the
    # GIN index by itself, with no planner switches forced.
    template = Article.objects.get(slug="stretch")
    Article.objects.bulk_create(
        Article(
            slug=f"filler-{n}",
            title=f"Filler {n}",
            summary="Posture at a desk.",
            body="Sitting and standing.",
            status=template.status,
            published_at=template.published_at,
            category=template.category,
            reviewed_by="x",
            last_reviewed=template.last_reviewed,
            next_review_due=template.next_review_due,
        )
        # Enough rows that the index wins even on a table other tests have left dead rows in
        # (500 were too few once issue 19's tests loaded the whole library many times).
        for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE education_article")

    plan = search_articles("heat").explain()

    assert "education_article_search_gin" in plan, plan
