"""Queries of the editorial admin pages (issue 19), at two sizes of data: they must not grow.

An admin page also reads the session, the user, their permissions and the sidebar; those are
the same at every size. What grows with the data must be fetched in a fixed number of queries.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from education import services
from education.models import Article
from tests.conftest import client_for, make_article, make_reviewer

pytestmark = pytest.mark.django_db


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def approve_changes(article: Article, times: int, *, editor, reviewer) -> None:
    """Propose and approve a small change to the article, times times."""
    for _ in range(times):
        revision = services.propose(article=article, author=editor)
        revision.body += " More."
        revision.save()
        services.approve(
            revision=revision,
            reviewer=reviewer,
            reviewer_role="Physiotherapist",
            next_review_due=article.next_review_due,
            today=article.last_reviewed,
        )


def articles_with_revisions(
    how_many: int, *, revisions_each: int, editor, reviewer, start: int = 0
) -> Article:
    """Make published articles, each approved revisions_each times; return the first."""
    made = [
        make_article(slug=f"article-{number}", body=f"Words {number}.")
        for number in range(start, start + how_many)
    ]
    for article in made:
        approve_changes(article, revisions_each, editor=editor, reviewer=reviewer)
    return made[0]


def test_the_article_list_costs_the_same_for_3_or_30_articles(erin) -> None:
    reviewer = make_reviewer()
    client = client_for(erin)
    url = reverse("admin:education_article_changelist")

    articles_with_revisions(3, revisions_each=1, editor=erin, reviewer=reviewer)
    small = count(client, url)
    articles_with_revisions(27, revisions_each=1, editor=erin, reviewer=reviewer, start=3)

    # The rows with their waiting-revision counts are one query (and its COUNT for paging).
    assert count(client, url) == small


def test_the_revision_list_costs_the_same_for_3_or_30_revisions(erin) -> None:
    reviewer = make_reviewer()
    client = client_for(erin)
    url = reverse("admin:education_articlerevision_changelist")

    articles_with_revisions(3, revisions_each=1, editor=erin, reviewer=reviewer)
    small = count(client, url)
    articles_with_revisions(27, revisions_each=1, editor=erin, reviewer=reviewer, start=3)

    # Each row's article, author and reviewer come joined (list_select_related).
    assert count(client, url) == small


def test_the_history_costs_the_same_for_2_or_12_revisions(erin) -> None:
    reviewer = make_reviewer()
    client = client_for(erin)
    short = articles_with_revisions(1, revisions_each=2, editor=erin, reviewer=reviewer)
    long = make_article(slug="long", body="Words.")
    approve_changes(long, 12, editor=erin, reviewer=reviewer)

    # The revisions with their people, then their sources, steps and related articles, each
    # fetched once for all of them.
    assert count(client, reverse("admin:education_article_history", args=[long.pk])) == count(
        client, reverse("admin:education_article_history", args=[short.pk])
    )
