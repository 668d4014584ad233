"""Lighthouse on a phone (issue 16): the portal under gunicorn with production settings.

    make lighthouse                                   # every page, 3 runs each
    make lighthouse LIGHTHOUSE_ARGS="--runs 5 --pages home,dashboard"

It migrates a throwaway SQLite database (or --database-url), loads the articles, makes a demo
patient with three months of entries through the portal's own services (tests/factories.py),
starts gunicorn on a free port with DJANGO_DEBUG=0 and the collected, hashed, compressed static
files (`make collectstatic`, which `make lighthouse` runs first), signs the patient in by writing
a session, and runs Lighthouse (the npm devDependency) in Debian's Chromium for each page: mobile
form factor, Lighthouse's default simulated throttling (slow 4G, 4x CPU slowdown). Each run gets
a new Chromium with an empty profile, started here; for the signed-in pages the session cookie
goes into its cookie jar first (through Playwright, over the DevTools protocol), so every request
carries it, the service worker's too, as on a signed-in phone. (Lighthouse's --extra-headers,
with --cookie-header, reach only the page's own requests: the service worker's are sent signed
out.) Lighthouse then connects to that Chromium (--port). For each page it keeps the median of
the runs, figure by figure, prints one table and writes it, with the machine's load, the versions
and every run's figures, to bench/results/lighthouse-<UTC time>.md and .json.

Plain HTTP on the loopback needs DJANGO_SECURE_SSL_REDIRECT=0 (or every page answers 301 to
https) and DJANGO_SECURE_COOKIES=0 (cookies marked Secure are for https). Everything else is
production's default.

Lighthouse's scores depend on the CPU: with other work on the machine they drop. The one-minute
load average is recorded before every run; compare runs made under similar load.
"""

import argparse
import datetime
import json
import os
import platform
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.run import free_port, session_cookie, start_gunicorn, stop

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "bench" / "results"
LIGHTHOUSE = BASE_DIR / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
# Headless, and quiet: without the background-networking flags Chromium keeps trying to reach
# Google's hosts, which this machine's closed network refuses.
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync --disable-quic"
)
# What Lighthouse's own launcher (chrome-launcher) adds, where it matters for timing: no first-run
# pages, no extensions, no throttling of timers or of a page in the background.
LAUNCH_FLAGS = (
    "--no-first-run --no-default-browser-check --disable-default-apps --disable-extensions "
    "--mute-audio --disable-background-timer-throttling --disable-renderer-backgrounding "
    "--disable-backgrounding-occluded-windows --disable-hang-monitor --password-store=basic"
)
PATIENT = "patient"  # the demo patient's username, as in `manage.py create_demo_accounts`
HISTORY_DAYS = 90
RUN_TIMEOUT_SECONDS = 300


@dataclass
class Page:
    key: str
    name: str
    path: str
    signed_in: bool


@dataclass
class Run:
    load_1min: float
    # Lighthouse's own measure of the CPU at the start of the run (higher is faster; it warns
    # below about 1,000 that the page was measured on a slower CPU than it expects).
    cpu_index: float
    performance: float
    accessibility: float
    fcp_s: float
    lcp_s: float
    tbt_ms: float
    cls: float
    transfer_kib: float
    requests: int
    final_url: str
    accessibility_failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def pages(article_slug: str) -> list[Page]:
    return [
        Page("home", "Home", "/", signed_in=False),
        Page("article", "Article", f"/articles/{article_slug}/", signed_in=False),
        Page("get-help", "Get help", "/get-help/", signed_in=False),
        Page("get-help-patient", "Get help, signed in", "/get-help/", signed_in=True),
        Page("dashboard", "Dashboard", "/tracker/", signed_in=True),
        Page("log", "Log an episode", "/tracker/episodes/new/", signed_in=True),
    ]


