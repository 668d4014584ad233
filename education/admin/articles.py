"""The articles' admin: drafts edited in place, published ones only through revisions."""

from collections.abc import Iterable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from education import services
from education.admin.parts import (
    CONTENT_FIELDS,
    EXERCISE_FIELDSET,
    ArticleForm,
    ArticleSourceInline,
    ArticleStepInline,
    ForgetsPublicPages,
    ReviewFilter,
    WaitingFilter,
    article_open,
    content_from_forms,
    forgetting,
    labelled,
    object_urls,
    report_refusal,
)
from education.diff import changes
from education.models import (
    Article,
    ArticleDueForReview,
    ArticleRevision,
)
from education.pages import forget_public_pages


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
        if article_open(obj):
            return self.review_fields
        # A change is waiting for review: the words change there, on the revision's page.
        return (*CONTENT_FIELDS, *self.review_fields)

    def get_prepopulated_fields(self, request: HttpRequest, obj: Article | None = None) -> dict:
        # A new title must not quietly give a published article a new address.
        if obj is None or (obj.status == Article.Status.DRAFT and article_open(obj)):
            return self.prepopulated_fields
        return {}

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
        if change and obj.status == Article.Status.PUBLISHED:
            # The public words change only by approval: save_related makes a revision of them.
            # Whether it is on the home page is no part of the words, and changes at once.
            obj._proposing = True  # type: ignore[attr-defined]
            if "featured" in form.changed_data:
                live = Article.objects.get(pk=obj.pk)
                live.featured = obj.featured
                live._change_reason = "Featured changed in the admin"  # type: ignore[attr-defined]
                live.save(update_fields=["featured", "updated_at"])
                forget_public_pages()
            return
        obj._change_reason = "Changed in the admin"  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool
    ) -> None:
        article = form.instance
        if not getattr(article, "_proposing", False):
            super().save_related(request, form, formsets, change)
            return
        for formset in formsets:  # nothing of them is saved to the article (the admin's log asks)
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        live = Article.objects.get(pk=article.pk)
        waiting = services.pending_revision(live)
        if waiting is not None:  # it arrived after this page was opened: its fields were locked
            messages.error(
                request,
                _(
                    "Revision %(number)d of this article is waiting for review, so your edits "
                    "were not saved. Make them on that revision's page."
                )
                % {"number": waiting.number},
            )
            request._proposal_refused = True  # type: ignore[attr-defined]
            return
        content = content_from_forms(form, formsets)
        if content == services.content_of(live):
            return
        try:
            revision = services.propose(article=live, author=request.user, content=content)
        except services.Refused as error:  # another person's revision arrived meanwhile
            report_refusal(request, error)
            request._proposal_refused = True  # type: ignore[attr-defined]
            return
        request._proposed_revision = revision  # type: ignore[attr-defined]

    def response_change(self, request: HttpRequest, obj: Article) -> HttpResponse:
        if getattr(request, "_proposal_refused", False):
            return redirect("admin:education_article_change", obj.pk)
        revision = getattr(request, "_proposed_revision", None)
        if revision is None:
            return super().response_change(request, obj)
        messages.success(
            request,
            _(
                "Your change is saved as revision %(number)d, waiting for a clinical reviewer. "
                "The public page keeps the approved text until then."
            )
            % {"number": revision.number},
        )
        return redirect(revision.get_absolute_url())

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
                can_propose=self.has_change_permission(request, article),
                problems=labelled(
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
        # Nobody may delete a revision on its own (the history is kept); the revisions of a
        # draft that was never published (deletion_problems refuses the others) go with it.
        perms_needed = set(perms_needed) - {str(ArticleRevision._meta.verbose_name)}
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
            report_refusal(request, services.Refused(problems), about=revision.article.title)
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
        unpublished, refused = services.unpublish_together(articles=list(queryset))
        for article, problems in refused.items():
            report_refusal(
                request, services.Refused({services.NON_FIELD: problems}), about=article.title
            )
        if unpublished:
            count = len(unpublished)
            messages.success(
                request,
                ngettext("%(count)d article unpublished.", "%(count)d articles unpublished.", count)
                % {"count": count},
            )

    # --- Its own pages: propose a change, unpublish, history --------------------------------

    def get_urls(self) -> list[URLPattern]:
        own = object_urls(self, {"propose": self.propose_view, "unpublish": self.unpublish_view})
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
        return forgetting(request, require_POST(self._unpublish)(request, object_id))

    def _unpublish(self, request: HttpRequest, object_id: str) -> HttpResponse:
        article = self._article_or_404(request, object_id)
        try:
            services.unpublish(article=article)
        except services.Refused as error:
            report_refusal(request, error)
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
