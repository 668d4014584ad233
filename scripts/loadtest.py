"""Load and fault test: simulated patients log episodes and drinks against gunicorn on PostgreSQL.

Run it with the project's virtualenv, from anywhere:

    .venv/bin/python scripts/loadtest.py                 # 50 patients for 60 seconds
    .venv/bin/python scripts/loadtest.py --restart-db    # the same, PostgreSQL stopped at 20 s

It creates a fresh database (dropped again at the end unless --keep-db), migrates it, loads the
articles, creates the patients, and serves the portal with gunicorn on a free loopback port with
production settings (DEBUG off, a random secret key; only the HTTPS redirect and secure cookies
are off, because this is plain HTTP on loopback). Each simulated patient is a thread with its
own cookie jar: it logs in through the login form, then until the time is up it logs episodes
and drinks through the real forms (CSRF token and submission key read from each page), follows
the redirect as a browser would, and sometimes sends the same form twice, as a double click does.

A write counts as acknowledged when the server answers the POST with the redirect to the page
that shows it. A write that gets a server error or no answer is sent again, unchanged (same
submission key), until it is acknowledged or the grace period after the run ends; the key
makes the repeat safe. At the end the database is compared with what was acknowledged, patient
by patient. The script exits 1 if a claim fails, 2 if it could not run, 130 when interrupted;
gunicorn is stopped (and PostgreSQL started again after --restart-db) on every exit.

Only the Python standard library and the project's own packages are used.
"""

import argparse
import contextlib
import dataclasses
import datetime
import http.client
import http.cookiejar
import json
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/backcramp_load"
USERNAME_PREFIX = "load-patient-"
HTTP_TIMEOUT = 30.0
RETRY_PAUSE = 0.5
LOGIN_ATTEMPTS = 5
GRACE_SECONDS = 30.0
TIMELINE_SECONDS = 5
LOAD_HELD_WINDOW = 10.0
EPISODE_PATH = "/tracker/episodes/new/"
DRINKS_PATH = "/tracker/drinks/"
DRINK_ADD_PATH = "/tracker/drinks/add/"
LOGIN_PATH = "/accounts/login/"
# Where a patient lands after logging in (portal.views.landing_url).
LANDING_PATH = "/tracker/"
EPISODE_DONE = re.compile(r"^/tracker/(episodes/\d+/|advice/)$")
DRINK_DONE = re.compile(r"^/tracker/(drinks/(\d{4}-\d{2}-\d{2}/)?|)$")


