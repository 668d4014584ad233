"""The benchmark: the portal under gunicorn (production settings, PostgreSQL), driven by wrk.

    make bench                      # local-memory cache
    make bench BENCH_REDIS=1        # the same with Redis as the cache

For each scenario it warms up, then runs wrk for several rounds and keeps the median round. It
prints one table (requests per second, p50, p95, queries per request, throughput as a ratio of
the bare view R0) and writes it, with the machine, the versions and the search plan, to
bench/results/. The database must hold the demo data (`make bench-data`).

Queries per request are counted in this process, through Django's test client on the same
settings and database, one request per scenario after a warm-up request: gunicorn's workers do
not report them. Everything else is measured on the real server.

After the pages, with the server stopped, the scheduler's passes over every patient's reminder
are timed in this process (bench.scheduling: its own table in the same report). `--only
scheduling` runs those alone, without gunicorn or wrk.
"""

import argparse
import contextlib
import json
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "bench" / "results"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/backcramp_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/1"
SCHEDULING = "scheduling"  # the --only key of the scheduler's passes (bench.scheduling)
BUSY = 500  # patients of the busy clinician (bench.demo_data.BUSY_SHARES)
WRITER = "demo-bench-writer"
# A patient who floods their log (issue 15), and a clinician whose 500 patients include them.
FLOOD_PATIENT = "demo-flood"
FLOOD_CLINICIAN = "demo-flood-clinician"
FLOOD_EPISODES = 300_000

# wrk runs this for every scenario. It sends the request given by the environment (method,
# path, headers, body; BENCH_KEY in a body becomes a fresh submission key per request) and
# prints its figures as one JSON line, p95 included (wrk's own report stops at p90 and p99).
WRK_SCRIPT = r"""
local method = os.getenv("BENCH_METHOD")
local path = os.getenv("BENCH_PATH")
local body = os.getenv("BENCH_BODY") or ""
local cookie = os.getenv("BENCH_COOKIE") or ""
local threads = {}
local hex = "0123456789abcdef"

setup = function(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

init = function(args)
  math.randomseed(os.time() * 1000 + id * 7919)
  wrk.headers["Accept-Encoding"] = "br, gzip"
  if cookie ~= "" then wrk.headers["Cookie"] = cookie end
  if method == "POST" then
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
end

local function key()
  local digits = {}
  for i = 1, 32 do
    local n = math.random(1, 16)
    digits[i] = hex:sub(n, n)
  end
  return table.concat(digits)
end

request = function()
  if method == "POST" then
    return wrk.format("POST", path, nil, (body:gsub("BENCH_KEY", key())))
  end
  return wrk.format(method, path)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "status_errors": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), e.status, e.connect, e.read, e.write,
    e.timeout))
end
"""


@dataclass
class Scenario:
    key: str
    name: str
    path: str
    method: str = "GET"
    cookie: str = ""
    body: str = ""
    # What limits it, from the run's own figures and the profile of the code path.
    note: str = ""


@dataclass
class Result:
    scenario: Scenario
    rounds: list[dict] = field(default_factory=list)
    queries: int | None = None
    # Of those, the queries read from the replica (None: no DATABASE_REPLICA_URL).
    replica_queries: int | None = None
    transactions: int = 0
    warm_up: dict = field(default_factory=dict)

    @property
    def median(self) -> dict:
        """The median over the rounds of each figure: throughput, p50 and p95 separately."""
        return {
            key: statistics.median(figures[key] for figures in self.rounds)
            for key in ("rps", "p50_us", "p95_us")
        }


# --- Set-up: Django in this process, the data, the sessions --------------------------------


