"""Sharing (the patient's side) and the clinician's queue, patient view, notes and exports."""

import datetime
import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.filters import remembered_filter
from accounts.models import User
from clinic import fhir, looks, messaging
from clinic import services as share_services
from clinic.access import (
    audit,
    audit_list,
    clinician_name,
    clinician_page,
    clinician_profile,
    renew_share_code,
    shared_patient_or_404,
    waiting_requests,
)
from clinic.forms import (
    AcknowledgeForm,
    DateRangeForm,
    MessageForm,
    NoteForm,
    QueueFilterForm,
    ShareForm,
)
from clinic.identity import PatientIdentity, identity_of
from clinic.models import CONSENT_VERSION, AuditEvent, ClinicianNote, Share
from clinic.queue import queue_page
from tracker import dates, exports, medicines, presenter, scores, services
from tracker.assessment import Assessment, Kind
from tracker.dashboard import CHART_PERIODS, build_summary, episodes_overlapping, patient_profile
from tracker.dates import day_start
from tracker.models import Acknowledgement, CheckIn, Drink, RedFlagAnswer
from tracker.views import chart_days, download

# The patient's side


@dataclass(frozen=True)
class ShareRow:
    """One clinician on the patient's sharing page, with the state of the request or share."""

    share: Share
    name: str
    state: str
    label: str
    detail: str


def _share_row(share: Share, *, now: datetime.datetime, zone: ZoneInfo) -> ShareRow:
    def day(moment: datetime.datetime | None) -> str:
        return date_format(dates.local_day(moment, zone), "j F Y") if moment else ""

    state = share.state(now=now)
    asked = day(share.consented_at)
    detail = {
        Share.Status.PENDING: _("Asked on %(asked)s; the request expires on %(expires)s."),
        Share.Status.ACCEPTED: _("Can see your log since %(decided)s (asked on %(asked)s)."),
        Share.Status.DECLINED: _("Asked on %(asked)s; declined on %(decided)s."),
        Share.Status.EXPIRED: _("Asked on %(asked)s; not answered by %(expires)s."),
        Share.Status.WITHDRAWN: _("Asked on %(asked)s; you withdrew it on %(ended)s."),
        Share.Status.STOPPED: _("Could see your log from %(decided)s to %(ended)s."),
    }[state] % {
        "asked": asked,
        "expires": day(share.expires_at),
        "decided": day(share.decided_at),
        "ended": day(share.revoked_at),
    }
    return ShareRow(
        share=share,
        name=clinician_name(share.clinician),
        state=state,
        label=Share.Status(state).label,
        detail=detail,
    )


@login_required
@never_cache
def sharing(request: HttpRequest) -> HttpResponse:
    """Show each clinician asked and what became of it; send a new request; stop sharing."""
    # Every try counts, matched or not: share codes must not be guessable by the thousand.
    if request.method == "POST" and not ratelimit.consume(
        request, action="share_request", user=request.user
    ):
        return ratelimit.respond_429(request)
    form = ShareForm(request.POST or None, patient=request.user)
    if request.method == "POST" and form.is_valid():
        now = timezone.now()
        try:
            share = share_services.request_share(
                patient=request.user, clinician=form.clinician, identity=form.identity(), now=now
            )
        except share_services.ShareRefused as refused:
            form.add_error(refused.field, ValidationError(refused.message, code=refused.code))
        else:
            messages.success(
                request,
                _(
                    "We sent your request to %(name)s. They can see your log once they accept "
                    "it; if they do not answer by %(date)s, the request expires."
                )
                % {
                    "name": clinician_name(share.clinician),
                    "date": share_services.expiry_day(share, zone=request.user.zone),
                },
            )
            return redirect("clinic:sharing")
    now = timezone.now()
    shares = Share.objects.filter(patient=request.user).select_related(
        "clinician__clinician_profile"
    )
    rows = [_share_row(share, now=now, zone=request.user.zone) for share in shares]
    return render(
        request,
        "clinic/sharing.html",
        {
            "form": form,
            "active": [row for row in rows if row.state == Share.Status.ACCEPTED],
            "waiting": [row for row in rows if row.state == Share.Status.PENDING],
            "ended": [row for row in rows if row.state not in Share.OPEN],
            "consent_version": CONSENT_VERSION,
        },
    )