def say(text: str = "") -> None:
    """Print a line at once (progress goes to the terminal while Lighthouse runs)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# --- The server: settings, database, demo patient ------------------------------------------


def server_environment(database_url: str) -> dict[str, str]:
    """Production settings, over plain HTTP on the loopback."""
    env = dict(os.environ)
    for name in ("REDIS_URL", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        # No mail server here: keep e-mail in memory (portal.checks refuses to print it).
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        # No TLS here: the redirect would answer every page with 301 to https, and secure
        # cookies would not come back over http.
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DATABASE_URL=database_url,
        DJANGO_LOG_LEVEL="WARNING",
    )
    return env


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    # Three months of entries are written within a minute; the hourly limits would refuse them.
    # Only this process (the set-up) lifts them; the server keeps production's.
    os.environ.update(PORTAL_EPISODES_PER_HOUR="100000", PORTAL_DRINKS_PER_HOUR="100000")
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def prepare_database() -> str:
    """Migrate, load the articles, make the demo patient; return the article page's slug."""
    from django.core.management import call_command

    from education.models import Article

    call_command("migrate", "--noinput", verbosity=0)
    call_command("load_bench_library", verbosity=0)
    create_patient()
    # The longest published article: the heaviest article page.
    articles = list(Article.objects.published().only("slug", "body"))
    if not articles:
        raise SystemExit("load_bench_library published no article")
    return max(articles, key=lambda article: (len(article.body), article.slug)).slug


def create_patient() -> None:
    """The demo patient with three months of a typical history: runs of symptom days with one
    or two episodes (triggers, place, what was tried and whether it helped, now and then a
    note), check-ins on some days, drinks on most of the last month; the same every time."""
    from django.utils import timezone

    from accounts.models import User
    from tests import factories

    rng = random.Random(16)
    user = User.objects.create_user(username=PATIENT, first_name="Pat", email="patient@example.com")
    user.set_unusable_password()
    user.time_zone = "Europe/London"
    user.save()
    factories.agree_to_current_texts(user)  # as sign-up does (issue 19)
    now = timezone.now()
    zone = ZoneInfo(user.time_zone)
    today = now.astimezone(zone).date()
    triggers = ("long_sitting", "heavy_lifting", "stress", "tired_muscles", "cold")
    relief = ("stretching", "heat", "kept_moving", "short_rest", "gentle_massage")
    notes = ("After a long drive.", "Woke up with it.", "Eased after a walk.", "")
    symptoms = False
    for back in range(HISTORY_DAYS - 1, -1, -1):
        day = today - datetime.timedelta(days=back)
        # Runs of symptom days (about 3 long) between free spells (about 4 long).
        symptoms = rng.random() < (0.7 if symptoms else 0.25)
        worst = 0
        if symptoms:
            for _ in range(rng.choice((1, 1, 2))):
                start = datetime.datetime.combine(
                    day, datetime.time(rng.randint(7, 20), rng.choice((0, 15, 30, 45))), zone
                )
                if start > now - datetime.timedelta(hours=2):
                    continue
                end = start + datetime.timedelta(minutes=rng.randint(10, 90))
                severity = rng.randint(2, 7)
                worst = max(worst, severity)
                factories.log_episode(
                    user,
                    start=start,
                    end=end,
                    severity=severity,
                    triggers=rng.sample(triggers, rng.randint(0, 2)),
                    locations=[("lower", "left")],
                    relief={code: rng.choice((0, 1, 1, 2)) for code in rng.sample(relief, 2)},
                    notes=rng.choice(notes),
                )
        if rng.random() < 0.4 and back > 0:
            factories.check_in(user, day=day, severity=worst)
        if back < 30 and rng.random() < 0.85:
            for _ in range(rng.randint(3, 7)):
                factories.add_drink(user, day=day, ml=rng.choice((200, 250, 250, 330, 500)))


