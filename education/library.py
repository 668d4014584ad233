"""Load the article library from `education/content/` into the database.

Each article is a Markdown file with TOML front matter (see content/FORMAT.md). Loading is
idempotent, and it never overwrites an article that a person has edited since the last load:
the loader stores a checksum of what it wrote and compares it with what is there now.
"""

import datetime
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from education.models import Article, Category, ExerciseStep, Source

CONTENT_DIR = Path(__file__).resolve().parent / "content"
FRONT_MATTER_FENCE = "+++"
SUMMARY_MAX_CHARS = Article._meta.get_field("summary").max_length
REQUIRED_KEYS = {
    "title", "slug", "category", "summary", "status", "reviewed_by", "last_reviewed",
    "next_review_due",
}  # fmt: skip
EXERCISE_KEYS = {
    "starting_position", "steps", "hold", "repetitions", "cautions", "needs_professional_review",
}  # fmt: skip


class LibraryError(Exception):
    """A content file that cannot be loaded, with the file and the reason."""


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_edits: list[str] = field(default_factory=list)


def parse_article_file(path: Path) -> dict[str, Any]:
    """Read one content file and return its normalised content, raising LibraryError if bad."""
    text = path.read_text(encoding="utf-8")
    parts = text.split(FRONT_MATTER_FENCE + "\n", 2)
    if len(parts) != 3 or parts[0].strip():
        raise LibraryError(f"{path.name}: the file must start with front matter between +++ lines")
    try:
        meta = tomllib.loads(parts[1])
    except tomllib.TOMLDecodeError as error:
        raise LibraryError(f"{path.name}: front matter is not valid TOML: {error}") from error
    missing = REQUIRED_KEYS - meta.keys()
    if missing:
        raise LibraryError(f"{path.name}: missing {', '.join(sorted(missing))}")
    if meta["slug"] != path.stem:
        raise LibraryError(f"{path.name}: slug {meta['slug']!r} must match the file name")
    if meta["category"] not in Category.values:
        raise LibraryError(f"{path.name}: unknown category {meta['category']!r}")
    if meta["status"] not in Article.Status.values:
        raise LibraryError(f"{path.name}: status must be draft or published")
    if len(meta["summary"].strip()) > SUMMARY_MAX_CHARS:
        raise LibraryError(f"{path.name}: the summary is over {SUMMARY_MAX_CHARS} characters")
    for key in ("last_reviewed", "next_review_due"):
        if not isinstance(meta[key], datetime.date):
            raise LibraryError(f"{path.name}: {key} must be a date like 2026-11-20")
    exercise = meta.get("exercise", {})
    if exercise and EXERCISE_KEYS - exercise.keys():
        missing = ", ".join(sorted(EXERCISE_KEYS - exercise.keys()))
        raise LibraryError(f"{path.name}: [exercise] is missing {missing}")
    published_at = None
    if meta["status"] == Article.Status.PUBLISHED:
        publish_date = meta.get("published_at", meta["last_reviewed"])
        published_at = datetime.datetime.combine(
            publish_date, datetime.time(0), tzinfo=datetime.UTC
        ).isoformat()
    return {
        "title": meta["title"],
        "slug": meta["slug"],
        "category": meta["category"],
        "summary": meta["summary"].strip(),
        "body": parts[2].strip() + "\n",
        "status": meta["status"],
        "published_at": published_at,
        "featured": bool(meta.get("featured", False)),
        "reviewed_by": meta["reviewed_by"],
        "last_reviewed": meta["last_reviewed"].isoformat(),
        "next_review_due": meta["next_review_due"].isoformat(),
        "related": sorted(meta.get("related", [])),
        "sources": [
            {
                "title": source["title"],
                "publisher": source["publisher"],
                "year": int(source["year"]),
                "url": source.get("url", ""),
            }
            for source in meta.get("sources", [])
        ],
        "starting_position": exercise.get("starting_position", "").strip(),
        "steps": [step.strip() for step in exercise.get("steps", [])],
        "hold": exercise.get("hold", ""),
        "repetitions": exercise.get("repetitions", ""),
        "cautions": [caution.strip() for caution in exercise.get("cautions", [])],
        "needs_professional_review": bool(exercise.get("needs_professional_review", False)),
    }


