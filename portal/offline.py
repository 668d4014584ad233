"""The installable app: its web app manifest and the page the service worker shows offline.

The service worker itself is built at set-up from Workbox (scripts/build-sw.mjs, run by
`make collectstatic`) and WhiteNoise serves it at /sw.js (settings.WHITENOISE_ROOT), so its
scope is the whole site. What it keeps, and what it never keeps, is described there.
"""

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

# The header's blue (static/img/favicon.svg) and the light page behind it while the app opens.
THEME_COLOUR = "#0b5394"
BACKGROUND_COLOUR = "#ffffff"
MANIFEST_MAX_AGE = 24 * 3600


def _icon(name: str, size: str, purpose: str, kind: str = "image/png") -> dict[str, str]:
    return {"src": static(f"img/{name}"), "sizes": size, "type": kind, "purpose": purpose}


@require_safe
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: the same for everyone, so browsers may keep it for a day."""
    data = {
        "id": "/",
        "name": _("Back cramp care"),
        "short_name": _("Back care"),
        "description": _("Log back spasms in one screen, even offline, and get help fast."),
        "lang": "en-GB",
        "dir": "ltr",
        "start_url": reverse("tracker:dashboard"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "categories": ["health", "medical"],
        "icons": [
            _icon("app-icon-192.png", "192x192", "any"),
            _icon("app-icon-512.png", "512x512", "any"),
            _icon("app-icon-maskable-192.png", "192x192", "maskable"),
            _icon("app-icon-maskable-512.png", "512x512", "maskable"),
            _icon("app-icon.svg", "any", "any", "image/svg+xml"),
        ],
        "shortcuts": [
            {"name": _("Log an episode"), "url": reverse("tracker:episode_create")},
            {"name": _("Get help now"), "url": reverse("get_help")},
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    patch_cache_control(response, public=True, max_age=MANIFEST_MAX_AGE)
    return response


@never_cache
@require_safe
def offline(request: HttpRequest) -> HttpResponse:
    """The page the service worker shows when a page it does not keep cannot be fetched.

    The service worker fetches it once, at install, with the person's cookies. It is rendered
    as for a visitor, so the copy it keeps carries no one's name, red-flag banner or id.
    """
    request.user = AnonymousUser()
    return render(request, "portal/offline.html")


def apple_touch_icon(request: HttpRequest) -> HttpResponse:
    """iOS asks for /apple-touch-icon.png when a page is added to the home screen."""
    return HttpResponsePermanentRedirect(static("img/apple-touch-icon.png"))
