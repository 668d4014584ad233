"""Recompute the library loader's checksums in the shape education.services.content_of uses.

The loader keeps, per article, a checksum of the words it last wrote; an article whose words
no longer match was edited by a person and is left alone. Issue 19 took the status and review
fields out of those words (approval sets them now), so every old checksum would otherwise
mismatch and the loader would never update any article again. An article whose old checksum
still matches its words was untouched by people: it gets the checksum of the new shape.
"""

import datetime
import hashlib
import json

from django.db import migrations


def _checksum(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _cautions(article) -> list[str]:
    return [line.strip() for line in article.cautions.splitlines() if line.strip()]


def _old_shape(article) -> dict:
    published_at = None
    if article.status == "published" and article.published_at:
        published_at = article.published_at.astimezone(datetime.UTC).isoformat()
    return {
        "title": article.title,
        "slug": article.slug,
        "category": article.category,
        "summary": article.summary,
        "body": article.body,
        "status": article.status,
        "published_at": published_at,
        "featured": article.featured,
        "reviewed_by": article.reviewed_by,
        "last_reviewed": article.last_reviewed.isoformat() if article.last_reviewed else None,
        "next_review_due": article.next_review_due.isoformat() if article.next_review_due else None,
        "related": sorted(other.slug for other in article.related.all()),
        "sources": [
            {"title": s.title, "publisher": s.publisher, "year": s.year, "url": s.url}
            for s in article.sources.order_by("position", "id")
        ],
        "starting_position": article.starting_position,
        "steps": [step.instruction for step in article.steps.order_by("position")],
        "hold": article.hold,
        "repetitions": article.repetitions,
        "cautions": _cautions(article),
        "needs_professional_review": article.needs_professional_review,
    }


def _new_shape(article) -> dict:
    return {
        "title": article.title,
        "slug": article.slug,
        "category": article.category,
        "summary": article.summary,
        "body": article.body,
        "starting_position": article.starting_position,
        "hold": article.hold,
        "repetitions": article.repetitions,
        "needs_professional_review": article.needs_professional_review,
        "cautions": _cautions(article),
        "related": sorted(other.slug for other in article.related.all()),
        "sources": [
            {"title": s.title, "publisher": s.publisher, "year": s.year, "url": s.url}
            for s in article.sources.order_by("position", "id")
        ],
        "steps": [
            {"text": step.instruction, "drawing": step.drawing, "alt": step.drawing_alt}
            for step in article.steps.order_by("position")
        ],
    }


def recompute(apps, schema_editor) -> None:
    Article = apps.get_model("education", "Article")
    for article in Article.objects.exclude(source_checksum=""):
        if _checksum(_old_shape(article)) == article.source_checksum:
            article.source_checksum = _checksum(_new_shape(article))
            article.save(update_fields=["source_checksum"])


class Migration(migrations.Migration):
    dependencies = [("education", "0006_revisions_and_approval")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
