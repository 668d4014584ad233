"""Article search: ranked full-text search on PostgreSQL, a plain word match elsewhere."""

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, Q, QuerySet, Value, When

from education.models import Article

SEARCH_CONFIG = "english"
# The GIN index in migration 0002 is built on exactly this expression; a test checks that
# PostgreSQL's planner uses it, so the two cannot drift apart unnoticed.
SEARCH_VECTOR = (
    SearchVector("title", weight="A", config=SEARCH_CONFIG)
    + SearchVector("summary", weight="B", config=SEARCH_CONFIG)
    + SearchVector("body", weight="C", config=SEARCH_CONFIG)
)
MAX_WORDS = 10


def search_articles(query: str) -> QuerySet[Article]:
    """Return the published articles matching the query, best match first."""
    published = Article.objects.published()
    if connection.vendor == "postgresql":
        search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        return (
            published.annotate(search=SEARCH_VECTOR, rank=SearchRank(SEARCH_VECTOR, search_query))
            .filter(search=search_query)
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
