import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


def test_server_error_page_is_in_the_site_style_without_a_traceback() -> None:
    response = server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    assert "Traceback" not in page


def test_health_reports_ok_with_a_database(anonymous) -> None:
    response = anonymous.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_health_reports_failure_honestly(anonymous, monkeypatch) -> None:
    def refuse(self: BaseDatabaseWrapper) -> None:
        raise OperationalError("connection refused")

    # The probe's new connection cannot connect; the request's own one is already open.
    monkeypatch.setattr(BaseDatabaseWrapper, "connect", refuse)
    response = anonymous.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def page_when_every_query_raises(monkeypatch, error: Exception):
    """Ask for the home page while each database cursor raises `error`."""

    def raising(self: BaseDatabaseWrapper, *args: object) -> None:
        raise error

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", raising)
    return Client(raise_request_exception=False).get("/")


def test_an_unreachable_database_is_a_503_with_retry_after_not_a_500(monkeypatch) -> None:
    response = page_when_every_query_raises(monkeypatch, OperationalError("connection refused"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "We cannot reach your records just now" in page
    assert "call 999" in page
    assert "Traceback" not in page


def test_the_503_page_gives_the_configured_emergency_number(monkeypatch, settings) -> None:
    settings.PORTAL_EMERGENCY_NUMBER = "112"
    response = page_when_every_query_raises(monkeypatch, OperationalError("connection refused"))
    page = response.content.decode()
    assert "call 112" in page
    assert "call 999" not in page


def test_any_other_fault_is_still_a_500(monkeypatch) -> None:
    response = page_when_every_query_raises(monkeypatch, RuntimeError("a bug"))
    assert response.status_code == 500
    assert "Retry-After" not in response


def test_ping_answers_through_every_middleware_without_the_database(
    anonymous, django_assert_num_queries
) -> None:
    with django_assert_num_queries(0):
        response = anonymous.get(reverse("ping"))
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "Content-Security-Policy" in response
    assert response["X-Content-Type-Options"] == "nosniff"


def test_base_template_has_skip_link_landmarks_and_language(anonymous) -> None:
    page = anonymous.get("/").content.decode()
    assert '<html lang="en-gb">' in page
    assert 'href="#main"' in page and 'id="main"' in page
    assert "<header" in page and "<main" in page and "<footer" in page and "<nav" in page
    assert "does not diagnose" in page


def test_favicon_request_goes_to_the_site_icon(anonymous) -> None:
    response = anonymous.get("/favicon.ico")
    assert response.status_code == 301
    assert "/static/img/favicon" in response["Location"]