def server_environment(args: argparse.Namespace) -> dict[str, str]:
    """The production settings the server runs with (as the README gives them), over HTTP."""
    env = dict(os.environ)
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        # No mail server here: keep e-mail in memory (portal.checks refuses to print it).
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        # No TLS on the loopback: the redirect to HTTPS would answer every request with 301.
        DJANGO_SECURE_SSL_REDIRECT="0",
        DATABASE_URL=args.database_url,
        DATABASE_CONN_MAX_AGE=str(args.conn_max_age),
        DJANGO_LOG_LEVEL="WARNING",
        # The episode POST scenario stores thousands of episodes a minute for one patient.
        PORTAL_EPISODES_PER_HOUR="100000000",
    )
    env.pop("REDIS_URL", None)
    if args.redis:
        env["REDIS_URL"] = args.redis_url
    return env


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def session_cookie(username: str) -> str:
    """Sign the user in by writing a session, as the login view would; return the cookie."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.consent import required_kinds
    from accounts.middleware import (
        CONSENT_SEEN,
        SECOND_FACTOR_SEEN,
        has_second_factor,
        needs_second_factor,
    )
    from accounts.models import User
    from accounts.services import accepted_versions

    user = User.objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "accounts.backends.PortalBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    # What login notes (accounts.middleware.remember_second_factor): nothing missing for a
    # patient, nor for a clinician with a second factor.
    session[SECOND_FACTOR_SEEN] = not needs_second_factor(user) or has_second_factor(user)
    # What the first page after login notes (accounts.middleware.consent_state): the texts the
    # person agreed to, so the measured pages cost what every later page of a session costs.
    session[CONSENT_SEEN] = {
        "user": user.pk,
        "kinds": list(required_kinds(user)),
        "accepted": accepted_versions(user=user),
    }
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def writer_patient() -> None:
    """The patient whose log the episode POSTs go to, so no demo patient's history grows."""
    from accounts.consent import required_kinds
    from accounts.models import User
    from accounts.services import record_consents
    from tracker.models import PatientProfile

    user, created = User.objects.get_or_create(
        username=WRITER, defaults={"first_name": "Bench", "time_zone": "Europe/London"}
    )
    if created:
        user.set_unusable_password()
        user.save()
        record_consents(user=user, kinds=required_kinds(user), now=user.date_joined)
    PatientProfile.objects.get_or_create(user=user)


def flood_patient() -> None:
    """Make the flooding patient, with FLOOD_EPISODES episodes in the last 120 days (about
    2,500 a day, as a script could post before the write limit), and a clinician who shares
    the busy clinician's patients but one, and this patient instead. Done once per database.
    """
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import User
    from accounts.second_factor import give_totp
    from clinic.access import approve_clinician
    from clinic.models import CONSENT_VERSION, Share
    from tracker.models import Episode, PatientProfile

    patient, _created = User.objects.get_or_create(
        username=FLOOD_PATIENT, defaults={"first_name": "Flood", "time_zone": "Europe/London"}
    )
    PatientProfile.objects.get_or_create(user=patient)
    have = Episode.objects.filter(patient=patient).count()
    if have < FLOOD_EPISODES:
        print(f"Adding {FLOOD_EPISODES - have:,} episodes to {FLOOD_PATIENT}", flush=True)
        with transaction.atomic(), connection.cursor() as cursor:
            # Spread evenly over the 120 days before now, 10 minutes each, all ended.
            cursor.execute(
                """
                INSERT INTO tracker_episode (patient_id, started_at, ended_at, time_zone,
                    start_day, end_day, severity, activity, trigger_other, notes, created_at,
                    updated_at)
                SELECT %(patient)s, s.at, s.at + interval '10 minutes', 'Europe/London',
                    (s.at AT TIME ZONE 'Europe/London')::date,
                    ((s.at + interval '10 minutes' - interval '1 microsecond')
                        AT TIME ZONE 'Europe/London')::date,
                    1 + n %% 9, '', '', '', s.at + interval '1 minute', s.at + interval '1 minute'
                FROM generate_series(1, %(count)s) AS n,
                    LATERAL (SELECT now() - interval '120 days'
                        + (interval '120 days' - interval '1 hour') * n / %(total)s AS at) AS s
                """,
                {"patient": patient.pk, "count": FLOOD_EPISODES - have, "total": FLOOD_EPISODES},
            )
            cursor.execute("ANALYZE tracker_episode")
    clinician, created = User.objects.get_or_create(
        username=FLOOD_CLINICIAN, defaults={"first_name": "Flood", "last_name": "Clinician"}
    )
    if created:
        clinician.set_unusable_password()
        clinician.save()
        approve_clinician(user=clinician)
        give_totp(clinician)
        busy = Share.objects.filter(
            clinician__username="demo-busy-clinician", status=Share.Status.ACCEPTED
        ).order_by("patient_id")
        patients = [patient.pk, *busy.values_list("patient_id", flat=True)[: BUSY - 1]]
        Share.objects.bulk_create(
            Share(
                patient_id=pk,
                clinician=clinician,
                consent_version=CONSENT_VERSION,
                status=Share.Status.ACCEPTED,
                decided_at=timezone.now(),
            )
            for pk in patients
        )