def warm_up(url: str, cookie: str) -> None:
    """Fetch the page once, so the first run does not pay for cold caches on the server, and
    check that it answers 200 itself (not a redirect to the login page or to https)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as answer:
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    if status != 200:
        raise SystemExit(f"{url} answered {status}, not 200")


# --- Lighthouse -----------------------------------------------------------------------------


def start_chromium(profile: Path, *, log: Path) -> tuple[subprocess.Popen, int]:
    """A new headless Chromium with an empty profile; the process and its DevTools port."""
    command = [
        CHROMIUM,
        *CHROME_FLAGS.split(),
        *LAUNCH_FLAGS.split(),
        f"--user-data-dir={profile}",
        "--remote-debugging-port=0",
        "about:blank",
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=log.open("a"),
        start_new_session=True,
    )
    active = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"Chromium exited with {process.returncode}; see {log}")
        if active.exists() and (lines := active.read_text().split()):
            return process, int(lines[0])
        time.sleep(0.1)
    stop(process)
    raise SystemExit(f"Chromium opened no DevTools port within 60 seconds; see {log}")


def put_cookie(*, devtools_port: int, cookie: str, url: str) -> None:
    """Put the session cookie in the browser's own cookie jar, as a login would."""
    from playwright.sync_api import sync_playwright

    name, _, value = cookie.partition("=")
    with sync_playwright() as playwright:
        browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{devtools_port}")
        browser.contexts[0].add_cookies(
            [{"name": name, "value": value, "url": url, "httpOnly": True, "sameSite": "Lax"}]
        )
    # Leaving the block drops the connection; Chromium, started here, goes on.


