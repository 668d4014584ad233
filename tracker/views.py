"""The patient's own tracker. Every query is scoped to request.user, so another person's ids 404.

Views load, check, validate a form, call a service in tracker.services (which writes and keeps
the stored assessment current), redirect and say what happened.
"""

import datetime
import functools
from collections.abc import Callable

from allauth.core import ratelimit
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.filters import remembered_filter
from accounts.services import delete_account
from tracker import dates, exports, medicines, presenter, rules, scores, services
from tracker.assessment import ADVICE_HOURS
from tracker.dashboard import (
    CHART_PERIODS,
    STATS_DAYS,
    build_summary,
    episodes_overlapping,
    patient_profile,
)
from tracker.forms import (
    DETAIL_STEPS,
    AccountDeleteForm,
    CheckInForm,
    DrinkForm,
    HistoryFilterForm,
    QuickLogForm,
    RedFlagForm,
    TrackerSettingsForm,
)
from tracker.models import Acknowledgement, CheckIn, Drink, Episode, HydrationDay, RedFlagAnswer

HISTORY_PAGE_SIZE = 20


def patient_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Require a signed-in person and keep their health data out of every cache.

    A script sending a queued entry (Accept: application/json) is told 401 with where to log
    in, rather than redirected to a login page it cannot show.
    """
    page = login_required(never_cache(view))

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if wants_json(request) and not request.user.is_authenticated:
            response = JsonResponse({"login": resolve_url(settings.LOGIN_URL)}, status=401)
            add_never_cache_headers(response)
            return response
        return page(request, *args, **kwargs)

    return wrapped


def wants_json(request: HttpRequest) -> bool:
    """True for a script's request (the offline outbox) that asked for a JSON answer."""
    return "application/json" in request.headers.get("Accept", "")


def form_errors(form: forms.Form, *, status: int = 400) -> JsonResponse:
    """A form's messages as JSON, by field ("__all__" for the form as a whole)."""
    errors = {
        field: [str(message) for message in messages] for field, messages in form.errors.items()
    }
    return JsonResponse({"errors": errors}, status=status)


def saved(redirect_to: str, *, created: bool) -> JsonResponse:
    """Tell a script its entry is stored (201), or was already stored under its key (200)."""
    return JsonResponse(
        {"saved": True, "repeat": not created, "url": redirect_to}, status=201 if created else 200
    )


def local_today(request: HttpRequest) -> datetime.date:
    """Return today's date where the signed-in person is."""
    return dates.local_day(timezone.now(), request.user.zone)


def _once_within_limit(
    request: HttpRequest, form: forms.Form, write: Callable[[], str]
) -> tuple[str, bool] | None:
    """Run write() once for the form's submission key (see services.once); return where to go
    and whether it ran, or None with a message on the form when the hourly limit refused it."""
    try:
        return services.once(
            patient=request.user, key=form.cleaned_data["submission_key"], write=write
        )
    except services.WriteLimitReached as error:
        form.add_error(
            None,
            _(
                "You have logged %(limit)s entries in the last hour, which is as many as the "
                "tracker takes in an hour. Nothing more was saved. Please try again later. If "
                "you need help now, use Get help."
            )
            % {"limit": error.limit},
        )
        return None


def chart_days(request: HttpRequest) -> int:
    """Return the chart period asked for in the address, or the shortest."""
    if request.GET.get("days") in {str(period) for period in CHART_PERIODS}:
        return int(request.GET["days"])
    return CHART_PERIODS[0]