def episode_body(csrf: str) -> str:
    """A typical quick log (issue 16): yesterday 09:30 to 10:10, severity 5; the details are
    optional steps after it, each its own POST."""
    import datetime
    from urllib.parse import urlencode

    yesterday = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)).date()
    fields = [
        ("csrfmiddlewaretoken", csrf),
        ("submission_key", "BENCH_KEY"),
        ("start_date", yesterday.isoformat()),
        ("start_time", "09:30"),
        ("severity", "5"),
        ("status", "ended"),
        ("end_date", yesterday.isoformat()),
        ("end_time", "10:10"),
    ]
    return urlencode(fields)


def scenarios() -> list[Scenario]:
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.urls import reverse

    from accounts.models import User
    from education.models import Article

    article = (
        Article.objects.published().filter(slug="exercises-for-back-spasm").first()
        or Article.objects.published().order_by("slug").first()
    )
    if article is None:
        raise SystemExit(
            "No published article: run `manage.py load_bench_library` on the database."
        )
    heavy = User.objects.get(username="demo-heavy")
    csrf = secrets.token_hex(16)  # 32 characters: Django accepts an unmasked secret as is
    writer_cookie = session_cookie(WRITER) + f"; csrftoken={csrf}"
    return [
        Scenario("R0", "R0 bare view (/ping/)", reverse("ping")),
        Scenario("R1", "R1 static file (WhiteNoise)", staticfiles_storage.url("css/portal.css")),
        Scenario("article", "Article page, visitor", article.get_absolute_url()),
        Scenario("search", "Article search", reverse("education:search") + "?q=stretch+heat"),
        Scenario(
            "dashboard",
            "Dashboard, typical patient",
            reverse("tracker:dashboard"),
            cookie=session_cookie("demo-patient-00001"),
        ),
        Scenario(
            "dashboard_heavy",
            "Dashboard, heavy patient (5 years daily)",
            reverse("tracker:dashboard"),
            cookie=session_cookie("demo-heavy"),
        ),
        Scenario(
            "queue",
            "Clinician queue (500 patients, 50 a page)",
            reverse("clinic:queue"),
            cookie=session_cookie("demo-busy-clinician"),
        ),
        Scenario(
            "queue_flood",
            "Clinician queue (500 patients, one with 300k episodes)",
            reverse("clinic:queue"),
            cookie=session_cookie(FLOOD_CLINICIAN),
        ),
        Scenario(
            "patient_view",
            "Clinician patient view (heavy patient)",
            reverse("clinic:patient_detail", args=[heavy.pk]),
            cookie=session_cookie("demo-busy-clinician"),
        ),
        # Issue 20: the patient's own report (four weeks by default) and the medicine log.
        Scenario(
            "report",
            "Own report, typical patient",
            reverse("tracker:report"),
            cookie=session_cookie("demo-patient-00001"),
        ),
        Scenario(
            "report_heavy",
            "Own report, heavy patient",
            reverse("tracker:report"),
            cookie=session_cookie("demo-heavy"),
        ),
        Scenario(
            "medicines",
            "Medicine log, heavy patient",
            reverse("tracker:medicine_list"),
            cookie=session_cookie("demo-heavy"),
        ),
        Scenario(
            "episode_post",
            "Episode POST",
            reverse("tracker:episode_create"),
            method="POST",
            cookie=writer_cookie,
            body=episode_body(csrf),
        ),
    ]


