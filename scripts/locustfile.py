"""Locust scenarios for the portal: patients logging, clinicians reading their queue, readers.

    locust -f scripts/locustfile.py --headless --host http://127.0.0.1:8000 \\
        --accounts accounts.json --record record.json -u 60 -r 60 -t 60s --stop-timeout 30

Normally started by scripts/load_check.py, which makes the database, the accounts file and the
server, then compares the record with the rows stored. The accounts file is JSON:
{"password": "...", "patients": ["name", ...], "clinicians": [{"username": "...",
"totp_secret": "..."}, ...]}; each patient and clinician account is used by one simulated user.

Patients log in through the login form, then log episodes (the full form) and drinks (the
quick-add forms), reading each form first for its CSRF token and submission key, and follow the
redirect as a browser does. A write is acknowledged when the POST answers with the redirect to
the page that shows it; a server error or no answer sends the same form again (same key, so the
repeat is safe) until it is acknowledged or the run's --stop-timeout runs out. Some forms are
sent twice on purpose, as a double click does. The record lists every acknowledged key per
patient, the writes never acknowledged, every server error with its time, and every other
unexpected answer.
"""

import base64
import datetime
import hashlib
import hmac
import json
import random
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from locust import FastHttpUser, between, events, task
from locust.env import Environment
from locust.stats import RequestStats, StatsEntry

LOGIN_PATH = "/accounts/login/"
SECOND_FACTOR_PATH = "/accounts/2fa/authenticate/"
EPISODE_PATH = "/tracker/episodes/new/"
DRINKS_PATH = "/tracker/drinks/"
DRINK_ADD_PATH = "/tracker/drinks/add/"
# After an episode: its page, its first detail step (issue 18), or the red-flag advice.
EPISODE_DONE = re.compile(r"^/tracker/(episodes/\d+/(details/[a-z-]+/)?|advice/)$")
DRINK_DONE = re.compile(r"^/tracker/(drinks/(\d{4}-\d{2}-\d{2}/)?|)$")
PATIENT_LINK = re.compile(r'href="(/clinic/patients/\d+/)"')
ARTICLE_LINK = re.compile(r'href="(/articles/[a-z0-9-]+/)"')
SEARCH_WORDS = ["cramp", "stretch", "water", "sleep", "magnesium", "night", "walking"]
RETRY_PAUSE = 0.5


# Reading forms out of pages


@dataclass
class HtmlForm:
    action: str
    inputs: list[dict[str, str]] = field(default_factory=list)
    selects: dict[str, list[str]] = field(default_factory=dict)

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


def find_form(page: str, field_name: str, action: str | None = None) -> HtmlForm | None:
    """Return the first form with this field (and this action, if given)."""
    for form in read_forms(page):
        if field_name in form.names() and (action is None or form.action == action):
            return form
    return None


def episode_data(form: HtmlForm, rng: random.Random) -> dict[str, Any]:
    """Fill the episode form as a patient would: an episode that started and stopped recently."""
    # The form's initial start is "now" where the patient is; work in that wall time.
    now = datetime.datetime.combine(
        datetime.date.fromisoformat(form.value("start_date")),
        datetime.time.fromisoformat(form.value("start_time")),
        tzinfo=datetime.UTC,
    )
    minutes_ago = rng.randint(30, 600)
    start = now - datetime.timedelta(minutes=minutes_ago)
    end = start + datetime.timedelta(minutes=rng.randint(5, minutes_ago))
    triggers = [c for c in form.choices("triggers") if c not in {"other", "none_identified"}]
    data: dict[str, Any] = {
        **form.hidden(),
        "start_date": start.date().isoformat(),
        "start_time": start.strftime("%H:%M"),
        "status": "ended",
        "end_date": end.date().isoformat(),
        "end_time": end.strftime("%H:%M"),
        "severity": rng.choice(form.choices("severity")),
        "triggers": rng.sample(triggers, k=min(len(triggers), rng.randint(0, 2))),
        "activity": rng.choice(["gardening", "lifting a box", "sitting at a desk", ""]),
        "notes": "Logged by the load test.",
    }
    for name, options in form.selects.items():
        if rng.random() < 0.3:
            data[name] = rng.choice(options)
    return data