@patient_page
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show the patient's flags, charts, patterns and today's drinks."""
    now = timezone.now()
    status = services.status_for(request.user, now=now)
    assessment = status.assessment
    summary = build_summary(
        patient=request.user,
        profile=patient_profile(request.user),
        assessment=assessment,
        today=dates.local_day(now, request.user.zone),
        days=chart_days(request),
    )
    return render(
        request,
        "tracker/dashboard.html",
        {
            "summary": summary,
            "notices": presenter.patient_notices(assessment),
            "periods": CHART_PERIODS,
            "stats_days": STATS_DAYS,
            "drink_form": _quick_drink_form(request),
            "function_card": scores.dashboard_card(
                patient=request.user, today=dates.local_day(now, request.user.zone)
            ),
            "doses": medicines.recent_doses(request.user, count=medicines.DASHBOARD_DOSES),
        },
    )


def _quick_drink_form(request: HttpRequest, day: datetime.date | None = None) -> DrinkForm:
    return DrinkForm(zone=request.user.zone, initial={"day": day or local_today(request)})


def _quick_log_form(request: HttpRequest, episode: Episode | None = None) -> QuickLogForm:
    # An episode is read and changed in the zone it was recorded in, so editing it after a
    # move never shifts its dates.
    return QuickLogForm(
        request.POST or None,
        episode=episode,
        zone=episode.zone if episode is not None else request.user.zone,
    )


@patient_page
def episode_create(request: HttpRequest) -> HttpResponse:
    """The quick log: when, how bad, ongoing or ended, Save. The details are optional steps.

    Also answers the offline outbox, which sends a queued entry with its own submission key
    and asks for JSON (see wants_json).
    """
    form = _quick_log_form(request)
    if request.method == "POST":
        if form.is_valid():

            def write() -> str:
                episode, _answered = services.record_episode(
                    patient=request.user, data=form.episode_input(), now=timezone.now()
                )
                return _step_url(episode, FIRST_STEP)

            done = _once_within_limit(request, form, write)
            if done is not None:
                redirect_to, created = done
                if wants_json(request):
                    return saved(redirect_to, created=created)
                if created:
                    messages.success(request, _("Your episode is saved."))
                return redirect(redirect_to)
            if wants_json(request):
                return form_errors(form, status=429)
        if wants_json(request):
            return form_errors(form)
    return render(request, "tracker/quick_log.html", {"form": form, "episode": None})


@patient_page
def episode_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change when an episode was and how bad; its details are changed step by step."""
    episode = get_object_or_404(Episode, pk=pk, patient=request.user)
    episode.patient = request.user
    form = _quick_log_form(request, episode=episode)
    if request.method == "POST" and form.is_valid():
        services.change_when(
            episode=episode,
            started_at=form.started_at,
            ended_at=form.ended_at,
            severity=form.cleaned_data["severity"],
            now=timezone.now(),
        )
        messages.success(request, _("Your changes are saved."))
        return redirect(episode)
    return render(request, "tracker/quick_log.html", {"form": form, "episode": episode})


STEP_NAMES = list(DETAIL_STEPS)
FIRST_STEP = STEP_NAMES[0]


def _step_url(episode: Episode, step: str) -> str:
    return reverse("tracker:episode_step", args=[episode.pk, step])


@patient_page
def episode_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """One optional step of an episode's details, saved on its own.

    After a quick log the steps follow one another; from the episode's page (?from=episode) each
    opens alone and returns there. "Skip this step" is a link to the next one. A yes to a
    safety question, or pain spreading to both legs, goes to the advice at once.
    """
    if step not in DETAIL_STEPS:
        raise Http404("No such step")
    step_form = DETAIL_STEPS[step]
    queryset = Episode.objects.all()
    if request.method != "POST":  # only a new form reads the episode's details
        queryset = queryset.prefetch_related(*step_form.related)
    episode = get_object_or_404(queryset, pk=pk, patient=request.user)
    episode.patient = request.user
    in_sequence = request.GET.get("from") != "episode"
    position = STEP_NAMES.index(step)
    following = STEP_NAMES[position + 1] if position + 1 < len(STEP_NAMES) else None
    done_url = episode.get_absolute_url()
    next_url = _step_url(episode, following) if in_sequence and following else done_url
    form = step_form(
        request.POST if request.method == "POST" else None,
        episode=episode,
        pregnant=patient_profile(request.user).pregnant,
    )
    if request.method == "POST" and form.is_valid():
        answered = services.change_details(
            episode=episode, details=form.details(), now=timezone.now()
        )
        if answered:
            return redirect("tracker:advice")
        if step != "safety":
            messages.success(request, _("Saved: %(step)s.") % {"step": form.title})
        return redirect(next_url)
    return render(
        request,
        "tracker/episode_step.html",
        {
            "form": form,
            "episode": episode,
            "step": step,
            "number": position + 1,
            "count": len(STEP_NAMES),
            "in_sequence": in_sequence,
            "next_url": next_url,
            "done_url": done_url,
        },
    )


@patient_page
def episode_detail(request: HttpRequest, pk: int) -> HttpResponse:
    episode = get_object_or_404(
        Episode.objects.prefetch_related("triggers", "spread", "locations", "relief", "red_flags"),
        pk=pk,
        patient=request.user,
    )
    return render(request, "tracker/episode_detail.html", {"episode": episode})


