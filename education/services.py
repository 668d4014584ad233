"""The editorial rules: nothing reaches the public without a second person's clinical review.

- A draft that was never published is edited in place; it is not public.
- Any other change is a revision (ArticleRevision): proposed by an editor (or by the article
  library), approved by a clinical reviewer who wrote none of it. Approval copies the revision
  into the article, names the reviewer with their role, sets the review dates and publishes.
- A published article meets the publishing rules: a title, summary, body, at least one source,
  links only to published articles, a named reviewer and a next review date.
- The articles the portal's own pages link to (PROTECTED_ARTICLES) are never deleted,
  unpublished or moved; no published article loses an article it links to.

Every refusal raises Refused with the reasons keyed by the field that caused them, and changes
nothing.
"""

import datetime
import hashlib
import json
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from education.links import broken_links, internal_links
from education.models import (
    Article,
    ArticleRevision,
    ExerciseStep,
    RevisionSource,
    RevisionStep,
    Source,
)
from education.pages import forget_public_pages

Content = dict[str, Any]
NON_FIELD = "__all__"
# How far ahead a reviewer may set the next review: guidance changes, so no further.
LONGEST_REVIEW_INTERVAL = datetime.timedelta(days=3 * 366)
DEFAULT_REVIEW_INTERVAL = datetime.timedelta(days=365)
APPROVE_PERMISSION = "education.approve_articlerevision"
TEXT_FIELDS = (
    "title", "slug", "category", "summary", "body", "starting_position", "hold", "repetitions",
    "needs_professional_review",
)  # fmt: skip


class Refused(Exception):
    """An editorial action that the rules do not allow; nothing was changed."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__("; ".join(message for found in problems.values() for message in found))
        self.problems = problems

    @classmethod
    def because(cls, message: str, *, field: str = NON_FIELD) -> "Refused":
        return cls({field: [message]})


# --- Content: the words of an article or a revision, as plain values ---------------------------


def content_of(item: Article | ArticleRevision) -> Content:
    """Return the words of an article or a revision as plain values (JSON-serialisable)."""
    return {
        **{name: getattr(item, name) for name in TEXT_FIELDS},
        "cautions": item.caution_list(),
        "related": sorted(other.slug for other in item.related.all()),
        "sources": [
            {"title": s.title, "publisher": s.publisher, "year": s.year, "url": s.url}
            for s in item.sources.all()
        ],
        "steps": [
            {"text": step.instruction, "drawing": step.drawing, "alt": step.drawing_alt}
            for step in item.steps.all()
        ],
    }


def checksum(content: Content) -> str:
    """Return a stable fingerprint of an article's words."""
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def write_content(item: Article | ArticleRevision, content: Content) -> None:
    """Write the words to an article or a revision: its fields, steps, sources and links."""
    for name in TEXT_FIELDS:
        setattr(item, name, content[name])
    item.cautions = "\n".join(content["cautions"])
    item.save()
    steps = [
        {
            "position": number,
            "instruction": step["text"],
            "drawing": step.get("drawing", ""),
            "drawing_alt": step.get("alt", ""),
        }
        for number, step in enumerate(content["steps"], start=1)
    ]
    sources = [{"position": number, **source} for number, source in enumerate(content["sources"])]
    item.steps.all().delete()
    item.sources.all().delete()
    if isinstance(item, Article):
        ExerciseStep.objects.bulk_create(ExerciseStep(article=item, **step) for step in steps)
        Source.objects.bulk_create(Source(article=item, **source) for source in sources)
    else:
        RevisionStep.objects.bulk_create(RevisionStep(revision=item, **step) for step in steps)
        RevisionSource.objects.bulk_create(
            RevisionSource(revision=item, **source) for source in sources
        )
    item.related.set(Article.objects.filter(slug__in=content["related"]).exclude(pk=_pk(item)))


def _pk(item: Article | ArticleRevision) -> int | None:
    return item.pk if isinstance(item, Article) else item.article_id


# --- The rules a page meets before it is published ---------------------------------------------


def published_slugs() -> set[str]:
    return set(Article.objects.published().values_list("slug", flat=True))


def articles_linking_to(slug: str, *, excluding: Article | None = None) -> list[Article]:
    """Return the published articles whose body or related list leads to the article."""
    found = []
    candidates = Article.objects.published().prefetch_related("related")
    if excluding is not None:
        candidates = candidates.exclude(pk=excluding.pk)
    for article in candidates:
        in_body = any(link.article_slug == slug for link in internal_links(article.body))
        if in_body or any(other.slug == slug for other in article.related.all()):
            found.append(article)
    return found


def _titles(articles: list[Article]) -> str:
    return ", ".join(f"“{article.title}”" for article in articles)


