"""Settings for the back-cramp care portal.

Every difference between machines comes from environment variables, read through the small
helpers below, which fail loudly on a malformed value. `.env.example` documents every variable.
"""

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

# The key of the keyed hash that names a patient in FHIR exports (clinic.fhir): without it, the
# id cannot be traced back to an account by guessing. Defaults to SECRET_KEY.
PORTAL_FHIR_ID_KEY = env_str("PORTAL_FHIR_ID_KEY", SECRET_KEY)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", default="127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "accounts",
    "portal",
    "education",
    "tracker",
    "clinic",
    "notifications",
    "bench",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # allauth's pages for second factors and sessions use its filters ("3 minutes ago").
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.forms",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "csp",
    # Accounts (issue 17): sign-up, verified e-mail, password reset, re-authentication, rate
    # limits (django-allauth); second factors (TOTP, passkeys, recovery codes); each person's
    # signed-in sessions, which they can end, and which deleting an account ends.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "accounts.middleware.PortalCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, but a request that finds its session replaced never deletes the new cookie.
    "accounts.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "accounts.middleware.SecondFactorRequiredMiddleware",
    # After sign-in and the second factor: a changed privacy notice or terms asks again.
    "accounts.middleware.ConsentRequiredMiddleware",
    "accounts.middleware.NoStoreWhenLoggedInMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
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
                "clinic.context_processors.clinician_messages",
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

# A read replica (issue 21, portal/replica.py): with DATABASE_REPLICA_URL, reads of GET requests
# go to it, and everything else (writes, a request that writes, a person's next seconds after a
# write, the worker, commands) to the primary. Without it, nothing changes.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
# Out of use when further behind than this; measured at most this often per process.
DATABASE_REPLICA_MAX_LAG = env_int("DATABASE_REPLICA_MAX_LAG", default=5)
DATABASE_REPLICA_CHECK_SECONDS = env_int("DATABASE_REPLICA_CHECK_SECONDS", default=1)
# A person reads from the primary this long after a write (more than the two above together).
DATABASE_REPLICA_PIN_SECONDS = env_int("DATABASE_REPLICA_PIN_SECONDS", default=10)
DATABASE_ROUTERS: list[str] = []
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", default=0),
        conn_health_checks=True,
    )
    # A replica that does not answer costs a request two seconds at most, then is left alone
    # until the next check.
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    # In tests the replica is the primary's test database (a real replica is made by
    # tests/ops/test_replica.py).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["portal.replica.PrimaryReplicaRouter"]
    # First, so that it decides before the first query of a request (the session, the user).
    MIDDLEWARE.insert(0, "portal.replica.ReplicaReadsMiddleware")

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
AUTH_PASSWORD_VALIDATORS += [
    # Refuses "aaaaaaaaaaaa" and a password that is mostly spaces, which pass the length rule.
    {"NAME": "accounts.validators.VarietyValidator"},
]
AUTHENTICATION_BACKENDS = ["accounts.backends.PortalBackend"]

