"""A request that finds its session replaced must not log the person out (accounts.middleware).

Logging in replaces the session and its cookie. The browser may still have a request in flight
with the old cookie (the service worker fetching the offline page while the person types their
second-factor code); its answer arrives after the login's and the browser applies its cookies
last. Django's own middleware answers such a request by deleting the cookie, which deleted the
new one: a clinician was sent to the login page a moment after logging in (seen in CI).
"""

from importlib import import_module

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.conftest import make_user

pytestmark = pytest.mark.django_db

COOKIE = settings.SESSION_COOKIE_NAME


def a_replaced_session_key() -> str:
    """The key of a session that existed (an anonymous one, mid-login) and was then replaced."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["pending_login"] = True
    store.save()
    key = store.session_key
    store.delete()
    return key


def test_an_answer_to_a_request_with_the_old_cookie_leaves_the_new_login_alone():
    browser = Client()
    browser.force_login(make_user("alice"))
    assert browser.get(reverse("tracker:dashboard")).status_code == 200

    # The request in flight carried the cookie from before the login.
    in_flight = Client()
    in_flight.cookies[COOKIE] = a_replaced_session_key()
    late = in_flight.get(reverse("offline"))
    assert late.status_code == 200
    assert COOKIE not in late.cookies
    assert "Cookie" in late["Vary"]

    # The browser applies the late answer's cookies after the login's.
    browser.cookies.update(late.cookies)
    assert browser.get(reverse("tracker:dashboard")).status_code == 200


def test_a_request_with_a_stale_cookie_is_simply_anonymous():
    stale = Client()
    stale.cookies[COOKIE] = a_replaced_session_key()
    answer = stale.get(reverse("tracker:dashboard"))
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("account_login"))


def test_logging_out_still_deletes_the_cookie():
    browser = Client()
    browser.force_login(make_user("alice"))
    answer = browser.post(reverse("account_logout"))
    assert answer.cookies[COOKIE].value == ""
    assert answer.cookies[COOKIE]["max-age"] == 0
    assert browser.get(reverse("tracker:dashboard")).status_code == 302


def test_the_idle_limit_still_deletes_the_cookie(settings):
    browser = Client()
    browser.force_login(make_user("alice"))
    session = browser.session
    session["portal_last_seen"] -= settings.SESSION_IDLE_MINUTES_PATIENT * 60 + 1
    session.save()
    answer = browser.get(reverse("tracker:dashboard"))
    assert answer.status_code == 302
    assert answer.cookies[COOKIE].value == ""