def publication_problems(
    *, article: Article, content: Content, also_published: frozenset[str] = frozenset()
) -> dict[str, list[str]]:
    """Return what stops these words from being published as this article, by field.

    also_published names articles being published together with this one (a bulk approval):
    links between them count as links to published pages.
    """
    problems: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    for field, message in (
        ("title", _("Give the article a title.")),
        ("summary", _("Write a summary of one or two sentences.")),
        ("body", _("Write the body of the article.")),
    ):
        if not str(content[field]).strip():
            refuse(field, message)
    if not content["sources"]:
        refuse("sources", _("Add at least one source: readers must be able to check the facts."))
    live = published_slugs() | also_published
    own = article.slug
    for message in broken_links(content["body"], published_slugs=live, own_slug=own):
        refuse("body", message)
    for slug in content["related"]:
        if slug not in live and slug != own:
            refuse(
                "related",
                _("The related article “%(slug)s” is not published: remove it or publish it first.")
                % {"slug": slug},
            )
    new_slug = content["slug"]
    if new_slug != article.slug:
        if Article.objects.filter(slug=new_slug).exclude(pk=article.pk).exists():
            refuse(
                "slug",
                _("Another article already has the address “%(slug)s”.") % {"slug": new_slug},
            )
        if article.status == Article.Status.PUBLISHED:
            if article.is_protected:
                refuse(
                    "slug",
                    _(
                        "The portal's own pages link to “%(title)s” at “%(slug)s”: its address "
                        "cannot change."
                    )
                    % {"title": article.title, "slug": article.slug},
                )
            linking = articles_linking_to(article.slug, excluding=article)
            if linking:
                refuse(
                    "slug",
                    _(
                        "These published articles link to “%(slug)s”: %(titles)s. Change their "
                        "links first, or keep the address."
                    )
                    % {"slug": article.slug, "titles": _titles(linking)},
                )
    return problems


# --- Revisions ---------------------------------------------------------------------------------


def pending_revision(article: Article) -> ArticleRevision | None:
    return article.revisions.filter(state=ArticleRevision.State.PENDING).first()


def _draft_writers(article: Article) -> set[int]:
    """Return who changed a draft's words in place since its last approval."""
    since = (
        article.revisions.filter(state=ArticleRevision.State.APPROVED)
        .aggregate(last=Max("decided_at"))
        .get("last")
    )
    changes = article.history.exclude(history_user=None)
    if since is not None:
        changes = changes.filter(history_date__gt=since)
    return set(changes.values_list("history_user", flat=True))


def propose(
    *,
    article: Article,
    author: AbstractUser | None,
    content: Content | None = None,
    why: str = "",
    restored_from: ArticleRevision | None = None,
) -> ArticleRevision:
    """Return the article's waiting revision, making one from the content if there is none.

    Without content the revision starts as a copy of the article's words. A restore (and the
    library) brings its own content, and is refused while another change is waiting.
    """
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        waiting = pending_revision(article)
        if waiting is not None:
            if content is not None:
                raise Refused.because(
                    _(
                        "Revision %(number)s of this article is waiting for review: approve, "
                        "send back or withdraw it first."
                    )
                    % {"number": waiting.number}
                )
            if author is not None:
                waiting.contributors.add(author.pk)
            return waiting
        number = (article.revisions.aggregate(last=Max("number"))["last"] or 0) + 1
        revision = ArticleRevision(
            article=article,
            number=number,
            author_id=author.pk if author is not None else None,
            why=why,
            restored_from=restored_from,
            base=content_of(article) if article.status == Article.Status.PUBLISHED else {},
        )
        write_content(revision, content if content is not None else content_of(article))
        writers = _draft_writers(article) if article.status == Article.Status.DRAFT else set()
        if author is not None:
            writers.add(author.pk)
        revision.contributors.set(writers)
        return revision


def restore(*, revision: ArticleRevision, user: AbstractUser) -> ArticleRevision:
    """Propose an old revision's words again, as a new revision waiting for review."""
    return propose(
        article=revision.article,
        author=user,
        content=content_of(revision),
        why=_("Restores revision %(number)s.") % {"number": revision.number},
        restored_from=revision,
    )


def note_contributor(*, revision: ArticleRevision, user: AbstractUser) -> None:
    """Record that a person changed a waiting revision: they may no longer approve it."""
    revision.contributors.add(user.pk)


def reviewer_name(user: AbstractUser) -> str:
    return user.get_full_name().strip()


def last_role(user: AbstractUser) -> str:
    """Return the role the reviewer gave at their latest approval (blank if none)."""
    return (
        ArticleRevision.objects.filter(decided_by_id=user.pk, state=ArticleRevision.State.APPROVED)
        .order_by("-decided_at")
        .values_list("reviewer_role", flat=True)
        .first()
        or ""
    )


