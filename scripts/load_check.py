"""Load check: the Locust scenarios (scripts/locustfile.py) against gunicorn on a fresh
PostgreSQL database, then every acknowledged write looked up among the rows stored.

    .venv/bin/python scripts/load_check.py               # 50 patients, 3 clinicians, 10 readers
    .venv/bin/python scripts/load_check.py --restart-db  # with PostgreSQL stopped at 20 s for 5 s

It creates the database (its name must end in _load; dropped at the end unless --keep-db), fills
it with the project's demo data (`generate_demo_data`: patients with histories, clinicians with
shares and a second factor), serves the portal with gunicorn and production settings (only the
HTTPS redirect and secure cookies off, for plain HTTP on loopback), runs Locust headless, and
checks the claims of docs/reliability.md. Exit status: 0 every claim holds, 1 a claim failed,
2 the check could not run, 130 interrupted.
"""

import argparse
import contextlib
import json
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from django.db import connections
from psycopg import sql

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/backcramp_load"
SLICE_SECONDS = 5
sys.path.insert(0, str(BASE_DIR))


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


@dataclass
class Stored:
    episodes: int = 0
    drinks: int = 0
    keys: set[str] = field(default_factory=set)


def stored_writes(usernames: list[str]) -> dict[str, Stored]:
    """Return each patient's episodes, drinks and submission keys, as the database has them."""
    from django.db.models import Count

    from tracker.models import Drink, Episode, Submission

    stored = {name: Stored() for name in usernames}
    rows = Episode.objects.filter(patient__username__in=usernames)
    for name, count in rows.values_list("patient__username").annotate(Count("id")):
        stored[name].episodes = count
    rows = Drink.objects.filter(patient__username__in=usernames)
    for name, count in rows.values_list("patient__username").annotate(Count("id")):
        stored[name].drinks = count
    rows = Submission.objects.filter(patient__username__in=usernames)
    for name, key in rows.values_list("patient__username", "key"):
        stored[name].keys.add(str(key))
    return stored


def compare(
    record: dict[str, Any], before: dict[str, Stored], after: dict[str, Stored]
) -> list[str]:
    """Return every difference between the writes acknowledged and the rows added."""
    problems = []
    for name in sorted(after):
        acked = record["acked"].get(name, {})
        for what, added in (
            ("episode", after[name].episodes - before[name].episodes),
            ("drink", after[name].drinks - before[name].drinks),
        ):
            if added != len(acked.get(what, [])):
                problems.append(f"{name}: {added} {what}s stored, {len(acked.get(what, []))} acked")
        acked_keys = {key for keys in acked.values() for key in keys}
        new_keys = after[name].keys - before[name].keys
        if missing := acked_keys - new_keys:
            problems.append(f"{name}: acknowledged keys not stored {sorted(missing)[:3]}")
        if unknown := new_keys - acked_keys:
            problems.append(f"{name}: stored keys never acknowledged {sorted(unknown)[:3]}")
    problems += [
        f"{who}: {what} {key} never acknowledged ({why})"
        for who, what, key, why in record["unacked"]
    ]
    return problems


# PostgreSQL


def server_url(url: str) -> str:
    return urllib.parse.urlsplit(url)._replace(path="/postgres").geturl()


def database_name(url: str) -> str:
    return urllib.parse.urlsplit(url).path.lstrip("/")


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    name = sql.Identifier(database_name(url))
    with psycopg.connect(server_url(url), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        if not drop_only:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(name))


def other_clients(url: str) -> dict[str, int]:
    """Return the connections to the server's other databases: a restart would cut them off."""
    with psycopg.connect(server_url(url), connect_timeout=5) as connection:
        rows = connection.execute(
            "SELECT datname, count(*) FROM pg_stat_activity WHERE datname IS NOT NULL "
            "AND datname <> %s AND pid <> pg_backend_pid() GROUP BY datname",
            [database_name(url)],
        ).fetchall()
    return dict(rows)


def cluster_of(url: str) -> list[str]:
    """Return [version, name] of the local cluster listening on the URL's port."""
    port = str(urllib.parse.urlsplit(url).port or 5432)
    listing = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True)
    for line in listing.stdout.splitlines():
        if line.split()[2] == port:
            return line.split()[:2]
    raise RuntimeError(f"no local PostgreSQL cluster listens on port {port}")


