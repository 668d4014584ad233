import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from education.models import Article
from tests.conftest import make_article

pytestmark = pytest.mark.django_db


def test_published_includes_only_published_articles_whose_time_has_come() -> None:
    live = make_article(slug="live")
    make_article(slug="draft", status=Article.Status.DRAFT)
    make_article(slug="scheduled", published_at=timezone.now() + datetime.timedelta(hours=1))

    assert list(Article.objects.published()) == [live]


def test_published_article_without_publish_time_is_refused_by_the_database() -> None:
    article = make_article(slug="a")
    article.published_at = None
    with pytest.raises(IntegrityError), transaction.atomic():
        article.save()


def test_next_review_before_last_review_is_refused_by_the_database() -> None:
    article = make_article(slug="a")
    article.next_review_due = article.last_reviewed - datetime.timedelta(days=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        article.save()


@pytest.mark.parametrize(
    "unreview",
    [
        {"reviewed_by": ""},
        {"last_reviewed": None},
        {"next_review_due": None},
    ],
)
def test_a_published_article_without_its_reviewer_or_dates_is_refused_by_the_database(
    unreview,
) -> None:
    article = make_article(slug="a")
    for name, value in unreview.items():
        setattr(article, name, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        article.save()


def test_a_draft_may_have_no_reviewer_and_no_dates() -> None:
    article = make_article(slug="a", status=Article.Status.DRAFT)
    article.reviewed_by, article.last_reviewed, article.next_review_due = "", None, None
    article.save()


def test_an_approved_revision_without_its_reviewer_is_refused_by_the_database(erin) -> None:
    from education.services import propose

    revision = propose(article=make_article(slug="a"), author=erin)
    revision.state = "approved"
    revision.decided_at = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        revision.save()


def test_a_second_waiting_revision_is_refused_by_the_database(erin) -> None:
    from education.models import ArticleRevision
    from education.services import propose

    revision = propose(article=make_article(slug="a"), author=erin)
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleRevision.objects.create(
            article=revision.article, number=2, slug="a", title="t", category="causes", summary="s"
        )


def test_overdue_for_review_is_strictly_before_today() -> None:
    today = timezone.localdate()
    make_article(slug="due-today", next_review_due=today)
    overdue = make_article(slug="overdue", next_review_due=today - datetime.timedelta(days=1))
    # next_review_due must not precede last_reviewed; make_article's last review is 30 days ago.

    assert list(Article.objects.overdue_for_review(today=today)) == [overdue]


def test_body_is_rendered_sanitised() -> None:
    article = make_article(slug="a", body="## Hi\n\n<script>alert(1)</script>")
    assert "<h2>Hi</h2>" in article.body_html
    assert "script" not in article.body_html


def test_caution_list_skips_blank_lines() -> None:
    article = Article(cautions="Stop if it hurts.\n\n  Not in late pregnancy. \n")
    assert article.caution_list() == ["Stop if it hurts.", "Not in late pregnancy."]