@login_required
@require_POST
def share_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop an accepted share, or withdraw a request; a second tap changes nothing."""
    share = get_object_or_404(
        Share.objects.select_related("clinician__clinician_profile"), pk=pk, patient=request.user
    )
    share, changed = share_services.stop(share=share, now=timezone.now())
    name = clinician_name(share.clinician)
    if not changed:
        messages.info(request, _("That was already over: nothing has changed."))
    elif share.status == Share.Status.STOPPED:
        messages.success(request, _("%(name)s can no longer see your log.") % {"name": name})
    else:
        messages.success(request, _("You withdrew your request to %(name)s.") % {"name": name})
    return redirect("clinic:sharing")


@login_required
@never_cache
def access_log(request: HttpRequest) -> HttpResponse:
    """List who looked at or downloaded the patient's data, and when."""
    events = AuditEvent.objects.filter(patient=request.user)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    # Clinicians go by the display name staff set (their profile, in the same query).
    seen = Acknowledgement.objects.filter(patient=request.user).select_related(
        "clinician__clinician_profile", "red_flag"
    )[:50]
    return render(request, "clinic/access_log.html", {"page": page, "seen": seen})


# The clinician's side


@clinician_page
@require_http_methods(["GET", "HEAD", "POST"])
def queue(request: HttpRequest) -> HttpResponse:
    """List the patients who share with this clinician, most urgent first, with why.

    The search posts and is kept in the session, so no patient's name goes in an address.
    """
    form, changed = remembered_filter(request, key="queue", form_class=QueueFilterForm)
    if changed:
        return changed
    search, flag = "", ""
    if form.is_bound and form.is_valid():
        search, flag = form.cleaned_data["q"], form.cleaned_data["flag"]
    now = timezone.now()
    page = queue_page(
        clinician=request.user,
        now=now,
        search=search,
        urgency=presenter.URGENCY_NAMES[flag] if flag else None,
        page_number=request.GET.get("page"),
    )
    profile = clinician_profile(clinician=request.user)
    # The audit rows name the clinician from the profile just read, not from a second query.
    request.user.clinician_profile = profile
    response = render(
        request,
        "clinic/queue.html",
        {
            "page": page,
            "form": form,
            "filtered": form.is_bound,
            "profile": profile,
            "requests_waiting": waiting_requests(clinician=request.user, now=now).count(),
        },
    )
    # After the page's reads (see patient_detail).
    audit_list(
        request=request, patients=[row.patient for row in page.object_list if row.shows_red_flags]
    )
    return response


REQUESTS_PAGE_SIZE = 25


@dataclass(frozen=True)
class RequestRow:
    """A waiting request as the clinician sees it: who the patient says they are."""

    share: Share
    identity: PatientIdentity
    expires_on: datetime.date