def approval_problems(
    *,
    revision: ArticleRevision,
    reviewer: AbstractUser,
    reviewer_role: str,
    next_review_due: datetime.date | None,
    today: datetime.date,
    also_published: frozenset[str] = frozenset(),
) -> dict[str, list[str]]:
    """Return what stops this reviewer from approving this revision today, by field."""
    if not reviewer.has_perm(APPROVE_PERMISSION):
        return {NON_FIELD: [_("Only a clinical reviewer can approve a revision.")]}
    if not revision.is_pending:
        return {
            NON_FIELD: [
                _("This revision is no longer waiting for review (it is “%(state)s”).")
                % {"state": revision.get_state_display()}
            ]
        }
    problems: dict[str, list[str]] = {}
    writers = set(revision.contributors.values_list("pk", flat=True))
    if reviewer.pk in writers or revision.author_id == reviewer.pk:
        problems[NON_FIELD] = [
            _("You wrote or changed this revision, so a second person must approve it.")
        ]
    if not reviewer_name(reviewer):
        problems.setdefault(NON_FIELD, []).append(
            _("Add your first and last name to your account: readers see who reviewed the page.")
        )
    if not reviewer_role.strip():
        problems["reviewer_role"] = [
            _("Give your role as readers will see it, for example “Physiotherapist”.")
        ]
    if next_review_due is None:
        problems["next_review_due"] = [_("Choose the date of the next review.")]
    elif next_review_due <= today:
        problems["next_review_due"] = [_("The next review must be after today.")]
    elif next_review_due > today + LONGEST_REVIEW_INTERVAL:
        problems["next_review_due"] = [_("Review again within three years.")]
    for field, messages in publication_problems(
        article=revision.article, content=content_of(revision), also_published=also_published
    ).items():
        problems.setdefault(field, []).extend(messages)
    return problems


def approve(
    *,
    revision: ArticleRevision,
    reviewer: AbstractUser,
    reviewer_role: str,
    next_review_due: datetime.date | None,
    today: datetime.date,
    note: str = "",
    also_published: frozenset[str] = frozenset(),
) -> Article:
    """Publish the revision as the article, in the reviewer's name, or raise Refused."""
    with transaction.atomic():
        article: Article = Article.objects.select_for_update().get(pk=revision.article_id)
        revision = ArticleRevision.objects.select_for_update().get(pk=revision.pk)
        problems = approval_problems(
            revision=revision,
            reviewer=reviewer,
            reviewer_role=reviewer_role,
            next_review_due=next_review_due,
            today=today,
            also_published=also_published,
        )
        if problems:
            raise Refused(problems)
        assert next_review_due is not None
        content = content_of(revision)
        now = timezone.now()
        article.status = Article.Status.PUBLISHED
        if article.published_at is None or article.published_at > now:
            article.published_at = now
        article.reviewed_by = reviewer_name(reviewer)
        article.reviewer_role = reviewer_role.strip()
        article.approved_by_id = reviewer.pk
        article.last_reviewed = today
        article.next_review_due = next_review_due
        if revision.author_id is None:  # the library's own words: later loads may update them
            article.source_checksum = checksum(content)
        article._change_reason = f"Approved revision {revision.number}"  # type: ignore[attr-defined]
        write_content(article, content)
        revision.state = ArticleRevision.State.APPROVED
        revision.decided_by_id = reviewer.pk
        revision.decided_at = now
        revision.decision_note = note
        revision.reviewer_name = article.reviewed_by
        revision.reviewer_role = article.reviewer_role
        revision.next_review_due = next_review_due
        revision.save()
        transaction.on_commit(forget_public_pages)
    return article


def approve_together(
    *,
    revisions: list[ArticleRevision],
    reviewer: AbstractUser,
    reviewer_role: str,
    next_review_due: datetime.date | None,
    today: datetime.date,
) -> tuple[list[Article], dict[ArticleRevision, dict[str, list[str]]]]:
    """Approve several revisions at once (a bulk action, a library load); return the articles
    published and, for each refused revision, why.

    Links between the revisions count as links to published pages, so articles that link to
    each other can go live together. A refused revision no longer counts, so those that link
    to it are refused too (named); every approval is one transaction.
    """
    refused: dict[ArticleRevision, dict[str, list[str]]] = {}
    batch = list(revisions)
    while True:
        together = frozenset(revision.slug for revision in batch)
        failing = {}
        for revision in batch:
            problems = approval_problems(
                revision=revision,
                reviewer=reviewer,
                reviewer_role=reviewer_role,
                next_review_due=next_review_due,
                today=today,
                also_published=together,
            )
            if problems:
                failing[revision] = problems
        if not failing:
            break
        refused.update(failing)
        batch = [revision for revision in batch if revision not in failing]
    with transaction.atomic():
        published = [
            approve(
                revision=revision,
                reviewer=reviewer,
                reviewer_role=reviewer_role,
                next_review_due=next_review_due,
                today=today,
                also_published=together,
            )
            for revision in batch
        ]
    return published, refused


