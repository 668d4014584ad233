"""Who may open each tracker URL. The URLs come from the URLconf, so a new one cannot be missed.

Anonymous visitors are sent to log in; another patient gets 404 for any of alice's ids, by GET
and by POST, and alice's records are unchanged afterwards; alice herself gets her pages.
"""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import URLPattern, reverse

from notifications.links import stop_token
from tests.conftest import client_for
from tests.factories import add_drink, log_episode
from tracker import urls as tracker_urls
from tracker.medicines import DoseInput, add_medicine_dose
from tracker.models import Drink, Episode, MedicineDose, PatientStatus, ReportLink
from tracker.report_links import create_link

# Views that only accept POST answer alice's GET with 405.
POST_ONLY = {
    "episode_end",
    "hydration_complete",
    "account_delete",
    "push_device",
    "report_link_revoke",
}
# The stop link of reminder e-mails works without signing in (tests/tracker/test_reminder_pages).
NO_SIGN_IN = {"reminder_stop"}
# Downloads, checked for their content elsewhere.
DOWNLOADS = {"export_json", "export_csv"}


@pytest.fixture
def records(alice) -> dict[str, object]:
    start = datetime.datetime(2026, 1, 5, 9, tzinfo=datetime.UTC)
    episode = log_episode(alice, start=start, severity=4, notes="alice")
    drink = add_drink(alice, day=datetime.date(2026, 1, 5), ml=250)
    dose = add_medicine_dose(
        patient=alice,
        data=DoseInput(name="Ibuprofen", dose=Decimal("400"), unit="mg", taken_at=start),
        now=start,
    )
    link, _token = create_link(
        patient=alice, since=datetime.date(2026, 1, 1), until=datetime.date(2026, 1, 5), now=start
    )
    return {"episode": episode, "drink": drink, "medicine": dose, "report_link": link}


# Which record a `pk` names, by the start of the URL's name; anything else is an episode.
OWNERS = ("drink", "medicine", "report_link")


def url_for(pattern: URLPattern, records: dict[str, object]) -> str:
    """Fill the pattern's parameters with alice's records."""
    params = set(pattern.pattern.converters)
    if not params:
        return reverse(f"tracker:{pattern.name}")
    if params == {"pk"}:
        owner = next((o for o in OWNERS if pattern.name.startswith(f"{o}_")), "episode")
        return reverse(f"tracker:{pattern.name}", kwargs={"pk": records[owner].pk})
    if params == {"pk", "step"}:
        return reverse(
            f"tracker:{pattern.name}", kwargs={"pk": records["episode"].pk, "step": "notes"}
        )
    if params == {"day"}:
        return reverse(f"tracker:{pattern.name}", kwargs={"day": datetime.date(2026, 1, 5)})
    if params == {"topic", "token"}:
        token = stop_token(person_id=records["episode"].patient_id, topic="daily")
        return reverse(f"tracker:{pattern.name}", kwargs={"topic": "daily", "token": token})
    raise AssertionError(f"add {pattern.name} with parameters {params} to this test")


PATTERNS = [p for p in tracker_urls.urlpatterns if isinstance(p, URLPattern)]


def test_every_tracker_url_is_covered() -> None:
    assert {p.name for p in PATTERNS} >= POST_ONLY | DOWNLOADS
    assert len(PATTERNS) == len(tracker_urls.urlpatterns)


@pytest.mark.parametrize(
    "pattern", [p for p in PATTERNS if p.name not in NO_SIGN_IN], ids=lambda p: p.name
)
def test_anonymous_visitors_are_sent_to_log_in(anonymous, records, pattern) -> None:
    url = url_for(pattern, records)
    for method in (anonymous.get, anonymous.post):
        response = method(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse(settings.LOGIN_URL)), url


@pytest.mark.parametrize(
    "pattern", [p for p in PATTERNS if "pk" in p.pattern.converters], ids=lambda p: p.name
)
def test_another_patient_gets_404_for_alices_ids(charlie, records, pattern) -> None:
    client = client_for(charlie)
    url = url_for(pattern, records)
    alices_status = list(PatientStatus.objects.filter(patient=records["episode"].patient).values())
    assert alices_status
    # A POST-only view refuses GET for any id alike, so nothing is revealed.
    assert client.get(url).status_code == (405 if pattern.name in POST_ONLY else 404)
    assert (
        client.post(url, {"amount_ml": "1", "day": "2026-01-05", "severity": "9"}).status_code
        == 404
    )
    episode, drink = records["episode"], records["drink"]
    assert Episode.objects.filter(pk=episode.pk, severity=4, ended_at=None).exists()
    assert Drink.objects.filter(pk=drink.pk, amount_ml=250).exists()
    assert MedicineDose.objects.filter(pk=records["medicine"].pk, name="Ibuprofen").exists()
    assert ReportLink.objects.filter(pk=records["report_link"].pk, revoked_at=None).exists()
    assert list(PatientStatus.objects.filter(patient=episode.patient).values()) == alices_status


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.name)
def test_alice_can_open_her_own_pages(alice, records, pattern) -> None:
    response = client_for(alice).get(url_for(pattern, records))
    expected = 405 if pattern.name in POST_ONLY else 200
    assert response.status_code == expected


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.name)
def test_patient_pages_are_never_cached(alice, records, pattern) -> None:
    response = client_for(alice).get(url_for(pattern, records))
    assert "no-store" in response.get("Cache-Control", "")


def test_a_clinician_or_editor_sees_no_patient_data_through_the_tracker(bob, erin, records) -> None:
    # Being staff or a clinician grants nothing by itself: their tracker is their own.
    for user in (bob, erin):
        client = client_for(user)
        assert client.get(records["episode"].get_absolute_url()).status_code == 404
        assert b"alice" not in client.get(reverse("tracker:episode_list")).content
