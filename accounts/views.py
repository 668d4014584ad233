"""The consent page: a changed privacy notice or terms of use are agreed to again here."""

from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts import consent
from accounts.forms import ConsentForm
from accounts.middleware import remember_consents
from accounts.models import Consent, User
from accounts.services import accepted_versions, record_consents


def next_url(request: HttpRequest) -> str:
    """Return where the person was going, if it is a page of this site; else the home page."""
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url("home")


@never_cache
@login_required
def consent_page(request: HttpRequest) -> HttpResponse:
    """Show what changed and ask again; with nothing to ask, go on to where the person was going.

    Always read from the database, not the session: another device may have agreed already.
    Declining changes nothing: the page says what follows and offers a copy of the data,
    deleting the account, or logging out.
    """
    user = request.user
    assert isinstance(user, User)  # login_required
    kinds = consent.required_kinds(user)
    accepted = accepted_versions(user=user)
    missing = consent.pending(kinds=kinds, accepted=accepted)
    going_to = next_url(request)
    if not missing:
        remember_consents(request, accepted=accepted)
        return redirect(going_to)
    form = ConsentForm(request.POST or None, kinds=missing)
    if request.method == "POST" and form.is_valid():
        record_consents(user=user, kinds=missing, now=timezone.now())
        remember_consents(request, accepted=accepted | consent.current_versions(missing))
        messages.success(request, _("Thank you. Your answer is saved."))
        return redirect(going_to)
    return render(
        request,
        "accounts/consent.html",
        {
            "form": form,
            "next": going_to,
            "notice": (
                consent.PRIVACY_NOTICE
                if any(kind != Consent.Kind.TERMS for kind in missing)
                else None
            ),
            "terms": consent.TERMS if Consent.Kind.TERMS in missing else None,
            "first_time": not accepted,
            "patient": Consent.Kind.HEALTH_DATA in kinds,
        },
    )
