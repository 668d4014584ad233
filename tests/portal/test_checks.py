"""The deployment checks of the worker's settings: a broker, and where links in e-mails point."""

import pytest
from django.core.checks import Error, run_checks

from portal.checks import check_broker, check_site_url


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["portal.example.org"]
    settings.CELERY_BROKER_URL = "redis://redis.internal:6379/1"
    settings.PORTAL_SITE_URL = "https://portal.example.org"
    return settings


def deploy_check_ids() -> set[str]:
    return {message.id for message in run_checks(include_deployment_checks=True) if message.id}


def test_production_settings_pass_both_checks(production) -> None:
    assert check_broker() == []
    assert check_site_url() == []
    assert not {"portal.E002", "portal.E003"} & deploy_check_ids()


def test_no_broker_in_production_is_an_error(production) -> None:
    production.CELERY_BROKER_URL = ""

    [error] = check_broker()

    assert isinstance(error, Error) and error.id == "portal.E002"
    assert "wait in the outbox for ever" in error.msg
    assert "portal.E002" in deploy_check_ids()


@pytest.mark.parametrize(
    "site_url",
    [
        "http://127.0.0.1:8000",  # the default
        "http://localhost:8000",
        "https://portal.localhost",
        "http://[::1]:8000",
        "http://127.0.1.1",
    ],
)
def test_a_site_url_on_this_machine_is_an_error_in_production(production, site_url) -> None:
    production.ALLOWED_HOSTS = ["*"]
    production.PORTAL_SITE_URL = site_url

    [error] = check_site_url()

    assert isinstance(error, Error) and error.id == "portal.E003"
    assert "this machine" in error.msg
    assert "portal.E003" in deploy_check_ids()


def test_a_site_url_the_site_would_refuse_is_an_error(production) -> None:
    production.PORTAL_SITE_URL = "https://other.example.org"

    [error] = check_site_url()

    assert error.id == "portal.E003" and "not in DJANGO_ALLOWED_HOSTS" in error.msg


def test_a_site_url_matching_an_allowed_subdomain_pattern_passes(production) -> None:
    production.ALLOWED_HOSTS = [".example.org"]
    production.PORTAL_SITE_URL = "https://care.example.org:8443"

    assert check_site_url() == []


@pytest.mark.parametrize("site_url", ["portal.example.org", "/", "ftp://portal.example.org"])
def test_a_site_url_that_is_not_an_absolute_web_address_is_an_error(production, site_url) -> None:
    production.PORTAL_SITE_URL = site_url

    [error] = check_site_url()

    assert error.id == "portal.E003" and "not an absolute address" in error.msg


def test_development_needs_neither(settings) -> None:
    settings.DEBUG = True
    settings.CELERY_BROKER_URL = ""
    settings.PORTAL_SITE_URL = "http://127.0.0.1:8000"

    assert check_broker() == []
    assert check_site_url() == []