def totp_code(secret: str, *, at: float) -> str:
    """Return the code an authenticator app shows at `at` (RFC 6238: SHA-1, 6 digits, 30 s)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    digest = hmac.new(key, (int(at) // 30).to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(int.from_bytes(digest[offset : offset + 4], 'big') & 0x7FFFFFFF) % 10**6:06d}"


# What the run records for the check


@dataclass
class Record:
    acked: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    ack_times: list[float] = field(default_factory=list)
    pending: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # key: who, what, why
    errors: list[dict[str, Any]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    logged_in: dict[str, list[str]] = field(default_factory=dict)
    repeats: int = 0
    repeat_problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "acked": self.acked,
            "ack_times": self.ack_times,
            "unacked": [[who, what, key, why] for key, (who, what, why) in self.pending.items()],
            "errors": self.errors,
            "unexpected": self.unexpected,
            "logged_in": self.logged_in,
            "repeats": self.repeats,
            "repeat_problems": self.repeat_problems,
        }


RECORD = Record()
ACCOUNTS: dict[str, Any] = {"patients": [], "clinicians": []}


@events.init_command_line_parser.add_listener
def add_options(parser: Any) -> None:
    parser.add_argument("--accounts", default="", help="JSON file of the accounts to log in as")
    parser.add_argument("--record", default="", help="write what was acknowledged to this file")
    parser.add_argument("--repeat-rate", type=float, default=0.05, help="forms sent twice")


@events.init.add_listener
def read_accounts(environment: Environment, **_kwargs: Any) -> None:
    if environment.parsed_options and environment.parsed_options.accounts:
        with open(environment.parsed_options.accounts) as accounts:
            ACCOUNTS.update(json.load(accounts))


@events.request.add_listener
def note_errors(
    request_type: str,
    name: str,
    response_time: float,
    response: Any,
    exception: Exception | None,
    start_time: float,
    **_kwargs: Any,
) -> None:
    """Note every server error or unanswered request with its time and Retry-After."""
    status = getattr(response, "status_code", 0) or 0
    if exception is not None and (status == 0 or status >= 500):
        RECORD.errors.append(
            {
                "start": start_time,
                "end": start_time + response_time / 1000,
                "status": status,
                "what": f"{request_type} {name}",
                "retry_after": (response.headers or {}).get("Retry-After") if status else None,
            }
        )
    elif exception is not None:
        RECORD.unexpected.append(f"{request_type} {name} answered {status}")


@events.user_error.add_listener
def note_exceptions(user_instance: Any, exception: Exception, tb: Any, **_kwargs: Any) -> None:
    """Note a scenario that broke (a page it could not read): the check fails on it."""
    RECORD.unexpected.append(f"{type(user_instance).__name__} raised {exception!r}")


def figures(entry: Any) -> dict[str, float]:
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "per_second": round(entry.total_rps, 1),
        "p50_ms": entry.get_response_time_percentile(0.5),
        "p95_ms": entry.get_response_time_percentile(0.95),
    }


def after_login(stats: RequestStats) -> StatsEntry:
    """Return the requests after logging in, together: the load a signed-in day brings."""
    signing_in = {"login page", "login", "landing page", "second factor page", "second factor"}
    entry = StatsEntry(stats, "after login", "")
    for (name, _method), each in stats.entries.items():
        if name not in signing_in:
            entry.extend(each)
    return entry


@events.quitting.add_listener
def write_record(environment: Environment, **_kwargs: Any) -> None:
    """Write the record, with Locust's figures for the whole run (all users have stopped)."""
    if environment.parsed_options and environment.parsed_options.record:
        stats = environment.stats
        with open(environment.parsed_options.record, "w") as record:
            json.dump(
                {
                    **RECORD.as_json(),
                    "total": figures(stats.total),
                    "after_login": figures(after_login(stats)),
                    "by_name": {
                        name: figures(entry) for (name, _m), entry in stats.entries.items()
                    },
                },
                record,
            )


# The simulated people


class Person(FastHttpUser):
    """Someone who signs in through the login form; the accounts file says who."""

    abstract = True
    kind = ""
    username = ""

    def log_in(self, password: str) -> bool:
        """Log in, trying again while the server is too busy; return whether it worked."""
        for _attempt in range(5):
            page = self.client.get(LOGIN_PATH, name="login page")
            form = find_form(page.text or "", "password")
            if form is not None:
                data = {**form.hidden(), "login": self.username, "password": password}
                answer = self.client.post(
                    LOGIN_PATH, data=data, name="login", allow_redirects=False
                )
                if answer.status_code == 302:
                    return self.after_login(answer.headers.get("Location", ""))
            time.sleep(RETRY_PAUSE)
        return False

    def after_login(self, location: str) -> bool:
        self.landing_page(self.client.get(location, name="landing page").text or "")
        return True

    def landing_page(self, page: str) -> None:
        """Read the first page after login."""

    def on_start(self) -> None:
        accounts = ACCOUNTS[f"{self.kind}s"]
        if not accounts:
            raise RuntimeError(f"no {self.kind} account left in the accounts file")
        account = accounts.pop()
        self.account = account
        self.username = account if isinstance(account, str) else account["username"]
        self.rng = random.Random(self.username)
        if self.log_in(ACCOUNTS["password"]):
            RECORD.logged_in.setdefault(self.kind, []).append(self.username)
        else:
            RECORD.unexpected.append(f"{self.username} could not log in")
            self.stop()