def visitor_page(text: str) -> tuple[str, str]:
    """Read `--page KEY=PATH`: a visitor's GET of PATH, measured as the scenario KEY."""
    key, equals, path = text.partition("=")
    if not (key and equals and path.startswith("/")):
        raise argparse.ArgumentTypeError(f"expected KEY=/path/, not {text!r}")
    return key, path


def in_process_sender(scenario: Scenario) -> Callable[[], int]:
    """Return a function that sends the scenario's request through Django's test client, with
    its cookies and a fresh submission key, and stops the run on an unexpected status."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    for pair in filter(None, (part.strip() for part in scenario.cookie.split(";"))):
        name, value = pair.split("=", 1)
        client.cookies[name] = value

    def send() -> int:
        if scenario.method == "POST":
            body = scenario.body.replace("BENCH_KEY", uuid.uuid4().hex)
            response = client.generic(
                "POST", scenario.path, body, content_type="application/x-www-form-urlencoded"
            )
        else:
            response = client.get(scenario.path, headers={"accept-encoding": "br, gzip"})
        if response.status_code not in (200, 302):
            raise SystemExit(f"{scenario.name}: {scenario.path} answered {response.status_code}")
        return response.status_code

    return send


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
WRITES = ("INSERT", "UPDATE", "DELETE")


def count_queries(scenario: Scenario) -> tuple[int, int, int | None]:
    """Count one request's queries (BEGIN and COMMIT aside), its transactions, and how many of
    its queries the read replica answered (None without one: portal/replica.py).

    One warm-up request first. For a request that writes, check that every write happens
    inside one transaction: exactly one BEGIN ... COMMIT holds them all.
    """
    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext

    send = in_process_sender(scenario)
    send()
    replica = connections["replica"] if "replica" in connections.settings else None
    with CaptureQueriesContext(connection) as captured, contextlib.ExitStack() as stack:
        on_replica = stack.enter_context(CaptureQueriesContext(replica)) if replica else None
        send()
    replica_queries = None
    if on_replica is not None:
        replica_queries = sum(
            not query["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)
            for query in on_replica.captured_queries
        )
    statements = [query["sql"].lstrip().upper() for query in captured.captured_queries]
    queries = [sql for sql in statements if not sql.startswith(TRANSACTION_CONTROL)]
    transactions = sum(sql.startswith("BEGIN") for sql in statements)
    if scenario.method == "POST":
        begin, commit = statements.index("BEGIN"), statements.index("COMMIT")
        outside = [
            sql
            for n, sql in enumerate(statements)
            if sql.startswith(WRITES) and not begin < n < commit
        ]
        if transactions != 1 or outside:
            raise SystemExit(f"{scenario.name}: writes outside one transaction: {outside}")
    return len(queries) + (replica_queries or 0), transactions, replica_queries


def in_process_times(scenario: Scenario, *, times: int) -> tuple[float, float]:
    """Median time of one request, and of its SQL, through Django's test client: one at a
    time, on an otherwise idle process (no queueing, no HTTP)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    send = in_process_sender(scenario)
    send()
    totals, sql = [], []
    for _ in range(times):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            send()
            totals.append(time.perf_counter() - started)
        sql.append(sum(float(query["time"]) for query in captured.captured_queries))
    return statistics.median(totals), statistics.median(sql)


