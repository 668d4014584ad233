"""The revisions' admin: editing a proposed change, reviewing, approving, restoring."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from education import services
from education.admin.parts import (
    CONTENT_FIELDS,
    EXERCISE_FIELDSET,
    ForgetsPublicPages,
    RevisionForm,
    RevisionSourceInline,
    RevisionStepInline,
    forgetting,
    labelled,
    object_urls,
    report_refusal,
    revision_open,
)
from education.diff import changes
from education.models import (
    Article,
    ArticleRevision,
)


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
        if revision_open(obj):
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
        return revision_open(obj) and super().has_change_permission(request, obj)

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
            "problems": labelled(
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
        own = object_urls(
            self,
            {
                "review": self.review_view,
                "withdraw": self.withdraw_view,
                "restore": self.restore_view,
            },
        )
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
        return forgetting(request, self._review(request, object_id))

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
            report_refusal(request, error)
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
            report_refusal(request, error)
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