# --- Accounts: django-allauth (docs/security.md) ---
ACCOUNT_ADAPTER = "portal.adapter.PortalAccountAdapter"
ACCOUNT_FORMS = {"login": "portal.forms.LoginForm", "signup": "portal.forms.SignUpForm"}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
# Sign-up must not tell whether an address has an account: with mandatory verification,
# allauth answers a taken address exactly as a new one ("we sent you a code") and e-mails its
# owner instead. Nobody uses an address they have not shown they read.
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_PREVENT_ENUMERATION = True
# A reset asked for an unknown address sends nothing: the site never e-mails a stranger.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# Codes typed into the page, not links: nothing secret ever travels in a URL, so no access log,
# browser history or Referer can carry one.
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = True
ACCOUNT_PASSWORD_RESET_BY_CODE_TIMEOUT = 15 * 60
ACCOUNT_PASSWORD_RESET_BY_CODE_MAX_ATTEMPTS = 3
# One address per account; a new one replaces the old only once verified, and the old one is
# told (ACCOUNT_EMAIL_NOTIFICATIONS), as it is of a password change.
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Changing the e-mail address or the password, managing second factors and deleting the
# account ask for the password again (or a second factor) unless given in the last 5 minutes.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# The idle limit (accounts.middleware) decides when a session ends, not a "remember me" box.
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Back cramp care: "
ACCOUNT_USERNAME_MIN_LENGTH = 3
# Rate limits ("amount/period/per what"): per address (ip), per signed-in account (user) or per
# the login, e-mail or code typed (key). Over a limit: a plain 429 page (templates/429.html)
# and nothing changes. Figures and reasons: docs/security.md.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    # 5 wrong passwords for one account in 15 minutes lock it from every address for the rest
    # of those 15 minutes; 10 a minute from one address stop a sweep across accounts.
    "login_failed": "10/m/ip,5/15m/key",
    "signup": "5/10m/ip,20/d/ip",
    "reset_password": "5/10m/ip,3/h/key",
    "reset_password_from_key": "10/10m/ip",
    "change_password": "5/10m/user",
    "reauthenticate": "5/10m/user",
    "manage_email": "10/h/user",
    # The portal's own: a clinician's share code or e-mail typed by a patient (clinic.views).
    "share_request": "10/h/user,30/h/ip",
    # A clinician's messages to patients (clinic.message_views): plenty for a clinic session,
    # too few to flood anyone's inbox.
    "clinician_message": "30/h/user",
    # A patient's report links (tracker.report_views): making them, and opening one from an
    # address (each try counts, found or not; each success renders a report or a PDF).
    "report_link": "20/d/user",
    "report_link_open": "30/10m/ip",
    # The patient's own PDF: each one holds a web worker for a few hundred milliseconds.
    "report_pdf": "20/10m/user",
}
# Behind a proxy, the client's address is the one the last trusted proxy added to
# X-Forwarded-For; everything before it is whatever the client sent. Rate limits and the
# sign-in records read it through allauth's adapter.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int(
    "DJANGO_TRUSTED_PROXY_COUNT",
    default=1 if env_bool("DJANGO_BEHIND_PROXY", default=False) else 0,
)

# Second factors (allauth.mfa). Clinicians and staff must have one in production
# (accounts.middleware.SecondFactorRequiredMiddleware); only DEBUG waives it, for `make run`.
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = "Back cramp care"
# A phone's clock may be half a minute out: the code before and after the current one count too.
MFA_TOTP_TOLERANCE = 1
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
PORTAL_REQUIRE_SECOND_FACTOR = env_bool("PORTAL_REQUIRE_SECOND_FACTOR", default=not DEBUG)

# Each signed-in session is listed for its owner (allauth.usersessions); activity is not
# written on every request.
USERSESSIONS_TRACK_ACTIVITY = False

# The cache holds rendered public pages (education.pages), the rate limits' counts and the
# second-factor codes already used. One Redis shared by every server when REDIS_URL is set
# (production: the deployment check warns without it); otherwise each process keeps its own.
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
# For this long after an editor's change a public page is served but not kept: a read replica
# may not have the change yet (education.pages._settled). No replica: no wait.
PUBLIC_PAGE_SETTLE_SECONDS = (
    DATABASE_REPLICA_MAX_LAG + DATABASE_REPLICA_CHECK_SECONDS if DATABASE_REPLICA_URL else 0
)
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

LOGIN_URL = "account_login"
# Only a fallback: the login view lands each role on its own page (portal.adapter.landing_url).
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
    # The admin's Markdown toolbar (education.widgets.MarkdownEditor).
    (
        "vendor/markdown-toolbar-element",
        BASE_DIR / "node_modules" / "@github" / "markdown-toolbar-element" / "dist",
    ),
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

# E-mail carries verification and reset codes. Production sends it through EMAIL_HOST and
# refuses to start without one (portal.checks, run by portal/wsgi.py); only DEBUG prints e-mail
# to the console. Tests and benchmarks name a backend that keeps it (DJANGO_EMAIL_BACKEND).
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG and not EMAIL_HOST
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
# Seconds the worker waits for the mail server before it tries again later (Django's default is
# to wait for ever, which would hold a worker and every message behind it).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Back cramp care <no-reply@localhost>")

