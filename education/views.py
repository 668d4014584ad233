from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, ListView

from education.forms import SearchForm
from education.markdown import render_markdown
from education.models import Article, Category, ExerciseStep
from education.pages import public_page, public_page_kept_by
from education.readability import (
    MIN_WORDS,
    READING_AGE_TARGET,
    ReadingReport,
    reading_report,
)
from education.search import search_articles
from education.widgets import PREVIEW_MAX_CHARS as DRAFT_PREVIEW_MAX_CHARS

SEARCH_RESULTS_SHOWN = 20
# What the printable exercise sheet shows of each exercise, besides its steps.
SHEET_FIELDS = (
    "slug", "title", "starting_position", "hold", "repetitions", "cautions",
    "needs_professional_review",
)  # fmt: skip


def _with_page_parts(articles: QuerySet[Article]) -> QuerySet[Article]:
    """Fetch what an article page shows beside the article: steps, sources, published links."""
    return articles.prefetch_related(
        "steps",
        "sources",
        Prefetch("related", queryset=Article.objects.published().only("slug", "title", "summary")),
    )


@method_decorator(public_page, name="dispatch")
class ArticleListView(ListView):
    """List every published article, grouped by category in the template."""

    template_name = "education/article_list.html"
    context_object_name = "articles"

    def get_queryset(self) -> QuerySet[Article]:
        return Article.objects.published().only("slug", "title", "summary", "category")

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        by_category = {value: [] for value in Category.values}
        for article in context["articles"]:
            by_category[article.category].append(article)
        context["groups"] = [
            (Category(value), by_category[value]) for value in Category.values if by_category[value]
        ]
        return context


@method_decorator(public_page, name="dispatch")
class CategoryView(ListView):
    """List the published articles of one category."""

    template_name = "education/category_detail.html"
    context_object_name = "articles"

    def get_queryset(self) -> QuerySet[Article]:
        if self.kwargs["category"] not in Category.values:
            raise Http404("No such category")
        self.category = Category(self.kwargs["category"])
        return Article.objects.published().filter(category=self.category)

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        return super().get_context_data(category=self.category, **kwargs)


@method_decorator(public_page, name="dispatch")
class ArticleDetailView(DetailView):
    """Show one published article."""

    template_name = "education/article_detail.html"
    context_object_name = "article"

    def get_queryset(self) -> QuerySet[Article]:
        return _with_page_parts(Article.objects.published())

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        today = timezone.localdate()
        return super().get_context_data(
            review_overdue=self.object.is_review_overdue(today=today), preview=False, **kwargs
        )


@public_page
def exercise_sheet(request: HttpRequest) -> HttpResponse:
    """Show every published single exercise, with its drawings, on one printable page."""
    exercises = list(
        Article.objects.published()
        .filter(Exists(ExerciseStep.objects.filter(article=OuterRef("pk"))))
        .only(*SHEET_FIELDS)
        .prefetch_related("steps")
        .order_by("title")
    )
    return render(
        request,
        "education/exercise_sheet.html",
        {
            "exercises": exercises,
            "awaiting_review": any(exercise.needs_professional_review for exercise in exercises),
            # Printed, the sheet says where it came from: the portal's public address.
            "site_url": settings.PORTAL_SITE_URL,
        },
    )


@login_required
def article_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """Show any article, draft or published, to staff allowed to see the library."""
    if not request.user.has_perm("education.view_article"):
        raise Http404("No such article")
    article = get_object_or_404(_with_page_parts(Article.objects.all()), slug=slug)
    return render(
        request,
        "education/article_detail.html",
        {
            "article": article,
            "preview": True,
            "review_overdue": article.is_review_overdue(today=timezone.localdate()),
        },
    )


@login_required
@never_cache
@require_POST
def draft_preview(request: HttpRequest) -> JsonResponse:
    """Render a draft body as the site will show it, with its reading age, for the editor."""
    if not request.user.has_perm("education.change_article"):
        raise Http404("No such page")
    text = request.POST.get("text", "")
    if len(text) > DRAFT_PREVIEW_MAX_CHARS:
        message = _(
            "The text is too long to preview: %(length)s characters, at most %(limit)s. "
            "Nothing was changed; split the article before saving it."
        ) % {"length": f"{len(text):,}", "limit": f"{DRAFT_PREVIEW_MAX_CHARS:,}"}
        return JsonResponse({"error": message}, status=400)
    report = reading_report(text)
    return JsonResponse(
        {
            "html": render_markdown(text),
            "reading_age": report.age,
            "words": report.words,
            "sentences": report.sentences,
            "hardest": list(report.hardest),
            "target": list(READING_AGE_TARGET),
            "verdict": _verdict(report),
            "summary": _reading_summary(report),
        }
    )


def _verdict(report: ReadingReport) -> str:
    low, high = READING_AGE_TARGET
    if report.age is None:
        return "unknown"
    if report.age > high:
        return "above"
    if report.age < low:
        return "below"
    return "within"


def _reading_summary(report: ReadingReport) -> str:
    """Say the reading age in words that do not rely on the colour the editor shows it in."""
    low, high = READING_AGE_TARGET
    age = "" if report.age is None else f"{report.age:.1f}"
    values = {"age": age, "low": low, "high": high, "words": MIN_WORDS}
    match _verdict(report):
        case "unknown":
            return (
                _("Too little text to judge the reading age yet (target %(low)s to %(high)s).")
                % values
            )
        case "above":
            return (
                _(
                    "Reading age about %(age)s (target %(low)s to %(high)s): too hard. "
                    "Shorter sentences and everyday words bring it down."
                )
                % values
            )
        case "below":
            return (
                _(
                    "Reading age about %(age)s (target %(low)s to %(high)s): simpler than needed. "
                    "Joining very short sentences may read better."
                )
                % values
            )
    return _("Reading age about %(age)s (target %(low)s to %(high)s): on target.") % values


def _search_page_name(request: HttpRequest) -> str | None:
    """Name a visitor's search page by its normalised query; an empty or bad one is not kept."""
    form = SearchForm(request.GET)
    return f"search:{form.cleaned_data['q']}" if form.is_valid() else None


@public_page_kept_by(_search_page_name)
def search(request: HttpRequest) -> HttpResponse:
    """Search the published articles; an empty or bad query gets a friendly page, not an error."""
    form = SearchForm(request.GET or None)
    query = form["q"].value() or ""
    results: list[Article] = []
    if form.is_valid():
        # Shown as normalised: every query that normalises alike gets this same page.
        query = form.cleaned_data["q"]
        found = search_articles(query).only("slug", "title", "summary")
        results = list(found[:SEARCH_RESULTS_SHOWN])
    return render(
        request,
        "education/search.html",
        {"form": form, "query": query, "results": results, "categories": Category.choices},
    )
