import copy
import sys

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
    transaction,
)
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache

from accounts import consent
from accounts.roles import is_clinician
from education.models import Article, Category
from education.pages import public_page
from notifications.services import KEEP as NOTIFICATIONS_KEPT
from portal import replica
from portal.forms import ProfileForm
from tracker import services
from tracker.dashboard import patient_profile
from tracker.forms import RedFlagForm
from tracker.rules import RED_FLAGS, Tier, red_flags_in_tier

# Which advice each red-flag answer gets, for the page's script (json_script "red-flag-tiers"):
# the offline copy of "Get help now" shows the right tier without asking the server.
RED_FLAG_TIERS = {
    flag.code: "maternity" if flag.pregnancy_only else flag.tier.name.lower() for flag in RED_FLAGS
}


@public_page
def home(request: HttpRequest) -> HttpResponse:
    """Show what the portal is, the article categories and the featured articles."""
    counts = dict(Article.objects.published().values_list("category").annotate(Count("id")))
    categories = [(Category(value), counts.get(value, 0)) for value in Category.values]
    featured = Article.objects.published().filter(featured=True).only("slug", "title", "summary")
    return render(request, "portal/home.html", {"categories": categories, "featured": featured})


@public_page
def get_help(request: HttpRequest) -> HttpResponse:
    """Show the red-flag symptoms in tiers, the most pressing first.

    A signed-in person can also tick what they have, which is stored in their log.
    """
    red_flag_form = None
    if request.user.is_authenticated:
        red_flag_form = RedFlagForm(pregnant=patient_profile(request.user).pregnant)
    return render(
        request,
        "portal/get_help.html",
        {
            "emergency": red_flags_in_tier(Tier.EMERGENCY),
            "urgent": red_flags_in_tier(Tier.URGENT),
            "soon": red_flags_in_tier(Tier.SOON),
            "maternity": red_flags_in_tier(Tier.MATERNITY),
            "red_flag_form": red_flag_form,
            "red_flag_tiers": RED_FLAG_TIERS,
        },
    )


@public_page
def privacy(request: HttpRequest) -> HttpResponse:
    """Show the privacy notice: what is stored, who sees it, for how long, and one's rights."""
    return render(
        request,
        "portal/privacy.html",
        {
            "document": consent.PRIVACY_NOTICE,
            "contact_email": settings.PORTAL_PRIVACY_CONTACT_EMAIL,
            "outbox_days": NOTIFICATIONS_KEPT.days,
            "idle_minutes_patient": settings.SESSION_IDLE_MINUTES_PATIENT,
            "idle_minutes_staff": settings.SESSION_IDLE_MINUTES_STAFF,
        },
    )


@public_page
def terms(request: HttpRequest) -> HttpResponse:
    """Show the terms of use: what the portal is and is not, and what it asks of people."""
    return render(
        request,
        "portal/terms.html",
        {"document": consent.TERMS, "contact_email": settings.PORTAL_PRIVACY_CONTACT_EMAIL},
    )


@never_cache
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Let a person change their name, e-mail and time zone."""
    # A copy: a refused form must not leave its values on the user the rest of the page reads.
    form = ProfileForm(
        request.POST or None,
        instance=copy.copy(request.user),
        clinician=is_clinician(request.user),
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            new_zone = form.cleaned_data["time_zone"]
            if new_zone != request.user.time_zone:
                # Today, and so the assessment, follows the new zone; past entries keep theirs.
                services.change_time_zone(user=request.user, time_zone=new_zone, now=timezone.now())
        messages.success(request, _("Your profile is saved."))
        return redirect("profile")
    return render(request, "portal/profile.html", {"form": form})


def too_many_requests(request: HttpRequest) -> HttpResponse:
    """Say plainly that a limit was reached and when to try again; nothing was changed."""
    return render(request, "429.html", status=429)


def favicon(request: HttpRequest) -> HttpResponse:
    """Send browsers that ask for /favicon.ico (the admin's pages do) to the site's icon."""
    return redirect(static("img/favicon.svg"), permanent=True)


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Report whether the app can reach its database, on a fresh connection."""
    # A new connection of its own, so a stale pooled connection cannot hide an outage.
    probe = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with probe.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    finally:
        probe.close()
    answer: dict[str, object] = {"status": "ok", "database": "ok"}
    if replica.REPLICA in settings.DATABASES:
        # Said, not failed on: without the replica, reads fall back to the primary.
        usable, reason, lag = replica.measure()
        answer.update(replica="ok" if usable else reason, replica_lag_seconds=lag)
    return JsonResponse(answer)


def ping(request: HttpRequest) -> HttpResponse:
    """Answer "ok" without touching the database: the load balancer's liveness probe.

    It also is the benchmark's ceiling (R0): the cheapest response through every middleware.
    """
    return HttpResponse(b"ok", content_type="text/plain")


# Seconds a client should wait before retrying while the database is unreachable.
DATABASE_RETRY_AFTER = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """Answer 503 with Retry-After while the database is unreachable; 500 for any other fault.

    Django calls this while handling the exception, so sys.exc_info() holds it. Like Django's
    own 500 view, it renders a page without context processors, which could need the database.
    """
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        page = loader.get_template("503.html").render(
            {"emergency_number": settings.PORTAL_EMERGENCY_NUMBER}
        )
        response = HttpResponse(page, status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response
    return defaults.server_error(request)
