"""The patient's reminder page, their devices for notifications, and the one-click stop link."""

import json

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from notifications import services as notifications
from notifications.links import BadStopLink, read_stop_token
from tracker import reminders
from tracker.forms import ReminderForm
from tracker.views import patient_page

# A person's devices for notifications; adding another forgets the oldest.
MAX_DEVICES = 10


def push_available() -> bool:
    return bool(settings.PORTAL_VAPID_PUBLIC_KEY and settings.PORTAL_VAPID_PRIVATE_KEY)


@patient_page
def reminder_settings(request: HttpRequest) -> HttpResponse:
    reminder = reminders.reminder_for(request.user)
    form = ReminderForm(
        request.POST if request.method == "POST" else None,
        instance=reminder,
        push_available=push_available(),
    )
    if request.method == "POST" and form.is_valid():
        reminders.save_choices(reminder=form.save(commit=False), now=timezone.now())
        messages.success(request, _("Your reminder choices are saved."))
        return redirect("tracker:reminders")
    # The form never sets the next time: what the page shows is the saved choice's.
    next_at = reminder.next_daily_at
    return render(
        request,
        "tracker/reminder_form.html",
        {
            "form": form,
            "next_reminder": next_at.astimezone(request.user.zone) if next_at else None,
            "vapid_public_key": settings.PORTAL_VAPID_PUBLIC_KEY if push_available() else "",
            "devices": request.user.push_subscriptions.count(),
        },
    )


@patient_page
@require_POST
def push_device(request: HttpRequest) -> JsonResponse:
    """Remember (or, with "remove", forget) this device's subscription from the browser."""
    try:
        data = json.loads(request.body)
        endpoint = str(data["endpoint"])
        remove = bool(data.get("remove"))
        keys = data.get("keys") or {}
        p256dh, auth = str(keys.get("p256dh", "")), str(keys.get("auth", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return JsonResponse({"error": _("That was not a device subscription.")}, status=400)
    if remove:
        notifications.remove_device(person=request.user, endpoint=endpoint)
        return JsonResponse({"removed": True})
    if not push_available():
        return JsonResponse({"error": _("Notifications are not set up on this site.")}, status=409)
    if (
        len(endpoint) > 1000
        or not notifications.push_host_allowed(endpoint)
        or not 1 <= len(p256dh) <= 200
        or not 1 <= len(auth) <= 100
    ):
        return JsonResponse({"error": _("That was not a device subscription.")}, status=400)
    notifications.add_device(person=request.user, endpoint=endpoint, p256dh=p256dh, auth=auth)
    extra = request.user.push_subscriptions.order_by("-created_at", "-pk")[MAX_DEVICES:]
    request.user.push_subscriptions.filter(pk__in=list(extra.values_list("pk", flat=True))).delete()
    return JsonResponse({"saved": True}, status=201)


@csrf_exempt  # a mail app's one-click unsubscribe posts without our cookie (RFC 8058)
@never_cache
@require_http_methods(["GET", "POST"])
def reminder_stop(request: HttpRequest, topic: str, token: str) -> HttpResponse:
    """Stop the daily reminder or the weekly summary from an e-mail, without signing in."""
    try:
        patient_id = read_stop_token(token, topic=topic)
    except BadStopLink as error:
        return render(
            request,
            "tracker/reminder_stop.html",
            {"topic": topic, "bad": True, "expired": error.expired},
            status=400,
        )
    changed = reminders.stop(patient_id=patient_id, topic=topic, now=timezone.now())
    return render(
        request,
        "tracker/reminder_stop.html",
        {"topic": topic, "changed": changed, "daily": topic == reminders.Topic.DAILY},
    )
