"""The privacy notice and the terms of use (issue 19): true to the code, versioned in one place,
linked from every page."""

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from accounts import consent
from education.readability import READING_AGE_TARGET, reading_report
from notifications.services import KEEP
from tests.conftest import client_for, make_article

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# The fingerprint of each text in its current version. A failure here means the text changed:
# if the change matters to people (what is kept, who sees it, how long, their rights, the rules),
# raise the version in accounts/consent.py and say what changed, so everyone is asked again;
# for a typo, record the new fingerprint only. Either way, a person decides.
FINGERPRINTS = {
    ("portal/privacy.html", 1): "0573d9b46ddab2bc743f62e5fbc136ff6fb6eedeceb14f2541797d88fc29341d",
    ("portal/terms.html", 1): "fc3935009c3b43bc1f2be871e655541149771bfc1a94be366dadc87396972fd3",
}


def fingerprint(name: str) -> str:
    return hashlib.sha256((TEMPLATES / name).read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("name", "document"),
    [("portal/privacy.html", "PRIVACY_NOTICE"), ("portal/terms.html", "TERMS")],
)
def test_a_changed_text_comes_with_a_decision_about_its_version(name, document) -> None:
    version = getattr(consent, document).version
    assert (name, version) in FINGERPRINTS, f"no fingerprint recorded for {name} version {version}"
    assert fingerprint(name) == FINGERPRINTS[name, version], (
        f"{name} changed: raise {document} in accounts/consent.py if the change matters to "
        f"people, then record {fingerprint(name)} in FINGERPRINTS"
    )


@pytest.mark.parametrize(
    ("url", "document", "title"),
    [("privacy", "PRIVACY_NOTICE", "Privacy notice"), ("terms", "TERMS", "Terms of use")],
)
@pytest.mark.parametrize("who", ["anonymous", "alice"])
def test_each_text_shows_the_version_and_date_held_in_code(
    request, url, document, title, who
) -> None:
    client = Client() if who == "anonymous" else client_for(request.getfixturevalue("alice"))
    shown = getattr(consent, document)

    response = client.get(reverse(url))

    assert response.status_code == 200
    page = response.content.decode()
    assert f"<h1>{title}</h1>" in page
    date = f"{shown.published.day} {shown.published:%B %Y}"
    assert f"Version {shown.version} — {date}" in page
    for change in shown.changes:
        assert escape(str(change)) in page


@pytest.mark.django_db
def test_the_shown_version_is_the_one_in_code(monkeypatch) -> None:
    newer = consent.Document(version=7, published=consent.PRIVACY_NOTICE.published, changes=())
    monkeypatch.setattr(consent, "PRIVACY_NOTICE", newer)

    page = Client().get(reverse("privacy")).content.decode()

    assert "Version 7 — " in page
    assert f"Version {consent.TERMS.version} — " not in page or consent.TERMS.version == 7


@pytest.mark.django_db
def test_the_notice_says_what_the_code_does(settings) -> None:
    settings.PORTAL_PRIVACY_CONTACT_EMAIL = "dpo@clinic.example"
    page = Client().get(reverse("privacy")).content.decode()

    for fact in (
        # What is stored: the diary, and what keeps the account safe.
        "Each episode you log",
        "Your answers to the safety questions",
        "A record of every time a clinician looks at or downloads your diary",
        "the internet address and the kind of browser",
        "They never hold what you type, your searches or your diary.",
        # Who sees it.
        "Only the clinicians you share with.",
        "Only staff who are given permission to see health information can also see",
        "They cannot see your diary.",
        "see nothing about patients.",
        # How long.
        "while your account is open",
        f"Copies of the e-mails and notifications we sent you: {KEEP.days} days.",
        f"after {settings.SESSION_IDLE_MINUTES_PATIENT} minutes without using the portal",
        "Your data stays in older backups until those backups are deleted.",
        "We cannot delete copies a clinician already downloaded.",
        # Why, and taking it back.
        "UK GDPR, Article 9(2)(a)",
        "To do that, delete your account",
        # Cookies.
        "“sessionid”",
        "“csrftoken”",
        # Whom to ask.
        'href="mailto:dpo@clinic.example"',
        "Information Commissioner's Office",
    ):
        assert fact in page, fact


