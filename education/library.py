"""Load the article library from `education/content/` into the database.

Each article is a Markdown file with TOML front matter (see content/FORMAT.md). Loading is
idempotent, and it never overwrites an article that a person has edited since the last load:
the loader stores a checksum of what it wrote and compares it with what is there now.
"""

import datetime
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.utils import timezone

from education.models import Article, ArticleRevision, Category
from education.pages import forget_public_pages
from education.services import (
    DEFAULT_REVIEW_INTERVAL,
    Content,
    approve_together,
    checksum,
    content_of,
    last_role,
    pending_revision,
    propose,
    withdraw,
    write_content,
)

CONTENT_DIR = Path(__file__).resolve().parent / "content"
FRONT_MATTER_FENCE = "+++"
SUMMARY_MAX_CHARS = Article._meta.get_field("summary").max_length
REQUIRED_KEYS = {"title", "slug", "category", "summary", "status"}
EXERCISE_KEYS = {
    "starting_position", "steps", "hold", "repetitions", "cautions", "needs_professional_review",
}  # fmt: skip
# Reviewer and review dates come from the approval now (education.services.approve); files
# written before that may still carry them, and they are ignored.
IGNORED_KEYS = {"reviewed_by", "last_reviewed", "next_review_due", "published_at"}
LIBRARY_REASON = "From the article library"


class LibraryError(Exception):
    """A content file that cannot be loaded, with the file and the reason."""


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_edits: list[str] = field(default_factory=list)
    approved: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    refused: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class LibraryArticle:
    content: Content
    publish: bool  # the file asks for the article to be published (after approval)
    featured: bool


def _step(path: Path, step: object) -> dict[str, str]:
    if isinstance(step, str):
        return {"text": step.strip(), "drawing": "", "alt": ""}
    if isinstance(step, dict) and isinstance(step.get("text"), str):
        drawing, alt = step.get("drawing", ""), step.get("alt", "")
        if drawing and not alt:
            raise LibraryError(f"{path.name}: a step with a drawing needs its alt text")
        return {"text": step["text"].strip(), "drawing": drawing, "alt": alt.strip()}
    raise LibraryError(
        f"{path.name}: a step must be text or {{ text = ..., drawing = ..., alt = ... }}"
    )


def parse_article_file(path: Path) -> LibraryArticle:
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
    exercise = meta.get("exercise", {})
    if exercise and EXERCISE_KEYS - exercise.keys():
        missing = ", ".join(sorted(EXERCISE_KEYS - exercise.keys()))
        raise LibraryError(f"{path.name}: [exercise] is missing {missing}")
    content: Content = {
        "title": meta["title"],
        "slug": meta["slug"],
        "category": meta["category"],
        "summary": meta["summary"].strip(),
        "body": parts[2].strip() + "\n",
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
        "steps": [_step(path, step) for step in exercise.get("steps", [])],
        "hold": exercise.get("hold", ""),
        "repetitions": exercise.get("repetitions", ""),
        "cautions": [caution.strip() for caution in exercise.get("cautions", [])],
        "needs_professional_review": bool(exercise.get("needs_professional_review", False)),
    }
    return LibraryArticle(
        content=content,
        publish=meta["status"] == Article.Status.PUBLISHED,
        featured=bool(meta.get("featured", False)),
    )


def _has_been_published(article: Article) -> bool:
    return (
        article.status == Article.Status.PUBLISHED
        or article.revisions.filter(state=ArticleRevision.State.APPROVED).exists()
    )


def _load_one(item: LibraryArticle, article: Article, *, new: bool, report: LoadReport) -> None:
    content, slug = item.content, item.content["slug"]
    if new:
        # A new article starts as a draft holding the file's words; it is not public.
        article.featured = item.featured
        article.source_checksum = checksum(content)
        article._change_reason = LIBRARY_REASON  # type: ignore[attr-defined]
        write_content(article, content)
        report.created.append(slug)
    elif checksum(content_of(article)) != article.source_checksum:
        report.kept_edits.append(slug)  # a person changed the article since the last load
        return
    elif checksum(content) == article.source_checksum:
        report.unchanged.append(slug)
    else:
        waiting = pending_revision(article)
        if waiting is not None and waiting.author_id is not None:
            report.kept_edits.append(slug)  # a person's change is waiting for review
            return
        if waiting is not None and checksum(content_of(waiting)) == checksum(content):
            report.unchanged.append(slug)  # already proposed, still waiting for review
            return
        if waiting is not None:
            withdraw(revision=waiting, user=None)
        if _has_been_published(article):
            propose(article=article, author=None, content=content, why=LIBRARY_REASON)
        else:
            article.source_checksum = checksum(content)
            article._change_reason = LIBRARY_REASON  # type: ignore[attr-defined]
            write_content(article, content)
        report.updated.append(slug)
    # A file marked published proposes its article once; an article staff unpublished since
    # stays unpublished.
    if (
        item.publish
        and article.status == Article.Status.DRAFT
        and pending_revision(article) is None
        and not _has_been_published(article)
    ):
        propose(article=article, author=None, content=content, why=LIBRARY_REASON)


def load_library(
    directory: Path = CONTENT_DIR,
    *,
    approve_as: AbstractUser | None = None,
    reviewer_role: str = "",
    today: datetime.date | None = None,
) -> LoadReport:
    """Bring the library's files into the database; publish nothing without a reviewer.

    New and changed articles that their file marks published become revisions waiting for a
    clinical reviewer. With approve_as (a clinical reviewer's account) those revisions are
    approved in that person's name, together. Articles people edited are kept as they are.
    """
    files = sorted(p for p in directory.glob("*.md") if p.name != "FORMAT.md")
    items = [parse_article_file(path) for path in files]
    known_slugs = {item.content["slug"] for item in items}
    for item in items:
        related = set(item.content["related"])
        unknown = (
            related
            - known_slugs
            - set(Article.objects.filter(slug__in=related).values_list("slug", flat=True))
        )
        if unknown:
            raise LibraryError(
                f"{item.content['slug']}: related slugs not found: {sorted(unknown)}"
            )

    report = LoadReport()
    today = today or timezone.localdate()
    with transaction.atomic():
        existing = {
            article.slug: article
            for article in Article.objects.prefetch_related("related", "sources", "steps")
        }
        # Every article exists before any links are written, so related links resolve.
        new = set()
        for item in items:
            slug = item.content["slug"]
            if slug not in existing:
                existing[slug] = Article.objects.create(
                    slug=slug,
                    title=item.content["title"],
                    category=item.content["category"],
                    summary=item.content["summary"],
                )
                new.add(slug)
        for item in items:
            slug = item.content["slug"]
            _load_one(item, existing[slug], new=slug in new, report=report)
        waiting = list(
            ArticleRevision.objects.filter(
                state=ArticleRevision.State.PENDING,
                author=None,
                article__slug__in=[item.content["slug"] for item in items if item.publish],
            ).select_related("article")
        )
        if approve_as is not None and waiting:
            published, refused = approve_together(
                revisions=waiting,
                reviewer=approve_as,
                reviewer_role=reviewer_role or last_role(approve_as),
                next_review_due=today + DEFAULT_REVIEW_INTERVAL,
                today=today,
            )
            report.approved = sorted(article.slug for article in published)
            report.refused = {
                revision.slug: [m for found in problems.values() for m in found]
                for revision, problems in refused.items()
            }
        else:
            report.waiting = sorted(revision.slug for revision in waiting)
    forget_public_pages()
    return report
