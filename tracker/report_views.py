"""The patient's own report: the page, its PDF, and the read-only links that show it to others.

The patient's pages follow tracker.views (signed in, never cached, their own data only). The
public pages behind a link need no sign-in and show nothing but the report: no links into an
account, no indexing, no caching, no referrer; an unknown, expired or revoked secret is the
site's ordinary 404, the same for each, and tries from one address are rate-limited.
"""

import datetime
import logging

from allauth.core import ratelimit
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from tracker import dates, report_links, services
from tracker.models import ReportLink
from tracker.report import Report, build_report, flag_began, suggested_period
from tracker.report_forms import ReportLinkForm, ReportPeriodForm
from tracker.views import patient_page

logger = logging.getLogger(__name__)

# The session key holding a new link's secret until the links page has shown it once.
NEW_LINK = "report_link_new"


def _today(user: User, now: datetime.datetime) -> datetime.date:
    return dates.local_day(now, user.zone)


def _period_form(request: HttpRequest, now: datetime.datetime) -> ReportPeriodForm:
    """Return the period form, bound to the address's choice or filled with the suggestion."""
    today = _today(request.user, now)
    if "since" in request.GET or "until" in request.GET:
        return ReportPeriodForm(request.GET, today=today)
    assessment = services.remembered_status(request.user, now=now).assessment
    since, until = suggested_period(assessment, today=today, zone=request.user.zone)
    return ReportPeriodForm({"since": since, "until": until}, today=today)


def _document(request: HttpRequest, report: Report, *, public: bool, pdf_url: str = "") -> str:
    return render_to_string(
        "tracker/report/document.html",
        {"report": report, "public": public, "pdf_url": pdf_url},
        request=request,
    )


def _pdf_response(html: str, report: Report) -> HttpResponse:
    # Imported here: WeasyPrint builds its own stylesheets as it loads (0.35 s), which only a
    # request for a PDF should pay, not every web and worker process as it starts.
    from tracker.report_pdf import render_pdf

    response = HttpResponse(render_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        False, f"back-cramp-report-{report.since}-to-{report.until}.pdf"
    )
    return response


@patient_page
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    """Show the report of a period, with the choice of period, printing and the PDF."""
    now = timezone.now()
    form = _period_form(request, now)
    today = _today(request.user, now)
    assessment = services.remembered_status(request.user, now=now).assessment
    began = flag_began(assessment, zone=request.user.zone)
    context: dict[str, object] = {
        "form": form,
        "today": today,
        "four_weeks_since": today - datetime.timedelta(days=27),
        "flag_began": began if began is not None and began <= today else None,
    }
    status = 200
    if form.is_valid():
        since, until = form.period()
        context["report"] = build_report(patient=request.user, since=since, until=until, now=now)
        context["query"] = f"since={since.isoformat()}&until={until.isoformat()}"
    else:
        status = 400
    return render(request, "tracker/report/report.html", context, status=status)


@patient_page
@require_GET
def report_pdf(request: HttpRequest) -> HttpResponse:
    """Send the report of a period as a PDF; a wrong period shows the page with its messages."""
    refused = ratelimit.consume_or_429(
        request, action="report_pdf", user=request.user, limit_get=True
    )
    if refused is not None:
        return refused
    now = timezone.now()
    form = _period_form(request, now)
    if not form.is_valid():
        return render(request, "tracker/report/report.html", {"form": form}, status=400)
    since, until = form.period()
    data = build_report(patient=request.user, since=since, until=until, now=now)
    return _pdf_response(_document(request, data, public=False), data)