def _decide(
    revision: ArticleRevision, *, user: AbstractUser | None, state: str, note: str
) -> ArticleRevision:
    with transaction.atomic():
        revision = ArticleRevision.objects.select_for_update().get(pk=revision.pk)
        if not revision.is_pending:
            raise Refused.because(
                _("This revision is no longer waiting for review (it is “%(state)s”).")
                % {"state": revision.get_state_display()}
            )
        revision.state = state
        revision.decided_by_id = user.pk if user is not None else None
        revision.decided_at = timezone.now()
        revision.decision_note = note
        revision.save()
    return revision


def send_back(*, revision: ArticleRevision, reviewer: AbstractUser, note: str) -> None:
    """Decline a revision with the reason; the article stays as it is."""
    if not reviewer.has_perm(APPROVE_PERMISSION):
        raise Refused.because(_("Only a clinical reviewer can send a revision back."))
    if not note.strip():
        raise Refused.because(_("Say what needs to change."), field="decision_note")
    _decide(revision, user=reviewer, state=ArticleRevision.State.SENT_BACK, note=note.strip())


def withdraw(*, revision: ArticleRevision, user: AbstractUser | None) -> None:
    """Take back a waiting revision (user None: the library replaced its own); the article
    stays as it is."""
    _decide(revision, user=user, state=ArticleRevision.State.WITHDRAWN, note="")


# --- Leaving the public library ----------------------------------------------------------------


def removal_problems(
    article: Article, *, action: str, leaving: frozenset[int] = frozenset()
) -> list[str]:
    """Return why the article may not be unpublished or deleted (action names which).

    leaving names articles (by id) that leave the public library together with this one: their
    links to it do not count.
    """
    if article.is_protected:
        return [
            _("The portal's own pages link to “%(title)s”, so it cannot be %(action)s.")
            % {"title": article.title, "action": action}
        ]
    if article.status == Article.Status.PUBLISHED:
        linking = [
            other
            for other in articles_linking_to(article.slug, excluding=article)
            if other.pk not in leaving
        ]
        if linking:
            return [
                _(
                    "These published articles link to “%(title)s”: %(titles)s. Change their "
                    "links first, or unpublish them together."
                )
                % {"title": article.title, "titles": _titles(linking)}
            ]
    return []


def unpublish(*, article: Article) -> None:
    """Take an article off the public site, or raise Refused."""
    published, refused = unpublish_together(articles=[article])
    if refused:
        raise Refused({NON_FIELD: refused[article]})


def unpublish_together(
    *, articles: list[Article]
) -> tuple[list[Article], dict[Article, list[str]]]:
    """Take articles off the public site at once; return those unpublished and, for each
    refused one, why. Links between them do not count, so articles that link to each other
    can leave together; one that stays keeps those it links to published."""
    refused: dict[Article, list[str]] = {}
    with transaction.atomic():
        batch = list(
            Article.objects.select_for_update()
            .filter(pk__in=[article.pk for article in articles], status=Article.Status.PUBLISHED)
            .order_by("pk")
        )
        while True:
            leaving = frozenset(article.pk for article in batch)
            failing = {
                article: problems
                for article in batch
                if (problems := removal_problems(article, action=_("unpublished"), leaving=leaving))
            }
            if not failing:
                break
            refused.update(failing)
            batch = [article for article in batch if article not in failing]
        for article in batch:
            article.status = Article.Status.DRAFT
            article._change_reason = "Unpublished"
            article.save(update_fields=["status", "updated_at"])
        if batch:
            transaction.on_commit(forget_public_pages)
    by_pk = {article.pk: article for article in articles}
    return batch, {by_pk.get(article.pk, article): found for article, found in refused.items()}


def deletion_problems(article: Article) -> list[str]:
    """Return why the article may not be deleted: only drafts that were never published and
    that nobody depends on may go."""
    problems = removal_problems(article, action=_("deleted"))
    if not problems and article.status == Article.Status.PUBLISHED:
        problems = [
            _("“%(title)s” is published: unpublish it before deleting it.")
            % {"title": article.title}
        ]
    elif not problems and article.revisions.filter(state=ArticleRevision.State.APPROVED).exists():
        problems = [
            _(
                "“%(title)s” was published once: its history of reviews is kept, so it stays "
                "as an unpublished article."
            )
            % {"title": article.title}
        ]
    return problems