class Outage(threading.Thread):
    """Stop PostgreSQL `at` seconds in, keep it down `down` seconds, start it, time its return."""

    def __init__(self, *, url: str, at: float, down: float) -> None:
        super().__init__(daemon=True)
        self.url, self.at, self.down, self.cluster = url, at, down, cluster_of(url)
        self.stopped: float | None = None
        self.back: float | None = None
        self.error = ""
        self.cancelled = threading.Event()

    def pg_ctlcluster(self, *action: str) -> None:
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", *self.cluster, *action]
        subprocess.run(command, check=True, capture_output=True)

    def run(self) -> None:
        if self.cancelled.wait(self.at):
            return
        if others := other_clients(self.url):
            self.error = f"PostgreSQL not stopped: other clients connected {others}"
            return
        self.stopped = time.time()
        try:
            self.pg_ctlcluster("stop", "-m", "fast")
            time.sleep(self.down)  # not cancelled: PostgreSQL must start again
        finally:
            self.pg_ctlcluster("start")
        for _attempt in range(1200):
            with contextlib.suppress(psycopg.Error):
                psycopg.connect(server_url(self.url), connect_timeout=1).close()
                self.back = time.time()
                return
            time.sleep(0.05)
        self.error = "PostgreSQL did not answer again within a minute"


# Who used the CPU


class CpuMonitor(threading.Thread):
    """Note the CPU ticks of gunicorn's processes and of the load database's backends every
    half second (a restart ends every backend: each one's last figure counts)."""

    def __init__(self, *, pgid: int, database: str) -> None:
        super().__init__(daemon=True)
        self.pgid, self.marker, self.done = pgid, f" {database} ", threading.Event()
        self.first = self.sample()
        self.last = dict(self.first)
        self.machine, self.children = (
            machine_seconds(),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )

    def sample(self) -> dict[int, tuple[str, int]]:
        ticks = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError):
                head, tail = stat.read_text().rsplit(")", 1)
                fields = tail.split()
                if int(fields[2]) == self.pgid:
                    kind = "gunicorn"
                elif (
                    head.endswith("(postgres")
                    and self.marker in (stat.parent / "cmdline").read_text()
                ):
                    kind = "PostgreSQL (load database)"
                else:
                    continue
                ticks[int(stat.parent.name)] = (kind, int(fields[11]) + int(fields[12]))
        return ticks

    def run(self) -> None:
        while not self.done.wait(0.5):
            self.last.update(self.sample())

    def finish(self) -> dict[str, float]:
        """Return the CPU seconds used since the start, by whom."""
        self.done.set()
        self.join()
        self.last.update(self.sample())
        hz = os.sysconf("SC_CLK_TCK")
        used = {"gunicorn": 0.0, "PostgreSQL (load database)": 0.0}
        for pid, (kind, ticks) in self.last.items():
            used[kind] += (ticks - self.first.get(pid, (kind, 0))[1]) / hz
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        used["Locust"] = sum(
            getattr(children, n) - getattr(self.children, n) for n in ("ru_utime", "ru_stime")
        )
        busy, idle = (b - a for a, b in zip(self.machine, machine_seconds(), strict=True))
        return {**used, "other work": busy - sum(used.values()), "idle": idle}


def machine_seconds() -> tuple[float, float]:
    """Return the CPU seconds the machine has been busy and idle since boot."""
    user, nice, system, idle, iowait, irq, softirq = map(
        int, Path("/proc/stat").read_text().split()[1:8]
    )
    hz = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / hz, (idle + iowait) / hz


# The run


def django_env(url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "DATABASE_CONN_MAX_AGE": "60",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }


def prepare(args: argparse.Namespace, password: str) -> dict[str, Any]:
    """Migrate and fill the database with the project's commands; return the accounts."""
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["collectstatic", "--noinput", "-v0"],
        ["load_bench_library"],
        ["generate_demo_data", f"--patients={args.patients}", f"--password={password}",
         f"--clinicians={args.clinicians - 1}", f"--years={args.years}"],
    ):  # fmt: skip
        subprocess.run([*manage, *command], check=True, cwd=BASE_DIR, stdout=subprocess.DEVNULL)
    import django

    django.setup()
    from accounts.models import User
    from accounts.second_factor import give_totp
    from bench import demo_data

    clinicians = [demo_data.BUSY_USERNAME] + [
        demo_data.clinician_username(n) for n in range(1, args.clinicians)
    ]
    return {
        "password": password,
        "patients": [demo_data.patient_username(n) for n in range(1, args.patients + 1)],
        "clinicians": [
            {"username": name, "totp_secret": give_totp(User.objects.get(username=name))}
            for name in clinicians
        ],
    }


