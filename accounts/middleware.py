"""The portal's own middleware."""

import time
from collections.abc import Callable
from urllib.parse import urlencode

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _

from accounts import consent
from accounts.models import User
from accounts.roles import is_clinician
from accounts.services import accepted_versions


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, except that a stale cookie is left alone.

    Logging in (and the second factor) replaces the session and its cookie. A request sent with
    the old cookie just before, that ends just after (the service worker fetching the offline
    page while the person types their code, a second tab), finds no session behind its cookie.
    Django would answer it by deleting the cookie, which now deletes the new one: the person is
    logged out a moment after logging in. Here a request deletes the cookie only when it emptied
    the session itself (logging out, the idle limit); one that merely found its session gone
    leaves the browser's cookie as it is, and the browser drops a stale one at its expiry.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        session = getattr(request, "session", None)
        if (
            session is not None
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and session.is_empty()
            and not session.modified
        ):
            if session.accessed:
                patch_vary_headers(response, ("Cookie",))
            return response
        return super().process_response(request, response)


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


CONSENT_SEEN = "portal_consent"
# Pages a person whose consent is out of date may still open. Nobody in an emergency may meet
# a wall: "Get help now", its red-flag questions and their advice stay open, as do the texts
# being agreed to, the consent page, logging out, the account pages of django-allauth (signing
# in, second factors, e-mail, password: nothing of the diary) and what the app itself needs.
CONSENT_OPEN_VIEWS = frozenset(
    {
        "accounts:consent",
        "privacy",
        "terms",
        "get_help",
        "tracker:red_flag_check",
        "tracker:advice",
        # Declining: take a copy, delete the account, stop sharing; and the e-mails' stop links.
        "tracker:your_data",
        "tracker:export_json",
        "tracker:export_csv",
        "tracker:account_delete",
        "clinic:sharing",
        "clinic:share_revoke",
        "tracker:reminder_stop",
        "clinic:notice_stop",
        # A patient's report links: revoking them while declining; a link someone was given
        # works for whoever holds it (issue 20).
        "tracker:report_links",
        "tracker:report_link_revoke",
        "report_shared",
        "report_shared_pdf",
        "health",
        "ping",
        "favicon",
        "manifest",
        "offline",
        "apple_touch_icon",
        "admin:login",
        "admin:logout",
        "admin:jsi18n",
    }
)
CONSENT_OPEN_PREFIXES = ("account_", "mfa_", "usersessions_")


def agreements_of(user: User) -> dict[str, object]:
    """Return what the session keeps of a person's agreements: the kinds their role must agree
    to, and the newest version of each they agreed to (two queries: roles, consents)."""
    return {
        "user": user.pk,
        "kinds": list(consent.required_kinds(user)),
        "accepted": accepted_versions(user=user),
    }


def consent_state(request: HttpRequest) -> dict[str, object]:
    """Return what the session knows of the person's agreements, asking the database only if
    it knows nothing yet (login notes it; a change of role ends the session)."""
    user = request.user
    assert isinstance(user, User)
    state: dict[str, object] | None = request.session.get(CONSENT_SEEN)
    if state is None or state.get("user") != user.pk:
        state = agreements_of(user)
        request.session[CONSENT_SEEN] = state
    return state


def remember_consents(request: HttpRequest, *, accepted: dict[str, int]) -> None:
    """Keep in the session what the person has now agreed to (after the consent page)."""
    state = consent_state(request)
    request.session[CONSENT_SEEN] = {**state, "accepted": accepted}


def note_consents_at_login(
    sender: object, request: HttpRequest, user: User, **kwargs: object
) -> None:
    """At login, note the person's agreements in the session: then no page, not even the first,
    costs a query for them."""
    if request is not None and hasattr(request, "session"):
        request.session[CONSENT_SEEN] = agreements_of(user)


def open_while_consent_pending(view_name: str) -> bool:
    return view_name in CONSENT_OPEN_VIEWS or view_name.startswith(CONSENT_OPEN_PREFIXES)


class ConsentRequiredMiddleware:
    """Send a signed-in person to the consent page while the privacy notice or terms in code are
    newer than what they agreed to, then back where they were going (?next=).

    A script (it asks for JSON, or sends it) gets 403 JSON that says where to go instead of a
    page it cannot show. The check reads the session only: login notes the agreements there
    (note_consents_at_login), so no page costs a query for it; a session without the note (one
    from before this check existed) asks the database once.
    Placed after authentication and after the second-factor middleware, which comes first.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., HttpResponseBase],
        args: tuple[object, ...],
        kwargs: dict[str, object],
    ) -> HttpResponseBase | None:
        if not request.user.is_authenticated:
            return None
        state = consent_state(request)
        missing = consent.pending(kinds=state["kinds"], accepted=state["accepted"])  # type: ignore[arg-type]
        if not missing:
            return None
        match = request.resolver_match
        if match is None or open_while_consent_pending(match.view_name):
            return None
        where = reverse("accounts:consent")
        if wants_json(request):
            response = JsonResponse(
                {
                    "error": _(
                        "The privacy notice or the terms of use have changed. Open the portal "
                        "to read what changed and agree again; nothing was saved."
                    ),
                    "consent": where,
                },
                status=403,
            )
            add_never_cache_headers(response)
            return response
        if request.method in ("GET", "HEAD"):
            back = request.get_full_path()
        else:
            back = request.path  # what a form posted is not kept in an address
        return redirect(f"{where}?{urlencode({REDIRECT_FIELD_NAME: back})}")


def wants_json(request: HttpRequest) -> bool:
    """Say whether a script sent the request: it asks for JSON or sends JSON."""
    accept = request.headers.get("Accept", "")
    return "application/json" in accept or (request.content_type or "").startswith(
        "application/json"
    )
