import datetime

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from education.markdown import render_markdown

# Articles the portal's own pages link to (tracker's dashboard, advice and "Get help now"
# pages): they can never be deleted, unpublished or given another address. A test checks that
# every article the templates and the tracker name is here.
PROTECTED_ARTICLES = frozenset(
    {
        "when-to-get-help",
        "causes-and-risk-factors",
        "symptoms-of-back-spasm",
        "self-care-first-days",
        "heat-and-cold-safely",
        "stay-active-not-bed-rest",
        "exercises-for-back-spasm",
        "prevention-at-work-and-in-sport",
        "medicines-for-back-spasm",
        "hydration-and-cramps",
    }
)


def validate_drawing(value: str) -> None:
    """Refuse a drawing that is not an SVG in the project's static files."""
    if not value:
        return
    if not value.endswith(".svg") or ".." in value.split("/") or value.startswith("/"):
        raise ValidationError(
            _("Give the path of an SVG drawing in the static files, like img/exercises/x.svg."),
            code="bad_drawing",
        )
    if finders.find(value) is None:
        raise ValidationError(
            _("There is no drawing at “%(path)s” in the static files."),
            params={"path": value},
            code="missing_drawing",
        )


class Category(models.TextChoices):
    CAUSES = "causes", _("Causes")
    SYMPTOMS = "symptoms", _("Symptoms")
    TREATMENTS = "treatments", _("Treatments and self-care")
    EXERCISES = "exercises", _("Exercises")
    PREVENTION = "prevention", _("Prevention")
    WHEN_TO_GET_HELP = "when_to_get_help", _("When to get help")


class ArticleQuerySet(models.QuerySet):
    def published(self) -> "ArticleQuerySet":
        """Return the articles the public may read: published, with a publish time now or past."""
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=timezone.now())

    def overdue_for_review(self, *, today: datetime.date) -> "ArticleQuerySet":
        """Return the articles whose next review date has passed."""
        return self.filter(next_review_due__lt=today)


class ArticleText(models.Model):
    """The words of an article: what an editor writes and a clinical reviewer approves."""

    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    summary = models.TextField(
        _("summary"), max_length=300, help_text=_("One or two plain sentences.")
    )
    body = models.TextField(_("body"), blank=True, help_text=_("Markdown. Start headings at ##."))

    # Exercise pages are structured: a starting position, ordered steps, hold, repetitions and
    # cautions. These stay blank on other articles.
    starting_position = models.TextField(_("starting position"), blank=True)
    hold = models.CharField(_("hold"), max_length=200, blank=True)
    repetitions = models.CharField(_("repetitions"), max_length=200, blank=True)
    cautions = models.TextField(_("cautions"), blank=True, help_text=_("One caution per line."))
    needs_professional_review = models.BooleanField(
        _("awaiting professional review"),
        default=False,
        help_text=_("Shows readers that a physiotherapist has not yet checked this exercise."),
    )

    class Meta:
        abstract = True

    @cached_property
    def body_html(self) -> str:
        """Return the body rendered from Markdown and sanitised."""
        return render_markdown(self.body)

    @property
    def is_exercise(self) -> bool:
        return bool(self.starting_position)

    def caution_list(self) -> list[str]:
        """Return the cautions, one per line, without blanks."""
        return [line.strip() for line in self.cautions.splitlines() if line.strip()]