def say(text: str = "") -> None:
    """Write one line of the report."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


class SetupError(Exception):
    """Raised when the test cannot be set up; nothing has been measured."""


# --- Reading forms out of pages ------------------------------------------------------------


@dataclasses.dataclass
class HtmlForm:
    action: str
    inputs: list[dict[str, str]] = dataclasses.field(default_factory=list)
    selects: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    def names(self) -> set[str]:
        return {item.get("name", "") for item in self.inputs} | set(self.selects)

    def hidden(self) -> dict[str, str]:
        return {
            item["name"]: item.get("value", "")
            for item in self.inputs
            if item.get("type") == "hidden" and item.get("name")
        }

    def value(self, name: str) -> str:
        return next((item.get("value", "") for item in self.inputs if item.get("name") == name), "")

    def choices(self, name: str) -> list[str]:
        """Return the values of a group of checkboxes or radio buttons."""
        return [item.get("value", "") for item in self.inputs if item.get("name") == name]


class FormReader(HTMLParser):
    """Collect every form on a page with its inputs and the options of its selects."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[HtmlForm] = []
        self._form: HtmlForm | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = HtmlForm(action=attributes.get("action", ""))
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            self._form.inputs.append(attributes)
        elif tag == "select":
            self._select = attributes.get("name", "")
            self._form.selects[self._select] = []
        elif tag == "option" and self._select is not None:
            self._form.selects[self._select].append(attributes.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def read_forms(page: str) -> list[HtmlForm]:
    reader = FormReader()
    reader.feed(page)
    return reader.forms


# --- One simulated patient -----------------------------------------------------------------


@dataclasses.dataclass
class Record:
    """One HTTP exchange; times are seconds from the start of the timed run."""

    started: float
    ended: float
    method: str
    what: str
    status: int  # 0: no HTTP answer (refused, reset, timed out)
    ack: bool = False


@dataclasses.dataclass
class Answer:
    status: int
    body: str
    location: str


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """Hand every redirect back to the caller, who decides what it means."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Run:
    """What all patients share: the clock, the stop signal and the deadlines."""

    def __init__(self, *, base_url: str, seconds: float, think: float, repeat_rate: float) -> None:
        self.base_url = base_url
        self.seconds = seconds
        self.think = think
        self.repeat_rate = repeat_rate
        self.stop = threading.Event()
        self.t0 = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.t0

    def start_clock(self) -> None:
        self.t0 = time.monotonic()

    @property
    def deadline(self) -> float:
        return self.seconds

    @property
    def retry_deadline(self) -> float:
        return self.seconds + GRACE_SECONDS


class Patient(threading.Thread):
    def __init__(
        self, *, run: Run, username: str, password: str, seed: int, barrier: threading.Barrier
    ) -> None:
        super().__init__(name=username, daemon=True)
        self.run_ = run
        self.username = username
        self.password = password
        self.rng = random.Random(seed)
        self.barrier = barrier
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirects()
        )
        self.records: list[Record] = []
        self.logged_in = False
        self.login_error = ""
        self.acked: dict[str, set[str]] = {"episode": set(), "drink": set()}
        self.ack_times: list[float] = []
        self.retried_writes = 0
        self.repeats = 0
        self.repeat_problems: list[str] = []
        self.unacked: list[tuple[str, str, int]] = []  # (what, key, last status)
        self.unexpected: list[str] = []

    # HTTP ------------------------------------------------------------------------------------

    def request(self, method: str, path: str, what: str, data: dict | None = None) -> Answer:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.run_.base_url + path, data=body, method=method)
        started = self.run_.now()
        status, text, location = 0, "", ""
        try:
            with self.opener.open(request, timeout=HTTP_TIMEOUT) as response:
                status, text = response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            status = error.code
            location = urllib.parse.urlsplit(error.headers.get("Location", "")).path
            text = error.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            status = 0
        self.records.append(Record(started, self.run_.now(), method, what, status))
        return Answer(status, text, location)

    def pause(self, seconds: float) -> None:
        self.run_.stop.wait(seconds)

    # The journey -----------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self.log_in()
        except Exception as error:  # reported, and the run fails
            self.login_error = repr(error)
        try:
            self.barrier.wait()
        except threading.BrokenBarrierError:
            return
        if not self.logged_in:
            return
        actions = [self.log_episode, self.log_drink, self.view_dashboard]
        while not self.run_.stop.is_set() and self.run_.now() < self.run_.deadline:
            try:
                self.rng.choices(actions, weights=[4, 5, 1])[0]()
            except Exception as error:  # a page the script cannot read: reported, run fails
                self.unexpected.append(repr(error))
                return
            self.pause(self.rng.uniform(0, 2 * self.run_.think))

    def log_in(self) -> None:
        """Log in through the form; try again while the server is too busy to answer."""
        for _attempt in range(LOGIN_ATTEMPTS):
            page = self.request("GET", LOGIN_PATH, "login page")
            form = self.pick_form(page, "password")
            if form is None:
                self.login_error = f"login page answered {status_name(page.status)}"
            else:
                data = {**form.hidden(), "username": self.username, "password": self.password}
                answer = self.request("POST", LOGIN_PATH, "login", data)
                if answer.status == 302 and answer.location == LANDING_PATH:
                    self.logged_in = True
                    self.login_error = ""
                    return
                self.login_error = f"login answered {status_name(answer.status)} {answer.location}"
                if not is_error(answer.status):
                    return
            time.sleep(RETRY_PAUSE)

    def pick_form(self, answer: Answer, field: str, action: str | None = None) -> HtmlForm | None:
        if answer.status != 200:
            return None
        for form in read_forms(answer.body):
            if field in form.names() and (action is None or form.action == action):
                return form
        self.unexpected.append(f"no form with {field!r} on a page that answered 200")
        return None

    def log_episode(self) -> None:
        page = self.request("GET", EPISODE_PATH, "episode form")
        form = self.pick_form(page, "start_date")
        if form is None:
            self.pause(RETRY_PAUSE)
            return
        self.write("episode", EPISODE_PATH, self.episode_data(form), EPISODE_DONE)

    def episode_data(self, form: HtmlForm) -> dict[str, object]:
        """Fill the form as a patient would: an episode that started and stopped recently."""
        rng = self.rng
        # The form's initial start is "now" where the patient is; work in that wall time.
        now = datetime.datetime.combine(
            datetime.date.fromisoformat(form.value("start_date")),
            datetime.time.fromisoformat(form.value("start_time")),
            tzinfo=datetime.UTC,
        )
        minutes_ago = rng.randint(30, 600)
        start = now - datetime.timedelta(minutes=minutes_ago)
        end = start + datetime.timedelta(minutes=rng.randint(5, minutes_ago))
        triggers = [
            code for code in form.choices("triggers") if code not in {"other", "none_identified"}
        ]
        data: dict[str, object] = {
            **form.hidden(),
            "start_date": start.date().isoformat(),
            "start_time": start.strftime("%H:%M"),
            "end_date": end.date().isoformat(),
            "end_time": end.strftime("%H:%M"),
            "severity": rng.choice(form.choices("severity")),
            "triggers": rng.sample(triggers, k=rng.randint(0, 2)),
            "activity": rng.choice(["gardening", "lifting a box", "sitting at a desk", ""]),
            "notes": "Logged by the load test.",
        }
        for name, options in form.selects.items():
            if rng.random() < 0.3:
                data[name] = rng.choice(options)
        return data

    def log_drink(self) -> None:
        page = self.request("GET", DRINKS_PATH, "drinks page")
        if self.pick_form(page, "amount_ml", DRINK_ADD_PATH) is None:
            self.pause(RETRY_PAUSE)
            return
        forms = [form for form in read_forms(page.body) if form.action == DRINK_ADD_PATH]
        form = self.rng.choice(forms)
        data: dict[str, object] = form.hidden()
        if "amount_ml" not in data:
            data["amount_ml"] = self.rng.randrange(50, 800, 50)
        self.write("drink", DRINK_ADD_PATH, data, DRINK_DONE)

    def view_dashboard(self) -> None:
        if self.request("GET", "/tracker/", "dashboard").status != 200:
            self.pause(RETRY_PAUSE)

    def write(self, what: str, path: str, data: dict[str, object], done: re.Pattern) -> None:
        """Post until acknowledged, resending the same form (same key) after a failure."""
        key = str(data["submission_key"])
        attempts = 0
        while True:
            attempts += 1
            answer = self.request("POST", path, what, data)
            if answer.status == 302 and done.match(answer.location):
                break
            if answer.status == 0 or answer.status >= 500:
                if self.run_.now() < self.run_.retry_deadline and not self.run_.stop.is_set():
                    self.pause(RETRY_PAUSE)
                    continue
                self.unacked.append((what, key, answer.status))
                return
            self.unacked.append((what, key, answer.status))
            self.unexpected.append(f"POST {path} answered {answer.status} {answer.location}")
            return
        self.records[-1].ack = True
        self.acked[what].add(key)
        self.ack_times.append(self.records[-1].ended)
        if attempts > 1:
            self.retried_writes += 1
        if self.rng.random() < self.run_.repeat_rate:
            # A double click: the same form again must land on the same page and add nothing.
            self.repeats += 1
            again = self.request("POST", path, what + " (repeat)", data)
            # A server error here (an outage) is judged with the other errors; that the repeat
            # stored nothing is checked against the database.
            if not is_error(again.status) and (
                again.status != 302 or again.location != answer.location
            ):
                self.repeat_problems.append(f"{again.status} {again.location}")
        self.request("GET", answer.location, what + " (after redirect)")


# --- PostgreSQL, Django and gunicorn -------------------------------------------------------


def maintenance_url(database_url: str) -> str:
    """Return the same server's `postgres` database, to create and drop the test database."""
    return urllib.parse.urlsplit(database_url)._replace(path="/postgres").geturl()


def database_name(database_url: str) -> str:
    return urllib.parse.urlsplit(database_url).path.lstrip("/")


def recreate_database(database_url: str, *, drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    name = database_name(database_url)
    with psycopg.connect(maintenance_url(database_url), autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if not drop_only:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_answers(database_url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(maintenance_url(database_url), connect_timeout=2) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def find_cluster(database_url: str) -> tuple[str, str]:
    """Return the (version, name) of the local cluster listening on the database URL's port."""
    port = str(urllib.parse.urlsplit(database_url).port or 5432)
    listing = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True)
    for line in listing.stdout.splitlines():
        version, name, cluster_port, *_rest = line.split()
        if cluster_port == port:
            return version, name
    raise SetupError(f"no local PostgreSQL cluster listens on port {port} (pg_lsclusters)")


def other_clients(database_url: str) -> dict[str, int]:
    """Return the connections to other databases of the server, by database."""
    import psycopg

    with psycopg.connect(maintenance_url(database_url), connect_timeout=5) as connection:
        rows = connection.execute(
            "SELECT datname, count(*) FROM pg_stat_activity "
            "WHERE datname IS NOT NULL AND datname <> %s AND pid <> pg_backend_pid() "
            "GROUP BY datname",
            [database_name(database_url)],
        ).fetchall()
    return dict(rows)


def pg_ctlcluster(cluster: tuple[str, str], action: str) -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, action],
        check=True,
        capture_output=True,
    )


def production_environment(*, database_url: str, conn_max_age: int) -> dict[str, str]:
    """Return the production variables, relaxed only for plain HTTP on loopback."""
    return {
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": str(conn_max_age),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }


def prepare_database(*, users: int) -> str:
    """Migrate, collect static files, load the articles, create the patients; return their
    password."""
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connections
    from django.utils import timezone

    from accounts.consent import document
    from accounts.models import Consent, User

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise SetupError("the load test needs PostgreSQL")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("load_bench_library", verbosity=0)
    password = secrets.token_urlsafe(18)
    # One slow hash for everyone: hashing 50 times would only slow the set-up down.
    hashed = make_password(password)
    created = User.objects.bulk_create(
        User(
            username=f"{USERNAME_PREFIX}{number:03d}",
            email=f"{USERNAME_PREFIX}{number:03d}@example.org",
            password=hashed,
        )
        for number in range(1, users + 1)
    )
    # Each agreed to the current privacy notice and terms, as sign-up records (issue 19);
    # otherwise every page after login would be the consent page.
    now = timezone.now()
    Consent.objects.bulk_create(
        Consent(user=user, kind=kind, version=document(kind).version, given_at=now)
        for user in created
        for kind in (Consent.Kind.HEALTH_DATA, Consent.Kind.TERMS)
    )
    connections.close_all()
    return password


def stored_writes() -> dict[str, dict[str, object]]:
    """Return, per load-test patient, the episodes and drinks stored and the submission keys."""
    from django.db import connections
    from django.db.models import Count

    from accounts.models import User
    from tracker.models import Drink, Episode, Submission

    connections.close_all()  # the server restarted since: start on a fresh connection
    patients = dict(
        User.objects.filter(username__startswith=USERNAME_PREFIX).values_list("pk", "username")
    )
    episodes = dict(
        Episode.objects.filter(patient__in=patients).values_list("patient").annotate(Count("id"))
    )
    drinks = dict(
        Drink.objects.filter(patient__in=patients).values_list("patient").annotate(Count("id"))
    )
    keys: dict[int, set[str]] = {pk: set() for pk in patients}
    for patient, key in Submission.objects.filter(patient__in=patients).values_list(
        "patient", "key"
    ):
        keys[patient].add(str(key))
    stored = {
        username: {
            "episodes": episodes.get(pk, 0),
            "drinks": drinks.get(pk, 0),
            "keys": keys[pk],
        }
        for pk, username in patients.items()
    }
    connections.close_all()
    return stored


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn(
    *, env: dict[str, str], port: int, workers: int, log: Path
) -> Iterator[subprocess.Popen]:
    """Serve the portal with gunicorn for the duration of the block, then stop it."""
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portal.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
                # Gunicorn's control socket has one default path per user; other servers on
                # this machine may be using it.
                "--no-control-socket",
            ],
            cwd=BASE_DIR,
            env={**os.environ, **env},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stopping it stops its workers
        )
    try:
        wait_until_serving(process, port)
        yield process
    finally:
        stop_process_group(process)


