"""The service worker shows the notifications (issue 18): /sw.js, built by `make collectstatic`
(scripts/build-sw.mjs), imports static/js/sw-push.js under its hashed name, and that script
handles "push" and "notificationclick". These tests read the built files as WhiteNoise serves
them, as tests/portal/test_offline_app.py does for the rest of the worker."""

import re

import pytest
from django.templatetags.static import static

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode()


def test_the_built_service_worker_imports_the_push_handler_by_its_hashed_name(anonymous):
    response = anonymous.get("/sw.js")
    assert response.status_code == 200, "build/root/sw.js is missing: run `make collectstatic`"
    worker = _text(response)

    handler = static("js/sw-push.js")
    assert re.fullmatch(r"/static/js/sw-push\.[0-9a-f]{12}\.js", handler), handler
    assert re.search(r'importScripts\(\s*"' + re.escape(handler) + r'"\s*\)', worker)
    # Imported, so kept with the worker by the browser: not fetched and kept a second time.
    assert worker.count(handler) == 1


def test_the_push_handler_shows_the_message_and_opens_the_site_on_a_tap(anonymous) -> None:
    response = anonymous.get(static("js/sw-push.js"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    # The policy that lets the worker import it: scripts from our own origin only.
    script = _text(response)

    assert 'addEventListener("push"' in script
    assert "showNotification(" in script
    assert 'addEventListener("notificationclick"' in script
    assert "openWindow(" in script and ".focus()" in script
    # Repeated reminders replace each other instead of piling up.
    assert 'TAG = "daily-reminder"' in script
    # Only our own pages open from a tap.
    assert "target.origin === self.location.origin" in script


def test_the_notification_icon_it_names_is_served(anonymous) -> None:
    script = _text(anonymous.get(static("js/sw-push.js")))
    (icon,) = re.findall(r'ICON = "([^"]+)"', script)

    response = anonymous.get(icon)

    assert response.status_code == 200, icon
    assert response["Content-Type"] == "image/png"
