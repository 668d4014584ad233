"""The portal's own middleware."""

import time
from collections.abc import Callable

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import is_clinician


class PortalCSPMiddleware(CSPMiddleware):
    """django-csp with one exception: Django's admin.

    The site's policy allows no inline script or style anywhere. The admin's own JavaScript adds
    <style> elements while it runs (its widgets), so admin pages alone may apply inline styles.
    Inline scripts stay forbidden there too.
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.app_name == "admin" and parts.update is None:
            parts.update = {"style-src": [SELF, UNSAFE_INLINE]}
        return parts


LAST_SEEN = "portal_last_seen"
IDLE_LIMIT = "portal_idle_limit"
# Recording activity writes the session; once a minute is precise enough for a 30-minute limit.
TOUCH_EVERY_SECONDS = 60


def idle_limit_seconds(user: User) -> int:
    """Clinicians and staff, who can see other people's health data, get the shorter limit."""
    if user.is_staff or is_clinician(user):
        return settings.SESSION_IDLE_MINUTES_STAFF * 60
    return settings.SESSION_IDLE_MINUTES_PATIENT * 60


def start_idle_clock(sender: object, request: HttpRequest, user: User, **kwargs: object) -> None:
    if request is not None and hasattr(request, "session"):
        limit = idle_limit_seconds(user)
        request.session[IDLE_LIMIT] = limit
        request.session[LAST_SEEN] = int(time.time())
        request.session.set_expiry(limit)


class IdleTimeoutMiddleware:
    """Log a person out after their role's idle limit, and say why on the login page.

    The limit is worked out once at login and kept in the session, so a page costs no query.
    The session's own expiry moves with activity too, so the database refuses an idle session
    even if this middleware were bypassed.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.user.is_authenticated:
            session = request.session
            limit = session.get(IDLE_LIMIT) or idle_limit_seconds(request.user)
            now = int(time.time())
            last_seen = session.get(LAST_SEEN, now)
            if now - last_seen > limit:
                logout(request)
                messages.info(
                    request,
                    _(
                        "You were logged out after %(minutes)d minutes without activity, to keep "
                        "your health information private. Please log in again."
                    )
                    % {"minutes": limit // 60},
                )
                return redirect_to_login(request.get_full_path())
            if LAST_SEEN not in session or now - last_seen >= TOUCH_EVERY_SECONDS:
                session[IDLE_LIMIT] = limit
                session[LAST_SEEN] = now
                session.set_expiry(limit)
        return self.get_response(request)


SECOND_FACTOR_SEEN = "portal_second_factor"
# Where someone who must set up a second factor may still go: the set-up pages themselves,
# logging out, re-authenticating, and the help that every page offers.
SECOND_FACTOR_SETUP_PATHS = ("/accounts/", "/get-help/", "/static/", "/offline/", "/ping/")


def needs_second_factor(user: User) -> bool:
    """Clinicians and staff, who see other people's health data, must use a second factor."""
    return settings.PORTAL_REQUIRE_SECOND_FACTOR and (user.is_staff or is_clinician(user))


def has_second_factor(user: User) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user).exists()


def remember_second_factor(
    sender: object, request: HttpRequest, user: User, **kwargs: object
) -> None:
    """At login, note in the session that no second factor is missing: none is needed (a
    patient), or one exists. Then pages cost no query for it. A change of role ends the
    person's sessions (accounts.signals), so the note never outlives the role it was made for.
    """
    if request is not None and hasattr(request, "session"):
        request.session[SECOND_FACTOR_SEEN] = not needs_second_factor(user) or has_second_factor(
            user
        )


def forget_second_factor(sender: object, request: HttpRequest, **kwargs: object) -> None:
    """Check again on the next request (a second factor was removed)."""
    if request is not None and hasattr(request, "session"):
        request.session.pop(SECOND_FACTOR_SEEN, None)


class SecondFactorRequiredMiddleware:
    """Send a clinician or staff member without a second factor to set one up, and nowhere else.

    Login itself asks for the factor once one exists (django-allauth's MFA stage); this makes
    sure one exists. Login notes in the session that nothing is missing; until a factor exists
    each request checks again, and removing a factor makes the next request check.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if (
            user.is_authenticated
            and not request.session.get(SECOND_FACTOR_SEEN)
            and needs_second_factor(user)
        ):
            if has_second_factor(user):
                request.session[SECOND_FACTOR_SEEN] = True
            elif not request.path.startswith(SECOND_FACTOR_SETUP_PATHS):
                messages.info(
                    request,
                    _(
                        "Your role lets you see other people's health information, so your "
                        "account needs a second factor: an authenticator app or a passkey. "
                        "Set one up here to go on."
                    ),
                )
                return redirect("mfa_index")
        return self.get_response(request)


class NoStoreWhenLoggedInMiddleware:
    """Tell browsers and proxies to keep no copy of any page shown to a logged-in person.

    Any such page may carry health data: the red-flag banner shows on every page for a day, and
    the tracker and clinic pages are all about a person. Public pages for visitors who are not
    logged in stay cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
