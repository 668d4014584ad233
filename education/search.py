"""Article search: ranked full-text search on PostgreSQL, a plain word match elsewhere."""

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, F, Q, QuerySet, Value, When

from education.models import Article

SEARCH_CONFIG = "english"  # the configuration the trigger of migration 0009 stems with
MAX_WORDS = 10


def normalise_query(query: str) -> str:
    """Return the query as search reads it: lower case, one space between words.

    Two queries that normalise alike find the same articles, so they share a cached page.
    """
    return " ".join(query.split()).lower()


def search_articles(query: str) -> QuerySet[Article]:
    """Return the published articles matching the query, best match first."""
    published = Article.objects.published()
    if connection.vendor == "postgresql":
        # The stored vector (weighted title A, summary B, body C), with its GIN index.
        search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        return (
            published.filter(search_vector=search_query)
            .annotate(rank=SearchRank(F("search_vector"), search_query))
            .order_by("-rank", "title")
        )
    words = query.split()[:MAX_WORDS]
    if not words:
        return published.none()
    matches = published
    for word in words:
        matches = matches.filter(
            Q(title__icontains=word) | Q(summary__icontains=word) | Q(body__icontains=word)
        )
    title_hits = sum(
        (Case(When(title__icontains=word, then=Value(1)), default=Value(0)) for word in words),
        start=Value(0),
    )
    return matches.annotate(rank=title_hits).order_by("-rank", "title")
