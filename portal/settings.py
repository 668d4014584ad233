"""Settings for the back-cramp care portal.

Every difference between machines comes from environment variables, read through the small
helpers below, which fail loudly on a malformed value. `.env.example` documents every variable.
"""

import datetime
import os
from pathlib import Path
from wsgiref.headers import Headers

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    """Return the variable's value, or the default; fail when neither exists."""
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"The environment variable {name} must be set.")
    return value


def env_bool(name: str, *, default: bool) -> bool:
    """Return a yes/no variable; fail on anything that is not clearly one or the other."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a yes/no value (use 1 or 0).")


def env_int(name: str, *, default: int) -> int:
    """Return a whole-number variable; fail on anything else."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_list(name: str, *, default: str = "") -> list[str]:
    """Return a comma-separated variable as a list, without empty items."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set. Production needs a long random value; "
        "`make run` and `make test` set a development key for you."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", default="127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "accounts",
    "portal",
    "education",
    "tracker",
    "clinic",
    "bench",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.forms",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "csp",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "accounts.middleware.PortalCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "accounts.middleware.NoStoreWhenLoggedInMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
                "tracker.context_processors.red_flag_banner",
            ],
        },
    },
]

# Widgets render through TEMPLATES, so the project's own widget templates are found.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", default=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A write transaction takes SQLite's write lock when it begins, so two writes for one
    # patient queue up (as the status row's lock makes them do on PostgreSQL) instead of the
    # second failing with "database is locked" half-way through.
    DATABASES["default"].setdefault("OPTIONS", {}).update(transaction_mode="IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username and address before any password check.
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.PortalBackend",
]

# Lockout (django-axes): 5 failed logins for one username from one address lock that pair, and
# only that pair, for 15 minutes from the fifth failure; someone failing from another address
# cannot lock a patient out. A success clears the count.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "accounts.middleware.client_ip"
AXES_VERBOSE = False  # its log lines carry usernames; failures are in the admin instead

# The cache holds rendered public pages only (education.pages). One Redis shared by every
# server when REDIS_URL is set; otherwise each process keeps its own in local memory.
REDIS_URL = env_str("REDIS_URL", "")
LOCAL_MEMORY_CACHE = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "OPTIONS": {"MAX_ENTRIES": 1000},
}
CACHES = {
    "default": (
        {"BACKEND": "portal.cache.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else LOCAL_MEMORY_CACHE
    )
}
PUBLIC_PAGE_CACHE_SECONDS = env_int("PORTAL_PUBLIC_PAGE_CACHE_SECONDS", default=300)
# With Redis, each process also keeps the public pages it served for this many seconds, so a
# busy server does not ask Redis again for every view (education.pages); an editor's change
# then reaches every server within these seconds. 0: always ask Redis.
PUBLIC_PAGE_LOCAL_SECONDS = env_int("PORTAL_PUBLIC_PAGE_LOCAL_SECONDS", default=2)
if REDIS_URL and PUBLIC_PAGE_LOCAL_SECONDS:
    CACHES["local"] = {**LOCAL_MEMORY_CACHE, "LOCATION": "public-page-copies"}

# Sessions end after a spell without activity (accounts.middleware.IdleTimeoutMiddleware):
# clinicians and staff see many people's health data, so theirs is short.
SESSION_IDLE_MINUTES_STAFF = env_int("PORTAL_IDLE_MINUTES_STAFF", default=30)
SESSION_IDLE_MINUTES_PATIENT = env_int("PORTAL_IDLE_MINUTES_PATIENT", default=120)

LOGIN_URL = "login"
# Only a fallback: the login view lands each role on its own page (portal.views.landing_url).
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English")]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
# The zone a new account starts with until the person picks their own.
PORTAL_DEFAULT_TIME_ZONE = env_str("PORTAL_DEFAULT_TIME_ZONE", "Europe/London")

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Front-end packages come from the npm registry at set-up; nothing third-party is committed.
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
    # The offline outbox's IndexedDB store (static/js/outbox.js).
    ("vendor/idb-keyval", BASE_DIR / "node_modules" / "idb-keyval" / "dist"),
]
# The installable app (issue 16): `make collectstatic` builds the service worker from Workbox
# (scripts/build-sw.mjs) into build/root/, which WhiteNoise serves at the site's root, so /sw.js
# may control every page. Browsers must ask for it again on every update check: no-cache.
WHITENOISE_ROOT = BASE_DIR / "build" / "root"


def service_worker_headers(headers: Headers, path: str, url: str) -> None:
    if url == "/sw.js":
        headers["Cache-Control"] = "no-cache"


WHITENOISE_ADD_HEADERS_FUNCTION = service_worker_headers
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Back cramp care <no-reply@localhost>")

# The emergency number the red-flag advice tells people to call (999 in the UK, 112, 911).
PORTAL_EMERGENCY_NUMBER = env_str("PORTAL_EMERGENCY_NUMBER", "999")
if PORTAL_EMERGENCY_NUMBER not in {"999", "112", "911"}:
    raise ImproperlyConfigured("PORTAL_EMERGENCY_NUMBER must be 999, 112 or 911.")
# The non-emergency urgent advice line (111 in England).
PORTAL_URGENT_NUMBER = env_str("PORTAL_URGENT_NUMBER", "111")

# Entries one patient may log in an hour (tracker.services); the next is refused with a message.
PORTAL_EPISODES_PER_HOUR = env_int("PORTAL_EPISODES_PER_HOUR", default=120)
PORTAL_DRINKS_PER_HOUR = env_int("PORTAL_DRINKS_PER_HOUR", default=120)

# Security: safe by default, relaxed only for local development over plain HTTP.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=SECURE_HSTS_SECONDS > 0)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_PROXY", default=False) else None
)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content Security Policy (django-csp): everything from our own origin, no inline script or style
# anywhere (the admin included), no plugins, no framing, forms post only to us. Bootstrap's CSS
# draws its icons (select arrows, the menu button) from data: SVGs, hence img-src data:.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        # The installable app: its service worker (/sw.js) and manifest, from our origin only.
        "worker-src": [SELF],
        "manifest-src": [SELF],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
}
