import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


def run_django(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_start_up_fails_loudly_without_a_secret_key() -> None:
    result = run_django({}, "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DJANGO_DEBUG", "maybe", "is not a yes/no value"),
        ("DATABASE_CONN_MAX_AGE", "ten", "is not a whole number"),
        ("PORTAL_EMERGENCY_NUMBER", "123", "must be 999, 112 or 911"),
    ],
)
def test_malformed_variables_fail_loudly(name: str, value: str, message: str) -> None:
    result = run_django({"DJANGO_SECRET_KEY": "k", name: value}, "check")
    assert result.returncode != 0
    assert message in result.stderr


def test_deployment_checklist_passes_with_the_documented_production_variables() -> None:
    result = run_django(
        {
            "DJANGO_SECRET_KEY": "x7Kq2vP9wL4mZ8nR3tY6uB1cE5fH0jA2sD9gK4lQ7pW3eT8rU6iO1yM5nB0vC2xZ",
            "DJANGO_ALLOWED_HOSTS": "portal.example.org",
            "EMAIL_HOST": "smtp.example.org",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "PORTAL_SITE_URL": "https://portal.example.org",
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr


PRODUCTION = {
    "DJANGO_SECRET_KEY": "x7Kq2vP9wL4mZ8nR3tY6uB1cE5fH0jA2sD9gK4lQ7pW3eT8rU6iO1yM5nB0vC2xZ",
    "DJANGO_ALLOWED_HOSTS": "portal.example.org",
}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, "EMAIL_HOST is not set"),
        (
            {"DJANGO_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
            "writes e-mails, with their codes, to the logs",
        ),
        (
            {"DJANGO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"},
            "writes e-mails, with their codes, to the logs",
        ),
    ],
)
def test_production_refuses_to_start_when_e_mail_would_be_lost_or_printed(extra, message) -> None:
    """gunicorn loads portal.wsgi: it stops there, and the deployment check names the fault."""
    serve = run_django(
        {**PRODUCTION, **extra}, "shell", "-c", "import portal.wsgi; print('started')"
    )
    assert serve.returncode != 0
    assert "started" not in serve.stdout
    assert message in serve.stderr
    check = run_django({**PRODUCTION, **extra}, "check", "--deploy")
    assert check.returncode != 0
    assert "portal.E001" in check.stderr and message in check.stderr


def test_production_starts_with_an_e_mail_host_and_development_prints_e_mail() -> None:
    serve = run_django(
        {**PRODUCTION, "EMAIL_HOST": "smtp.example.org"},
        "shell",
        "-c",
        "import portal.wsgi; from django.conf import settings; print(settings.EMAIL_BACKEND)",
    )
    assert serve.stdout.strip().splitlines()[-1] == "django.core.mail.backends.smtp.EmailBackend"
    dev = run_django(
        {"DJANGO_SECRET_KEY": "k", "DJANGO_DEBUG": "1"},
        "shell",
        "-c",
        "import portal.wsgi; from django.conf import settings; print(settings.EMAIL_BACKEND)",
    )
    assert dev.stdout.strip().splitlines()[-1] == "django.core.mail.backends.console.EmailBackend"


def test_debug_is_off_unless_set() -> None:
    result = run_django(
        {"DJANGO_SECRET_KEY": "k"},
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
    )
    assert result.stdout.strip().splitlines()[-1] == "False"


def _policy(response) -> dict[str, list[str]]:
    directives = [part.strip().split() for part in response["Content-Security-Policy"].split(";")]
    return {name: values for name, *values in directives if name}


def test_every_page_has_a_strict_content_security_policy(client, db) -> None:
    policy = _policy(client.get(reverse("home")))

    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


def test_the_admin_may_apply_inline_styles_but_never_run_inline_scripts(client, db) -> None:
    policy = _policy(client.get(reverse("admin:login")))

    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["script-src"] == ["'self'"]


def test_security_headers_under_production_settings(client, db) -> None:
    response = client.get(reverse("home"), secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert _policy(response)["frame-ancestors"] == ["'none'"]
    permissions = dict(
        part.strip().split("=", 1) for part in response["Permissions-Policy"].split(",")
    )
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert permissions[feature] == "()", feature
    # Passkeys work, from this site only.
    assert permissions["publickey-credentials-get"] == "(self)"
    assert permissions["publickey-credentials-create"] == "(self)"


def test_pages_for_a_logged_in_person_are_never_stored_but_public_ones_may_be(client, alice):
    assert "no-store" not in client.get(reverse("home")).get("Cache-Control", "")
    client.force_login(alice)
    assert "no-store" in client.get(reverse("home"))["Cache-Control"]


def test_env_example_documents_every_variable_the_settings_and_gunicorn_read() -> None:
    import re

    read = set()
    for source in ("portal/settings.py", "gunicorn.conf.py"):
        text = (ROOT / source).read_text()
        read |= set(re.findall(r'env_(?:str|int|bool|list)\("([A-Z_]+)"', text))
        read |= set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', text))
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert len(read) > 20
    assert read - documented == set()