@patient_page
@require_POST
def episode_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End an ongoing episode now, in one click."""
    episode = get_object_or_404(Episode, pk=pk, patient=request.user)
    if services.end_episode(episode=episode, now=timezone.now()):
        messages.success(request, _("Marked as stopped. We hope you feel better."))
    if request.POST.get("next_page") == "dashboard":
        return redirect("tracker:dashboard")
    return redirect(episode)


@patient_page
def episode_delete(request: HttpRequest, pk: int) -> HttpResponse:
    episode = get_object_or_404(Episode, pk=pk, patient=request.user)
    if request.method == "POST":
        services.delete_episode(episode=episode, now=timezone.now())
        messages.success(request, _("The episode is deleted."))
        return redirect("tracker:episode_list")
    return render(request, "tracker/episode_confirm_delete.html", {"episode": episode})


@patient_page
@require_http_methods(["GET", "HEAD", "POST"])
def episode_list(request: HttpRequest) -> HttpResponse:
    """List every episode, newest first, filtered by a local date range and a trigger.

    The filter posts and is kept in the session: a trigger in the address would be health data
    in browser history and server logs.
    """
    form, changed = remembered_filter(request, key="episodes", form_class=HistoryFilterForm)
    if changed:
        return changed
    episodes = Episode.objects.filter(patient=request.user)
    if form.is_bound and form.is_valid():
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
        if since or until:
            episodes = episodes_overlapping(
                patient=request.user, since=since, until=until, today=local_today(request)
            )
        if form.cleaned_data["trigger"]:
            episodes = episodes.filter(triggers__code=form.cleaned_data["trigger"])
    episodes = episodes.order_by("-started_at", "-id").prefetch_related(
        "triggers", "locations", "spread"
    )
    page = Paginator(episodes, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "tracker/episode_list.html",
        {"form": form, "page": page, "filtered": form.is_bound},
    )


CHECKIN_MESSAGES = {
    services.CheckInOutcome.SAVED: _("Check-in saved for %(day)s."),
    services.CheckInOutcome.RAISED: _(
        "Check-in saved for %(day)s: your new answer is worse than your earlier one, so it "
        "replaces it."
    ),
    services.CheckInOutcome.LOWERED: _(
        "Check-in changed for %(day)s, as you confirmed: the milder answer replaces the earlier "
        "one."
    ),
}


@patient_page
def checkin(request: HttpRequest) -> HttpResponse:
    """Record how the back was on a day: no symptoms, or the worst pain.

    A second answer for a day that is milder than the first is kept only once the patient,
    shown the earlier answer, confirms it; a worse one replaces it, and the message says so.
    """
    zone = request.user.zone
    form = CheckInForm(request.POST or None, zone=zone, initial={"day": local_today(request)})
    if request.method == "POST" and form.is_valid():
        day = form.cleaned_data["day"]
        result = services.record_checkin(
            patient=request.user,
            day=day,
            worst_severity=form.cleaned_data["worst_severity"],
            confirm_lower=form.cleaned_data["confirm_lower"],
            now=timezone.now(),
        )
        if result.outcome is services.CheckInOutcome.NEEDS_CONFIRMATION:
            form.ask_to_confirm(earlier=result.earlier)
        else:
            messages.success(request, CHECKIN_MESSAGES[result.outcome] % {"day": day})
            return redirect("tracker:dashboard")
    recent = CheckIn.objects.filter(patient=request.user).order_by("-day")[:7]
    return render(request, "tracker/checkin_form.html", {"form": form, "recent": recent})


@patient_page
def hydration_day(request: HttpRequest, day: datetime.date | None = None) -> HttpResponse:
    """Show one day's drinks against the target, with quick-add and the "all logged" switch."""
    today = local_today(request)
    day = day or today
    if day > today:
        messages.info(request, _("That day has not come yet, so here is today."))
        return redirect("tracker:hydration")
    profile = patient_profile(request.user)
    drinks = list(Drink.objects.filter(patient=request.user, day=day).order_by("logged_at", "id"))
    total = sum(drink.amount_ml for drink in drinks)
    target = profile.target_ml
    marked = HydrationDay.objects.filter(patient=request.user, day=day, complete=True).exists()
    return render(
        request,
        "tracker/hydration_day.html",
        {
            "day": day,
            "today": today,
            "previous_day": day - datetime.timedelta(days=1),
            "next_day": day + datetime.timedelta(days=1) if day < today else None,
            "drinks": drinks,
            "total": total,
            "glasses": rules.glasses(total, glass_ml=profile.glass_ml),
            "target": target,
            "marked_complete": marked,
            "profile": profile,
            "form": _quick_drink_form(request, day),
        },
    )