@contextlib.contextmanager
def gunicorn(env: dict[str, str], *, port: int, workers: int, log: Path) -> Any:
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "portal.wsgi", f"--bind=127.0.0.1:{port}",
             f"--workers={workers}", "--no-control-socket"],
            cwd=BASE_DIR, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopping it stops its workers
        )  # fmt: skip
    try:
        for _ in range(300):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=5).close()
                break
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}; log: {log}")
            time.sleep(0.2)
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def run_locust(args: argparse.Namespace, *, host: str, work: Path) -> None:
    users = args.patients + args.clinicians + args.readers
    counts = {"Patient": args.patients, "Clinician": args.clinicians, "Reader": args.readers}
    config = [{"user_class_name": name, "fixed_count": n} for name, n in counts.items()]
    command = [
        sys.executable, "-m", "locust", "-f", str(BASE_DIR / "scripts" / "locustfile.py"),
        "--headless", "--only-summary", f"--users={users}", f"--spawn-rate={users}",
        f"--run-time={args.seconds}s", "--stop-timeout=30", f"--host={host}",
        f"--accounts={work / 'accounts.json'}",
        f"--record={work / 'record.json'}", f"--repeat-rate={args.repeat_rate}",
        "--exit-code-on-error=0", "--config-users", json.dumps(config),
    ]  # fmt: skip
    # Locust's output goes to ours; it says nothing while it runs (--only-summary).
    subprocess.run(command, check=True, cwd=BASE_DIR)


def claims(
    args: argparse.Namespace, record: dict[str, Any], outage: Outage | None, times: list[float]
) -> list[tuple[bool, str]]:
    """Return each claim of docs/reliability.md about the run, and whether it held."""
    started, ended = times
    window = (outage.stopped, outage.back or ended) if outage and outage.stopped else (0, 0)
    errors = record["errors"]
    inside = [e for e in errors if e["start"] <= window[1] and e["end"] >= window[0]]
    outside = [e for e in errors if e not in inside]
    not_503 = [e for e in inside if e["status"] != 503 or not e["retry_after"]]
    acks = record["ack_times"]
    slices = range(int(min(acks, default=ended)) + 1, int(ended) - SLICE_SECONDS, SLICE_SECONDS)
    empty = [
        f"{low - started:.0f}s"
        for low in slices
        if not (low <= window[1] and low + SLICE_SECONDS >= window[0])
        and not any(low <= t < low + SLICE_SECONDS for t in acks)
    ]
    logged_in = {kind: len(names) for kind, names in record["logged_in"].items()}
    expected = {"patient": args.patients, "clinician": args.clinicians}
    held = logged_in == expected and len(record["acked"]) == args.patients and not empty
    repeats = record["repeat_problems"]
    result = [
        (not record["problems"], f"acknowledged writes = rows stored: {record['problems'][:3]}"),
        (not repeats, f"{record['repeats']} forms sent twice added nothing {repeats[:3]}"),
        (not outside, f"no 5xx or unanswered request outside an outage: {outside[:2]}"),
        (not not_503, f"{len(inside)} errors in the outage, all 503 + Retry-After {not_503[:2]}"),
        (not record["unexpected"], f"no unexpected answer: {record['unexpected'][:3]}"),
        (held, f"load held: logged in {logged_in}, {len(record['acked'])} patients had writes "
               f"acknowledged; {SLICE_SECONDS} s slices without one: {empty or 'none'}"),
        (record["gunicorn_ok"], "gunicorn ran throughout, no worker timed out"),
    ]  # fmt: skip
    if outage is not None:
        back = outage.back or ended
        first = min((t for t in acks if t > back), default=float("nan"))
        result.append(
            (
                bool(outage.stopped) and first == first and not outage.error,
                f"PostgreSQL stopped at {(outage.stopped or started) - started:.1f} s, answered "
                f"{back - (outage.stopped or back):.1f} s later; next write acknowledged "
                f"{first - back:.2f} s after that {outage.error}",
            )
        )
    return result


