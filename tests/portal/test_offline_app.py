"""The installable app (issue 16): the manifest, its icons, the service worker as WhiteNoise serves
it, the offline page, and the Content-Security-Policy that lets them load.

The service worker is built by `make collectstatic` (scripts/build-sw.mjs); these tests read the
built file, as the browser tests do (tests/e2e/test_offline.py shows what it does)."""

import json
import re
import struct

import pytest
from django.templatetags.static import static
from django.urls import reverse

from tests.conftest import client_for
from tests.factories import answer_red_flags

pytestmark = pytest.mark.django_db

THEME = "#0b5394"


def _policy(response) -> dict[str, list[str]]:
    directives = [part.strip().split() for part in response["Content-Security-Policy"].split(";")]
    return {name: values for name, *values in directives if name}


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_the_manifest_describes_an_installable_app(anonymous) -> None:
    response = anonymous.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    assert "public" in response["Cache-Control"] and "max-age=86400" in response["Cache-Control"]
    manifest = json.loads(response.content)
    assert manifest["name"] == "Back cramp care"
    assert manifest["start_url"] == reverse("tracker:dashboard") == "/tracker/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == THEME
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
    shortcuts = {shortcut["url"] for shortcut in manifest["shortcuts"]}
    assert shortcuts == {reverse("tracker:episode_create"), reverse("get_help")}


def test_the_manifest_icons_are_ours_at_the_sizes_it_states(anonymous) -> None:
    icons = json.loads(anonymous.get("/manifest.webmanifest").content)["icons"]
    pngs = [icon for icon in icons if icon["type"] == "image/png"]
    assert {(icon["sizes"], icon["purpose"]) for icon in pngs} >= {
        ("192x192", "any"),
        ("512x512", "any"),
        ("512x512", "maskable"),
    }
    for icon in icons:
        assert icon["src"].startswith("/static/img/"), icon  # our origin, a hashed static file
        response = anonymous.get(icon["src"])
        assert response.status_code == 200, icon["src"]
        assert response["Content-Type"] == icon["type"]
        if icon["type"] == "image/png":
            width, height = _png_size(_body(response))
            assert f"{width}x{height}" == icon["sizes"], icon["src"]


def test_every_page_links_the_manifest_its_colour_and_the_home_screen_icon(anonymous, alice):
    for client in (anonymous, client_for(alice)):
        page = client.get(reverse("home")).content.decode()
        assert '<link rel="manifest" href="/manifest.webmanifest">' in page
        assert f'<meta name="theme-color" content="{THEME}">' in page
        assert '<link rel="apple-touch-icon" href="/apple-touch-icon.png">' in page
        assert 'src="' + static("js/sw-register.js") + '"' in page

    icon = anonymous.get("/apple-touch-icon.png")
    assert icon.status_code == 301
    assert icon["Location"] == static("img/apple-touch-icon.png")
    assert _png_size(_body(anonymous.get(icon["Location"]))) == (180, 180)


def test_only_a_signed_in_person_gets_the_outbox(anonymous, alice) -> None:
    outbox = 'src="' + static("js/outbox.js") + '"'
    assert outbox not in anonymous.get(reverse("home")).content.decode()
    page = client_for(alice).get(reverse("home")).content.decode()
    assert outbox in page
    assert 'src="' + static("vendor/idb-keyval/umd.js") + '"' in page
    # The offline advice is for "Get help now" only.
    advice = 'src="' + static("js/offline-advice.js") + '"'
    assert advice not in page
    assert advice in client_for(alice).get(reverse("get_help")).content.decode()


def test_the_policy_lets_our_own_worker_and_manifest_load_and_nothing_else(anonymous) -> None:
    for url in (reverse("home"), "/manifest.webmanifest", "/sw.js"):
        policy = _policy(anonymous.get(url))
        assert policy["worker-src"] == ["'self'"], url
        assert policy["manifest-src"] == ["'self'"], url
        assert policy["script-src"] == ["'self'"], url
        assert policy["connect-src"] == ["'self'"], url


def test_whitenoise_serves_the_service_worker_at_the_root(anonymous) -> None:
    response = anonymous.get("/sw.js")

    assert response.status_code == 200, "build/root/sw.js is missing: run `make collectstatic`"
    assert response["Content-Type"].startswith("text/javascript")
    # Asked again at every update check, so a new version reaches every phone.
    assert response["Cache-Control"] == "no-cache"


def test_the_service_worker_keeps_the_shell_and_only_the_pages_it_may(anonymous) -> None:
    worker = _body(anonymous.get("/sw.js")).decode()

    # The shell, under the hashed names the pages ask for, and the offline page.
    for name in (
        "vendor/bootstrap/css/bootstrap.min.css",
        "vendor/bootstrap/js/bootstrap.bundle.min.js",
        "vendor/idb-keyval/umd.js",
        "css/portal.css",
        "js/outbox.js",
        "js/sw-register.js",
        "js/offline-advice.js",
        "img/app-icon-192.png",
        "img/app-icon-maskable-512.png",
    ):
        assert f'"{static(name)}"' in worker, name
    assert '"/offline/"' in worker
    # The only paths it names: the two pages that must open offline, the articles (not an
    # editor's preview), the offline page and the static files.
    assert sorted(set(re.findall(r'"(/[a-z][^"]*/)"', worker))) == [
        "/articles/",
        "/get-help/",
        "/offline/",
        "/preview/",
        "/static/",
        "/tracker/episodes/new/",
    ]
    for cache in ("bcc-pages", "bcc-articles", "bcc-images", "bcc-static"):
        assert f'"{cache}"' in worker


def test_the_offline_page_carries_no_ones_data(alice) -> None:
    answer_red_flags(alice, "both_legs")
    client = client_for(alice)
    assert "data-user" in client.get(reverse("home")).content.decode()  # the banner's page

    response = client.get("/offline/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "You are offline" in page
    assert "data-user" not in page
    assert "alice" not in page
    assert "Log out" not in page
    assert 'href="' + reverse("tracker:episode_create") + '"' in page
    assert 'href="' + reverse("get_help") + '"' in page
    assert "no-store" in response["Cache-Control"]