class Article(ArticleText):
    """An article as the public sees it: only ever changed by approving a revision, except
    while it is a draft that has never been published."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(
        _("first published"),
        null=True,
        blank=True,
        help_text=_("A published article appears on the site from this time."),
    )
    featured = models.BooleanField(_("featured on the home page"), default=False)
    # Set by approval (education.services.approve): the named person, their role as readers see
    # it, and the dates. A draft that was never approved has none of them.
    reviewed_by = models.CharField(_("reviewed by"), max_length=200, blank=True)
    reviewer_role = models.CharField(_("reviewer's role"), max_length=200, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    last_reviewed = models.DateField(_("last reviewed"), null=True, blank=True)
    next_review_due = models.DateField(_("next review due"), null=True, blank=True)
    related = models.ManyToManyField(
        "self", blank=True, symmetrical=False, verbose_name=_("related articles")
    )

    # Checksum of the content as the library loader last wrote it; a difference from the
    # current content means a person edited the article since, and the loader leaves it alone.
    source_checksum = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # The words search reads: title (weight A), summary (B) and body (C), stemmed as English.
    # On PostgreSQL a trigger (migration 0009) writes it on every insert and update, whatever
    # saves the row (admin, approval, load_articles, a bulk write); a GIN index serves search.
    # Elsewhere it stays empty and search matches plain words (education.search).
    search_vector = SearchVectorField(null=True, editable=False)

    history = HistoricalRecords(excluded_fields=["search_vector"])
    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["category", "title"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="article_published_has_publish_time",
                violation_error_message=_("A published article needs a publish time."),
            ),
            # What the public reads always names its reviewer and its next review (issue 19).
            models.CheckConstraint(
                condition=Q(status="draft")
                | (~Q(reviewed_by="") & Q(last_reviewed__isnull=False))
                & Q(next_review_due__isnull=False),
                name="article_published_is_reviewed",
                violation_error_message=_(
                    "A published article needs a named reviewer and its review dates."
                ),
            ),
            models.CheckConstraint(
                condition=Q(next_review_due__isnull=True)
                | Q(last_reviewed__isnull=True)
                | Q(next_review_due__gte=models.F("last_reviewed")),
                name="article_review_due_after_last_review",
                violation_error_message=_("The next review must not be before the last one."),
            ),
        ]
        indexes = [models.Index(fields=["status", "published_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("education:article_detail", kwargs={"slug": self.slug})

    def get_preview_url(self) -> str:
        return reverse("education:article_preview", kwargs={"slug": self.slug})

    @property
    def is_protected(self) -> bool:
        """Say whether the portal's own pages link here, so it may never go away or move."""
        return self.slug in PROTECTED_ARTICLES

    def is_review_overdue(self, *, today: datetime.date) -> bool:
        return self.next_review_due is not None and self.next_review_due < today


class StepFields(models.Model):
    position = models.PositiveSmallIntegerField(_("order"))
    instruction = models.TextField(_("instruction"))
    drawing = models.CharField(
        _("drawing"),
        max_length=200,
        blank=True,
        validators=[validate_drawing],
        help_text=_("A drawing in the static files, e.g. img/exercises/low-bridge/step-1.svg."),
    )
    drawing_alt = models.CharField(
        _("drawing's description"),
        max_length=300,
        blank=True,
        help_text=_("What the body does in the drawing, for people who cannot see it."),
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.position}. {self.instruction[:60]}"


class ExerciseStep(StepFields):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="steps", db_index=False
    )

    class Meta:
        ordering = ["article", "position"]
        verbose_name = _("exercise step")
        verbose_name_plural = _("exercise steps")
        constraints = [
            models.UniqueConstraint(fields=["article", "position"], name="unique_step_position"),
        ]