def _hydration_url(day: datetime.date, today: datetime.date) -> str:
    if day == today:
        return reverse("tracker:hydration")
    return reverse("tracker:hydration_day", kwargs={"day": day})


def _drink_answer(
    request: HttpRequest, *, day: datetime.date, redirect_to: str, drink: Drink | None
) -> JsonResponse:
    """Answer a script's quick-add with the day's new total, in the words the dashboard and the
    day page show it in (the same messages as their templates), so they update in place.

    drink is the one just stored, or None when the submission key was already used (200).
    """
    profile = patient_profile(request.user)
    total = (
        Drink.objects.filter(patient=request.user, day=day).aggregate(total=Sum("amount_ml"))[
            "total"
        ]
        or 0
    )
    target = profile.target_ml
    numbers = {
        "total": total,
        "target": target,
        "glasses": floatformat(rules.glasses(total, glass_ml=profile.glass_ml), 1),
    }
    return JsonResponse(
        {
            "saved": True,
            "repeat": drink is None,
            "url": redirect_to,
            "message": (
                _("Added %(ml)s ml.") % {"ml": drink.amount_ml}
                if drink is not None
                else _("That drink was already saved.")
            ),
            "day": day.isoformat(),
            "total_ml": total,
            "target_ml": target,
            "reached": target is not None and total >= target,
            "percent": round(total / target * 100) if target else None,
            "text": {
                "dashboard": (
                    _("%(total)s ml of your %(target)s ml target")
                    if target
                    else _("%(total)s ml so far")
                )
                % numbers,
                "day": _("%(total)s ml, about %(glasses)s glasses") % numbers,
            },
            "item": (
                render_to_string("tracker/includes/drink_item.html", {"drink": drink}, request)
                if drink is not None
                else None
            ),
        },
        status=201 if drink is not None else 200,
    )


@patient_page
def drink_add(request: HttpRequest) -> HttpResponse:
    """Add a drink (quick-add buttons and the custom amount post here).

    A script's quick-add (Accept: application/json, static/js/drinks.js) is answered with the
    day's new total instead of a redirect: 201 stored, 200 already stored under that submission
    key, 400 with the form's messages, 429 over the hourly limit.
    """
    form = DrinkForm(request.POST or None, zone=request.user.zone)
    if request.method == "POST" and form.is_valid():
        day = form.cleaned_data["day"]
        added: list[Drink] = []

        def write() -> str:
            added.append(
                services.add_drink(
                    patient=request.user,
                    day=day,
                    amount_ml=form.cleaned_data["amount_ml"],
                    now=timezone.now(),
                )
            )
            if request.POST.get("next_page") == "dashboard":
                return reverse("tracker:dashboard")
            return _hydration_url(day, local_today(request))

        done = _once_within_limit(request, form, write)
        if done is not None:
            redirect_to, created = done
            if wants_json(request):
                # On a repeat the drink write() made was rolled back with the repeated key.
                drink = added[-1] if created else None
                return _drink_answer(request, day=day, redirect_to=redirect_to, drink=drink)
            if created:
                messages.success(
                    request, _("Added %(ml)s ml.") % {"ml": form.cleaned_data["amount_ml"]}
                )
            return redirect(redirect_to)
        if wants_json(request):
            return form_errors(form, status=429)
    elif request.method == "POST" and wants_json(request):
        return form_errors(form)
    return render(request, "tracker/drink_form.html", {"form": form, "drink": None})


@patient_page
def drink_edit(request: HttpRequest, pk: int) -> HttpResponse:
    drink = get_object_or_404(Drink, pk=pk, patient=request.user)
    form = DrinkForm(request.POST or None, instance=drink, zone=request.user.zone)
    if request.method == "POST" and form.is_valid():
        services.change_drink(
            drink=drink,
            day=form.cleaned_data["day"],
            amount_ml=form.cleaned_data["amount_ml"],
            now=timezone.now(),
        )
        messages.success(request, _("The drink is updated."))
        return redirect(_hydration_url(drink.day, local_today(request)))
    return render(request, "tracker/drink_form.html", {"form": form, "drink": drink})


@patient_page
def drink_delete(request: HttpRequest, pk: int) -> HttpResponse:
    drink = get_object_or_404(Drink, pk=pk, patient=request.user)
    if request.method == "POST":
        day = drink.day
        services.delete_drink(drink=drink, now=timezone.now())
        messages.success(request, _("The drink is deleted."))
        return redirect(_hydration_url(day, local_today(request)))
    return render(request, "tracker/drink_confirm_delete.html", {"drink": drink})


