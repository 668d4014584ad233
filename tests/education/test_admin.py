import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management.sql import emit_post_migrate_signal
from django.urls import reverse
from django.utils import timezone

from accounts.roles import CLINICAL_REVIEWERS, CLINICIANS, CONTENT_EDITORS
from education.models import Article
from tests.conftest import client_for, make_article, make_user

pytestmark = pytest.mark.django_db


def test_content_editors_group_has_exactly_the_education_permissions() -> None:
    editors = Group.objects.get(name=CONTENT_EDITORS)
    education = Permission.objects.filter(content_type__app_label="education").exclude(
        codename__in=[
            "add_historicalarticle",
            "change_historicalarticle",
            "delete_historicalarticle",
            "delete_articlerevision",
            "approve_articlerevision",
        ]
    )

    assert set(editors.permissions.all()) == set(education)
    assert not editors.permissions.exclude(content_type__app_label="education").exists()


def test_clinical_reviewers_hold_the_editors_permissions_and_may_approve() -> None:
    editors = Group.objects.get(name=CONTENT_EDITORS)
    reviewers = Group.objects.get(name=CLINICAL_REVIEWERS)

    extra = set(reviewers.permissions.all()) - set(editors.permissions.all())

    assert [permission.codename for permission in extra] == ["approve_articlerevision"]
    assert set(editors.permissions.all()) <= set(reviewers.permissions.all())
    assert not reviewers.permissions.filter(codename="delete_articlerevision").exists()


def test_role_groups_come_back_after_every_migrate_even_on_an_emptied_database() -> None:
    # What a flush does: no groups and no permissions. The next migrate puts both back.
    Group.objects.all().delete()
    Permission.objects.filter(content_type__app_label="education").delete()

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    editors = Group.objects.get(name=CONTENT_EDITORS)
    assert Group.objects.filter(name=CLINICIANS).exists()
    assert (
        Group.objects.get(name=CLINICAL_REVIEWERS)
        .permissions.filter(codename="approve_articlerevision")
        .exists()
    )
    assert editors.permissions.filter(codename="change_article").exists()
    assert editors.permissions.filter(codename="view_historicalarticle").exists()
    assert not editors.permissions.filter(codename="change_historicalarticle").exists()


def test_editor_can_list_and_edit_articles_in_the_admin(erin) -> None:
    article = make_article(slug="heat")
    client = client_for(erin)

    assert client.get(reverse("admin:education_article_changelist")).status_code == 200
    assert (
        client.get(reverse("admin:education_article_change", args=[article.pk])).status_code == 200
    )


def test_staff_without_the_editor_role_cannot_open_the_article_admin(db) -> None:
    staff = make_user("sam", is_staff=True)
    article = make_article(slug="heat")
    client = client_for(staff)

    assert client.get(reverse("admin:education_article_changelist")).status_code == 403
    assert (
        client.get(reverse("admin:education_article_change", args=[article.pk])).status_code == 403
    )


def test_patient_is_sent_to_the_admin_login(alice) -> None:
    response = client_for(alice).get(reverse("admin:education_article_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_editing_a_draft_in_place_records_who_changed_it(erin, anonymous) -> None:
    draft = make_article(slug="new", status=Article.Status.DRAFT, title="New article")
    url = reverse("admin:education_article_change", args=[draft.pk])

    response = client_for(erin).post(
        url,
        {
            "title": "New article, retitled",
            "slug": "new",
            "category": draft.category,
            "summary": draft.summary,
            "body": draft.body,
            "steps-TOTAL_FORMS": "0",
            "steps-INITIAL_FORMS": "0",
            "sources-TOTAL_FORMS": "0",
            "sources-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    draft.refresh_from_db()
    assert draft.title == "New article, retitled"
    assert draft.status == Article.Status.DRAFT  # editing never publishes
    assert draft.history.first().history_user == erin
    assert anonymous.get(draft.get_absolute_url()).status_code == 404


def test_overdue_view_lists_only_overdue_articles(erin) -> None:
    today = timezone.localdate()
    make_article(slug="fresh", title="Fresh one")
    overdue = make_article(
        slug="stale", title="Stale one", next_review_due=today - datetime.timedelta(days=3)
    )

    response = client_for(erin).get(reverse("admin:education_articledueforreview_changelist"))

    page = response.content.decode()
    assert response.status_code == 200
    assert overdue.title in page
    assert "Fresh one" not in page


def test_review_filter_on_the_article_list(erin) -> None:
    today = timezone.localdate()
    make_article(slug="fresh", title="Fresh one")
    make_article(
        slug="stale", title="Stale one", next_review_due=today - datetime.timedelta(days=3)
    )

    page = (
        client_for(erin)
        .get(reverse("admin:education_article_changelist"), {"review": "overdue"})
        .content.decode()
    )

    assert "Stale one" in page and "Fresh one" not in page


def test_history_page_of_an_article_without_revisions(erin) -> None:
    article = make_article(slug="a")
    response = client_for(erin).get(reverse("admin:education_article_history", args=[article.pk]))
    assert response.status_code == 200
    assert "No revision yet" in response.content.decode()
