"""What the library's admin pages share: forms, inlines, filters, and how refusals show."""

import datetime
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from education import services
from education.diff import LABELS
from education.models import (
    Article,
    ArticleRevision,
    ExerciseStep,
    RevisionSource,
    RevisionStep,
    Source,
)
from education.pages import forget_public_pages
from education.widgets import MarkdownEditor

REVIEW_SOON_DAYS = 30
CONTENT_FIELDS = (
    "title", "slug", "category", "summary", "body", "related", "starting_position", "hold",
    "repetitions", "cautions", "needs_professional_review",
)  # fmt: skip
EXERCISE_FIELDSET = (
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
)
WIDE_TEXT = forms.Textarea(attrs={"rows": 3, "cols": 80})


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


class WaitingFilter(admin.SimpleListFilter):
    title = _("change waiting for review")
    parameter_name = "waiting"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Article]) -> QuerySet[Article]:
        match self.value():
            case "yes":
                return queryset.filter(waiting__gt=0)
            case "no":
                return queryset.filter(waiting=0)
        return queryset


class ContentForm(forms.ModelForm):
    """The words an editor writes, on an article draft or a revision."""

    class Meta:
        fields = CONTENT_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "body" in self.fields:
            self.fields["body"].widget = MarkdownEditor()
        for name in ("summary", "starting_position", "cautions"):
            if name in self.fields:
                self.fields[name].widget = WIDE_TEXT


class ArticleForm(ContentForm):
    class Meta(ContentForm.Meta):
        model = Article
        fields = (*CONTENT_FIELDS, "featured")


class RevisionForm(ContentForm):
    class Meta(ContentForm.Meta):
        model = ArticleRevision
        fields = (*CONTENT_FIELDS, "why")


class SourceFormMixin:
    # A link typed without a scheme means https (Django 6's default, chosen now).
    formfield_overrides = {
        Source._meta.get_field("url").__class__: {"assume_scheme": "https"},
    }
    extra = 0
    fields = ("position", "title", "publisher", "year", "url")
    classes = ("sources-inline",)


class StepFormMixin:
    extra = 0
    fields = ("position", "instruction", "drawing", "drawing_alt")
    formfield_overrides = {
        ExerciseStep._meta.get_field("instruction").__class__: {
            "widget": forms.Textarea(attrs={"rows": 2, "cols": 60})
        },
    }


def revision_open(revision: ArticleRevision | None) -> bool:
    return revision is None or revision.is_pending


def content_from_forms(form: forms.ModelForm, formsets: list) -> services.Content:
    """Return the words an article's admin page was sent with, as education.services.content_of
    gives them: its fields, and the rows of its steps and sources that were not deleted."""
    data = form.cleaned_data
    content: services.Content = {name: data[name] for name in services.TEXT_FIELDS}
    content["cautions"] = [line.strip() for line in data["cautions"].splitlines() if line.strip()]
    content["related"] = sorted(other.slug for other in data["related"])
    rows: dict[type, list[dict[str, Any]]] = {ExerciseStep: [], Source: []}
    for formset in formsets:
        kept = [
            sent.cleaned_data
            for sent in formset.forms
            if sent.cleaned_data and not sent.cleaned_data.get("DELETE")
        ]
        rows[formset.model] = sorted(kept, key=lambda row: row.get("position") or 0)
    content["steps"] = [
        {"text": row["instruction"], "drawing": row["drawing"], "alt": row["drawing_alt"]}
        for row in rows[ExerciseStep]
    ]
    content["sources"] = [
        {
            "title": row["title"],
            "publisher": row["publisher"],
            "year": row["year"],
            "url": row["url"],
        }
        for row in rows[Source]
    ]
    return content


def article_open(article: Article | None) -> bool:
    """Say whether an article's page takes edits: not while a revision of it waits for review
    (the edits go there). A draft's edits are saved in place; a published article's become a
    revision (ArticleAdmin.save_related)."""
    return article is None or services.pending_revision(article) is None


class EditableWhileOpen:
    """An inline whose rows may change only while its page's words may (is_open says when);
    otherwise it shows them read-only."""

    is_open: Callable[[Any], bool]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return type(self).is_open(obj) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return type(self).is_open(obj) and super().has_add_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return type(self).is_open(obj) and super().has_delete_permission(request, obj)  # type: ignore[misc]


STEPS_TITLE = _("exercise steps (exercises only, in order)")


class ArticleStepInline(EditableWhileOpen, StepFormMixin, admin.StackedInline):
    model = ExerciseStep
    verbose_name_plural = STEPS_TITLE
    is_open = staticmethod(article_open)


class ArticleSourceInline(EditableWhileOpen, SourceFormMixin, admin.StackedInline):
    model = Source
    is_open = staticmethod(article_open)


class RevisionStepInline(EditableWhileOpen, StepFormMixin, admin.StackedInline):
    model = RevisionStep
    verbose_name_plural = STEPS_TITLE
    is_open = staticmethod(revision_open)


class RevisionSourceInline(EditableWhileOpen, SourceFormMixin, admin.StackedInline):
    model = RevisionSource
    is_open = staticmethod(revision_open)


def object_urls(
    model_admin: admin.ModelAdmin, views: dict[str, Callable[..., HttpResponse]]
) -> list[URLPattern]:
    """Return the admin URLs <object id>/<name>/ of a model admin's own views, each named
    "<app>_<model>_<name>" and behind the admin's login and staff check."""
    info = f"{model_admin.opts.app_label}_{model_admin.opts.model_name}"
    return [
        path(
            f"<path:object_id>/{name}/",
            model_admin.admin_site.admin_view(view),
            name=f"{info}_{name}",
        )
        for name, view in views.items()
    ]


class ForgetsPublicPages:
    """After any POST to these admin pages (a form, an action, an approval, a delete), make the
    cached public pages stale, so that visitors see the change (education.pages). The services
    also do so when their transaction commits; inside a test's transaction that never happens,
    and here the request has committed already."""

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return forgetting(request, super().changeform_view(request, *args, **kwargs))  # type: ignore[misc]

    def changelist_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return forgetting(request, super().changelist_view(request, *args, **kwargs))  # type: ignore[misc]

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return forgetting(request, super().delete_view(request, *args, **kwargs))  # type: ignore[misc]


def forgetting(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if request.method == "POST":
        forget_public_pages()
    return response


def report_refusal(request: HttpRequest, error: services.Refused, *, about: str = "") -> None:
    for field, found in error.problems.items():
        for message in found:
            label = "" if field == services.NON_FIELD else f"{field_label(field)}: "
            prefix = f"{about}: " if about else ""
            messages.error(request, f"{prefix}{label}{message}")


def field_label(field: str) -> str:
    return str(LABELS.get(field, field))


def labelled(problems: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Return each problem with the label of the field that caused it ("" for none)."""
    return [
        ("" if field == services.NON_FIELD else field_label(field), message)
        for field, found in problems.items()
        for message in found
    ]