def summary(record: dict[str, Any], cpu: dict[str, float]) -> str:
    """Return Locust's totals, the writes acknowledged and who used the CPU."""
    total, after, writes = record["total"], record["after_login"], record["by_name"]
    acked = {
        w: sum(len(p.get(w, [])) for p in record["acked"].values()) for w in ("episode", "drink")
    }
    return (
        f"{total['requests']} requests ({total['per_second']}/s), {total['failures']} failed; "
        f"p50 {total['p50_ms']} ms, p95 {total['p95_ms']} ms; after login: "
        f"{after['requests']} ({after['per_second']}/s), p50 {after['p50_ms']} ms, "
        f"p95 {after['p95_ms']} ms\n"
        f"writes acknowledged: {acked}; episode posts p50/p95 {writes['episode']['p50_ms']}/"
        f"{writes['episode']['p95_ms']} ms, drink posts {writes['drink']['p50_ms']}/"
        f"{writes['drink']['p95_ms']} ms\n"
        "CPU seconds while Locust ran: "
        + ", ".join(f"{kind} {seconds:.1f}" for kind, seconds in cpu.items())
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--clinicians", type=int, default=3, help="the first is the busy one")
    parser.add_argument("--readers", type=int, default=10, help="anonymous readers")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--years", type=float, default=1.0, help="of demo history per patient")
    parser.add_argument("--repeat-rate", type=float, default=0.05, help="forms sent twice")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--restart-db", action="store_true", help="stop PostgreSQL mid-run")
    parser.add_argument("--restart-at", type=float, default=20)
    parser.add_argument("--down-seconds", type=float, default=5)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--database-url", default=os.environ.get("LOADTEST_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    args = parser.parse_args()
    if not database_name(args.database_url).endswith("_load"):
        parser.error("the database name must end in _load: it is dropped and created again")
    if args.clinicians < 1:
        parser.error("--clinicians must be at least 1")
    return args


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    env = django_env(args.database_url)
    os.environ.update(env)
    work = Path(tempfile.mkdtemp(prefix="backcramp-load-"))
    created, outage = False, None
    try:
        if args.restart_db and (others := other_clients(args.database_url)):
            say(f"Not run: other clients use this PostgreSQL server {others}")
            return 2
        recreate_database(args.database_url)
        created = True
        say(f"Filling {database_name(args.database_url)}; files in {work}")
        accounts = prepare(args, secrets.token_urlsafe(18))
        (work / "accounts.json").write_text(json.dumps(accounts))
        before = stored_writes(accounts["patients"])
        connections.close_all()
        port = 8700 + os.getpid() % 1000
        with gunicorn(env, port=port, workers=args.workers, log=work / "gunicorn.log") as server:
            if args.restart_db:
                outage = Outage(url=args.database_url, at=args.restart_at, down=args.down_seconds)
                outage.start()
            monitor = CpuMonitor(pgid=server.pid, database=database_name(args.database_url))
            monitor.start()
            started = time.time()
            run_locust(args, host=f"http://127.0.0.1:{port}", work=work)
            cpu, ended = monitor.finish(), time.time()
            if outage:
                outage.join()
            log = (work / "gunicorn.log").read_text(errors="replace")
            alive = server.poll() is None
        connections.close_all()
        record = json.loads((work / "record.json").read_text())
        record["problems"] = compare(record, before, stored_writes(accounts["patients"]))
        record["gunicorn_ok"] = alive and "WORKER TIMEOUT" not in log
        results = claims(args, record, outage, [started, ended])
        say(summary(record, cpu))
        for passed, text in results:
            say(f"{'PASS' if passed else 'FAIL'}  {text}")
        passed = all(passed for passed, _text in results)
        say(f"Result: {'PASS' if passed else f'FAIL (files kept in {work})'}")
        if passed:
            shutil.rmtree(work)
        return 0 if passed else 1
    except KeyboardInterrupt:
        say("Interrupted")
        return 130
    except (OSError, RuntimeError, subprocess.CalledProcessError, psycopg.Error) as error:
        say(f"Could not run the load check: {error!r} (files in {work})")
        return 2
    finally:
        if outage is not None:  # never leave PostgreSQL stopped
            outage.cancelled.set()
            outage.join()
        if created and not args.keep_db:
            with contextlib.suppress(Exception):
                connections.close_all()
            recreate_database(args.database_url, drop_only=True)


if __name__ == "__main__":
    sys.exit(main())
