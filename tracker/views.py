"""The patient's own tracker. Every query is scoped to request.user, so another person's ids 404."""

import datetime
import uuid
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.filters import remembered_filter
from tracker import exports, rules
from tracker.context_processors import BANNER_HOURS, recent_red_flag_codes
from tracker.dashboard import (
    CHART_PERIODS,
    STATS_DAYS,
    build_summary,
    episodes_overlapping,
    local_today,
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
from tracker.models import (
    Acknowledgement,
    CheckIn,
    Drink,
    Episode,
    EpisodeLocation,
    EpisodeSpread,
    EpisodeTrigger,
    HydrationDay,
    RedFlagAnswer,
    ReliefTried,
    Submission,
)

HISTORY_PAGE_SIZE = 20


def patient_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Require a signed-in person and keep their health data out of every cache."""
    return login_required(never_cache(view))


def once(*, request: HttpRequest, key: uuid.UUID, write: Callable[[], str]) -> tuple[str, bool]:
    """Run write() unless this form was already acted on; return where to go and if it ran.

    write() saves the records and returns the page to show next. It and the key are stored in
    one transaction, so a repeat, even a concurrent one, fails as a whole and changes nothing.
    """
    try:
        with transaction.atomic():
            redirect_to = write()
            Submission.objects.create(key=key, patient=request.user, redirect_to=redirect_to)
    except IntegrityError:
        earlier = Submission.objects.filter(key=key, patient=request.user).first()
        if earlier is None:
            raise
        return earlier.redirect_to, False
    return redirect_to, True


def record_red_flags(
    *, request: HttpRequest, codes: list[str], episode: Episode | None = None
) -> bool:
    """Store the red flags answered yes; return whether there is advice to show."""
    RedFlagAnswer.objects.bulk_create(
        RedFlagAnswer(patient=request.user, episode=episode, code=code) for code in codes
    )
    return bool(codes)


@patient_page
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show the persistence flag, charts, patterns and today's drinks."""
    days = CHART_PERIODS[0]
    if request.GET.get("days") in {str(period) for period in CHART_PERIODS}:
        days = int(request.GET["days"])
    profile = patient_profile(request.user)
    summary = build_summary(
        patient=request.user, profile=profile, today=local_today(request.user.zone), days=days
    )
    return render(
        request,
        "tracker/dashboard.html",
        {
            "summary": summary,
            "periods": CHART_PERIODS,
            "stats_days": STATS_DAYS,
            "drink_form": _quick_drink_form(request),
        },
    )


def _quick_drink_form(request: HttpRequest, day: datetime.date | None = None) -> DrinkForm:
    zone = request.user.zone
    return DrinkForm(zone=zone, initial={"day": day or local_today(zone)})


def _save_episode(request: HttpRequest, form: EpisodeForm) -> str:
    """Save the episode, its details and any red flags; return the page to show next."""
    episode = form.save(commit=False)
    changing = episode.pk is not None
    episode.patient = request.user
    episode.save()
    if changing:
        for related in (EpisodeTrigger, EpisodeSpread, EpisodeLocation, ReliefTried):
            related.objects.filter(episode=episode).delete()
    data = form.cleaned_data
    EpisodeTrigger.objects.bulk_create(
        EpisodeTrigger(episode=episode, code=code) for code in data["triggers"]
    )
    EpisodeSpread.objects.bulk_create(
        EpisodeSpread(episode=episode, code=code) for code in data["spread"]
    )
    EpisodeLocation.objects.bulk_create(
        EpisodeLocation(episode=episode, region=region, side=side)
        for region, side in form.locations()
    )
    ReliefTried.objects.bulk_create(
        ReliefTried(episode=episode, code=code, effect=effect)
        for code, effect in form.relief_effects().items()
    )
    # On a change, only new answers are recorded: the earlier ones were already advised on.
    answered = set(episode.red_flags.values_list("code", flat=True)) if changing else set()
    new_flags = [code for code in data["red_flags"] if code not in answered]
    if record_red_flags(request=request, codes=new_flags, episode=episode):
        return reverse("tracker:advice")
    return episode.get_absolute_url()


def _episode_form(request: HttpRequest, instance: Episode | None = None) -> EpisodeForm:
    return EpisodeForm(
        request.POST or None,
        instance=instance,
        zone=request.user.zone,
        pregnant=patient_profile(request.user).pregnant,
    )


@patient_page
def episode_create(request: HttpRequest) -> HttpResponse:
    form = _episode_form(request)
    if request.method == "POST" and form.is_valid():
        redirect_to, created = once(
            request=request,
            key=form.cleaned_data["submission_key"],
            write=lambda: _save_episode(request, form),
        )
        if created:
            messages.success(request, _("Your episode is saved."))
        return redirect(redirect_to)
    return render(request, "tracker/episode_form.html", {"form": form, "episode": None})


@patient_page
def episode_edit(request: HttpRequest, pk: int) -> HttpResponse:
    episode = get_object_or_404(Episode, pk=pk, patient=request.user)
    form = _episode_form(request, instance=episode)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            redirect_to = _save_episode(request, form)
        messages.success(request, _("Your changes are saved."))
        return redirect(redirect_to)
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
    if episode.ended_at is None:
        # A start logged a few minutes ahead (clock drift) must not make the end come first.
        episode.ended_at = max(timezone.now(), episode.started_at)
        episode.save(update_fields=["ended_at", "updated_at"])
        messages.success(request, _("Marked as stopped. We hope you feel better."))
    if request.POST.get("next_page") == "dashboard":
        return redirect("tracker:dashboard")
    return redirect(episode)


@patient_page
def episode_delete(request: HttpRequest, pk: int) -> HttpResponse:
    episode = get_object_or_404(Episode, pk=pk, patient=request.user)
    if request.method == "POST":
        episode.delete()
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
    zone = request.user.zone
    episodes = Episode.objects.filter(patient=request.user)
    filtered = form.is_bound and form.is_valid()
    if filtered:
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
        if since or until:
            episodes = episodes_overlapping(
                patient=request.user, since=since, until=until, zone=zone
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


@patient_page
def checkin(request: HttpRequest) -> HttpResponse:
    """Record how the back was on a day: no symptoms, or the worst pain."""
    zone = request.user.zone
    today = local_today(zone)
    form = CheckInForm(request.POST or None, zone=zone, initial={"day": today})
    if request.method == "POST" and form.is_valid():
        day = form.cleaned_data["day"]
        CheckIn.objects.update_or_create(
            patient=request.user,
            day=day,
            defaults={"worst_severity": form.cleaned_data["worst_severity"]},
        )
        messages.success(request, _("Check-in saved for %(day)s.") % {"day": day})
        return redirect("tracker:dashboard")
    recent = CheckIn.objects.filter(patient=request.user).order_by("-day")[:7]
    return render(request, "tracker/checkin_form.html", {"form": form, "recent": recent})


@patient_page
def hydration_day(request: HttpRequest, day: datetime.date | None = None) -> HttpResponse:
    """Show one day's drinks against the target, with quick-add and the "all logged" switch."""
    zone = request.user.zone
    today = local_today(zone)
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
    zone = request.user.zone
    form = DrinkForm(request.POST or None, zone=zone)
    if request.method == "POST" and form.is_valid():
        day = form.cleaned_data["day"]

        def write() -> str:
            drink = form.save(commit=False)
            drink.patient = request.user
            drink.save()
            if request.POST.get("next_page") == "dashboard":
                return reverse("tracker:dashboard")
            return _hydration_url(day, local_today(zone))

        redirect_to, created = once(
            request=request, key=form.cleaned_data["submission_key"], write=write
        )
        if created:
            messages.success(
                request, _("Added %(ml)s ml.") % {"ml": form.cleaned_data["amount_ml"]}
            )
        return redirect(redirect_to)
    return render(request, "tracker/drink_form.html", {"form": form, "drink": None})


@patient_page
def drink_edit(request: HttpRequest, pk: int) -> HttpResponse:
    drink = get_object_or_404(Drink, pk=pk, patient=request.user)
    zone = request.user.zone
    form = DrinkForm(request.POST or None, instance=drink, zone=zone)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The drink is updated."))
        return redirect(_hydration_url(drink.day, local_today(zone)))
    return render(request, "tracker/drink_form.html", {"form": form, "drink": drink})


@patient_page
def drink_delete(request: HttpRequest, pk: int) -> HttpResponse:
    drink = get_object_or_404(Drink, pk=pk, patient=request.user)
    if request.method == "POST":
        drink.delete()
        messages.success(request, _("The drink is deleted."))
        return redirect(_hydration_url(drink.day, local_today(request.user.zone)))
    return render(request, "tracker/drink_confirm_delete.html", {"drink": drink})


@patient_page
@require_POST
def hydration_complete(request: HttpRequest, day: datetime.date) -> HttpResponse:
    """Mark a day's drinks log complete (or not), so the comparison can use that day."""
    today = local_today(request.user.zone)
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
            record_red_flags(request=request, codes=form.cleaned_data["red_flags"])
            return reverse("tracker:advice")

        redirect_to, _created = once(
            request=request, key=form.cleaned_data["submission_key"], write=write
        )
        return redirect(redirect_to)
    return render(request, "tracker/red_flag_form.html", {"form": form})


@patient_page
def advice(request: HttpRequest) -> HttpResponse:
    """Show what to do about the red flags answered in the last day, most pressing first."""
    since = timezone.now() - datetime.timedelta(hours=BANNER_HOURS)
    codes = recent_red_flag_codes(request.user)
    RedFlagAnswer.objects.filter(
        patient=request.user, code__in=codes, advice_shown_at__isnull=True
    ).update(advice_shown_at=timezone.now())
    seen = Acknowledgement.objects.filter(
        patient=request.user, red_flag__code__in=codes, red_flag__answered_at__gte=since
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
    today = local_today(request.user.zone)
    return download(
        exports.export_json(patient=request.user),
        filename=f"back-cramp-log-{today}.json",
        content_type="application/json",
    )


@patient_page
def export_csv(request: HttpRequest) -> HttpResponse:
    today = local_today(request.user.zone)
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
