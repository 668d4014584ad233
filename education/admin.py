"""The library's admin, for editors and clinical reviewers (education.services has the rules).

- A draft that was never published is edited on its own page; "Send for review" makes a
  revision of it.
- A published article's page is read only: "Propose a change" opens a revision, a copy of
  its words, which the editor changes on the revision's page.
- A clinical reviewer who wrote none of a revision approves it (or sends it back) on its
  review page, which shows what changes for readers and what the publishing rules refuse.
- The history of an article lists its revisions with their differences; an old one can be
  proposed again.
"""

import datetime
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from education import services
from education.diff import LABELS, changes
from education.models import (
    Article,
    ArticleDueForReview,
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


class ExerciseStepInline(StepFormMixin, admin.StackedInline):
    model = ExerciseStep
    verbose_name_plural = _("exercise steps (exercises only, in order)")


class SourceInline(SourceFormMixin, admin.StackedInline):
    model = Source


class RevisionStepInline(StepFormMixin, admin.StackedInline):
    model = RevisionStep
    verbose_name_plural = _("exercise steps (exercises only, in order)")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _revision_open(obj) and super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _revision_open(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _revision_open(obj) and super().has_delete_permission(request, obj)


class RevisionSourceInline(SourceFormMixin, admin.StackedInline):
    model = RevisionSource

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _revision_open(obj) and super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _revision_open(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _revision_open(obj) and super().has_delete_permission(request, obj)


def _revision_open(revision: ArticleRevision | None) -> bool:
    return revision is None or revision.is_pending


def _article_open(article: Article | None) -> bool:
    """Say whether an article's words may be edited in place: a draft with nothing waiting."""
    if article is None:
        return True
    return (
        article.status == Article.Status.DRAFT
        and getattr(article, "waiting", None) != 1
        and services.pending_revision(article) is None
    )


class LockedInlineMixin:
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _article_open(obj) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _article_open(obj) and super().has_add_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _article_open(obj) and super().has_delete_permission(request, obj)  # type: ignore[misc]


class ArticleStepInline(LockedInlineMixin, ExerciseStepInline):
    pass


class ArticleSourceInline(LockedInlineMixin, SourceInline):
    pass


class ForgetsPublicPages:
    """After any POST to these admin pages (a form, an action, an approval, a delete), make the
    cached public pages stale, so that visitors see the change (education.pages). The services
    also do so when their transaction commits; inside a test's transaction that never happens,
    and here the request has committed already."""

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _forgetting(request, super().changeform_view(request, *args, **kwargs))  # type: ignore[misc]

    def changelist_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _forgetting(request, super().changelist_view(request, *args, **kwargs))  # type: ignore[misc]

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _forgetting(request, super().delete_view(request, *args, **kwargs))  # type: ignore[misc]


def _forgetting(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if request.method == "POST":
        forget_public_pages()
    return response


def _refused(request: HttpRequest, error: services.Refused, *, about: str = "") -> None:
    for field, found in error.problems.items():
        for message in found:
            label = "" if field == services.NON_FIELD else f"{_field_label(field)}: "
            prefix = f"{about}: " if about else ""
            messages.error(request, f"{prefix}{label}{message}")


def _field_label(field: str) -> str:
    return str(LABELS.get(field, field))


def _labelled(problems: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Return each problem with the label of the field that caused it ("" for none)."""
    return [
        ("" if field == services.NON_FIELD else _field_label(field), message)
        for field, found in problems.items()
        for message in found
    ]


@admin.register(Article)
class ArticleAdmin(ForgetsPublicPages, admin.ModelAdmin):
    form = ArticleForm
    change_form_template = "admin/education/article/change_form.html"
    object_history_template = "admin/education/article/history.html"
    list_display = (
        "title",
        "category",
        "status",
        "waiting_change",
        "reviewed_by",
        "next_review_due",
        "review_state",
        "preview_link",
    )
    list_filter = ("category", "status", WaitingFilter, ReviewFilter, "featured")
    search_fields = ("title", "summary", "body")
    prepopulated_fields = {"slug": ("title",)}
    date_hierarchy = "published_at"
    inlines = (ArticleStepInline, ArticleSourceInline)
    actions = ("approve_waiting", "unpublish_selected", "delete_selected")
    review_fields = (
        "status",
        "published_at",
        "reviewed_by",
        "reviewer_role",
        "last_reviewed",
        "next_review_due",
        "updated_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        return (
            super()
            .get_queryset(request)
            .annotate(waiting=Count("revisions", filter=Q(revisions__state="pending")))
        )

    def get_fieldsets(self, request: HttpRequest, obj: Article | None = None) -> list:
        return [
            (None, {"fields": ("title", "slug", "category", "summary", "body")}),
            (_("Links and the home page"), {"fields": ("related", "featured")}),
            EXERCISE_FIELDSET,
            (_("Publishing and review (set by a clinical reviewer's approval)"), {
                "fields": self.review_fields
            }),
        ]  # fmt: skip

    def get_readonly_fields(self, request: HttpRequest, obj: Article | None = None) -> tuple:
        if _article_open(obj):
            return self.review_fields
        # Published, or a change is waiting: the words change only through a revision.
        return (*CONTENT_FIELDS, *self.review_fields)

    def get_prepopulated_fields(self, request: HttpRequest, obj: Article | None = None) -> dict:
        return self.prepopulated_fields if _article_open(obj) else {}

    def get_view_on_site_url(self, obj: Article | None = None) -> str | None:
        return obj.get_preview_url() if obj else None

    def get_actions(self, request: HttpRequest) -> dict:
        found = super().get_actions(request)
        if not request.user.has_perm(services.APPROVE_PERMISSION):
            found.pop("approve_waiting", None)
        return found

    @admin.display(description=_("change waiting"))
    def waiting_change(self, obj: Article) -> str:
        return _("Yes") if getattr(obj, "waiting", 0) else ""

    @admin.display(description=_("preview"))
    def preview_link(self, obj: Article) -> str:
        return format_html('<a href="{}">{}</a>', obj.get_preview_url(), _("Preview"))

    @admin.display(description=_("review"))
    def review_state(self, obj: Article) -> str:
        if obj.next_review_due is None:
            return _("Not reviewed yet")
        if obj.is_review_overdue(today=timezone.localdate()):
            return _("Overdue")
        return _("Up to date")

    def save_model(
        self, request: HttpRequest, obj: Article, form: forms.Form, change: bool
    ) -> None:
        obj._change_reason = "Changed in the admin"  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)
        if obj.status == Article.Status.PUBLISHED:
            forget_public_pages()  # only "featured" can change here: it shows on the home page

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        article = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if article is not None:
            waiting = services.pending_revision(article)
            context.update(
                waiting=waiting,
                locked=not _article_open(article),
                can_propose=self.has_change_permission(request, article),
                problems=_labelled(
                    services.publication_problems(
                        article=article, content=services.content_of(article)
                    )
                )
                if article.status == Article.Status.DRAFT
                else [],
                problems_heading=_("Before this draft can be published:"),
            )
        return super().change_view(request, object_id, form_url, context)

    # --- Deleting: only drafts nothing depends on ------------------------------------------

    def get_deleted_objects(self, objs: Iterable[Article], request: HttpRequest) -> tuple:
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        refusals = [message for article in objs for message in services.deletion_problems(article)]
        return deleted, counts, perms_needed, [*protected, *refusals]

    # --- Actions from the list ---------------------------------------------------------------

    @admin.action(
        description=_("Approve and publish the changes waiting for the selected articles"),
        permissions=["change"],
    )
    def approve_waiting(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        revisions = list(
            ArticleRevision.objects.filter(
                article__in=queryset, state=ArticleRevision.State.PENDING
            ).select_related("article")
        )
        if not revisions:
            messages.warning(request, _("None of the selected articles has a change waiting."))
            return
        role = services.last_role(request.user)
        if not role:
            messages.error(
                request,
                _(
                    "Approve one revision from its review page first, so that your role is "
                    "recorded; the list then uses it."
                ),
            )
            return
        today = timezone.localdate()
        published, refused = services.approve_together(
            revisions=revisions,
            reviewer=request.user,
            reviewer_role=role,
            next_review_due=today + services.DEFAULT_REVIEW_INTERVAL,
            today=today,
        )
        for revision, problems in refused.items():
            _refused(request, services.Refused(problems), about=revision.article.title)
        if published:
            messages.success(
                request,
                ngettext(
                    "%(count)d article approved and published, next review in a year.",
                    "%(count)d articles approved and published, next review in a year.",
                    len(published),
                )
                % {"count": len(published)},
            )

    @admin.action(description=_("Unpublish the selected articles"), permissions=["change"])
    def unpublish_selected(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        count = 0
        for article in queryset.filter(status=Article.Status.PUBLISHED):
            try:
                services.unpublish(article=article)
            except services.Refused as error:
                _refused(request, error, about=article.title)
            else:
                count += 1
        if count:
            messages.success(
                request,
                ngettext("%(count)d article unpublished.", "%(count)d articles unpublished.", count)
                % {"count": count},
            )

    # --- Its own pages: propose a change, unpublish, history --------------------------------

    def get_urls(self) -> list[URLPattern]:
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        own = [
            path(
                "<path:object_id>/propose/",
                self.admin_site.admin_view(self.propose_view),
                name=f"{info}_propose",
            ),
            path(
                "<path:object_id>/unpublish/",
                self.admin_site.admin_view(self.unpublish_view),
                name=f"{info}_unpublish",
            ),
        ]
        return own + super().get_urls()

    def _article_or_404(self, request: HttpRequest, object_id: str) -> Article:
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404(_("No such article."))
        if not self.has_change_permission(request, article):
            raise PermissionDenied
        return article

    @staticmethod
    def _change_url(article: Article) -> str:
        return reverse("admin:education_article_change", args=[article.pk])

    def propose_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Open the article's waiting revision, making one (a copy of its words) if needed."""
        return require_POST(self._propose)(request, object_id)

    def _propose(self, request: HttpRequest, object_id: str) -> HttpResponse:
        article = self._article_or_404(request, object_id)
        revision = services.propose(article=article, author=request.user)
        messages.info(
            request,
            _(
                "Revision %(number)d: change the words here and save. The public page keeps "
                "the approved text until a clinical reviewer approves this revision."
            )
            % {"number": revision.number},
        )
        return redirect(revision.get_absolute_url())

    def unpublish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return _forgetting(request, require_POST(self._unpublish)(request, object_id))

    def _unpublish(self, request: HttpRequest, object_id: str) -> HttpResponse:
        article = self._article_or_404(request, object_id)
        try:
            services.unpublish(article=article)
        except services.Refused as error:
            _refused(request, error)
        else:
            messages.success(request, _("“%(title)s” is no longer public.") % {"title": article})
        return redirect(self._change_url(article))

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        """List the article's revisions, newest first, each with what it changed."""
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404(_("No such article."))
        if not self.has_view_or_change_permission(request, article):
            raise PermissionDenied
        revisions = (
            article.revisions.select_related("author", "decided_by", "restored_from")
            .prefetch_related("sources", "steps", "related")
            .order_by("-number")
        )
        entries = [
            {
                "revision": revision,
                "changes": changes(revision.base, services.content_of(revision)),
            }
            for revision in revisions
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("History of “%(title)s”") % {"title": article.title},
            "subtitle": None,
            "opts": self.opts,
            "object": article,
            "original": article,
            "entries": entries,
            "can_restore": self.has_change_permission(request, article),
            "waiting": services.pending_revision(article),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.object_history_template, context)


@admin.register(ArticleDueForReview)
class ArticleDueForReviewAdmin(ArticleAdmin):
    """The articles whose review date has passed, longest overdue first."""

    list_display = ("title", "category", "status", "next_review_due", "reviewed_by", "preview_link")
    list_filter = ("category", "status")
    ordering = ("next_review_due",)
    actions = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        return super().get_queryset(request).overdue_for_review(today=timezone.localdate())

    def get_urls(self) -> list[URLPattern]:
        return admin.ModelAdmin.get_urls(self)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        # The article's own page has the buttons (propose a change, history).
        return redirect("admin:education_article_change", object_id)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        # The history is kept on Article itself; this list is only a filtered view of it.
        return redirect("admin:education_article_history", object_id)


class ApprovalForm(forms.Form):
    reviewer_role = forms.CharField(
        label=_("Your role, as readers will see it"),
        max_length=200,
        help_text=_("For example “Physiotherapist (HCPC registered)” or “General practitioner”."),
        error_messages={"required": _("Give your role as readers will see it.")},
    )
    next_review_due = forms.DateField(
        label=_("Next review due"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Choose the date of the next review."),
            "invalid": _("Enter a date like 2027-12-05."),
        },
    )
    note = forms.CharField(
        label=_("Note for the history (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )


class SendBackForm(forms.Form):
    decision_note = forms.CharField(
        label=_("What needs to change"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={"required": _("Say what needs to change.")},
    )


@admin.register(ArticleRevision)
class ArticleRevisionAdmin(ForgetsPublicPages, admin.ModelAdmin):
    form = RevisionForm
    change_form_template = "admin/education/articlerevision/change_form.html"
    review_template = "admin/education/articlerevision/review.html"
    view_on_site = False  # its page is the review, not the public page
    list_display = ("__str__", "state", "proposed_by", "created_at", "decided_by", "decided_at")
    list_filter = ("state",)
    list_select_related = ("article", "author", "decided_by")
    search_fields = ("title", "article__title", "why")
    inlines = (RevisionStepInline, RevisionSourceInline)
    decision_fields = (
        "article",
        "number",
        "state",
        "proposed_by",
        "created_at",
        "restored_from",
        "decided_by",
        "decided_at",
        "decision_note",
        "reviewer_name",
        "reviewer_role",
        "next_review_due",
    )

    def get_fieldsets(self, request: HttpRequest, obj: ArticleRevision | None = None) -> list:
        return [
            (None, {"fields": ("why", "title", "slug", "category", "summary", "body")}),
            (_("Links"), {"fields": ("related",)}),
            EXERCISE_FIELDSET,
            (_("Review"), {"fields": self.decision_fields}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple:
        if _revision_open(obj):
            return self.decision_fields
        return (*CONTENT_FIELDS, "why", *self.decision_fields)

    @admin.display(description=_("proposed by"))
    def proposed_by(self, obj: ArticleRevision) -> str:
        return obj.author_name

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a revision starts from its article's page ("Propose a change")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the history is kept

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _revision_open(obj) and super().has_change_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: ArticleRevision, form: forms.Form, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        services.note_contributor(revision=obj, user=request.user)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        revision = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if revision is not None:
            context.update(self._review_context(request, revision))
        return super().change_view(request, object_id, form_url, context)

    def _review_context(self, request: HttpRequest, revision: ArticleRevision) -> dict:
        content = services.content_of(revision)
        live = services.content_of(revision.article)
        wrote = revision.contributors.filter(pk=request.user.pk).exists()
        return {
            "revision": revision,
            "against_live": changes(
                live if revision.article.status == Article.Status.PUBLISHED else {}, content
            ),
            "problems": _labelled(
                services.publication_problems(article=revision.article, content=content)
            )
            if revision.is_pending
            else [],
            "problems_heading": _("Before this revision can be published:"),
            "may_approve": revision.is_pending
            and request.user.has_perm(services.APPROVE_PERMISSION)
            and not wrote,
            "wrote_it": wrote,
            "may_withdraw": revision.is_pending
            and super().has_change_permission(request, revision),
        }

    def get_urls(self) -> list[URLPattern]:
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        own = [
            path(
                "<path:object_id>/review/",
                self.admin_site.admin_view(self.review_view),
                name=f"{info}_review",
            ),
            path(
                "<path:object_id>/withdraw/",
                self.admin_site.admin_view(self.withdraw_view),
                name=f"{info}_withdraw",
            ),
            path(
                "<path:object_id>/restore/",
                self.admin_site.admin_view(self.restore_view),
                name=f"{info}_restore",
            ),
        ]
        return own + super().get_urls()

    def _revision(self, request: HttpRequest, object_id: str) -> ArticleRevision:
        revision = self.get_object(request, unquote(object_id))
        if revision is None:
            raise Http404(_("No such revision."))
        if not self.has_view_or_change_permission(request, revision):
            raise PermissionDenied
        return revision

    def review_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Show a clinical reviewer what changes, what the rules refuse; approve or send back."""
        return _forgetting(request, self._review(request, object_id))

    def _review(self, request: HttpRequest, object_id: str) -> HttpResponse:
        revision = self._revision(request, object_id)
        if not request.user.has_perm(services.APPROVE_PERMISSION):
            raise PermissionDenied
        today = timezone.localdate()
        approval = ApprovalForm(
            initial={
                "reviewer_role": services.last_role(request.user),
                "next_review_due": today + services.DEFAULT_REVIEW_INTERVAL,
            }
        )
        send_back = SendBackForm()
        refusals: list[str] = []
        if request.method == "POST" and "approve" in request.POST:
            approval = ApprovalForm(request.POST)
            if approval.is_valid():
                try:
                    article = services.approve(
                        revision=revision,
                        reviewer=request.user,
                        reviewer_role=approval.cleaned_data["reviewer_role"],
                        next_review_due=approval.cleaned_data["next_review_due"],
                        today=today,
                        note=approval.cleaned_data["note"],
                    )
                except services.Refused as error:
                    refusals = _place(error.problems, approval)
                else:
                    messages.success(
                        request,
                        _("“%(title)s” is published with revision %(number)d.")
                        % {"title": article.title, "number": revision.number},
                    )
                    return redirect("admin:education_article_change", article.pk)
        elif request.method == "POST" and "send_back" in request.POST:
            send_back = SendBackForm(request.POST)
            if send_back.is_valid():
                try:
                    services.send_back(
                        revision=revision,
                        reviewer=request.user,
                        note=send_back.cleaned_data["decision_note"],
                    )
                except services.Refused as error:
                    refusals = _place(error.problems, send_back)
                else:
                    messages.success(
                        request,
                        _("Revision %(number)d was sent back to its author.")
                        % {"number": revision.number},
                    )
                    return redirect("admin:education_article_change", revision.article_id)
        elif request.method not in ("GET", "HEAD"):
            return HttpResponse(status=405)
        context = {
            **self.admin_site.each_context(request),
            **self._review_context(request, revision),
            "title": _("Review revision %(number)d of “%(title)s”")
            % {"number": revision.number, "title": revision.article.title},
            "subtitle": None,
            "opts": self.opts,
            "original": revision,
            "approval": approval,
            "send_back": send_back,
            "refusals": refusals,
        }
        return TemplateResponse(request, self.review_template, context)

    def withdraw_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return require_POST(self._withdraw)(request, object_id)

    def _withdraw(self, request: HttpRequest, object_id: str) -> HttpResponse:
        revision = self._revision(request, object_id)
        if not super().has_change_permission(request, revision):
            raise PermissionDenied
        try:
            services.withdraw(revision=revision, user=request.user)
        except services.Refused as error:
            _refused(request, error)
        else:
            messages.success(
                request,
                _("Revision %(number)d was withdrawn; the article is unchanged.")
                % {"number": revision.number},
            )
        return redirect("admin:education_article_change", revision.article_id)

    def restore_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return require_POST(self._restore)(request, object_id)

    def _restore(self, request: HttpRequest, object_id: str) -> HttpResponse:
        revision = self._revision(request, object_id)
        if not super().has_change_permission(request, revision):
            raise PermissionDenied
        try:
            restored = services.restore(revision=revision, user=request.user)
        except services.Refused as error:
            _refused(request, error)
            return redirect("admin:education_article_history", revision.article_id)
        messages.success(
            request,
            _(
                "Revision %(old)d is proposed again as revision %(new)d. It goes live only "
                "when a clinical reviewer approves it."
            )
            % {"old": revision.number, "new": restored.number},
        )
        return HttpResponseRedirect(restored.get_absolute_url())


def _place(problems: dict[str, list[str]], form: forms.Form) -> list[str]:
    """Put each refusal next to the form field it is about; return those about no field.

    Refusals about the revision's own fields (sources, body...) are shown beside those fields
    on the page already (publication_problems), so they are not repeated here.
    """
    for field, found in problems.items():
        if field in form.fields:
            for message in found:
                form.add_error(field, message)
    return problems.get(services.NON_FIELD, [])