def article_content(article: Article) -> dict[str, Any]:
    """Return an article's current content in the same shape as parse_article_file."""
    published_at = None
    if article.status == Article.Status.PUBLISHED and article.published_at:
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
        "last_reviewed": article.last_reviewed.isoformat(),
        "next_review_due": article.next_review_due.isoformat(),
        "related": sorted(related.slug for related in article.related.all()),
        "sources": [
            {"title": s.title, "publisher": s.publisher, "year": s.year, "url": s.url}
            for s in article.sources.all()
        ],
        "starting_position": article.starting_position,
        "steps": [step.instruction for step in article.steps.all()],
        "hold": article.hold,
        "repetitions": article.repetitions,
        "cautions": article.caution_list(),
        "needs_professional_review": article.needs_professional_review,
    }


def checksum(content: dict[str, Any]) -> str:
    """Return a stable fingerprint of an article's content."""
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _write(article: Article, content: dict[str, Any]) -> None:
    """Write the content's own fields, steps and sources to the article (not related links)."""
    for name in (
        "title", "category", "summary", "body", "status", "featured", "reviewed_by",
        "starting_position", "hold", "repetitions", "needs_professional_review",
    ):  # fmt: skip
        setattr(article, name, content[name])
    article.last_reviewed = datetime.date.fromisoformat(content["last_reviewed"])
    article.next_review_due = datetime.date.fromisoformat(content["next_review_due"])
    article.published_at = (
        datetime.datetime.fromisoformat(content["published_at"])
        if content["published_at"]
        else None
    )
    article.cautions = "\n".join(content["cautions"])
    article.source_checksum = checksum(content)
    article._change_reason = "Loaded from the article library"
    article.save()
    article.steps.all().delete()
    ExerciseStep.objects.bulk_create(
        ExerciseStep(article=article, position=number, instruction=text)
        for number, text in enumerate(content["steps"], start=1)
    )
    article.sources.all().delete()
    Source.objects.bulk_create(
        Source(article=article, position=number, **source)
        for number, source in enumerate(content["sources"])
    )


def load_library(directory: Path = CONTENT_DIR) -> LoadReport:
    """Create or update every article in the directory; keep articles people have edited."""
    files = sorted(p for p in directory.glob("*.md") if p.name != "FORMAT.md")
    contents = [parse_article_file(path) for path in files]
    known_slugs = {content["slug"] for content in contents}
    for content in contents:
        unknown = (
            set(content["related"])
            - known_slugs
            - set(
                Article.objects.filter(slug__in=content["related"]).values_list("slug", flat=True)
            )
        )
        if unknown:
            raise LibraryError(f"{content['slug']}: related slugs not found: {sorted(unknown)}")

    report = LoadReport()
    with transaction.atomic():
        to_link: list[tuple[Article, list[str]]] = []
        for content in contents:
            article = (
                Article.objects.prefetch_related("related", "sources", "steps")
                .filter(slug=content["slug"])
                .first()
            )
            if article is None:
                article = Article(slug=content["slug"])
                _write(article, content)
                to_link.append((article, content["related"]))
                report.created.append(content["slug"])
            elif checksum(article_content(article)) != article.source_checksum:
                report.kept_edits.append(content["slug"])
            elif article.source_checksum == checksum(content):
                report.unchanged.append(content["slug"])
            else:
                _write(article, content)
                to_link.append((article, content["related"]))
                report.updated.append(content["slug"])
        for article, related_slugs in to_link:
            article.related.set(Article.objects.filter(slug__in=related_slugs))
    return report
