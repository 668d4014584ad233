"""The admin's Markdown editor: its widget, and the staff-only preview it asks as the editor
writes (education:draft_preview)."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from education.widgets import EDITOR_ROWS, MarkdownEditor
from education.widgets import PREVIEW_MAX_CHARS as DRAFT_PREVIEW_MAX_CHARS
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = reverse("education:draft_preview")

DRAFT = """## Heat for a spasm

A warm towel can ease a tight muscle. Wrap a heat pack in a cloth first.

- Keep it on for a short time.
- Check your skin often.

<script>window.staged = 'script'</script>
<img src="x" onerror="window.staged = 'event'">
[Read more](javascript:alert(1)) about heat and cold at home.
"""


@pytest.fixture
def editor_client(erin: User) -> Client:
    return client_for(erin)


def test_anonymous_visitor_is_sent_to_sign_in(anonymous: Client) -> None:
    response = anonymous.post(URL, {"text": DRAFT})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_patient_gets_not_found(alice: User) -> None:
    response = client_for(alice).post(URL, {"text": DRAFT})

    assert response.status_code == 404


def test_a_clinician_without_the_editors_rights_gets_not_found(bob: User) -> None:
    assert client_for(bob).post(URL, {"text": DRAFT}).status_code == 404


def test_get_is_not_allowed(editor_client: Client) -> None:
    assert editor_client.get(URL).status_code == 405


def test_editor_gets_the_sites_own_sanitised_rendering(editor_client: Client) -> None:
    response = editor_client.post(URL, {"text": DRAFT})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert "<h2>Heat for a spasm</h2>" in data["html"]
    assert "<li>Keep it on for a short time.</li>" in data["html"]
    assert "<script" not in data["html"]
    assert "window.staged" not in data["html"]
    assert "onerror" not in data["html"]
    assert 'href="javascript' not in data["html"]
    assert data["target"] == [9, 11]


def test_editor_gets_the_reading_age_and_what_to_fix(editor_client: Client) -> None:
    data = editor_client.post(URL, {"text": DRAFT}).json()

    assert isinstance(data["reading_age"], float)
    assert data["words"] >= 30
    assert data["sentences"] >= 6
    assert isinstance(data["hardest"], list)
    assert f"Reading age about {data['reading_age']:.1f} (target 9 to 11)" in data["summary"]
    assert data["verdict"] in {"below", "within", "above"}


def test_a_hard_draft_is_said_to_be_too_hard_in_words(editor_client: Client) -> None:
    hard = (
        "Pharmacological management of musculoskeletal spasm necessitates individualised "
        "consideration of contraindications, particularly gastrointestinal, cardiovascular "
        "and renal vulnerabilities, which require comprehensive evaluation by appropriately "
        "qualified practitioners before initiation. Subsequent reassessment should "
        "incorporate standardised functional questionnaires."
    )

    data = editor_client.post(URL, {"text": hard}).json()

    assert data["verdict"] == "above"
    assert "too hard" in data["summary"]
    assert data["hardest"][0].startswith("Pharmacological management")


def test_too_little_text_has_no_age_and_says_so(editor_client: Client) -> None:
    data = editor_client.post(URL, {"text": "Keep moving."}).json()

    assert data["reading_age"] is None
    assert data["verdict"] == "unknown"
    assert "Too little text" in data["summary"]


def test_an_empty_post_is_an_empty_preview(editor_client: Client) -> None:
    data = editor_client.post(URL).json()

    assert data["html"] == ""
    assert data["reading_age"] is None
    assert data["words"] == 0


def test_over_long_text_is_refused_with_a_message(editor_client: Client) -> None:
    response = editor_client.post(URL, {"text": "a" * (DRAFT_PREVIEW_MAX_CHARS + 1)})

    assert response.status_code == 400
    error = response.json()["error"]
    assert "too long" in error
    assert "100,000" in error
    assert "100,001" in error


def test_text_at_the_limit_is_previewed(editor_client: Client) -> None:
    response = editor_client.post(URL, {"text": "word " * (DRAFT_PREVIEW_MAX_CHARS // 5)})

    assert response.status_code == 200


def test_the_preview_needs_the_csrf_token(erin: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(erin)

    assert client.post(URL, {"text": DRAFT}).status_code == 403

    client.get(reverse("admin:index"))  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    response = client.post(URL, {"text": DRAFT}, headers={"X-CSRFToken": token})
    assert response.status_code == 200


def test_the_preview_is_never_cached(editor_client: Client) -> None:
    response = editor_client.post(URL, {"text": DRAFT})

    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


# --- The widget --------------------------------------------------------------------------------


def test_widget_is_a_tall_textarea_that_works_without_javascript() -> None:
    html = MarkdownEditor().render("body", "## Heat\n\nA warm towel.", attrs={"id": "id_body"})

    assert '<textarea name="body"' in html
    assert f'rows="{EDITOR_ROWS}"' in html
    assert EDITOR_ROWS >= 20
    assert "## Heat\n\nA warm towel.</textarea>" in html
    assert f'data-preview-url="{URL}"' in html
    # The toolbar and the preview wait in an inert template until the script uses them.
    assert '<template class="markdown-editor-parts">' in html
    assert '<markdown-toolbar for="id_body"' in html
    assert 'data-md-button="header-2"' in html
    assert 'data-md-button="unordered-list"' in html
    assert 'data-md-button="link"' in html
    assert f'data-max-chars="{DRAFT_PREVIEW_MAX_CHARS}"' in html
    assert "more than 100,000 characters" in html


def test_widget_media_is_served_by_the_site() -> None:
    media = str(MarkdownEditor().media)

    assert "/static/vendor/markdown-toolbar-element/index." in media
    assert "/static/js/staff/markdown-editor." in media
    assert "/static/css/staff/markdown-editor." in media
    assert "/static/css/staff/admin-education." in media
    assert media.count('type="module"') == 2
    assert "//" not in media.replace("://", "")  # no other host, no protocol-relative URL
    assert "http" not in media
