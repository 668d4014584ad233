"""Stored and reflected cross-site scripting: hostile text is shown as text on every page.

Each payload goes in through the doors people use (the profile form for names, the episode's
detail steps, the clinician's note form; the database for articles, as the admin and the library
loader write them). Then every page that shows it is parsed with html.parser and must hold no
script, event handler, dangerous URL or embedding element beyond the page's own, while still
showing the payload's marker (so the page really did render the hostile text).
"""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.db import IntegrityError
from django.test import Client
from django.test.client import ClientHandler
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from clinic.access import approve_clinician
from clinic.models import ClinicianNote, ClinicianProfile
from education.models import Source
from tests.conftest import make_article
from tests.factories import answer_red_flags, check_in, share
from tests.properties.conftest import client_with
from tracker import services
from tracker.assessment import Kind
from tracker.dashboard import patient_profile
from tracker.models import Acknowledgement, Episode, RedFlagAnswer

MARK = "zqxmark"

# Each fits a name field (150 characters) with the marker in front.
PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)"',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    "<a href=javascript:alert(1)>x</a>",
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href=" java\tscript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "<javascript:alert(1)>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '" onmouseover="alert(1)" x="',
    "' onfocus='alert(1)' autofocus '",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "--><script>alert(1)</script><!--",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>alert(1)//<</script>",
    '<iframe srcdoc="<script>alert(1)</script>">',
    '<object data="javascript:alert(1)">',
    "<embed src=javascript:alert(1)>",
    '<math><mtext><table><mglyph><style><img src=x onerror="alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<details open ontoggle=alert(1)>",
    "{{ request.user.password }}{% debug %}",
]
# Plain text fields rely on Django's escaping, which treats every payload alike (< > & " '
# become entities), so one of each kind, for each place markup could break out of (element,
# quoted attribute, textarea, title), covers them; the sanitised Markdown gets every payload.
ESCAPED_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<a href=javascript:alert(1)>x</a>",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '" onmouseover="alert(1)" x="',
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    '<img src="x" onerror="alert(1)"',
    "<scr<script>ipt>alert(1)</script>",
]
# The reference-style link needs a line of its own, so it only suits multi-line text.
MARKDOWN_ONLY = ["[x][r]\n\n[r]: javascript:alert(1)", "<div>\n\n<script>alert(1)</script>"]

URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "data", "poster", "background", "cite",
    "xlink:href", "ping", "codebase", "manifest", "lowsrc", "dynsrc",
}  # fmt: skip
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
# The page's own <link>s outside the static files: the installable app's manifest and iOS icon.
OWN_ROOT_LINKS = {"/manifest.webmanifest", "/apple-touch-icon.png"}
FORBIDDEN_TAGS = {
    "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "base",
    "style", "img", "video", "audio",
}  # fmt: skip