@patient_page
def links(request: HttpRequest) -> HttpResponse:
    """List the patient's links with their openings; make a new one (POST)."""
    now = timezone.now()
    today = _today(request.user, now)
    if request.method == "POST":
        if not ratelimit.consume(request, action="report_link", user=request.user):
            return ratelimit.respond_429(request)
        form = ReportLinkForm(request.POST, today=today)
        if form.is_valid():
            since, until = form.period()

            made: list[tuple[ReportLink, str]] = []

            def write() -> str:
                made.append(
                    report_links.create_link(
                        patient=request.user, since=since, until=until, now=now
                    )
                )
                return reverse("tracker:report_links")

            try:
                redirect_to, created = services.once(
                    patient=request.user, key=form.cleaned_data["submission_key"], write=write
                )
            except report_links.TooManyLinks as refused:
                form.add_error(
                    None,
                    _(
                        "You already have %(limit)s links that work. Revoke one you no longer "
                        "need, then make a new one."
                    )
                    % {"limit": refused.limit},
                )
            else:
                # A repeat's link was rolled back with its key: only a first press has one.
                if created:
                    link, token = made[-1]
                    request.session[NEW_LINK] = {"id": link.pk, "token": token}
                    messages.success(request, _("Your link is ready. Copy it now."))
                return redirect(redirect_to)
    else:
        since, until = suggested_period(
            services.remembered_status(request.user, now=now).assessment,
            today=today,
            zone=request.user.zone,
        )
        initial = {
            "since": request.GET.get("since") or since,
            "until": request.GET.get("until") or until,
        }
        form = ReportLinkForm(initial=initial, today=today)
    new = request.session.pop(NEW_LINK, None)
    new_url = ""
    if new:
        new_url = request.build_absolute_uri(
            reverse("report_shared", kwargs={"token": new["token"]})
        )
    return render(
        request,
        "tracker/report/links.html",
        {
            "form": form,
            "links": report_links.links_of(request.user),
            "now": now,
            "new_id": new["id"] if new else None,
            "new_url": new_url,
            "max_links": report_links.MAX_ACTIVE_LINKS,
            "link_days": report_links.LINK_DAYS,
        },
        status=400 if request.method == "POST" else 200,
    )


@patient_page
@require_POST
def link_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the patient's links (a second press changes nothing)."""
    link = get_object_or_404(ReportLink, pk=pk, patient=request.user)
    if report_links.revoke_link(link=link, now=timezone.now()):
        messages.success(request, _("The link no longer opens."))
    else:
        messages.info(request, _("That link was already revoked."))
    return redirect("tracker:report_links")


# The public pages behind a link


def _shared(token: str, what: str) -> Report:
    now = timezone.now()
    link = report_links.open_link(token=token, what=what, now=now)
    if link is None:
        raise Http404("no such report")
    return build_report(patient=link.patient, since=link.since, until=link.until, now=now)


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _limited(request: HttpRequest) -> HttpResponse | None:
    # Every try counts, found or not: a secret cannot be guessed, but each try costs a report.
    # These are GETs, which allauth leaves unlimited unless asked (limit_get).
    refused = ratelimit.consume_or_429(request, action="report_link_open", limit_get=True)
    if refused is None:
        return None
    # Django logs every 4xx with its path, which here holds a secret that may still work: log
    # the refusal without it, and mark the response as logged (django.utils.log.log_response).
    logger.warning("Too Many Requests: a report link (/r/…/)")
    refused._has_been_logged = True  # type: ignore[attr-defined]
    return _private(refused)


@never_cache
@require_GET
def shared_report(request: HttpRequest, token: str) -> HttpResponse:
    """Show the report behind a link to anyone holding it, with its PDF."""
    refused = _limited(request)
    if refused is not None:
        return refused
    data = _shared(token, report_links.Opened.PAGE)
    html = _document(
        request,
        data,
        public=True,
        pdf_url=reverse("report_shared_pdf", kwargs={"token": token}),
    )
    return _private(HttpResponse(html))


@never_cache
@require_GET
def shared_report_pdf(request: HttpRequest, token: str) -> HttpResponse:
    """Send the report behind a link as a PDF."""
    refused = _limited(request)
    if refused is not None:
        return refused
    data = _shared(token, report_links.Opened.PDF)
    return _private(_pdf_response(_document(request, data, public=False), data))