class Patient(Person):
    kind = "patient"
    wait_time = between(0, 1)

    @task(4)
    def log_episode(self) -> None:
        page = self.client.get(EPISODE_PATH, name="episode form")
        form = find_form(page.text or "", "start_date") if page.status_code == 200 else None
        if form is None:
            time.sleep(RETRY_PAUSE)
            return
        self.write("episode", EPISODE_PATH, episode_data(form, self.rng), EPISODE_DONE)

    @task(5)
    def log_drink(self) -> None:
        page = self.client.get(DRINKS_PATH, name="drinks page")
        forms = [f for f in read_forms(page.text or "") if f.action == DRINK_ADD_PATH]
        if page.status_code != 200 or not forms:
            time.sleep(RETRY_PAUSE)
            return
        data: dict[str, Any] = self.rng.choice(forms).hidden()
        data.setdefault("amount_ml", self.rng.randrange(50, 800, 50))
        self.write("drink", DRINK_ADD_PATH, data, DRINK_DONE)

    @task(1)
    def dashboard(self) -> None:
        self.client.get("/tracker/", name="dashboard")

    def write(self, what: str, path: str, data: dict[str, Any], done: re.Pattern[str]) -> None:
        """Post until acknowledged, sending the same form (same key) again after a failure."""
        key = str(data["submission_key"])
        RECORD.pending[key] = (self.username, what, "not answered")
        while True:
            answer = self.client.post(path, data=data, name=what, allow_redirects=False)
            location = answer.headers.get("Location", "") if answer.headers else ""
            if answer.status_code == 302 and done.match(location):
                break
            if answer.status_code and answer.status_code < 500:
                RECORD.pending[key] = (self.username, what, f"answered {answer.status_code}")
                RECORD.unexpected.append(f"POST {path} answered {answer.status_code} {location}")
                return
            RECORD.pending[key] = (self.username, what, f"answered {answer.status_code}")
            time.sleep(RETRY_PAUSE)
        del RECORD.pending[key]
        RECORD.acked.setdefault(self.username, {}).setdefault(what, []).append(key)
        RECORD.ack_times.append(time.time())
        if self.rng.random() < self.environment.parsed_options.repeat_rate:
            # A double click: the same form again must land on the same page and add nothing.
            RECORD.repeats += 1
            again = self.client.post(path, data=data, name=f"{what} again", allow_redirects=False)
            again_location = again.headers.get("Location", "") if again.headers else ""
            # A server error here (an outage) is judged with the other errors.
            if again.status_code and again.status_code < 500 and again_location != location:
                RECORD.repeat_problems.append(f"{again.status_code} {again_location}")
        self.client.get(location, name=f"{what}: page after")


class Clinician(Person):
    kind = "clinician"
    wait_time = between(1, 3)
    patient_pages: list[str] = []

    def after_login(self, location: str) -> bool:
        """Give the second factor, as production asks of clinicians."""
        if location != SECOND_FACTOR_PATH:
            RECORD.unexpected.append(f"{self.username}: login went to {location}, not 2FA")
            return False
        page = self.client.get(location, name="second factor page")
        form = find_form(page.text or "", "code")
        if form is None:
            return False
        data = {**form.hidden(), "code": totp_code(self.account["totp_secret"], at=time.time())}
        answer = self.client.post(location, data=data, name="second factor", allow_redirects=False)
        if answer.status_code != 302:
            RECORD.unexpected.append(
                f"{self.username}: second factor answered {answer.status_code}"
            )
            return False
        return super().after_login(answer.headers.get("Location", ""))

    def on_start(self) -> None:
        super().on_start()
        self.open_patient()  # from the queue, where a clinician lands

    def landing_page(self, page: str) -> None:
        """Note the patients in the queue, where a clinician lands."""
        self.patient_pages = PATIENT_LINK.findall(page)

    @task(2)
    def queue(self) -> None:
        self.landing_page(self.client.get("/clinic/", name="clinic queue").text or "")

    @task(3)
    def open_patient(self) -> None:
        if self.patient_pages:
            self.client.get(self.rng.choice(self.patient_pages), name="clinic patient")


class Reader(FastHttpUser):
    """An anonymous visitor reading the home page, the articles, and searching."""

    wait_time = between(1, 5)
    articles: list[str] = []

    def on_start(self) -> None:
        self.rng = random.Random()
        self.articles = sorted(
            set(ARTICLE_LINK.findall(self.client.get("/articles/", name="articles").text or ""))
        )

    @task
    def home(self) -> None:
        self.client.get("/", name="home")

    @task(3)
    def article(self) -> None:
        if self.articles:
            self.client.get(self.rng.choice(self.articles), name="article")

    @task
    def search(self) -> None:
        self.client.get(f"/search/?q={self.rng.choice(SEARCH_WORDS)}", name="search")