class PageParser(HTMLParser):
    """Collect what could run: tags with their attributes, inline script bodies, and the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text: list[str] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((self._in_script, ""))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            attrs, body = self.scripts[-1]
            self.scripts[-1] = (attrs, body + data)
        else:
            self.text.append(data)


def _scheme(value: str) -> str:
    """Return a URL as a browser reads its scheme: controls and whitespace dropped, lowercase."""
    return re.sub(r"[\x00-\x20\x7f]", "", value).lower()


def problems_in(html: str) -> list[str]:
    """Return everything in the page that could run script or load hostile content."""
    parser = PageParser()
    parser.feed(html)
    parser.close()
    found = []
    for tag, attrs in parser.tags:
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"<{tag} {name}=...>")
            if name in {"style", "srcdoc"}:
                found.append(f"<{tag} {name}=...>")
            if name in URL_ATTRIBUTES and _scheme(value or "").startswith(DANGEROUS_SCHEMES):
                found.append(f"<{tag} {name}={value!r}>")
        if tag in FORBIDDEN_TAGS:
            found.append(f"<{tag}>")
        if tag == "meta" and "http-equiv" in attrs:
            found.append("<meta http-equiv>")
        href = attrs.get("href") or ""
        if tag == "link" and not (href.startswith("/static/") or href in OWN_ROOT_LINKS):
            found.append(f"<link href={attrs.get('href')!r}>")
        if tag == "form" and not (attrs.get("action") or "/").startswith(("/", "?")):
            found.append(f"<form action={attrs.get('action')!r}>")
    for attrs, body in parser.scripts:
        own_file = (attrs.get("src") or "").startswith("/static/") and not body.strip()
        # json_script escapes <, > and &, so a data block cannot be closed early, and it never runs.
        data_block = attrs.get("type") == "application/json"
        if not (own_file or data_block):
            found.append(f"<script {attrs}>{body[:60]}")
    shown = "".join(parser.text) + "".join(
        value or "" for _tag, attrs in parser.tags for value in attrs.values()
    )
    if MARK not in shown:
        found.append(f"the marker {MARK} is not shown: the payload was not rendered here")
    return found


def assert_inert(response, page: str) -> None:
    assert response.status_code == 200, page
    assert response["Content-Type"].startswith("text/html"), page
    problems = problems_in(response.content.decode())
    assert not problems, f"{page}: {problems}"


def test_the_checker_catches_each_kind_of_live_markup() -> None:
    page = f'<p>{MARK}</p><script src="/static/js/once.js"></script>'
    assert problems_in(page) == []
    for live in [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href=" jav&#x09;ascript:alert(1)">x</a>',
        '<a href="data:text/html,x">x</a>',
        "<svg><circle/></svg>",
        '<p style="x">y</p>',
        '<meta http-equiv="refresh" content="0">',
        '<form action="https://evil.example/"></form>',
    ]:
        assert problems_in(page + live), live
    assert problems_in("<p>no marker</p>")


# Patient data: names, episode text and clinician notes


@pytest.fixture
def people(handler: ClientHandler, alice: User, bob: User) -> dict[str, object]:
    """Return alice, bob (a clinician she shares her log with) and a client for each."""
    approve_clinician(user=bob)
    share(alice, bob)
    patient_profile(alice)
    return {
        "alice": alice,
        "bob": bob,
        "alice_client": client_with(handler, alice),
        "bob_client": client_with(handler, bob),
    }


def _name(client: Client, user: User, text: str) -> None:
    response = client.post(
        reverse("profile"),
        {"first_name": text, "last_name": text, "email": user.email, "time_zone": "UTC"},
    )
    assert response.status_code == 302, response.context["form"].errors


def _episode(client: Client, text: str) -> Episode:
    """Log an episode with the quick log, then give its free text in the steps that ask it."""
    started = timezone.now() - datetime.timedelta(hours=2)
    response = client.post(
        reverse("tracker:episode_create"),
        {
            "submission_key": "0b4f6d0e-6d3c-4f8e-9a57-2f1f3f9d6a10",
            "start_date": started.date().isoformat(),
            "start_time": started.strftime("%H:%M"),
            "severity": "6",
            "status": "ongoing",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    episode = Episode.objects.get()
    for step, data in (
        ("triggers", {"activity": text[:200], "trigger_other": text[:200]}),
        ("notes", {"notes": text}),
    ):
        response = client.post(reverse("tracker:episode_step", args=[episode.pk, step]), data)
        assert response.status_code == 302, response.context["form"].errors
    episode.refresh_from_db()
    return episode


@pytest.mark.parametrize("payload", ESCAPED_PAYLOADS)
def test_names_episode_text_and_notes_are_inert_on_every_page(
    people: dict[str, object], payload: str
) -> None:
    alice, bob = people["alice"], people["bob"]
    alice_client, bob_client = people["alice_client"], people["bob_client"]
    text = f"{MARK} {payload}"
    _name(alice_client, alice, text)
    # A clinician cannot rename themselves (issue 17): staff set the names patients see.
    User.objects.filter(pk=bob.pk).update(last_name=text)
    ClinicianProfile.objects.filter(user=bob).update(display_name=text)
    episode = _episode(alice_client, text)
    answer_red_flags(alice, "fever")
    answer = RedFlagAnswer.objects.get(patient=alice, code="fever")
    note = bob_client.post(reverse("clinic:note_add", args=[alice.pk]), {"text": text})
    assert note.status_code == 302
    # Sixteen days of symptoms raise the two-week flag, whose acknowledgement names bob.
    today = timezone.now().astimezone(alice.zone).date()
    for n in range(16):
        check_in(alice, day=today - datetime.timedelta(days=n), severity=3)
    two_week = services.status_for(alice, now=timezone.now()).assessment.reason(Kind.TWO_WEEK)
    shown = {"kind": "persistence", "first": two_week.first, "last": two_week.last, "worst": 3}
    for seen in ({"red_flag": answer.pk}, shown):
        response = bob_client.post(reverse("clinic:acknowledge", args=[alice.pk]), seen)
        assert response.status_code == 302
    assert Acknowledgement.objects.filter(patient=alice).count() == 2
    # A message from bob (issue 20), shown on her dashboard and her messages page.
    message = bob_client.post(
        reverse("clinic:message_send", args=[alice.pk]),
        {"text": text, "key": "8b0f5a52-3f4e-4c1a-9d55-0e6f1f0c2a11"},
    )
    assert message.status_code == 302
    alice.refresh_from_db()
    bob.refresh_from_db()
    stored = [
        alice.first_name,
        bob.last_name,
        bob.clinician_profile.display_name,
        episode.notes,
        ClinicianNote.objects.get().text,
    ]
    assert stored == [text] * 5

    alices_pages = {
        "dashboard (bob saw the flag)": reverse("tracker:dashboard"),
        "episode": reverse("tracker:episode_detail", args=[episode.pk]),
        "triggers step (activity, something else)": reverse(
            "tracker:episode_step", args=[episode.pk, "triggers"]
        ),
        "notes step": reverse("tracker:episode_step", args=[episode.pk, "notes"]),
        "advice (bob saw it)": reverse("tracker:advice"),
        "sharing (bob's name)": reverse("clinic:sharing"),
        "who looked (bob's name)": reverse("clinic:access_log"),
        "messages (bob's name and message)": reverse("clinic:messages"),
        "profile": reverse("profile"),
    }
    bobs_pages = {
        "queue": reverse("clinic:queue"),
        "patient view": reverse("clinic:patient_detail", args=[alice.pk]),
        "printable summary": reverse("clinic:summary", args=[alice.pk]),
    }
    for page, path in alices_pages.items():
        assert_inert(alice_client.get(path), page)
    for page, path in bobs_pages.items():
        assert_inert(bob_client.get(path), page)
    assert_inert(bob_client.post(reverse("clinic:queue"), {"q": "zqxmark"}, follow=True), "search")


def test_the_episode_list_shows_no_free_text_at_all(people: dict[str, object]) -> None:
    """The history lists dates and codes only, so a payload cannot even reach it."""
    _episode(people["alice_client"], f"{MARK} <script>alert(1)</script>")

    content = people["alice_client"].get(reverse("tracker:episode_list")).content.decode()

    assert MARK not in content


def test_the_downloads_are_files_not_pages(people: dict[str, object]) -> None:
    """JSON and CSV carry the text as it was typed; no browser may read them as HTML."""
    alice = people["alice"]
    _episode(people["alice_client"], f"{MARK} <script>alert(1)</script>")
    downloads = [
        (people["alice_client"], reverse("tracker:export_json")),
        (people["alice_client"], reverse("tracker:export_csv")),
        (people["bob_client"], reverse("clinic:export_csv", args=[alice.pk])),
        (people["bob_client"], reverse("clinic:export_fhir", args=[alice.pk])),
    ]
    for client, path in downloads:
        response = client.get(path)
        assert response.status_code == 200, path
        assert not response["Content-Type"].startswith("text/"), path
        assert response["Content-Disposition"].startswith("attachment"), path
        assert response["X-Content-Type-Options"] == "nosniff", path


# Articles: the Markdown body through the sanitiser, and every plain field around it


@pytest.mark.parametrize("payload", PAYLOADS + MARKDOWN_ONLY)
def test_article_text_is_inert_on_every_page_that_shows_it(
    handler: ClientHandler, erin: User, payload: str
) -> None:
    text = f"{MARK} {payload}"
    article = make_article(
        slug="hostile",
        title=text[:200],
        summary=text[:300],
        body=f"{MARK}\n\n{payload}\n\nSome **bold** text. {payload}\n",
        steps=(text,),
        starting_position=text,
    )
    article.hold = article.repetitions = text[:200]
    article.cautions = f"{text}\n{text}"
    article.reviewed_by = text[:200]
    article.featured = True
    article.save()
    Source.objects.filter(article=article).update(title=text[:300], publisher=text[:200])
    anonymous = client_with(handler)
    pages = {
        "article": article.get_absolute_url(),
        "article list": reverse("education:article_list"),
        "category": reverse("education:category", args=[article.category]),
        "search": reverse("education:search") + "?q=zqxmark",
        "home (featured)": reverse("home"),
    }

    for page, path in pages.items():
        assert_inert(anonymous.get(path), page)
    assert_inert(client_with(handler, erin).get(article.get_preview_url()), "preview")


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "vbscript:x"]
)
def test_a_source_link_can_only_be_a_web_address(db: None, url: str) -> None:
    article = make_article(slug="sourced")

    with pytest.raises(IntegrityError):
        Source.objects.create(article=article, title="T", publisher="P", year=2024, url=url)


# Reflected: what a visitor types comes back in the page


@pytest.mark.parametrize("payload", ESCAPED_PAYLOADS)
def test_typed_text_echoed_back_is_inert(
    handler: ClientHandler, alice: User, bob: User, payload: str
) -> None:
    approve_clinician(user=bob)
    patient_profile(alice)
    text = f"{MARK} {payload}"
    anonymous = client_with(handler)
    alice_client = client_with(handler, alice)
    echoes = {
        "search": anonymous.get(reverse("education:search"), {"q": text[:200]}),
        "login": anonymous.post(reverse("account_login"), {"login": text, "password": "x"}),
        "signup": anonymous.post(reverse("account_signup"), {"username": text, "email": text}),
        "queue search": client_with(handler, bob).post(
            reverse("clinic:queue"), {"q": text}, follow=True
        ),
        "profile time zone": alice_client.post(
            reverse("profile"), {"first_name": text, "time_zone": text}
        ),
        "sharing code": alice_client.post(reverse("clinic:sharing"), {"code_or_email": text}),
        "drink amount": alice_client.post(
            reverse("tracker:drink_add"), {"amount_ml": text, "day": text}
        ),
        "check-in day": alice_client.post(reverse("tracker:checkin"), {"day": text}),
        "history filter": alice_client.post(
            reverse("tracker:episode_list"), {"since": text, "until": text}
        ),
    }
    for page, response in echoes.items():
        assert_inert(response, page)
