import pytest
from django.contrib.postgres.search import SearchVector
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from education.models import Article
from education.search import normalise_query, search_articles
from tests.conftest import client_for, make_article
from tests.education.test_editorial_admin import edit, propose, review

pytestmark = pytest.mark.django_db


@pytest.fixture
def library() -> None:
    make_article(slug="heat", title="Heat and cold", body="Wrap a heat pack in a towel.")
    make_article(slug="stretch", title="Gentle stretching", summary="Stretch, then use heat.")
    make_article(slug="draft", title="Heat draft", status=Article.Status.DRAFT)


def test_search_finds_published_articles_title_match_first(library) -> None:
    slugs = [article.slug for article in search_articles("heat")]
    assert slugs == ["heat", "stretch"]


def test_a_title_match_ranks_above_a_summary_match_above_a_body_match() -> None:
    make_article(slug="in-body", title="Aaa", body="Try a warm sciatica wrap.")
    make_article(slug="in-title", title="Zzz sciatica")
    make_article(slug="in-summary", title="Mmm", summary="About sciatica.")
    slugs = [article.slug for article in search_articles("sciatica")]
    if connection.vendor == "postgresql":
        assert slugs == ["in-title", "in-summary", "in-body"]
    else:  # the plain match ranks title hits only, then orders by title
        assert slugs == ["in-title", "in-body", "in-summary"]


def test_queries_normalise_to_lower_case_single_spaced_words() -> None:
    assert normalise_query("  Heat\t and   COLD \n") == "heat and cold"
    assert normalise_query(" \t ") == ""


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

    assert "education_article_search_vector_gin" in plan, plan


def test_only_postgresql_stores_a_vector_and_both_find_every_word(library) -> None:
    stored = set(Article.objects.values_list("search_vector", flat=True))
    if connection.vendor == "postgresql":
        assert None not in stored
    else:  # SQLite keeps the column empty and matches plain words
        assert stored == {None}
    assert [article.slug for article in search_articles("towel heat")] == ["heat"]


# --- PostgreSQL: the stored vector is current after every kind of write ---------------------

# What the trigger of migration 0009 computes, written with Django's expressions.
WEIGHTED = (
    SearchVector("title", weight="A", config="english")
    + SearchVector("summary", weight="B", config="english")
    + SearchVector("body", weight="C", config="english")
)


def stale_vectors() -> list[str]:
    """Return the slugs of the articles whose stored vector differs from their words'."""
    rows = Article.objects.annotate(fresh=WEIGHTED).values_list("slug", "search_vector", "fresh")
    return [slug for slug, stored, fresh in rows if stored is None or stored != fresh]


@pytest.mark.postgresql
def test_the_query_reads_the_stored_vector_not_the_words() -> None:
    sql = str(search_articles("heat").query)
    assert "search_vector" in sql and "to_tsvector" not in sql


@pytest.mark.postgresql
def test_a_new_article_has_its_vector(library) -> None:
    assert Article.objects.count() == 3
    assert stale_vectors() == []


@pytest.mark.postgresql
def test_a_draft_added_in_the_admin_has_its_vector(erin) -> None:
    response = client_for(erin).post(
        reverse("admin:education_article_add"),
        {
            "title": "Sciatica explained",
            "slug": "sciatica",
            "category": "causes",
            "summary": "Pain down the leg.",
            "body": "",
            "steps-TOTAL_FORMS": "0",
            "steps-INITIAL_FORMS": "0",
            "sources-TOTAL_FORMS": "0",
            "sources-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    assert Article.objects.filter(slug="sciatica").exists()
    assert stale_vectors() == []


@pytest.mark.postgresql
def test_an_approved_revision_is_found_by_its_new_words(erin, rhys) -> None:
    article = make_article(slug="heat", title="Heat and cold", body="Use a warm towel.")
    revision = propose(client_for(erin), article)
    edit(client_for(erin), revision, title="Warmth for sciatica", body="A hot water bottle.")
    assert search_articles("sciatica").count() == 0  # waiting for review: not public yet

    assert review(client_for(rhys), revision).status_code == 302

    assert [found.slug for found in search_articles("sciatica")] == ["heat"]
    assert [found.slug for found in search_articles("bottle")] == ["heat"]
    assert search_articles("towel").count() == 0
    assert stale_vectors() == []


@pytest.mark.postgresql
def test_the_library_loader_writes_current_vectors(rhys) -> None:
    call_command("load_articles", approve_as="rhys", role="Physiotherapist", verbosity=0)
    assert Article.objects.published().count() >= 10
    assert stale_vectors() == []
    assert search_articles("hydration").exists()


@pytest.mark.postgresql
def test_bulk_writes_that_skip_save_still_update_the_vector(library) -> None:
    Article.objects.filter(slug="heat").update(body="A cold compress, not ice on skin.")
    Article.objects.bulk_create(
        [Article(slug="bulk", title="Compress", summary="s", body="b", category="causes")]
    )
    assert stale_vectors() == []
    assert search_articles("towel").filter(slug="heat").count() == 0
    assert search_articles("compress").filter(slug="heat").exists()


@pytest.mark.postgresql
def test_a_save_of_other_fields_keeps_the_vector(library) -> None:
    article = Article.objects.get(slug="heat")
    article.featured = True
    article.save(update_fields=["featured", "updated_at"])
    article.title = "Warmth"
    article.save()
    assert stale_vectors() == []