def wait_until_serving(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SetupError(f"gunicorn exited with {process.returncode} while starting")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    raise SetupError("gunicorn did not answer /health/ within 60 seconds")


def stop_process_group(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# --- Who used the CPU ----------------------------------------------------------------------


def machine_cpu_seconds() -> dict[str, float]:
    """Return the CPU seconds the whole machine has spent busy, idle and stolen since boot."""
    hz = os.sysconf("SC_CLK_TCK")
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = ticks
    return {
        "busy": (user + nice + system + irq + softirq) / hz,
        "idle": (idle + iowait) / hz,
        "steal": steal / hz,
    }


class CpuMonitor(threading.Thread):
    """Measure who used the CPU during the run: gunicorn, the PostgreSQL backends serving the
    load database, this load generator, and everything else on the machine.

    Processes come and go (a database restart ends every backend), so each process's CPU time
    is sampled every half second and its last sample counts.
    """

    def __init__(self, *, gunicorn_pgid: int, database: str) -> None:
        super().__init__(name="cpu-monitor", daemon=True)
        self.gunicorn_pgid = gunicorn_pgid
        self.backend_marker = f" {database} "
        self.first: dict[int, int] = {}
        self.last: dict[int, tuple[str, int]] = {}
        self.done = threading.Event()
        self.hz = os.sysconf("SC_CLK_TCK")
        self.sample(first=True)
        self.machine = machine_cpu_seconds()
        self.generator = time.process_time()

    def sample(self, *, first: bool = False) -> None:
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                head, fields = stat.read_text().rsplit(")", 1)
                fields = fields.split()
                pid = int(stat.parent.name)
                if int(fields[2]) == self.gunicorn_pgid:
                    kind = "gunicorn"
                elif head.endswith("(postgres") and self.backend_marker in (
                    stat.parent / "cmdline"
                ).read_text().replace("\0", " "):
                    kind = "database"
                else:
                    continue
            except (OSError, ValueError, IndexError):
                continue  # the process ended while we looked
            ticks = int(fields[11]) + int(fields[12])
            if first:
                self.first[pid] = ticks
            self.last[pid] = (kind, ticks)

    def run(self) -> None:
        while not self.done.wait(0.5):
            self.sample()

    def finish(self, wall: float) -> dict[str, float]:
        """Stop sampling; return the CPU seconds used since the monitor was made."""
        self.done.set()
        self.join()
        self.sample()
        used = {"wall": round(wall, 1), "gunicorn": 0.0, "database": 0.0}
        for pid, (kind, ticks) in self.last.items():
            used[kind] += (ticks - self.first.get(pid, 0)) / self.hz
        machine = machine_cpu_seconds()
        for name in ("busy", "idle", "steal"):
            used[name] = machine[name] - self.machine[name]
        used["generator"] = time.process_time() - self.generator
        used["others"] = used["busy"] - used["gunicorn"] - used["database"] - used["generator"]
        return {name: round(value, 1) for name, value in used.items()}


# --- The outage ----------------------------------------------------------------------------


@dataclasses.dataclass
class Outage:
    """When PostgreSQL went down and came back, in seconds from the start of the timed run."""

    cluster: tuple[str, str]
    database_url: str
    allow_other_clients: bool = False
    started: float | None = None
    stopped: float | None = None
    start_requested: float | None = None
    back: float | None = None
    error: str = ""
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def run(self, *, run: Run, at: float, down: float) -> None:
        if run.stop.wait(at):
            return
        others = other_clients(self.database_url)
        if others and not self.allow_other_clients:
            self.error = f"PostgreSQL not stopped: other clients connected since the start {others}"
            say(self.error)
            return
        if others:
            say(f"Note: stopping PostgreSQL also cuts off other clients: {others}")
        self.started = run.now()
        say(f"Stopping PostgreSQL {'/'.join(self.cluster)} at {self.started:.1f} s")
        try:
            pg_ctlcluster(self.cluster, "stop")
            self.stopped = run.now()
            run.stop.wait(down)
        except subprocess.CalledProcessError as error:
            self.error = f"stopping PostgreSQL failed: {error.stderr!r}"
        finally:
            self.bring_back(run)

    def bring_back(self, run: Run) -> None:
        """Start PostgreSQL again if this outage stopped it; safe to call more than once."""
        with self.lock:
            if self.started is None or self.back is not None:
                return
            # pg_ctlcluster returns a while after the server accepts connections, so a probe
            # of its own times the moment the database answers again.
            probe = threading.Thread(target=self._probe, args=(run,), daemon=True)
            probe.start()
            self.start_requested = run.now()
            try:
                pg_ctlcluster(self.cluster, "start")
            except subprocess.CalledProcessError as error:
                self.error += f" starting PostgreSQL failed: {error.stderr!r}"
            probe.join(timeout=60)
            if self.back is None:
                self.error += " PostgreSQL did not come back within 60 seconds"
            else:
                say(f"PostgreSQL answering again at {self.back:.1f} s")

    def _probe(self, run: Run) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if database_answers(self.database_url):
                self.back = run.now()
                return
            time.sleep(0.02)


# --- The report ----------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


def status_name(status: int) -> str:
    return "no answer" if status == 0 else str(status)


def is_error(status: int) -> bool:
    return status == 0 or status >= 500


def report(
    *,
    args: argparse.Namespace,
    patients: list[Patient],
    outage: Outage | None,
    stored: dict[str, dict[str, object]],
    gunicorn_info: dict[str, object],
    login_seconds: float,
    cpu: dict[str, float],
    load_average: tuple[float, float],
) -> tuple[list[tuple[bool, str]], dict[str, object]]:
    """Print the summary; return the claims, each passed or not, and the figures."""
    records = [record for patient in patients for record in patient.records]
    timed = [record for record in records if record.what not in {"login page", "login"}]
    duration = args.seconds
    in_run = [record for record in timed if record.started < duration]
    statuses = Counter(record.status for record in timed)
    errors = {status_name(s): n for s, n in sorted(statuses.items()) if s == 0 or s >= 400}
    latencies = [1000 * (r.ended - r.started) for r in timed if r.status]
    write_latencies = [1000 * (r.ended - r.started) for r in timed if r.method == "POST" and r.ack]
    acked_episodes = sum(len(p.acked["episode"]) for p in patients)
    acked_drinks = sum(len(p.acked["drink"]) for p in patients)
    stored_episodes = sum(int(s["episodes"]) for s in stored.values())
    stored_drinks = sum(int(s["drinks"]) for s in stored.values())

    say()
    say("== Load test ==")
    say(
        f"{args.users} patients for {duration:g} s against gunicorn ({args.workers} sync workers) "
        f"on 127.0.0.1, database {database_name(args.database_url)}, "
        f"CONN_MAX_AGE={args.conn_max_age}, think time 0-{2 * args.think:g} s; "
        f"{os.cpu_count()} CPUs, shared with PostgreSQL, this load generator and any other work"
    )
    say(
        f"CPU seconds while the patients ran ({cpu['wall']:.0f} s x {os.cpu_count()} CPUs): "
        f"gunicorn {cpu['gunicorn']:g}, PostgreSQL serving the load database "
        f"{cpu['database']:g}, load generator {cpu['generator']:g}, everything else on this "
        f"machine (other work) {cpu['others']:g}, idle {cpu['idle']:g}, "
        f"taken by the hypervisor (steal) {cpu['steal']:g}; load average {load_average[0]:.1f} "
        f"before, {load_average[1]:.1f} after"
    )
    logged_in = sum(p.logged_in for p in patients)
    say(f"Logins: {logged_in}/{len(patients)} in {login_seconds:.1f} s (before the timed run)")
    say(
        f"Requests: {len(in_run)} started in {duration:g} s = {len(in_run) / duration:.1f} req/s "
        f"({len(timed)} in all, with the redirects and resends after the end)"
    )
    say(
        f"Writes acknowledged: {acked_episodes + acked_drinks} "
        f"({(acked_episodes + acked_drinks) / duration:.1f}/s): "
        f"{acked_episodes} episodes, {acked_drinks} drinks; "
        f"{sum(p.retried_writes for p in patients)} only after resending; "
        f"{sum(p.repeats for p in patients)} forms sent twice on purpose"
    )
    say(
        f"Latency, every answered request: p50 {percentile(latencies, 0.5):.0f} ms, "
        f"p95 {percentile(latencies, 0.95):.0f} ms, max {max(latencies, default=0):.0f} ms"
    )
    say(
        f"Latency, acknowledged writes: p50 {percentile(write_latencies, 0.5):.0f} ms, "
        f"p95 {percentile(write_latencies, 0.95):.0f} ms"
    )
    say(
        "Answers by status: "
        + ", ".join(f"{status_name(s)}: {n}" for s, n in sorted(statuses.items()))
    )
    say("Errors by status: " + (", ".join(f"{s}: {n}" for s, n in errors.items()) or "none"))

    say(
        f"Timeline ({TIMELINE_SECONDS} s slices: requests started, writes acknowledged "
        f"(answered in the slice), errors):"
    )
    slices = int(max((r.started for r in timed), default=0) // TIMELINE_SECONDS) + 1
    for number in range(slices):
        low, high = number * TIMELINE_SECONDS, (number + 1) * TIMELINE_SECONDS
        bucket = [r for r in timed if low <= r.started < high]
        acks = sum(low <= t < high for p in patients for t in p.ack_times)
        bad = sum(is_error(r.status) for r in bucket)
        marker = " (after the end: resends and redirects)" if low >= duration else ""
        say(f"  {low:5.0f}-{high:<4.0f}s  {len(bucket):6d}  {acks:5d}  {bad:5d}{marker}")

    claims: list[tuple[bool, str]] = []
    figures: dict[str, object] = {
        "users": args.users,
        "seconds": duration,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "cpu_seconds": cpu,
        "load_average_before_after": load_average,
        "requests": len(in_run),
        "requests_per_second": round(len(in_run) / duration, 1),
        "statuses": {status_name(s): n for s, n in sorted(statuses.items())},
        "latency_ms": {
            "p50": round(percentile(latencies, 0.5), 1),
            "p95": round(percentile(latencies, 0.95), 1),
            "write_p50": round(percentile(write_latencies, 0.5), 1),
            "write_p95": round(percentile(write_latencies, 0.95), 1),
        },
        "acknowledged": {"episodes": acked_episodes, "drinks": acked_drinks},
        "stored": {"episodes": stored_episodes, "drinks": stored_drinks},
    }

    # Every acknowledged write is stored, and nothing else was.
    mismatches = []
    missing_keys = unacknowledged_keys = 0
    for patient in patients:
        row = stored.get(patient.username, {"episodes": 0, "drinks": 0, "keys": set()})
        acked_keys = patient.acked["episode"] | patient.acked["drink"]
        missing_keys += len(acked_keys - row["keys"])
        unacknowledged_keys += len(row["keys"] - acked_keys)
        if (row["episodes"], row["drinks"]) != (
            len(patient.acked["episode"]),
            len(patient.acked["drink"]),
        ):
            mismatches.append(
                f"{patient.username}: episodes {len(patient.acked['episode'])} acknowledged / "
                f"{row['episodes']} stored, drinks {len(patient.acked['drink'])} / {row['drinks']}"
            )
    unresolved = [item for patient in patients for item in patient.unacked]
    say("Database against acknowledgements:")
    say(f"  episodes: {acked_episodes} acknowledged, {stored_episodes} stored")
    say(f"  drinks:   {acked_drinks} acknowledged, {stored_drinks} stored")
    say(f"  acknowledged submission keys missing from the database: {missing_keys}")
    say(f"  submission keys stored but never acknowledged: {unacknowledged_keys}")
    say(f"  writes never acknowledged (given up after the grace period): {len(unresolved)}")
    say(f"  patients whose counts differ: {len(mismatches)}")
    for line in mismatches[:10]:
        say(f"    {line}")
    figures["database"] = {
        "patients_differing": len(mismatches),
        "acknowledged_keys_missing": missing_keys,
        "stored_keys_not_acknowledged": unacknowledged_keys,
        "writes_never_acknowledged": len(unresolved),
    }
    claims.append(
        (
            not mismatches and missing_keys == 0 and unacknowledged_keys == 0 and not unresolved,
            "per patient, rows stored == writes acknowledged (episodes and drinks), every "
            "acknowledged key stored, no write left unacknowledged",
        )
    )
    repeat_problems = [item for patient in patients for item in patient.repeat_problems]
    claims.append(
        (
            not repeat_problems,
            f"forms sent twice landed on the same page and added nothing "
            f"({sum(p.repeats for p in patients)} sent; problems: {repeat_problems[:3]})",
        )
    )

    # Server errors: none at all, or only while PostgreSQL was down.
    window = None
    if outage is not None and outage.started is not None:
        window = (outage.started, outage.back if outage.back is not None else float("inf"))
    outside = [
        r
        for r in timed
        if is_error(r.status)
        and (window is None or not (r.started <= window[1] and r.ended >= window[0]))
    ]
    inside = [r for r in timed if is_error(r.status) and r not in outside]
    figures["errors"] = {
        "during_outage": dict(Counter(status_name(r.status) for r in inside)),
        "outside_outage": dict(Counter(status_name(r.status) for r in outside)),
    }
    if window is None:
        claims.append((not outside, f"no server error (5xx) or unanswered request: {len(outside)}"))
    else:
        claims.append(
            (
                not outside,
                f"server errors only while PostgreSQL was down: {len(inside)} during, "
                f"{len(outside)} outside",
            )
        )
    unexpected = [item for patient in patients for item in patient.unexpected]
    claims.append(
        (
            not unexpected,
            f"no refused form or unexpected answer: {len(unexpected)} {unexpected[:3]}",
        )
    )

    # Load held: everyone logged in, nobody stalled, and writes got through in every slice of
    # the run except those the outage touched.
    active_at_end = [
        p
        for p in patients
        if any(duration - LOAD_HELD_WINDOW <= r.started < duration for r in p.records)
    ]
    writing = [p for p in patients if p.ack_times]
    # The first write needs two round trips (form, then post), so the first slice may be empty.
    first_ack = min((t for p in patients for t in p.ack_times), default=duration)
    empty_slices = []
    for number in range(math.ceil(duration / TIMELINE_SECONDS)):
        low, high = number * TIMELINE_SECONDS, min((number + 1) * TIMELINE_SECONDS, duration)
        if high <= first_ack or (window is not None and low <= window[1] and high >= window[0]):
            continue
        if not any(low <= t < high for p in patients for t in p.ack_times):
            empty_slices.append(f"{low}-{high:g}s")
    login_errors = sorted({p.login_error for p in patients if p.login_error})
    claims.append(
        (
            logged_in == len(patients)
            and len(active_at_end) == len(writing) == len(patients)
            and not empty_slices,
            f"load held: {logged_in}/{len(patients)} patients logged in, {len(writing)} had "
            f"writes acknowledged, {len(active_at_end)} still sending in the last "
            f"{LOAD_HELD_WINDOW:g} s; {TIMELINE_SECONDS} s slices without an acknowledged write "
            f"after the first ({first_ack:.1f} s) and outside the outage: "
            f"{empty_slices or 'none'} {login_errors[:2]}",
        )
    )
    claims.append(
        (
            bool(gunicorn_info["same_master"])
            and not gunicorn_info["worker_timeouts"]
            and gunicorn_info["worker_boots"] == args.workers,
            f"gunicorn ran throughout without a restart (master still up; "
            f"{gunicorn_info['worker_boots']} workers booted for {args.workers}, "
            f"{gunicorn_info['worker_timeouts']} worker timeouts, "
            f"{gunicorn_info['server_error_logs']} 'Internal Server Error' log lines)",
        )
    )
    figures["gunicorn"] = gunicorn_info

    if outage is not None:
        say("Outage:")
        if outage.started is None:
            claims.append((False, f"PostgreSQL was stopped during the run {outage.error}"))
        else:
            back = outage.back if outage.back is not None else float("nan")
            first_ack = min(
                (t for p in patients for t in p.ack_times if t >= back), default=float("nan")
            )
            first_ok = min(
                (r.ended for r in timed if r.ended >= back and 200 <= r.status < 400),
                default=float("nan"),
            )
            last_error = max((r.ended for r in inside), default=float("nan"))
            say(
                f"  PostgreSQL stop requested at {outage.started:.1f} s, down at "
                f"{outage.stopped or float('nan'):.1f} s, start requested at "
                f"{outage.start_requested or float('nan'):.1f} s, answering again at {back:.1f} s "
                f"({back - outage.started:.1f} s without a database)"
            )
            say(
                f"  first successful answer after it came back: +{first_ok - back:.2f} s; "
                f"first acknowledged write: +{first_ack - back:.2f} s after it came back, "
                f"{first_ack - outage.started:.2f} s after the outage began"
            )
            say(
                f"  last error ended at {last_error:.1f} s; "
                f"errors during the outage: {errors_text(inside)}"
            )
            figures["outage"] = {
                "stop_requested_s": round(outage.started, 2),
                "back_s": round(back, 2),
                "down_seconds": round(back - outage.started, 2),
                "first_ok_after_back_s": round(first_ok - back, 2),
                "first_write_after_back_s": round(first_ack - back, 2),
                "first_write_after_outage_start_s": round(first_ack - outage.started, 2),
            }
            claims.append(
                (
                    not outage.error and not math.isnan(first_ack),
                    f"the app recovered without restarting gunicorn: first write "
                    f"{first_ack - back:.2f} s after PostgreSQL came back {outage.error}",
                )
            )

    say()
    say("Claims:")
    for passed, text in claims:
        say(f"  {'PASS' if passed else 'FAIL'}  {text}")
    return claims, figures


def errors_text(records: list[Record]) -> str:
    counts = Counter(status_name(r.status) for r in records)
    return ", ".join(f"{s}: {n}" for s, n in sorted(counts.items())) or "none"


def gunicorn_log_facts(log: Path) -> dict[str, int]:
    text = log.read_text(errors="replace")
    return {
        "worker_boots": text.count("Booting worker"),
        "worker_timeouts": text.count("WORKER TIMEOUT"),
        "server_error_logs": text.count("Internal Server Error"),
    }


# --- Main ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="simulated patients (50)")
    parser.add_argument("--seconds", type=float, default=60, help="length of the run (60)")
    parser.add_argument(
        "--restart-db", action="store_true", help="stop PostgreSQL during the run, then start it"
    )
    parser.add_argument(
        "--restart-at", type=float, default=20, help="seconds into the run to stop it (20)"
    )
    parser.add_argument(
        "--down-seconds", type=float, default=5, help="how long it stays stopped (5)"
    )
    parser.add_argument(
        "--allow-other-clients",
        action="store_true",
        help="stop PostgreSQL even if other databases on it have clients connected",
    )
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers"
    )
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="DATABASE_CONN_MAX_AGE for gunicorn (60, as the README's production example)",
    )
    parser.add_argument(
        "--think", type=float, default=0.5, help="mean pause between actions, seconds (0.5)"
    )
    parser.add_argument(
        "--repeat-rate", type=float, default=0.05, help="share of forms sent twice (0.05)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LOADTEST_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="PostgreSQL database to create for the run; its name must end in _load",
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--seed", type=int, default=None, help="seed for the patients' choices")
    args = parser.parse_args(argv)
    if not database_name(args.database_url).endswith("_load"):
        parser.error("the database name must end in _load: the script drops and recreates it")
    if args.restart_db and not 0 < args.restart_at < args.seconds:
        parser.error("--restart-at must fall inside the run")
    return args


def terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGHUP, terminate)
    seed = args.seed if args.seed is not None else secrets.randbits(32)
    env = production_environment(database_url=args.database_url, conn_max_age=args.conn_max_age)
    os.environ.update(env)
    outage: Outage | None = None
    run: Run | None = None
    created = False
    workdir = Path(tempfile.mkdtemp(prefix="backcramp-loadtest-"))
    log = workdir / "gunicorn.log"
    try:
        cluster = ("", "")
        if args.restart_db:
            cluster = find_cluster(args.database_url)
            others = other_clients(args.database_url)
            if others and not args.allow_other_clients:
                raise SetupError(
                    f"other clients are connected to this PostgreSQL server {others}; stopping "
                    "it would cut them off. Wait for them, or pass --allow-other-clients."
                )
        say(f"Creating database {database_name(args.database_url)} (seed {seed})")
        recreate_database(args.database_url)
        created = True
        password = prepare_database(users=args.users)
        port = free_port()
        say(f"Starting gunicorn on 127.0.0.1:{port} ({args.workers} workers); log: {log}")
        with gunicorn(env=env, port=port, workers=args.workers, log=log) as process:
            run = Run(
                base_url=f"http://127.0.0.1:{port}",
                seconds=args.seconds,
                think=args.think,
                repeat_rate=args.repeat_rate,
            )
            started: dict[str, object] = {}

            def start_the_clock() -> None:
                # Run by the barrier before it lets anyone through, so no request predates it.
                started["load"] = os.getloadavg()
                started["cpu"] = CpuMonitor(
                    gunicorn_pgid=process.pid, database=database_name(args.database_url)
                )
                started["cpu"].start()
                run.start_clock()

            barrier = threading.Barrier(args.users + 1, action=start_the_clock, timeout=600)
            patients = [
                Patient(
                    run=run,
                    username=f"{USERNAME_PREFIX}{number:03d}",
                    password=password,
                    seed=seed + number,
                    barrier=barrier,
                )
                for number in range(1, args.users + 1)
            ]
            say(f"Logging {args.users} patients in")
            login_started = time.monotonic()
            for patient in patients:
                patient.start()
            barrier.wait()
            login_seconds = time.monotonic() - login_started
            monitor, load_before = started["cpu"], started["load"][0]
            say(f"Running for {args.seconds:g} s")
            if args.restart_db:
                outage = Outage(
                    cluster=cluster,
                    database_url=args.database_url,
                    allow_other_clients=args.allow_other_clients,
                )
                threading.Thread(
                    target=outage.run,
                    kwargs={"run": run, "at": args.restart_at, "down": args.down_seconds},
                    daemon=True,
                ).start()
            while any(patient.is_alive() for patient in patients):
                if run.now() > run.retry_deadline + HTTP_TIMEOUT + 5:
                    raise SetupError("patients still busy long after the grace period")
                run.stop.wait(0.2)
            cpu = monitor.finish(run.now())
            load_average = (load_before, os.getloadavg()[0])
            if outage is not None:
                outage.bring_back(run)
            info: dict[str, object] = {
                "same_master": process.poll() is None,
                **gunicorn_log_facts(log),
            }
        stored = stored_writes()
        claims, figures = report(
            args=args,
            patients=patients,
            outage=outage,
            stored=stored,
            gunicorn_info=info,
            login_seconds=login_seconds,
            cpu=cpu,
            load_average=load_average,
        )
        if args.json:
            figures["restart_db"] = args.restart_db
            figures["passed"] = all(passed for passed, _text in claims)
            args.json.write_text(json.dumps(figures, indent=2) + "\n")
        if all(passed for passed, _text in claims):
            say("Result: PASS")
            shutil.rmtree(workdir, ignore_errors=True)
            return 0
        say(f"Result: FAIL (gunicorn log kept at {log})")
        return 1
    except KeyboardInterrupt:
        say("Interrupted: stopping gunicorn and cleaning up")
        shutil.rmtree(workdir, ignore_errors=True)
        return 130
    except Exception as error:
        # Nothing was measured; say why (a traceback unless it is one of our own messages).
        if not isinstance(error, SetupError):
            say(traceback.format_exc())
        say(f"Could not run the load test: {error}")
        if log.exists():
            say(log.read_text(errors="replace")[-3000:])
        return 2
    finally:
        if not log.exists():
            shutil.rmtree(workdir, ignore_errors=True)
        if run is not None:
            run.stop.set()
        if outage is not None:
            outage.bring_back(run)
        if created and not args.keep_db:
            with contextlib.suppress(Exception):
                from django.db import connections

                connections.close_all()
            with contextlib.suppress(Exception):
                recreate_database(args.database_url, drop_only=True)


if __name__ == "__main__":
    sys.exit(main())
