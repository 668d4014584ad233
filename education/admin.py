import datetime

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from education.models import Article, ArticleDueForReview, ExerciseStep, Source
from education.pages import forget_public_pages

REVIEW_SOON_DAYS = 30


class ReviewFilter(admin.SimpleListFilter):
    title = _("review")
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [
            ("overdue", _("Overdue for review")),
            ("soon", _("Due within 30 days")),
            ("current", _("Up to date")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Article]) -> QuerySet[Article]:
        today = timezone.localdate()
        soon = today + datetime.timedelta(days=REVIEW_SOON_DAYS)
        match self.value():
            case "overdue":
                return queryset.overdue_for_review(today=today)
            case "soon":
                return queryset.filter(next_review_due__gte=today, next_review_due__lte=soon)
            case "current":
                return queryset.filter(next_review_due__gt=soon)
        return queryset


class ExerciseStepInline(admin.TabularInline):
    model = ExerciseStep
    extra = 0
    verbose_name_plural = _("exercise steps (exercises only, in order)")


class SourceInline(admin.TabularInline):
    model = Source
    extra = 0
    # A link typed without a scheme means https (Django 6's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class ArticleAdminForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = (
            "title", "slug", "category", "summary", "body", "status", "published_at", "featured",
            "related", "reviewed_by", "last_reviewed", "next_review_due", "starting_position",
            "hold", "repetitions", "cautions", "needs_professional_review",
        )  # fmt: skip

    def clean(self) -> dict:
        cleaned = super().clean()
        # Publishing without a time means "now", which is what an editor expects.
        if cleaned.get("status") == Article.Status.PUBLISHED and not cleaned.get("published_at"):
            cleaned["published_at"] = timezone.now()
        return cleaned


class ForgetsPublicPages:
    """After any change sent from the admin (form, inline, action, delete, revert), make the
    cached public pages stale, so visitors see the change (education.pages)."""

    def changeform_view(self, request: HttpRequest, *args: object, **kwargs: object):
        return _forgetting(request, super().changeform_view(request, *args, **kwargs))

    def changelist_view(self, request: HttpRequest, *args: object, **kwargs: object):
        return _forgetting(request, super().changelist_view(request, *args, **kwargs))

    def delete_view(self, request: HttpRequest, *args: object, **kwargs: object):
        return _forgetting(request, super().delete_view(request, *args, **kwargs))

    def history_form_view(self, request: HttpRequest, *args: object, **kwargs: object):
        return _forgetting(request, super().history_form_view(request, *args, **kwargs))


def _forgetting(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if request.method == "POST":
        forget_public_pages()
    return response


@admin.register(Article)
class ArticleAdmin(ForgetsPublicPages, SimpleHistoryAdmin):
    form = ArticleAdminForm
    list_display = (
        "title",
        "category",
        "status",
        "published_at",
        "next_review_due",
        "review_state",
        "preview_link",
    )
    list_filter = ("category", "status", ReviewFilter, "featured")
    search_fields = ("title", "summary", "body")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("related",)
    date_hierarchy = "published_at"
    readonly_fields = ("updated_at",)
    inlines = (ExerciseStepInline, SourceInline)
    actions = ("publish", "return_to_draft")
    history_list_display = ("status",)
    fieldsets = (
        (None, {"fields": ("title", "slug", "category", "summary", "body")}),
        (_("Publishing"), {"fields": ("status", "published_at", "featured", "related")}),
        (
            _("Review"),
            {"fields": ("reviewed_by", "last_reviewed", "next_review_due", "updated_at")},
        ),
        (
            _("Exercise (only for exercise pages)"),
            {
                "fields": (
                    "starting_position",
                    "hold",
                    "repetitions",
                    "cautions",
                    "needs_professional_review",
                ),
                "classes": ("collapse",),
            },
        ),
    )

    def get_view_on_site_url(self, obj: Article | None = None) -> str | None:
        return obj.get_preview_url() if obj else None

    @admin.display(description=_("preview"))
    def preview_link(self, obj: Article) -> str:
        return format_html('<a href="{}">{}</a>', obj.get_preview_url(), _("Preview"))

    @admin.display(description=_("review"))
    def review_state(self, obj: Article) -> str:
        if obj.is_review_overdue(today=timezone.localdate()):
            return _("Overdue")
        return _("Up to date")

    @admin.action(description=_("Publish the selected articles now"), permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        count = 0
        for article in queryset.filter(status=Article.Status.DRAFT):
            article.status = Article.Status.PUBLISHED
            article.published_at = article.published_at or timezone.now()
            article._change_reason = "Published from the article list"
            article.save()
            count += 1
        self.message_user(
            request,
            ngettext("%d article published.", "%d articles published.", count) % count,
            messages.SUCCESS,
        )

    @admin.action(description=_("Return the selected articles to draft"), permissions=["change"])
    def return_to_draft(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        count = 0
        for article in queryset.filter(status=Article.Status.PUBLISHED):
            article.status = Article.Status.DRAFT
            article._change_reason = "Returned to draft from the article list"
            article.save()
            count += 1
        self.message_user(
            request,
            ngettext("%d article returned to draft.", "%d articles returned to draft.", count)
            % count,
            messages.SUCCESS,
        )


@admin.register(ArticleDueForReview)
class ArticleDueForReviewAdmin(ArticleAdmin):
    """The articles whose review date has passed, longest overdue first."""

    list_display = ("title", "category", "status", "next_review_due", "reviewed_by", "preview_link")
    list_filter = ("category", "status")
    ordering = ("next_review_due",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        return super().get_queryset(request).overdue_for_review(today=timezone.localdate())

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:  # noqa: E501
        # The history is kept on Article itself; this list is only a filtered view of it.
        return redirect("admin:education_article_history", object_id)

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict | None = None,
    ) -> HttpResponse:  # noqa: E501
        return redirect("admin:education_article_simple_history", object_id, version_id)
