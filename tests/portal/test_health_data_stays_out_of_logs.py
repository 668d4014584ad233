"""Health data never reaches the logs, or the addresses that logs and browser history keep."""

import logging
import runpy
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from clinic.access import approve_clinician
from tests.conftest import client_for
from tests.factories import share
from tests.tracker.test_episode_views import quick_log
from tracker.models import Episode

MARK = "zqxhealth"


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def logged_text(caplog: pytest.LogCaptureFixture) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def test_what_a_patient_and_clinician_type_is_never_logged(
    everything_logged, alice, bob, charlie
) -> None:
    approve_clinician(user=bob)
    share(alice, bob)
    alice_client, bob_client = client_for(alice), client_for(bob)
    create = reverse("tracker:episode_create")

    # A saved episode with its details, refused input and a red-flag answer, holding the mark.
    saved = alice_client.post(create, quick_log())
    assert saved.status_code == 302
    episode = Episode.objects.get(patient=alice)
    for step, data, status in (
        ("triggers", {"activity": f"{MARK} activity", "trigger_other": f"{MARK} other"}, 302),
        ("notes", {"notes": f"{MARK} note"}, 302),
        ("where", {"spread": ["both_legs"], "side_lower": f"{MARK} side"}, 200),
        ("where", {"spread": ["both_legs"]}, 302),
        ("triggers", {"activity": f"{MARK} refused", "triggers": ["other"]}, 200),
    ):
        url = reverse("tracker:episode_step", args=[episode.pk, step])
        assert alice_client.post(url, data).status_code == status, (step, data)
    assert episode.red_flags.get().code == "both_legs"
    refused = alice_client.post(create, quick_log(start_time=f"{MARK} time"))
    assert refused.status_code == 200
    refused = alice_client.post(create, quick_log(status=MARK), HTTP_ACCEPT="application/json")
    assert refused.status_code == 400
    alice_client.post(reverse("tracker:episode_list"), {"trigger": "cold", "since": MARK})
    # Another person's episode is a 404, and Django logs the 404's path: only an id.
    assert client_for(charlie).get(episode.get_absolute_url()).status_code == 404
    # The clinician searches for her, writes a note and downloads her data.
    bob_client.post(reverse("clinic:queue"), {"q": f"{MARK} search"})
    note = reverse("clinic:note_add", args=[alice.pk])
    assert bob_client.post(note, {"text": f"{MARK} clinician note"}).status_code == 302
    assert bob_client.get(reverse("clinic:export_csv", args=[alice.pk])).status_code == 200
    # A failed sign-in with the mark as the password.
    client_for(charlie).logout()
    client_for(charlie).post(reverse("account_login"), {"login": "alice", "password": MARK})

    text = logged_text(everything_logged)
    assert "Not Found" in text  # the capture works: the 404 above was logged
    assert MARK not in text


def test_no_patient_or_clinician_page_has_a_form_that_puts_its_fields_in_the_address() -> None:
    # Only the public article search and the date ranges may use GET: an article
    # query is not about a person, and a date range is only dates.
    # The patient's report takes its period the same way (dates only).
    allowed = {
        "education/search.html",
        "portal/home.html",
        "clinic/patient_detail.html",
        "tracker/report/report.html",
    }
    templates = Path(settings.BASE_DIR, "templates")
    with_get = {
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if 'method="get"' in path.read_text().lower()
    }
    assert with_get == allowed


def test_gunicorn_logs_paths_without_query_strings() -> None:
    config = runpy.run_path(str(Path(settings.BASE_DIR, "gunicorn.conf.py")))
    assert config["accesslog"] == "-"
    line = config["access_log_format"]
    assert "%(U)s" in line
    for whole_request_or_query in ("%(r)s", "%(q)s", "%({"):
        assert whole_request_or_query not in line
