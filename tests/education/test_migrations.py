"""The library's checksums move to the shape approval uses (education migration 0007)."""

import datetime
import hashlib
import importlib
import json

import pytest
from django.apps import apps

from education.library import load_library
from education.services import checksum, content_of
from tests.conftest import make_article

pytestmark = pytest.mark.django_db

migration = importlib.import_module("education.migrations.0007_library_checksums_in_the_new_shape")


def old_checksum(article) -> str:
    """The checksum as the loader wrote it before issue 19 (status and review fields in)."""
    return hashlib.sha256(
        json.dumps(migration._old_shape(article), sort_keys=True).encode()
    ).hexdigest()


def test_an_untouched_article_gets_the_new_checksum_and_an_edited_one_stays_edited() -> None:
    untouched = make_article(
        slug="untouched", published_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    )
    edited = make_article(slug="edited")
    for article in (untouched, edited):
        article.source_checksum = old_checksum(article)
        article.save()
    edited.body = "A person's better wording."
    edited.save()

    migration.recompute(apps, None)

    untouched.refresh_from_db()
    edited.refresh_from_db()
    assert untouched.source_checksum == checksum(content_of(untouched))
    assert edited.source_checksum != checksum(content_of(edited))


def test_after_the_migration_the_loader_still_recognises_its_own_articles(
    tmp_path, settings
) -> None:
    (tmp_path / "heat.md").write_text(
        '+++\ntitle = "Heat"\nslug = "heat"\ncategory = "treatments"\nsummary = "Warmth."\n'
        'status = "draft"\n+++\nWrap it.\n'
    )
    load_library(tmp_path)
    heat = apps.get_model("education", "Article").objects.get(slug="heat")
    heat.source_checksum = old_checksum(heat)  # as an older loader left it
    heat.save()

    migration.recompute(apps, None)
    report = load_library(tmp_path)

    assert report.unchanged == ["heat"] and report.kept_edits == []