def search_plans() -> dict[str, str]:
    """EXPLAIN ANALYZE of the search: on the library as it is, and with 500 more articles.

    With the 16 real articles PostgreSQL reads the whole small table, as it should. The extra
    articles are inserted, analysed and explained in a transaction that is rolled back.
    """
    from django.db import connection, transaction

    from education.models import Article
    from education.search import search_articles

    explain = "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) "
    sql, params = search_articles("stretch heat").query.sql_with_params()
    count = Article.objects.count()
    plans = {}

    class RolledBack(Exception):
        pass

    with connection.cursor() as cursor:
        cursor.execute(explain + sql, params)
        plans[f"{count} articles"] = "\n".join(row[0] for row in cursor.fetchall())
        try:
            with transaction.atomic():
                template = Article.objects.published().first()
                Article.objects.bulk_create(
                    Article(
                        slug=f"bench-filler-{n}",
                        title=f"Filler {n}",
                        summary="Posture at a desk.",
                        body="Sitting and standing at work, with breaks to move. " * 20,
                        status=template.status,
                        published_at=template.published_at,
                        category=template.category,
                        reviewed_by="bench",
                        last_reviewed=template.last_reviewed,
                        next_review_due=template.next_review_due,
                    )
                    for n in range(500)
                )
                cursor.execute("ANALYZE education_article")
                cursor.execute(explain + sql, params)
                plans[f"{count + 500} articles"] = "\n".join(row[0] for row in cursor.fetchall())
                raise RolledBack
        except RolledBack:
            pass
    return plans


def data_sizes() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_live_tup FROM pg_stat_user_tables "
            "WHERE relname IN ('portal_user', 'tracker_episode', 'tracker_checkin', "
            "'tracker_drink', 'clinic_share', 'tracker_redflaganswer', 'tracker_reminder', "
            "'tracker_patientstatus', 'notifications_delivery') ORDER BY relname"
        )
        sizes = dict(cursor.fetchall())
        cursor.execute("SELECT pg_database_size(current_database())")
        sizes["database bytes"] = cursor.fetchone()[0]
    from tracker.models import Episode

    for username in ("demo-patient-00001", "demo-heavy", FLOOD_PATIENT):
        sizes[f"episodes of {username}"] = Episode.objects.filter(
            patient__username=username
        ).count()
    return sizes


# --- The server and the load ------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(
    env: dict[str, str], *, port: int, log: Path, workers: int | None = None
) -> subprocess.Popen:
    """gunicorn with the project's gunicorn.conf.py on `port`; `workers` overrides its count.

    Returns once the server answers /ping/ (bench.lighthouse starts it the same way)."""
    command = [
        str(BASE_DIR / ".venv" / "bin" / "gunicorn"),
        "portal.wsgi",
        "--config",
        str(BASE_DIR / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        *(["--workers", str(workers)] if workers is not None else []),
    ]
    process = subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping/", timeout=2) as answer:
                if answer.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    stop(process)
    raise SystemExit(f"gunicorn did not answer /ping/ within 60 seconds; see {log}")


def stop(process: subprocess.Popen) -> None:
    import signal

    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wrk(scenario: Scenario, *, port: int, seconds: int, connections: int, script: Path) -> dict:
    env = dict(
        os.environ,
        BENCH_METHOD=scenario.method,
        BENCH_PATH=scenario.path,
        BENCH_COOKIE=scenario.cookie,
        BENCH_BODY=scenario.body,
    )
    command = [
        "wrk",
        "--threads",
        "2",
        "--connections",
        str(connections),
        "--duration",
        f"{seconds}s",
        "--timeout",
        "30s",
        "--script",
        str(script),
        f"http://127.0.0.1:{port}{scenario.path}",
    ]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    figures = json.loads(line.removeprefix("BENCH "))
    # wrk stops with requests still in the server; let them finish before the next run starts,
    # or they would slow it down.
    time.sleep(1 + figures["p99_us"] / 1e6)
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["errors"] = sum(
        figures[name]
        for name in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts")
    )
    return figures


def episodes_of_writer() -> int:
    from tracker.models import Episode

    return Episode.objects.filter(patient__username=WRITER).count()


# --- The report ---------------------------------------------------------------------------


def versions(args: argparse.Namespace) -> dict[str, str]:
    import django
    import psycopg
    from django.db import connection

    def command_version(*command: str) -> str:
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=10)
        except OSError:
            return "not found"
        return (done.stdout or done.stderr).strip().splitlines()[0]

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    found = {
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": command_version("sh", "-c", "free -g | awk '/Mem:/ {print $2 \" GiB\"}'"),
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": command_version(str(BASE_DIR / ".venv" / "bin" / "gunicorn"), "--version"),
        "psycopg": psycopg.__version__,
        "postgresql": postgres,
        "wrk": command_version("wrk", "--version"),
    }
    if args.redis:
        found["redis"] = command_version("redis-server", "--version")
    return found


