"""The patient's own tracker. Every query is scoped to request.user, so another person's ids 404.

Views load, check, validate a form, call a service in tracker.services (which writes and keeps
the stored assessment current), redirect and say what happened.
"""

import datetime
from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.filters import remembered_filter
from tracker import dates, exports, presenter, rules, services
from tracker.assessment import ADVICE_HOURS
from tracker.dashboard import (
    CHART_PERIODS,
    STATS_DAYS,
    build_summary,
    episodes_overlapping,
    patient_profile,
)
from tracker.forms import (
    AccountDeleteForm,
    CheckInForm,
    DrinkForm,
    EpisodeForm,
    HistoryFilterForm,
    RedFlagForm,
    TrackerSettingsForm,
)
from tracker.models import Acknowledgement, CheckIn, Drink, Episode, HydrationDay, RedFlagAnswer

HISTORY_PAGE_SIZE = 20


def patient_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Require a signed-in person and keep their health data out of every cache."""
    return login_required(never_cache(view))


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
        },
    )


def _quick_drink_form(request: HttpRequest, day: datetime.date | None = None) -> DrinkForm:
    return DrinkForm(zone=request.user.zone, initial={"day": day or local_today(request)})


def _episode_form(request: HttpRequest, instance: Episode | None = None) -> EpisodeForm:
    # An episode is read and changed in the zone it was recorded in, so editing it after a
    # move never shifts its dates.
    return EpisodeForm(
        request.POST or None,
        instance=instance,
        zone=instance.zone if instance is not None else request.user.zone,
        pregnant=patient_profile(request.user).pregnant,
    )


def _after_episode(episode: Episode, answered: list[str]) -> str:
    return reverse("tracker:advice") if answered else episode.get_absolute_url()


@patient_page
def episode_create(request: HttpRequest) -> HttpResponse:
    form = _episode_form(request)
    if request.method == "POST" and form.is_valid():

        def write() -> str:
            episode, answered = services.record_episode(
                patient=request.user, data=form.episode_input(), now=timezone.now()
            )
            return _after_episode(episode, answered)

        done = _once_within_limit(request, form, write)
        if done is not None:
            redirect_to, created = done
            if created:
                messages.success(request, _("Your episode is saved."))
            return redirect(redirect_to)
    return render(request, "tracker/episode_form.html", {"form": form, "episode": None})


@patient_page
def episode_edit(request: HttpRequest, pk: int) -> HttpResponse:
    episode = get_object_or_404(Episode, pk=pk, patient=request.user)
    form = _episode_form(request, instance=episode)
    if request.method == "POST" and form.is_valid():
        answered = services.change_episode(
            episode=episode, data=form.episode_input(), now=timezone.now()
        )
        messages.success(request, _("Your changes are saved."))
        return redirect(_after_episode(episode, answered))
    return render(request, "tracker/episode_form.html", {"form": form, "episode": episode})


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


@patient_page
def drink_add(request: HttpRequest) -> HttpResponse:
    """Add a drink (quick-add buttons and the custom amount post here)."""
    form = DrinkForm(request.POST or None, zone=request.user.zone)
    if request.method == "POST" and form.is_valid():
        day = form.cleaned_data["day"]

        def write() -> str:
            services.add_drink(
                patient=request.user,
                day=day,
                amount_ml=form.cleaned_data["amount_ml"],
                now=timezone.now(),
            )
            if request.POST.get("next_page") == "dashboard":
                return reverse("tracker:dashboard")
            return _hydration_url(day, local_today(request))

        done = _once_within_limit(request, form, write)
        if done is not None:
            redirect_to, created = done
            if created:
                messages.success(
                    request, _("Added %(ml)s ml.") % {"ml": form.cleaned_data["amount_ml"]}
                )
            return redirect(redirect_to)
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

        redirect_to, _created = services.once(
            patient=request.user, key=form.cleaned_data["submission_key"], write=write
        )
        return redirect(redirect_to)
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
    ).select_related("clinician")
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
    """Delete the account and, through it, every piece of the person's health data."""
    form = AccountDeleteForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, "tracker/your_data.html", {"form": form})
    user = request.user
    logout(request)
    user.delete()
    messages.success(request, _("Your account and all your data have been deleted."))
    return redirect("home")