def lighthouse(url: str, *, cookie: str, cookie_header: bool, report: Path, work: Path) -> dict:
    """One Lighthouse run in a new Chromium; the report (LHR) as a dict."""
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--form-factor=mobile",
        "--throttling-method=simulate",
        "--only-categories=performance,accessibility",
        "--output=json",
        f"--output-path={report}",
    ]
    if cookie and cookie_header:
        headers = work / "headers.json"
        headers.write_text(json.dumps({"Cookie": cookie}))
        command.append(f"--extra-headers={headers}")
    env = dict(os.environ, CHROME_PATH=CHROMIUM)
    # Chromium now and then fails to start or to answer on a busy machine: one more try.
    for attempt in (1, 2):
        report.unlink(missing_ok=True)
        profile = Path(tempfile.mkdtemp(prefix="chromium-", dir=work))
        browser, devtools_port = start_chromium(profile, log=work / "chromium.log")
        try:
            if cookie and not cookie_header:
                put_cookie(devtools_port=devtools_port, cookie=cookie, url=url)
            finished = subprocess.run(
                [*command, f"--port={devtools_port}"],
                env=env,
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            problem = f"no report within {RUN_TIMEOUT_SECONDS} s"
        else:
            if finished.returncode == 0 and report.exists():
                return json.loads(report.read_text())
            problem = f"exit {finished.returncode}:\n{finished.stderr[-3000:]}"
        finally:
            stop(browser)
            shutil.rmtree(profile, ignore_errors=True)
        say(f"Lighthouse failed on {url} (try {attempt}): {problem}")
    raise SystemExit(f"Lighthouse failed twice on {url}")


def figures(lhr: dict, *, load: float) -> Run:
    audits = lhr["audits"]
    categories = lhr["categories"]
    if lhr.get("runtimeError"):
        raise SystemExit(f"Lighthouse: {lhr['runtimeError']}")
    failures = [
        audit_id
        for ref in categories["accessibility"]["auditRefs"]
        if ref["weight"] > 0
        and (audit_id := ref["id"])
        and audits[audit_id].get("score") is not None
        and audits[audit_id]["score"] < 1
    ]
    return Run(
        load_1min=load,
        cpu_index=lhr.get("environment", {}).get("benchmarkIndex", 0),
        performance=round(categories["performance"]["score"] * 100),
        accessibility=round(categories["accessibility"]["score"] * 100),
        fcp_s=audits["first-contentful-paint"]["numericValue"] / 1000,
        lcp_s=audits["largest-contentful-paint"]["numericValue"] / 1000,
        tbt_ms=audits["total-blocking-time"]["numericValue"],
        cls=audits["cumulative-layout-shift"]["numericValue"],
        transfer_kib=audits["total-byte-weight"]["numericValue"] / 1024,
        requests=len(audits["network-requests"]["details"]["items"]),
        final_url=lhr.get("finalDisplayedUrl") or lhr.get("finalUrl", ""),
        accessibility_failures=failures,
        warnings=list(lhr.get("runWarnings", [])),
    )


# --- The report -----------------------------------------------------------------------------


def median(runs: list[Run], name: str) -> float:
    return statistics.median(getattr(run, name) for run in runs)


def table(results: list[tuple[Page, list[Run]]]) -> str:
    lines = [
        "| Page | Path | Performance | Accessibility | FCP s | LCP s | TBT ms | CLS "
        "| Transfer KiB | Requests | Performance per run | CPU index | Load (1 min) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for page, runs in results:
        loads = [run.load_1min for run in runs]
        cpu_index = f"{median(runs, 'cpu_index'):.0f}" if all(r.cpu_index for r in runs) else "n/a"
        lines.append(
            f"| {page.name} | `{page.path}` | {median(runs, 'performance'):.0f} "
            f"| {median(runs, 'accessibility'):.0f} | {median(runs, 'fcp_s'):.2f} "
            f"| {median(runs, 'lcp_s'):.2f} | {median(runs, 'tbt_ms'):.0f} "
            f"| {median(runs, 'cls'):.3f} | {median(runs, 'transfer_kib'):.0f} "
            f"| {median(runs, 'requests'):.0f} "
            f"| {' / '.join(f'{run.performance:.0f}' for run in runs)} "
            f"| {cpu_index} "
            f"| {min(loads):.2f}-{max(loads):.2f} |"
        )
    return "\n".join(lines)


def load_results(path: Path) -> list[tuple[Page, list[Run]]]:
    """The pages and runs of an earlier run, from the .json it wrote."""
    saved = json.loads(path.read_text())
    known = set(Run.__dataclass_fields__)
    return [
        (
            Page(**entry["page"]),
            [
                Run(**{"cpu_index": 0, **{k: v for k, v in run.items() if k in known}})
                for run in entry["runs"]
            ],
        )
        for entry in saved["pages"]
    ]


def notes(results: list[tuple[Page, list[Run]]]) -> list[str]:
    found = []
    for page, runs in results:
        failures = sorted({audit for run in runs for audit in run.accessibility_failures})
        if failures:
            found.append(f"- {page.name}: accessibility audits not passed: {', '.join(failures)}")
    # Each warning once, with the pages and runs it came with.
    warned: dict[str, list[str]] = {}
    for page, runs in results:
        for number, run in enumerate(runs, start=1):
            for warning in run.warnings:
                warned.setdefault(" ".join(warning.split()), []).append(f"{page.name} {number}")
    for warning, where in warned.items():
        found.append(f"- Lighthouse warned ({', '.join(where)}): {warning}")
    return found


def git_state() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=BASE_DIR, capture_output=True, text=True, check=False
        ).stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    if not head:
        return f"{BASE_DIR} (not a git checkout)"
    changed = len(git("status", "--porcelain", "--untracked-files=no").splitlines())
    return head + (f" with {changed} uncommitted changed file(s)" if changed else "")


def versions(first: dict) -> dict[str, str]:
    browser = subprocess.run(
        [CHROMIUM, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "Lighthouse": first.get("lighthouseVersion", "?"),
        "Browser": browser or first.get("environment", {}).get("hostUserAgent", "?"),
        "Python": platform.python_version(),
        "CPUs": str(os.cpu_count()),
        "Code": git_state(),
    }


# --- Main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="Runs per page (default 3).")
    parser.add_argument(
        "--pages", default="", help="Comma-separated page keys (default: all of them)."
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="An empty database to use (default: a throwaway SQLite file).",
    )
    parser.add_argument(
        "--keep-reports", action="store_true", help="Keep every run's Lighthouse JSON report."
    )
    parser.add_argument(
        "--cookie-header",
        action="store_true",
        help="Sign in through Lighthouse's --extra-headers instead of the browser's cookie jar "
        "(the service worker's requests then go out signed out).",
    )
    parser.add_argument(
        "--table",
        type=Path,
        help="Print the table of an earlier run from its .json in bench/results/, and stop.",
    )
    args = parser.parse_args()
    if args.table:
        say(table(load_results(args.table)))
        return

    for needed, hint in (
        (LIGHTHOUSE, "run `make install` (npm ci installs the devDependency)"),
        (Path(CHROMIUM), "run `make browser` (Debian's chromium)"),
        (BASE_DIR / "staticfiles" / "staticfiles.json", "run `make collectstatic`"),
    ):
        if not needed.exists():
            raise SystemExit(f"{needed} is missing: {hint}")

    started = datetime.datetime.now(datetime.UTC)
    stamp = started.strftime("%Y-%m-%d-%H%M%S")
    work = Path(tempfile.mkdtemp(prefix="lighthouse-"))
    reports = RESULTS_DIR / f"lighthouse-{stamp}" if args.keep_reports else work / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    database_url = args.database_url or f"sqlite:///{work / 'lighthouse.sqlite3'}"
    env = server_environment(database_url)
    load_before = os.getloadavg()

    say(f"Preparing {database_url.split('@')[-1]} (migrate, articles, demo patient)")
    setup_django(env)
    slug = prepare_database()
    cookie = session_cookie(PATIENT)
    from django.db import connections

    connections.close_all()

    chosen = pages(slug)
    if args.pages:
        keys = [key.strip() for key in args.pages.split(",") if key.strip()]
        unknown = set(keys) - {page.key for page in chosen}
        if unknown:
            raise SystemExit(f"Unknown page(s) {', '.join(sorted(unknown))}")
        chosen = [page for page in chosen if page.key in keys]

    port = free_port()
    server = start_gunicorn(env, port=port, log=work / "gunicorn.log")
    results: list[tuple[Page, list[Run]]] = []
    first_lhr: dict = {}
    try:
        for page in chosen:
            url = f"http://127.0.0.1:{port}{page.path}"
            warm_up(url, cookie if page.signed_in else "")
            runs = []
            for number in range(1, args.runs + 1):
                load = os.getloadavg()[0]
                report = reports / f"{page.key}-{number}.json"
                lhr = lighthouse(
                    url,
                    cookie=cookie if page.signed_in else "",
                    cookie_header=args.cookie_header,
                    report=report,
                    work=work,
                )
                first_lhr = first_lhr or lhr
                run = figures(lhr, load=load)
                if run.final_url != url:
                    raise SystemExit(f"{url} ended at {run.final_url}: not the page itself")
                runs.append(run)
                say(
                    f"{page.name} run {number}: performance {run.performance:.0f}, "
                    f"accessibility {run.accessibility:.0f}, LCP {run.lcp_s:.2f} s, "
                    f"{run.transfer_kib:.0f} KiB, load {load:.2f}"
                )
            results.append((page, runs))
    finally:
        stop(server)

    load_after = os.getloadavg()
    finished = datetime.datetime.now(datetime.UTC)
    body = table(results)
    details = "\n".join(
        [
            f"# Lighthouse, mobile: run of {started:%Y-%m-%d %H:%M} UTC",
            "",
            "`make lighthouse`: gunicorn with production settings (DJANGO_DEBUG=0, hashed and "
            "compressed static files, DJANGO_SECURE_SSL_REDIRECT=0 and DJANGO_SECURE_COOKIES=0 "
            f"for plain http on the loopback), a fresh {env['DATABASE_URL'].split(':')[0]} "
            "database with the articles and the demo patient (three months of entries); "
            "Lighthouse mobile, default simulated throttling, in Chromium (a new one with an "
            "empty profile each run; the patient signed in through "
            f"{'--extra-headers' if args.cookie_header else 'its cookie jar'}); "
            f"{args.runs} runs per page, median of each figure.",
            "",
            body,
            "",
            *(f"- {name}: {value}" for name, value in versions(first_lhr).items()),
            f"- Load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in load_before)} "
            f"before, {', '.join(f'{x:.2f}' for x in load_after)} after "
            f"({(finished - started).total_seconds() / 60:.1f} min)",
            f"- Article: `{slug}` (the longest published article)",
            *notes(results),
            "",
        ]
    )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    markdown = RESULTS_DIR / f"lighthouse-{stamp}.md"
    markdown.write_text(details)
    raw = {
        "started": started.isoformat(),
        "versions": versions(first_lhr),
        "load_before": load_before,
        "load_after": load_after,
        "pages": [
            {"page": page.__dict__, "runs": [run.__dict__ for run in runs]}
            for page, runs in results
        ],
    }
    (RESULTS_DIR / f"lighthouse-{stamp}.json").write_text(json.dumps(raw, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    say()
    say(details)
    say(f"Written to {markdown.relative_to(BASE_DIR)} (and .json)")


if __name__ == "__main__":
    main()