@clinician_page
def requests_waiting(request: HttpRequest) -> HttpResponse:
    """List the requests to share waiting for this clinician's answer, oldest first."""
    now = timezone.now()
    zone = request.user.zone
    today = dates.local_day(now, zone)
    page = Paginator(
        waiting_requests(clinician=request.user, now=now), REQUESTS_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    page.object_list = [
        RequestRow(
            share=share,
            identity=identity_of(share.patient, today=today),
            expires_on=dates.local_day(share.expires_at, zone),
        )
        for share in page.object_list
    ]
    return render(request, "clinic/requests.html", {"page": page})


def _answered(request: HttpRequest, share: Share, changed: bool, *, now: datetime.datetime) -> None:
    """Tell the clinician what their answer did, or why it did nothing."""
    patient = share.patient.get_full_name() or share.patient.get_username()
    state = share.state(now=now)
    if changed and state == Share.Status.ACCEPTED:
        messages.success(
            request,
            _("You accepted %(name)s's request: they are in your queue.") % {"name": patient},
        )
    elif changed:
        messages.success(request, _("You declined %(name)s's request.") % {"name": patient})
    else:
        messages.info(
            request,
            {
                Share.Status.ACCEPTED: _("You had already accepted this request."),
                Share.Status.DECLINED: _("You had already declined this request."),
                Share.Status.EXPIRED: _(
                    "This request has expired: the patient can send you a new one."
                ),
                Share.Status.WITHDRAWN: _("The patient withdrew this request."),
                Share.Status.STOPPED: _("The patient has stopped sharing with you."),
            }[state],
        )


@clinician_page
@require_POST
def request_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept a request: the patient enters the queue. Accepting twice changes nothing."""
    share = get_object_or_404(Share, pk=pk, clinician=request.user)
    now = timezone.now()
    share, changed = share_services.accept(share=share, now=now)
    _answered(request, share, changed, now=now)
    return redirect("clinic:requests")


@clinician_page
@require_POST
def request_decline(request: HttpRequest, pk: int) -> HttpResponse:
    """Decline a request: the patient sees it declined and may ask again."""
    share = get_object_or_404(Share, pk=pk, clinician=request.user)
    now = timezone.now()
    share, changed = share_services.decline(share=share, now=now)
    _answered(request, share, changed, now=now)
    return redirect("clinic:requests")


@clinician_page
@require_POST
def new_code(request: HttpRequest) -> HttpResponse:
    """Give the clinician a new share code; the old one stops working at once."""
    profile = renew_share_code(clinician=request.user)
    messages.success(
        request, _("Your new share code is %(code)s.") % {"code": profile.display_code}
    )
    return redirect("clinic:queue")


def _range(
    request: HttpRequest, patient: User
) -> tuple[DateRangeForm, datetime.date, datetime.date]:
    today = dates.local_day(timezone.now(), patient.zone)
    form = DateRangeForm(request.GET or None, today=today)
    since, until = form.dates()
    if not form.is_bound:
        form = DateRangeForm(initial={"since": since, "until": until}, today=today)
    return form, since, until


def _assessment(patient: User) -> Assessment:
    return services.status_for(patient, now=timezone.now()).assessment


@clinician_page
def patient_detail(
    request: HttpRequest, patient_id: int, *, message_form: MessageForm | None = None
) -> HttpResponse:
    """Show one patient's log, read-only: flags, what is new since the clinician last looked,
    charts, timeline, notes, and the form to send the patient a message."""
    patient = shared_patient_or_404(clinician=request.user, patient_id=patient_id)
    form, since, until = _range(request, patient)
    now = timezone.now()
    today = dates.local_day(now, patient.zone)
    assessment = services.status_for(patient, now=now).assessment
    summary = build_summary(
        patient=patient,
        profile=patient_profile(patient),
        assessment=assessment,
        today=today,
        days=chart_days(request),
        for_patient=False,
    )
    zone = patient.zone
    doses, more_doses = medicines.doses_between(
        patient, since=since, until=until, count=medicines.CLINICIAN_DOSES
    )
    # The clinician's previous look, read before this one is recorded.
    last_look = looks.previous_look(clinician=request.user, patient=patient)
    episodes = (
        episodes_overlapping(patient=patient, since=since, until=until, today=today)
        .order_by("-started_at")
        .annotate(is_new=looks.is_new(last_look, "created_at"))
        .prefetch_related("triggers", "relief", "locations", "spread")
    )
    response = render(
        request,
        "clinic/patient_detail.html",
        {
            "patient": patient,
            # The age on the clinician's calendar, like every other date they see.
            "identity": identity_of(patient, today=dates.local_day(now, request.user.zone)),
            "assessment": assessment,
            "flags": looks.flag_rows(assessment, viewer_zone=request.user.zone),
            "last_look": last_look,
            "new_since": looks.new_since(patient=patient, since=last_look),
            "message_form": message_form or MessageForm(),
            "sent_messages": messaging.messages_for(patient)[: messaging.CLINICIAN_MESSAGES],
            "summary": summary,
            "periods": CHART_PERIODS,
            "form": form,
            "since": since,
            "until": until,
            "episodes": episodes,
            "checkins": CheckIn.objects.filter(patient=patient, day__gte=since, day__lte=until)
            .annotate(is_new=looks.is_new(last_look, "created_at"))
            .order_by("-day"),
            "drink_days": Drink.objects.filter(patient=patient, day__gte=since, day__lte=until)
            .values("day")
            .annotate(total=Sum("amount_ml"), entries=Count("id"))
            .order_by("-day"),
            "doses": doses,
            "more_doses": more_doses,
            "red_flags": RedFlagAnswer.objects.filter(
                patient=patient, answered_at__gte=day_start(since, zone)
            )
            .annotate(is_new=looks.is_new(last_look, "answered_at"))
            .prefetch_related(
                Prefetch(
                    "acknowledgements",
                    # Named by their display name (set by staff), in the same query.
                    queryset=Acknowledgement.objects.select_related("clinician__clinician_profile"),
                )
            ),
            "notes": ClinicianNote.objects.filter(patient=patient).select_related("author"),
            "note_form": NoteForm(),
            "stats_days": max(CHART_PERIODS),
            "function_trend": scores.function_trend(patient=patient, since=since, until=until),
        },
    )
    # Recorded once the page is made: its reads come before its first write, so that with a
    # read replica (portal/replica.py) they all go to the replica.
    audit(
        request=request,
        patient=patient,
        action=AuditEvent.Action.VIEW,
        detail=f"{since} to {until}",
    )
    return response


@clinician_page
@require_POST
def acknowledge(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Record that this clinician saw a red-flag answer, or one flag of the current run as
    their page showed it. A second tap changes nothing."""
    patient = shared_patient_or_404(clinician=request.user, patient_id=patient_id)
    form = AcknowledgeForm(request.POST)
    back = redirect("clinic:patient_detail", patient_id=patient.pk)
    if not form.is_valid():
        # A form that names no flag (altered, or from an older page): nothing is marked.
        messages.error(request, _("Nothing was marked: please use a flag's own button."))
        return back
    data = form.cleaned_data
    now = timezone.now()
    if data["red_flag"] is not None:
        answer = get_object_or_404(RedFlagAnswer, pk=data["red_flag"], patient=patient)
        created = services.acknowledge_answer(clinician=request.user, answer=answer, now=now)
        # The audit trail names the record, not the symptom: staff can read the trail.
        detail = f"red-flag answer {answer.pk}"
        outcome = services.MarkOutcome.MARKED if created else services.MarkOutcome.ALREADY_SEEN
    else:
        shown = services.SeenRun(
            kind=Kind(data["kind"]), first=data["first"], last=data["last"], worst=data["worst"]
        )
        outcome = services.acknowledge_flag(
            clinician=request.user, patient=patient, shown=shown, now=now
        )
        detail = f"{shown.kind} flag of the run since {shown.first}"
    if outcome in (services.MarkOutcome.MARKED, services.MarkOutcome.CHANGED):
        audit(request=request, patient=patient, action=AuditEvent.Action.ACKNOWLEDGE, detail=detail)
    messages.add_message(request, *ACKNOWLEDGED[outcome])
    return back


ACKNOWLEDGED = {
    services.MarkOutcome.MARKED: (
        messages.SUCCESS,
        _lazy("Marked as seen. The patient can see that you saw it."),
    ),
    services.MarkOutcome.ALREADY_SEEN: (
        messages.INFO,
        _lazy("That was already marked as seen: nothing has changed."),
    ),
    services.MarkOutcome.CHANGED: (
        messages.WARNING,
        _lazy(
            "The log changed after you opened this page, so the flag stays unseen. "
            "Look at it again."
        ),
    ),
    services.MarkOutcome.GONE: (
        messages.INFO,
        _lazy("That flag is no longer raised: there is nothing to mark as seen."),
    ),
}


@clinician_page
@require_POST
def note_add(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = shared_patient_or_404(clinician=request.user, patient_id=patient_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        note = form.save(commit=False)
        note.patient = patient
        note.author = request.user
        note.save()
        audit(request=request, patient=patient, action=AuditEvent.Action.NOTE)
        messages.success(request, _("Note added."))
    else:
        messages.error(request, " ".join(form.errors["text"]))
    return redirect("clinic:patient_detail", patient_id=patient.pk)


@clinician_page
def summary(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Show a one-page pre-visit summary, made to be printed."""
    patient = shared_patient_or_404(clinician=request.user, patient_id=patient_id)
    _form, since, until = _range(request, patient)
    data = exports.export_data(patient=patient, since=since, until=until)
    severities = [episode["severity"] for episode in data["episodes"]]
    now = timezone.now()
    assessment = services.status_for(patient, now=now).assessment
    board = build_summary(
        patient=patient,
        profile=patient_profile(patient),
        assessment=assessment,
        today=dates.local_day(now, patient.zone),
        days=max(CHART_PERIODS),
        for_patient=False,
    )
    drink_totals: dict[str, int] = {}
    for drink in data["drinks"]:
        drink_totals[drink["day"]] = drink_totals.get(drink["day"], 0) + drink["amount_ml"]
    audit(
        request=request,
        patient=patient,
        action=AuditEvent.Action.SUMMARY,
        detail=f"{since} to {until}",
    )
    return render(
        request,
        "clinic/summary.html",
        {
            "patient": patient,
            "identity": identity_of(patient, today=dates.local_day(now, request.user.zone)),
            "flags": presenter.clinician_lines(assessment, viewer_zone=request.user.zone),
            "since": since,
            "until": until,
            "episode_count": len(severities),
            "worst": max(severities, default=None),
            "average": round(sum(severities) / len(severities), 1) if severities else None,
            "symptom_days": sum(1 for row in board.rows if row.worst),
            "triggers": board.triggers[:5],
            "relief": [item for item in board.relief if item.helped][:5],
            "drink_average": round(sum(drink_totals.values()) / len(drink_totals))
            if drink_totals
            else None,
            "drink_days": len(drink_totals),
            "target": board.target_ml,
            "medicines": medicines.totals_by_medicine(data["medicines"]),
            "red_flags": RedFlagAnswer.objects.filter(
                patient=patient,
                answered_at__gte=day_start(since, patient.zone),
                answered_at__lt=day_start(until + datetime.timedelta(days=1), patient.zone),
            ).order_by("answered_at"),
            "generated_at": timezone.now(),
        },
    )


@clinician_page
def export_csv(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = shared_patient_or_404(clinician=request.user, patient_id=patient_id)
    _form, since, until = _range(request, patient)
    audit(
        request=request,
        patient=patient,
        action=AuditEvent.Action.EXPORT_CSV,
        detail=f"{since} to {until}",
    )
    return download(
        exports.export_csv_zip(patient=patient, since=since, until=until),
        filename=f"patient-{patient.pk}-{since}-{until}-csv.zip",
        content_type="application/zip",
    )


@clinician_page
def export_fhir(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = shared_patient_or_404(clinician=request.user, patient_id=patient_id)
    _form, since, until = _range(request, patient)
    bundle = fhir.build_bundle(
        data=exports.export_data(patient=patient, since=since, until=until),
        patient=fhir.fhir_patient(patient),
        flags=fhir_flags(_assessment(patient), zone=patient.zone),
        generated_at=timezone.now(),
    )
    audit(
        request=request,
        patient=patient,
        action=AuditEvent.Action.EXPORT_FHIR,
        detail=f"{since} to {until}",
    )
    return download(
        json.dumps(bundle, indent=2, ensure_ascii=False).encode(),
        filename=f"patient-{patient.pk}-{since}-{until}-fhir.json",
        content_type="application/fhir+json",
    )


def fhir_flags(assessment: Assessment, *, zone: ZoneInfo) -> list[fhir.FlagSummary]:
    """Turn a patient's reasons into FHIR Flag summaries, worded by the presenter."""
    flags = []
    for reason in assessment.reasons:
        if reason.kind == Kind.RED_FLAG:
            code, start = reason.code, dates.local_day(reason.at, zone)
        else:
            code, start = str(reason.kind), reason.first
        flags.append(
            fhir.FlagSummary(
                code=code, text=presenter.fhir_text(reason), start=start, acknowledged=reason.seen
            )
        )
    return flags