class SourceFields(models.Model):
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=300)
    publisher = models.CharField(_("publisher or journal"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    url = models.URLField(_("link"), blank=True, max_length=500)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.title} ({self.publisher}, {self.year})"


def source_constraints(prefix: str) -> list[models.BaseConstraint]:
    """Return the checks every stored source meets, named for its table."""
    return [
        models.CheckConstraint(
            condition=Q(year__gte=1900) & Q(year__lte=2100), name=f"{prefix}_year_plausible"
        ),
        # The page links to it: a javascript: or data: address would run in the reader's
        # browser. The admin checks this already; the library loader and the ORM do not.
        models.CheckConstraint(
            condition=Q(url="") | Q(url__istartswith="https://") | Q(url__istartswith="http://"),
            name=f"{prefix}_url_is_a_web_address",
            violation_error_message=_("A source link must start with https:// or http://."),
        ),
    ]


class Source(SourceFields):
    """A citation behind an article."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="sources")

    class Meta:
        ordering = ["article", "position", "id"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = source_constraints("source")


class ArticleRevision(ArticleText):
    """A proposed version of an article's words, waiting for (or past) a clinical review.

    An edit to a published article, a draft sent for review, the library's newer text and a
    restored old version are each one revision. Approving one copies it into the article
    (education.services.approve); the public page changes only then.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved and published")
        SENT_BACK = "sent_back", _("Sent back")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # Indexed by the (article, number) constraint, which starts with it.
    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        related_name="revisions",
        verbose_name=_("article"),
        db_index=False,
    )
    number = models.PositiveIntegerField(_("revision"))
    slug = models.SlugField(_("slug"), max_length=200)
    related = models.ManyToManyField(
        Article, blank=True, related_name="+", verbose_name=_("related articles")
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    # Who wrote it: the person who proposed it and everyone who changed it since. None of
    # them may approve it. No author at all means the article library (load_articles).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    contributors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("written by")
    )
    created_at = models.DateTimeField(_("proposed"), default=timezone.now)
    why = models.CharField(_("what changed and why"), max_length=300, blank=True)
    # The article's words as the public saw them when this was proposed ({} if unpublished):
    # what the history's difference is shown against.
    base = models.JSONField(default=dict, blank=True, editable=False)
    restored_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("restored from"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("reviewer's note"), blank=True)
    reviewer_name = models.CharField(_("reviewer"), max_length=200, blank=True)
    reviewer_role = models.CharField(_("reviewer's role"), max_length=200, blank=True)
    next_review_due = models.DateField(_("next review due"), null=True, blank=True)

    class Meta:
        ordering = ["article", "-number"]
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")
        permissions = [
            ("approve_articlerevision", _("Can approve a revision and publish it")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="unique_revision_number"),
            # One proposal at a time: a second edit changes the waiting revision.
            models.UniqueConstraint(
                fields=["article"],
                condition=Q(state="pending"),
                name="one_pending_revision_per_article",
                violation_error_message=_("This article already has a change waiting for review."),
            ),
            models.CheckConstraint(
                condition=~Q(state="approved")
                | (
                    Q(decided_at__isnull=False)
                    & ~Q(reviewer_name="")
                    & ~Q(reviewer_role="")
                    & Q(next_review_due__isnull=False)
                ),
                name="approved_revision_names_its_reviewer",
            ),
        ]

    def __str__(self) -> str:
        return _("%(title)s, revision %(number)s") % {"title": self.title, "number": self.number}

    def get_absolute_url(self) -> str:
        return reverse("admin:education_articlerevision_change", args=[self.pk])

    @property
    def is_pending(self) -> bool:
        return self.state == self.State.PENDING

    @property
    def author_name(self) -> str:
        if self.author is not None:
            return str(self.author)
        return str(_("the article library")) if self.pk else ""


class RevisionStep(StepFields):
    revision = models.ForeignKey(
        ArticleRevision, on_delete=models.CASCADE, related_name="steps", db_index=False
    )

    class Meta:
        ordering = ["revision", "position"]
        verbose_name = _("exercise step")
        verbose_name_plural = _("exercise steps")
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "position"], name="unique_revision_step_position"
            ),
        ]


class RevisionSource(SourceFields):
    revision = models.ForeignKey(ArticleRevision, on_delete=models.CASCADE, related_name="sources")

    class Meta:
        ordering = ["revision", "position", "id"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = source_constraints("revision_source")


class ArticleDueForReview(Article):
    """The articles whose review date has passed, as their own page in the admin."""

    class Meta:
        proxy = True
        verbose_name = _("article overdue for review")
        verbose_name_plural = _("articles overdue for review")
