import pytest
from django.urls import reverse

from education.models import Article, Category
from tests.conftest import client_for, make_article

pytestmark = pytest.mark.django_db


def test_article_page_shows_summary_body_sources_review_dates_and_disclaimer(anonymous) -> None:
    article = make_article(slug="heat", summary="Warmth helps.", body="## Use a towel")

    response = anonymous.get(article.get_absolute_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert "Warmth helps." in page
    assert "<h2>Use a towel</h2>" in page
    assert "A source" in page and "NHS, 2023" in page
    assert "Reviewed by Test reviewer" in page
    assert "does not diagnose" in page


def test_draft_article_is_404_for_the_public(anonymous, alice) -> None:
    draft = make_article(slug="secret", status=Article.Status.DRAFT)

    assert anonymous.get(draft.get_absolute_url()).status_code == 404
    assert client_for(alice).get(draft.get_absolute_url()).status_code == 404


def test_unknown_article_is_a_404_in_the_site_style(anonymous) -> None:
    response = anonymous.get("/articles/no-such-thing/")

    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_exercise_shows_numbered_steps_and_the_stop_rule(anonymous) -> None:
    article = make_article(
        slug="bridge",
        category=Category.EXERCISES,
        starting_position="Lie on your back.",
        steps=("Lift your hips.", "Hold.", "Lower slowly."),
    )

    page = anonymous.get(article.get_absolute_url()).content.decode()

    assert (
        '<ol class="exercise-steps"><li>Lift your hips.</li><li>Hold.</li><li>Lower slowly.</li>'
        in page
    )
    assert "Stop if the pain clearly gets worse" in page


def test_related_articles_show_only_published_ones(anonymous) -> None:
    article = make_article(slug="main")
    article.related.add(
        make_article(slug="other-live", title="Other live"),
        make_article(slug="other-draft", title="Other draft", status=Article.Status.DRAFT),
    )

    page = anonymous.get(article.get_absolute_url()).content.decode()

    assert "Other live" in page
    assert "Other draft" not in page


def test_article_page_query_count_does_not_grow_with_steps_and_sources(
    anonymous, django_assert_num_queries
) -> None:
    article = make_article(slug="a", steps=("one", "two"), starting_position="Sit.")
    for n in range(5):
        article.sources.create(title=f"S{n}", publisher="P", year=2020)
        article.related.add(make_article(slug=f"r{n}"))
    # 1 article, 2 steps, 3 sources, 4 related
    with django_assert_num_queries(4):
        anonymous.get(article.get_absolute_url())


def test_preview_of_a_draft_requires_the_editor_permission(anonymous, alice, erin) -> None:
    draft = make_article(slug="draft", status=Article.Status.DRAFT, title="Draft title")
    url = draft.get_preview_url()

    assert anonymous.get(url).status_code == 302
    assert client_for(alice).get(url).status_code == 404
    response = client_for(erin).get(url)
    assert response.status_code == 200
    assert "This article is a draft" in response.content.decode()


def test_category_page_lists_its_published_articles(anonymous) -> None:
    make_article(slug="in-it", title="In it", category=Category.PREVENTION)
    make_article(slug="elsewhere", title="Elsewhere", category=Category.CAUSES)

    page = anonymous.get(reverse("education:category", args=["prevention"])).content.decode()

    assert "In it" in page and "Elsewhere" not in page


def test_unknown_category_is_404(anonymous) -> None:
    assert anonymous.get("/articles/topic/astrology/").status_code == 404


def test_home_shows_featured_articles_categories_and_get_help(anonymous) -> None:
    article = make_article(slug="start", title="Start here article")
    article.featured = True
    article.save()

    page = anonymous.get("/").content.decode()

    assert "Start here article" in page
    assert reverse("get_help") in page
    for label in Category.labels:
        assert str(label) in page


def test_get_help_lists_emergency_first_then_urgent_then_soon(anonymous) -> None:
    page = anonymous.get(reverse("get_help")).content.decode()

    emergency = page.index('id="tier-emergency"')
    urgent = page.index('id="tier-urgent"')
    soon = page.index('id="tier-soon"')
    assert emergency < urgent < soon
    assert "call 999" in page
    assert "Loss of control of your bladder or bowels" in page
    assert "Losing weight without trying" in page


def test_get_help_uses_the_configured_emergency_number(anonymous, settings) -> None:
    settings.PORTAL_EMERGENCY_NUMBER = "112"
    assert "call 112" in anonymous.get(reverse("get_help")).content.decode()