# The address people see on reminders and notices: a name that says nothing of health, since a
# phone's lock screen shows it to anyone nearby (default: DEFAULT_FROM_EMAIL's address).
PORTAL_DISCREET_FROM_EMAIL = env_str("PORTAL_DISCREET_FROM_EMAIL", "")
# Where links in e-mails point (no request to take the host from in the worker). Production sets
# it to the public address, e.g. https://portal.example.org.
PORTAL_SITE_URL = env_str("PORTAL_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- The background worker and its scheduler (portal/celery.py, docs/deploy.md) ---
# Every e-mail and notification is written to the outbox (notifications.models.Delivery) in the
# request's transaction and sent by the worker, with retries. The broker defaults to REDIS_URL.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
# A broker that is down must not hold a web page: one quick try to hand over a task, then the
# sweep hands it over later (notifications.services.enqueue).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A task stuck past these (a mail server that accepts and never answers) is stopped; the rows it
# held are handed over again by the sweep.
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_BEAT_SCHEDULE = {
    # Reminders go out within five minutes of their local time: a pass every minute.
    "send-due-reminders": {"task": "tracker.tasks.send_due_reminders", "schedule": 60.0},
    "send-clinician-notices": {"task": "clinic.tasks.send_clinician_notices", "schedule": 60.0},
    # Hands the worker anything the broker did not take, or a worker dropped.
    "sweep-notifications": {"task": "notifications.tasks.sweep", "schedule": 60.0},
}
# Web Push (reminders on an installed app): the VAPID key pair (`python manage.py
# make_vapid_keys` prints one) and a contact for the push services. Without keys, reminders go
# by e-mail only and the page does not offer notifications.
PORTAL_VAPID_PUBLIC_KEY = env_str("PORTAL_VAPID_PUBLIC_KEY", "")
PORTAL_VAPID_PRIVATE_KEY = env_str("PORTAL_VAPID_PRIVATE_KEY", "")
PORTAL_VAPID_SUBJECT = env_str("PORTAL_VAPID_SUBJECT", "mailto:no-reply@localhost")
# The worker posts notifications to the address a browser gives: only push services' hosts (and
# their subdomains) are accepted, so nobody can make the server call into its own network.
PORTAL_PUSH_SERVICE_HOSTS = env_list(
    "PORTAL_PUSH_SERVICE_HOSTS",
    default="fcm.googleapis.com,push.services.mozilla.com,push.apple.com,notify.windows.com",
)
PORTAL_PUSH_SERVICE_SCHEMES = ["https"]

# The emergency number the red-flag advice tells people to call (999 in the UK, 112, 911).
PORTAL_EMERGENCY_NUMBER = env_str("PORTAL_EMERGENCY_NUMBER", "999")
if PORTAL_EMERGENCY_NUMBER not in {"999", "112", "911"}:
    raise ImproperlyConfigured("PORTAL_EMERGENCY_NUMBER must be 999, 112 or 911.")
# The non-emergency urgent advice line (111 in England).
PORTAL_URGENT_NUMBER = env_str("PORTAL_URGENT_NUMBER", "111")
# Where people write about their data (the privacy notice and terms name it): requests to see,
# correct or delete data, and complaints. Production sets the data protection contact's address.
PORTAL_PRIVACY_CONTACT_EMAIL = env_str("PORTAL_PRIVACY_CONTACT_EMAIL", "privacy@localhost")

# Entries one patient may log in an hour (tracker.services); the next is refused with a message.
PORTAL_EPISODES_PER_HOUR = env_int("PORTAL_EPISODES_PER_HOUR", default=120)
PORTAL_DRINKS_PER_HOUR = env_int("PORTAL_DRINKS_PER_HOUR", default=120)
PORTAL_MEDICINES_PER_HOUR = env_int("PORTAL_MEDICINES_PER_HOUR", default=60)

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
# Powerful browser features the portal never uses are switched off for every page; passkeys
# (WebAuthn) are allowed from our own origin only.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "usb": [],
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
}

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
    # WeasyPrint (the report's PDF) logs each step of every document at INFO, and a warning for
    # each rule of the page's stylesheet meant for screens only (a media query on width,
    # overflow): expected, every time, so only its errors are kept.
    "loggers": {"weasyprint": {"level": "ERROR"}},
}