@patient_page
@require_POST
def hydration_complete(request: HttpRequest, day: datetime.date) -> HttpResponse:
    """Mark a day's drinks log complete (or not), so the comparison can use that day."""
    today = local_today(request)
    if day > today:
        messages.error(request, _("That day has not come yet."))
        return redirect("tracker:hydration")
    complete = request.POST.get("complete") == "1"
    HydrationDay.objects.update_or_create(
        patient=request.user, day=day, defaults={"complete": complete}
    )
    if complete:
        messages.success(request, _("Thank you. That day counts as fully logged."))
    else:
        messages.success(request, _("That day no longer counts as fully logged."))
    return redirect(_hydration_url(day, today))


@patient_page
def red_flag_check(request: HttpRequest) -> HttpResponse:
    """Ask the full red-flag list, and store the answers so a clinician sees them too."""
    form = RedFlagForm(request.POST or None, pregnant=patient_profile(request.user).pregnant)
    if request.method == "POST" and form.is_valid():

        def write() -> str:
            services.record_red_flags(
                patient=request.user, codes=form.cleaned_data["red_flags"], now=timezone.now()
            )
            return reverse("tracker:advice")

        redirect_to, created = services.once(
            patient=request.user, key=form.cleaned_data["submission_key"], write=write
        )
        if wants_json(request):
            return saved(redirect_to, created=created)
        return redirect(redirect_to)
    if request.method == "POST" and wants_json(request):
        return form_errors(form)
    return render(request, "tracker/red_flag_form.html", {"form": form})


@patient_page
def advice(request: HttpRequest) -> HttpResponse:
    """Show what to do about the red flags answered in the last day, most pressing first."""
    now = timezone.now()
    codes = services.status_for(request.user, now=now).assessment.advice
    since = now - datetime.timedelta(hours=ADVICE_HOURS)
    RedFlagAnswer.objects.filter(
        patient=request.user, code__in=codes, answered_at__gt=since, advice_shown_at__isnull=True
    ).update(advice_shown_at=now)
    seen = Acknowledgement.objects.filter(
        patient=request.user, red_flag__code__in=codes, red_flag__answered_at__gt=since
    ).select_related("clinician__clinician_profile")
    return render(
        request,
        "tracker/advice.html",
        {"tiers": rules.advice_tiers(codes, pregnant=True), "seen": seen},
    )


@patient_page
def tracker_settings(request: HttpRequest) -> HttpResponse:
    profile = patient_profile(request.user)
    # From the saved answers: a refused form has already changed the instance in memory.
    suggested = rules.default_target_ml(
        sex=profile.sex or None, pregnant=profile.pregnant, breastfeeding=profile.breastfeeding
    )
    form = TrackerSettingsForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your tracker settings are saved."))
        return redirect("tracker:dashboard")
    return render(request, "tracker/settings_form.html", {"form": form, "suggested": suggested})


@patient_page
def your_data(request: HttpRequest) -> HttpResponse:
    """Offer the downloads first, then account deletion."""
    return render(
        request,
        "tracker/your_data.html",
        {"form": AccountDeleteForm(user=request.user)},
    )


def download(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    """Send bytes as a file to save."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@patient_page
def export_json(request: HttpRequest) -> HttpResponse:
    today = local_today(request)
    return download(
        exports.export_json(patient=request.user),
        filename=f"back-cramp-log-{today}.json",
        content_type="application/json",
    )


@patient_page
def export_csv(request: HttpRequest) -> HttpResponse:
    today = local_today(request)
    return download(
        exports.export_csv_zip(patient=request.user),
        filename=f"back-cramp-log-{today}-csv.zip",
        content_type="application/zip",
    )


@patient_page
@require_POST
def account_delete(request: HttpRequest) -> HttpResponse:
    """Delete the account and, through it, every piece of the person's health data.

    It asks for the password; guesses there are limited like re-authentication (a stolen
    session must not be a way to try passwords), and over the limit nothing is checked.
    """
    if not ratelimit.consume(request, action="reauthenticate", user=request.user):
        return ratelimit.respond_429(request)
    form = AccountDeleteForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, "tracker/your_data.html", {"form": form})
    delete_account(request=request, user=request.user)
    messages.success(request, _("Your account and all your data have been deleted."))
    return redirect("home")
