import datetime

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from education.markdown import render_markdown


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


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    summary = models.TextField(
        _("summary"), max_length=300, help_text=_("One or two plain sentences.")
    )
    body = models.TextField(_("body"), help_text=_("Markdown. Start headings at ##."))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(
        _("publish time"),
        null=True,
        blank=True,
        help_text=_("A published article appears on the site from this time."),
    )
    featured = models.BooleanField(_("featured on the home page"), default=False)
    reviewed_by = models.CharField(_("reviewed by"), max_length=200)
    last_reviewed = models.DateField(_("last reviewed"))
    next_review_due = models.DateField(_("next review due"))
    related = models.ManyToManyField(
        "self", blank=True, symmetrical=False, verbose_name=_("related articles")
    )

    # Exercise pages are structured: a starting position, ordered steps (ExerciseStep), hold,
    # repetitions and cautions. These stay blank on other articles.
    starting_position = models.TextField(_("starting position"), blank=True)
    hold = models.CharField(_("hold"), max_length=200, blank=True)
    repetitions = models.CharField(_("repetitions"), max_length=200, blank=True)
    cautions = models.TextField(_("cautions"), blank=True, help_text=_("One caution per line."))
    needs_professional_review = models.BooleanField(
        _("awaiting professional review"),
        default=False,
        help_text=_("Shows readers that a physiotherapist has not yet checked this exercise."),
    )

    # Checksum of the content as the library loader last wrote it; a difference from the
    # current content means a person edited the article since, and the loader leaves it alone.
    source_checksum = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()
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
            models.CheckConstraint(
                condition=Q(next_review_due__gte=models.F("last_reviewed")),
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

    def is_review_overdue(self, *, today: datetime.date) -> bool:
        return self.next_review_due < today


class ExerciseStep(models.Model):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="steps", db_index=False
    )
    position = models.PositiveSmallIntegerField(_("order"))
    instruction = models.TextField(_("instruction"))

    class Meta:
        ordering = ["article", "position"]
        verbose_name = _("exercise step")
        verbose_name_plural = _("exercise steps")
        constraints = [
            models.UniqueConstraint(fields=["article", "position"], name="unique_step_position"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.instruction[:60]}"


class Source(models.Model):
    """A citation behind an article."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="sources")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=300)
    publisher = models.CharField(_("publisher or journal"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    url = models.URLField(_("link"), blank=True, max_length=500)

    class Meta:
        ordering = ["article", "position", "id"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=1900) & Q(year__lte=2100),
                name="source_year_plausible",
            ),
            # The page links to it: a javascript: or data: address would run in the reader's
            # browser. The admin checks this already; the library loader and the ORM do not.
            models.CheckConstraint(
                condition=Q(url="")
                | Q(url__istartswith="https://")
                | Q(url__istartswith="http://"),
                name="source_url_is_a_web_address",
                violation_error_message=_("A source link must start with https:// or http://."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.publisher}, {self.year})"


class ArticleDueForReview(Article):
    """The articles whose review date has passed, as their own page in the admin."""

    class Meta:
        proxy = True
        verbose_name = _("article overdue for review")
        verbose_name_plural = _("articles overdue for review")
