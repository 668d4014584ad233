"""A clinician's choice of e-mail notices, and the one-click link that stops them."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from clinic import notices
from clinic.access import clinician_page
from clinic.forms import NoticeForm
from notifications.links import BadStopLink, read_stop_token


@clinician_page
def notice_settings(request: HttpRequest) -> HttpResponse:
    current = notices.settings_for(request.user)
    form = NoticeForm(
        request.POST if request.method == "POST" else None, initial={"by_email": current.by_email}
    )
    if request.method == "POST" and form.is_valid():
        notices.save_choice(
            clinician=request.user, by_email=form.cleaned_data["by_email"], now=timezone.now()
        )
        messages.success(request, _("Your choice is saved."))
        return redirect("clinic:notices")
    return render(request, "clinic/notices.html", {"form": form})


@csrf_exempt  # a mail app's one-click unsubscribe posts without our cookie (RFC 8058)
@never_cache
@require_http_methods(["GET", "POST"])
def notice_stop(request: HttpRequest, token: str) -> HttpResponse:
    """Stop the notices from an e-mail, without signing in."""
    try:
        clinician_id = read_stop_token(token, topic=notices.TOPIC)
    except BadStopLink as error:
        return render(
            request, "clinic/notice_stop.html", {"bad": True, "expired": error.expired}, status=400
        )
    changed = notices.stop(clinician_id=clinician_id)
    return render(request, "clinic/notice_stop.html", {"changed": changed})
