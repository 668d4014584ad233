"""Queries per request of the benchmark's scenarios, at two sizes of data: they must not grow.

The benchmark (`make bench`, docs/performance.md) measures speed; these tests hold the query
counts it relies on, so a regression fails CI. Counted here: the dashboard and the queue (in
their own test modules), and below the episode POST, the clinician's patient view, the article
page and the search. BEGIN and COMMIT are transaction control, not queries; they are counted
apart, to show that a write happens in one transaction.
"""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.run import TRANSACTION_CONTROL, WRITES
from clinic.access import approve_clinician
from clinic.models import Share
from education.search import search_articles
from tests.conftest import client_for, make_article
from tests.tracker.test_dashboard import daily_history
from tracker.models import Episode

SIZES = [3, 2 * 365]  # days of daily history


def statements(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"].lstrip().upper() for query in captured.captured_queries]


def queries(captured: CaptureQueriesContext) -> list[str]:
    return [sql for sql in statements(captured) if not sql.startswith(TRANSACTION_CONTROL)]


def episode_post() -> dict[str, object]:
    """The benchmark's episode: yesterday, two triggers, one place, heat helped."""
    yesterday = (timezone.now() - datetime.timedelta(days=1)).date().isoformat()
    return {
        "submission_key": str(uuid.uuid4()),
        "start_date": yesterday,
        "start_time": "09:30",
        "end_date": yesterday,
        "end_time": "10:10",
        "severity": "5",
        "activity": "Lifting a box",
        "triggers": ["heavy_lifting", "sudden_twist"],
        "side_lower": "left",
        "relief_heat": "2",
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("days", SIZES)
def test_an_episode_post_is_eight_queries_in_one_transaction(alice, days) -> None:
    alice.time_zone = "UTC"
    alice.save()
    daily_history(alice, days=days)
    client = client_for(alice)
    client.get(reverse("tracker:dashboard"))  # the session's idle clock is set

    with CaptureQueriesContext(connection) as captured:
        response = client.post(reverse("tracker:episode_create"), episode_post())

    assert response.status_code == 302
    assert Episode.objects.filter(patient=alice).count() == days + 1
    # 1 session, 2 user with profile, 3 severity constraint check, 4 episode, 5 triggers,
    # 6 place, 7 relief, 8 the submission key.
    assert len(queries(captured)) == 8, queries(captured)
    sent = statements(captured)
    begin, commit = sent.index("BEGIN"), sent.index("COMMIT")
    assert sent.count("BEGIN") == 1
    writes = [n for n, sql in enumerate(sent) if sql.startswith(WRITES)]
    assert len(writes) == 5
    assert all(begin < n < commit for n in writes)


@pytest.mark.django_db
@pytest.mark.parametrize("days", SIZES)
def test_the_clinicians_patient_view_does_not_grow_with_history(
    alice, bob, days, django_assert_num_queries
) -> None:
    approve_clinician(user=bob)
    Share.objects.create(patient=alice, clinician=bob, consent_version="test")
    daily_history(alice, days=days)
    client = client_for(bob)
    url = reverse("clinic:patient_detail", args=[alice.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    counted = len(queries(captured))
    # Measured: the page shows the dashboard's summary, the queue's status, the timeline
    # (episodes with their details), check-ins, drinks and notes, and records the visit.
    assert counted == 24, queries(captured)


@pytest.mark.django_db
@pytest.mark.parametrize("articles", [2, 30])
def test_search_is_one_query_and_the_cached_article_none(
    anonymous, articles, django_assert_num_queries
) -> None:
    for n in range(articles):
        make_article(slug=f"stretch-{n}", title=f"Stretch {n}", body="Stretch with heat. " * 50)
    with django_assert_num_queries(1):
        page = anonymous.get(reverse("education:search"), {"q": "stretch heat"})
    assert len(page.context["results"]) == min(articles, 20)
    url = reverse("education:article_detail", args=["stretch-0"])
    anonymous.get(url)
    with django_assert_num_queries(0):
        assert anonymous.get(url).status_code == 200


@pytest.mark.django_db
def test_search_runs_in_the_database_not_in_python() -> None:
    make_article(slug="heat", title="Heat")
    # One query that returns the ranked articles: the matching is not done in Python.
    with CaptureQueriesContext(connection) as captured:
        found = list(search_articles("heat"))
    assert [article.slug for article in found] == ["heat"]
    assert len(captured.captured_queries) == 1