@pytest.mark.django_db
def test_the_notice_links_to_the_pages_that_download_change_and_delete(alice) -> None:
    page = Client().get(reverse("privacy")).content.decode()
    client = client_for(alice)

    for name in ("tracker:your_data", "profile", "clinic:sharing"):
        assert f'href="{reverse(name)}' in page, name
        assert client.get(reverse(name)).status_code == 200, name
    assert f'href="{reverse("tracker:your_data")}#delete-heading"' in page
    your_data = client.get(reverse("tracker:your_data")).content.decode()
    assert 'id="delete-heading"' in your_data
    assert f'action="{reverse("tracker:account_delete")}"' in your_data
    assert f'href="{reverse("tracker:export_json")}"' in your_data


@pytest.mark.django_db
@pytest.mark.parametrize("number", ["999", "112", "911"])
def test_the_terms_say_it_is_not_an_emergency_service_with_the_local_number(
    settings, number
) -> None:
    settings.PORTAL_EMERGENCY_NUMBER = number
    page = Client().get(reverse("terms")).content.decode()

    assert "This is not an emergency service" in page
    assert f'<a href="tel:{number}">call {number}</a>' in page
    assert "it does not diagnose" in page
    assert "If you are a clinician" in page
    assert f'href="{reverse("get_help")}"' in page


FOOTER = re.compile(r'href="/privacy/">Privacy</a>.*?href="/terms/">Terms</a>', re.S)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["home", "get_help", "education:article_list", "account_login", "account_signup", "privacy"],
)
def test_every_public_page_links_the_privacy_notice_and_terms(url) -> None:
    assert FOOTER.search(Client().get(reverse(url)).content.decode()), url


@pytest.mark.django_db
def test_pages_of_signed_in_people_link_them_too(alice, bob) -> None:
    make_article(slug="causes")
    for client, url in (
        (client_for(alice), reverse("tracker:dashboard")),
        (client_for(alice), reverse("education:article_detail", args=["causes"])),
        (client_for(bob), reverse("clinic:queue")),
    ):
        assert FOOTER.search(client.get(url).content.decode()), url


@pytest.mark.django_db
def test_the_error_pages_link_them(anonymous) -> None:
    missing = anonymous.get("/no-such-page/")
    assert missing.status_code == 404
    assert FOOTER.search(missing.content.decode())
    for name in ("500.html", "503.html"):
        page = engines["django"].get_template(name).render({"emergency_number": "999"})
        assert FOOTER.search(page), name


@pytest.mark.django_db
def test_the_admin_links_them(anonymous, erin) -> None:
    assert FOOTER.search(anonymous.get(reverse("admin:login")).content.decode())
    assert FOOTER.search(client_for(erin).get(reverse("admin:index")).content.decode())


@pytest.mark.parametrize(
    "name", ["portal/privacy.html", "portal/terms.html", "accounts/consent.html"]
)
def test_every_word_on_these_pages_goes_through_translation(name) -> None:
    text = (TEMPLATES / name).read_text()
    text = re.sub(r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}", "", text, flags=re.S)
    text = re.sub(r"{%.*?%}|{{.*?}}|{#.*?#}", "", text, flags=re.S)
    text = re.sub(r"<[^>]+>", "", text)
    assert re.findall(r"[A-Za-z]{2,}", text) == []


class _Blocks(HTMLParser):
    """The text of each paragraph, heading and list item of a page's main part."""

    BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "label", "div"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = [""]

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.BLOCKS:
            self.blocks.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.blocks.append("")

    def handle_data(self, data: str) -> None:
        self.blocks[-1] += data


def main_text(page: str) -> str:
    parser = _Blocks()
    parser.feed(page[page.index("<main") : page.index("</main>")])
    return "\n\n".join(" ".join(block.split()) for block in parser.blocks if block.strip())


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["privacy", "terms", "accounts:consent"])
def test_the_texts_read_at_the_librarys_reading_age(alice, monkeypatch, url) -> None:
    monkeypatch.setattr(
        consent,
        "PRIVACY_NOTICE",
        consent.Document(version=99, published=consent.PRIVACY_NOTICE.published, changes=()),
    )
    page = client_for(alice).get(reverse(url)).content.decode()

    report = reading_report(main_text(page))

    low, high = READING_AGE_TARGET
    assert report.age is not None and low <= report.age <= high, (report.age, report.hardest)