def queries_cell(result: Result) -> str:
    if result.queries is None:
        return "-"
    if result.replica_queries is None:
        return str(result.queries)
    return f"{result.queries} ({result.replica_queries} replica)"


def table(results: list[Result]) -> str:
    ceiling = results[0].median["rps"]
    lines = [
        "| Scenario | req/s | x R0 | p50 ms | p95 ms | queries/req * | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        m = result.median
        lines.append(
            f"| {result.scenario.name} | {m['rps']:,.0f} | {m['rps'] / ceiling:.2f} | "
            f"{m['p50_us'] / 1000:.1f} | {m['p95_us'] / 1000:.1f} | "
            f"{queries_cell(result)} | "
            f"{sum(r['errors'] for r in result.rounds)} |"
        )
    lines.append("")
    lines.append(
        "\\* queries of one request after a warm-up one, not counting BEGIN and COMMIT; "
        "the article page's is its cached state. With DATABASE_REPLICA_URL set, how many of "
        "them the read replica answered."
    )
    return "\n".join(lines)


def targets(results: dict[str, Result]) -> list[tuple[str, bool, str]]:
    """The targets of issues 7 and 15, met or not, with the figures."""
    ceiling = results["R0"].median["rps"]

    def ratio(key: str) -> float:
        return results[key].median["rps"] / ceiling

    typical, heavy = results["dashboard"].median, results["dashboard_heavy"].median
    heavy_ratio = heavy["p95_us"] / typical["p95_us"]
    found = [
        ("article page >= 0.8 x R0", ratio("article") >= 0.8, f"{ratio('article'):.2f} x R0"),
        (
            "heavy dashboard p95 <= 1.2 x typical",
            heavy_ratio <= 1.2,
            f"{heavy['p95_us'] / 1000:.1f} ms vs {typical['p95_us'] / 1000:.1f} ms "
            f"= {heavy_ratio:.2f}",
        ),
        (
            "clinician queue (500 patients, 50 a page) >= 0.25 x R0",
            ratio("queue") >= 0.25,
            f"{ratio('queue'):.3f} x R0, {results['queue'].queries} queries",
        ),
        (
            "episode POST in one transaction",
            results["episode_post"].transactions == 1,
            f"{results['episode_post'].queries} queries in "
            f"{results['episode_post'].transactions} transaction",
        ),
    ]
    if "patient_view" in results:
        view = results["patient_view"]
        found.append(
            (
                "patient view of the heavy patient <= 12 queries and >= 0.1 x R0",
                view.queries <= 12 and ratio("patient_view") >= 0.1,
                f"{view.queries} queries, {ratio('patient_view'):.3f} x R0",
            )
        )
    if "queue_flood" in results:
        slower = results["queue"].median["rps"] / results["queue_flood"].median["rps"]
        found.append(
            (
                "queue with a 300k-episode patient within 1.2 x the same queue without",
                slower <= 1.2,
                f"{results['queue_flood'].median['rps']:,.0f} vs "
                f"{results['queue'].median['rps']:,.0f} req/s = {slower:.2f} x",
            )
        )
    return found


def report_text(
    results: list[Result], *, note: Result | None = None, passes: list | None = None
) -> str:
    """The table, the targets met or not, the episode POST's writes, and the scheduler's
    passes (bench.scheduling.PassFigures) in a table of their own."""
    by_key = {result.scenario.key: result for result in results}
    lines = [table(results)] if results else []
    if {"article", "dashboard", "dashboard_heavy", "queue", "episode_post"} <= by_key.keys():
        lines.append("")
        for what, ok, detail in targets(by_key):
            lines.append(f"- {'met' if ok else 'NOT met'}: {what} ({detail})")
    if note is not None:
        lines.append(f"- Episode POST: {note.scenario.note}")
    if passes:
        from bench import scheduling

        if lines:
            lines.append("")
        lines += ["Scheduler's passes (in this process, no HTTP):", "", scheduling.table(passes)]
    return "\n".join(lines)


def results_from(path: Path) -> list[Result]:
    """Read the results of an earlier run back from its JSON report."""
    report = json.loads(path.read_text())
    return [
        Result(
            scenario=Scenario(**entry["scenario"]),
            rounds=entry["rounds"],
            queries=entry["queries"],
            replica_queries=entry.get("replica_queries"),
            transactions=entry.get("transactions", 0),
            warm_up=entry.get("warm_up", {}),
        )
        for entry in report["results"]
    ]


def run_pages(results: list[Result], *, args: argparse.Namespace, env: dict[str, str]) -> int:
    """Run every page scenario against gunicorn with wrk, filling in each result; return how
    many episodes the episode POSTs stored."""
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch, "bench.lua")
        script.write_text(WRK_SCRIPT)
        port = free_port()
        server = start_gunicorn(
            env, port=port, workers=args.workers, log=Path(scratch, "gunicorn.log")
        )
        try:
            writes_before = episodes_of_writer()
            for result in results:
                result.queries, result.transactions, result.replica_queries = count_queries(
                    result.scenario
                )
                result.warm_up = wrk(
                    result.scenario,
                    port=port,
                    seconds=3,
                    connections=args.connections,
                    script=script,
                )
            # Rounds go through every scenario in turn, so a slow spell of the machine (the
            # disk, a background job) falls on all of them rather than on one.
            for number in range(1, args.rounds + 1):
                print(f"Round {number} of {args.rounds}", flush=True)
                for result in results:
                    figures = wrk(
                        result.scenario,
                        port=port,
                        seconds=args.seconds,
                        connections=args.connections,
                        script=script,
                    )
                    result.rounds.append(figures)
                    print(
                        f"  {result.scenario.name:<44} {figures['rps']:8,.0f} req/s"
                        f"  p50 {figures['p50_us'] / 1000:7.1f} ms"
                        f"  p95 {figures['p95_us'] / 1000:7.1f} ms",
                        flush=True,
                    )
            writes = episodes_of_writer() - writes_before
        finally:
            stop(server)
    return writes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
    )
    parser.add_argument("--redis", action="store_true", help="use Redis as the cache")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--seconds", type=int, default=15, help="length of each round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--conn-max-age", type=int, default=60)
    parser.add_argument(
        "--only",
        nargs="*",
        help=f"scenario keys to run (R0 always runs with any page), {SCHEDULING} for the "
        "scheduler's passes",
    )
    parser.add_argument(
        "--page",
        action="append",
        default=[],
        type=visitor_page,
        metavar="KEY=PATH",
        help="also measure a visitor's GET of PATH as scenario KEY (repeatable; runs with --only)",
    )
    parser.add_argument("--explain", action="store_true", help="print the search plans only")
    parser.add_argument("--table", type=Path, help="print the table of an earlier run's JSON")
    parser.add_argument(
        "--in-process", action="store_true", help="time each scenario in this process only"
    )
    args = parser.parse_args()
    if args.table:
        results = results_from(args.table)
        posts = [r for r in results if r.scenario.key == "episode_post"]
        env = server_environment(args)
        setup_django(env)
        from bench import scheduling

        passes = scheduling.from_report(json.loads(args.table.read_text()).get(SCHEDULING, []))
        print(report_text(results, note=posts[0] if posts else None, passes=passes))
        return

    pages = not args.only or any(key != SCHEDULING for key in args.only)
    if pages and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (make bench installs it with apt).")
    env = server_environment(args)
    setup_django(env)
    if args.explain:
        for name, plan in search_plans().items():
            print(f"{name}:\n{plan}\n")
        return
    if args.in_process:
        writer_patient()
        flood_patient()
        for scenario in scenarios():
            total, sql = in_process_times(scenario, times=20)
            print(f"{scenario.name:<44} {total * 1000:7.1f} ms, of which SQL {sql * 1000:6.1f} ms")
        return
    from django.contrib.auth import get_user_model

    if not get_user_model().objects.filter(username="demo-heavy").exists():
        raise SystemExit("No demo data in the database: run `make bench-data` first.")
    writer_patient()
    flood_patient()
    chosen = scenarios() if pages else []
    if args.only:
        chosen = [s for s in chosen if s.key == "R0" or s.key in args.only]
    if pages:
        chosen += [Scenario(key, f"Visitor page {path}", path) for key, path in args.page]

    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    cache = "redis" if args.redis else "locmem"
    print(f"Benchmark {started}: {args.workers} gunicorn workers, {cache} cache", flush=True)
    results = [Result(scenario) for scenario in chosen]
    writes = 0
    if results:
        writes = run_pages(results, args=args, env=env)
    passes: list = []
    if not args.only or SCHEDULING in args.only:
        from bench import scheduling

        print("The scheduler's passes over every patient's reminder", flush=True)
        passes = scheduling.measure(rounds=args.rounds)

    by_key = {result.scenario.key: result for result in results}
    if "episode_post" in by_key:
        post = by_key["episode_post"]
        answered = post.warm_up["requests"] + sum(r["requests"] for r in post.rounds)
        # wrk stops with up to one request per connection still being served; the server
        # completes and stores those, but wrk never counts their answers.
        post.scenario.note = (
            f"{writes} episodes stored; {answered} POSTs answered (warm-up included); "
            f"at most {args.connections * (args.rounds + 1)} more were in flight at the ends"
        )
    report = {
        "started": started,
        "cache": cache,
        "workers": args.workers,
        "connections": args.connections,
        "rounds": args.rounds,
        "seconds": args.seconds,
        "conn_max_age": args.conn_max_age,
        "versions": versions(args),
        "data": data_sizes(),
        "results": [
            {
                "scenario": asdict(r.scenario),
                "queries": r.queries,
                "replica_queries": r.replica_queries,
                "transactions": r.transactions,
                "warm_up": r.warm_up,
                "rounds": r.rounds,
            }
            for r in results
        ],
        SCHEDULING: [asdict(figures) for figures in passes],
    }
    text = report_text(results, note=by_key.get("episode_post"), passes=passes)
    if "search" in by_key:
        report["search_plans"] = search_plans()
    print("\n" + text)
    RESULTS_DIR.mkdir(exist_ok=True)
    # A run of the passes alone keeps the last full run's table.
    name = f"latest-{cache}" if results else f"latest-{SCHEDULING}"
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (RESULTS_DIR / f"{name}.md").write_text(text + "\n")
    print(f"\nWritten: bench/results/{name}.json and .md")


if __name__ == "__main__":
    main()
