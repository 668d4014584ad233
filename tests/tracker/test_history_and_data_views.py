"""History (newest first, filtered, paginated) and the patient's own data: downloads, deletion."""

import datetime
import io
import json
import uuid
import zipfile
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD, client_for
from tests.factories import add_drink, check_in, log_episode
from tracker import services
from tracker.models import (
    CheckIn,
    Drink,
    Episode,
    EpisodeLocation,
    EpisodeSpread,
    EpisodeTrigger,
    HydrationDay,
    PatientProfile,
    PatientStatus,
    RedFlagAnswer,
    Submission,
)
from tracker.views import HISTORY_PAGE_SIZE

HISTORY = reverse("tracker:episode_list")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def move(user, zone: str) -> None:
    services.change_time_zone(user=user, time_zone=zone, now=timezone.now())


@pytest.fixture
def alice_ny(alice):
    move(alice, "America/New_York")
    return alice


def episode_at(patient, local: str, *, trigger: str | None = None, **details) -> Episode:
    """Log a half-hour episode starting at a New York wall-clock time."""
    start = datetime.datetime.fromisoformat(local).replace(tzinfo=NEW_YORK)
    return log_episode(
        patient,
        start=start,
        end=start + datetime.timedelta(minutes=30),
        severity=3,
        triggers=[trigger] if trigger else [],
        **details,
    )


def listed(response) -> list[int]:
    return [episode.pk for episode in response.context["page"].object_list]


def test_history_lists_own_episodes_newest_first(alice_ny, charlie):
    older = episode_at(alice_ny, "2026-03-01T08:00")
    newer = episode_at(alice_ny, "2026-03-02T08:00")
    episode_at(charlie, "2026-03-03T08:00")
    response = client_for(alice_ny).get(HISTORY)
    assert listed(response) == [newer.pk, older.pk]


def test_history_filters_by_local_date_range(alice_ny):
    # 23:30 in New York on 1 March is 04:30 UTC on 2 March: it belongs to 1 March.
    late = episode_at(alice_ny, "2026-03-01T23:30")
    next_day = episode_at(alice_ny, "2026-03-02T10:00")
    client = client_for(alice_ny)
    assert listed(
        client.post(HISTORY, {"since": "2026-03-01", "until": "2026-03-01"}, follow=True)
    ) == [late.pk]
    assert listed(client.post(HISTORY, {"since": "2026-03-02"}, follow=True)) == [next_day.pk]
    assert listed(client.post(HISTORY, {"until": "2026-03-01"}, follow=True)) == [late.pk]


def test_an_episode_still_going_covers_the_days_up_to_today_not_after(alice_ny):
    # CLINICAL.md 2: an ongoing episode overlaps every day from its start to today.
    ongoing = log_episode(alice_ny, start=timezone.now() - datetime.timedelta(hours=1))
    ended = episode_at(alice_ny, "2026-03-01T08:00")
    today = timezone.now().astimezone(NEW_YORK).date()
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    client = client_for(alice_ny)
    assert listed(client.post(HISTORY, {"since": today.isoformat()}, follow=True)) == [ongoing.pk]
    assert listed(client.post(HISTORY, {"since": tomorrow}, follow=True)) == []
    assert listed(client.post(HISTORY, {"until": tomorrow}, follow=True)) == [ongoing.pk, ended.pk]


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "Pacific/Kiritimati", "America/New_York"])
@pytest.mark.parametrize("params", [{"until": "2026-03-01"}, {"since": "1900-01-01"}])
def test_an_open_ended_range_works_in_every_zone(alice_ny, zone, params):
    # An open end once became date.min, which overflowed for zones east of UTC.
    move(alice_ny, zone)
    episode = episode_at(alice_ny, "2026-02-01T08:00")
    response = client_for(alice_ny).post(HISTORY, params, follow=True)
    assert response.status_code == 200
    assert listed(response) == [episode.pk]


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2101-01-01"])
def test_an_implausible_date_is_explained_not_a_server_error(alice_ny, day):
    move(alice_ny, "Asia/Tokyo")
    episode = episode_at(alice_ny, "2026-02-01T08:00")
    response = client_for(alice_ny).post(HISTORY, {"since": day, "until": day}, follow=True)
    assert response.status_code == 200
    assert "between 1900 and 2100" in response.context["form"].errors["since"][0]
    assert listed(response) == [episode.pk]


def test_history_filters_by_trigger(alice_ny):
    cold = episode_at(alice_ny, "2026-03-01T08:00", trigger="cold")
    episode_at(alice_ny, "2026-03-02T08:00", trigger="stress")
    assert listed(client_for(alice_ny).post(HISTORY, {"trigger": "cold"}, follow=True)) == [cold.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2026-03-05", "until": "2026-03-01"}, "until"),
        ({"since": "not a date"}, "since"),
        ({"trigger": "made_up"}, "trigger"),
    ],
)
def test_a_bad_filter_is_explained_and_shows_everything(alice_ny, params, field):
    episode = episode_at(alice_ny, "2026-03-01T08:00")
    response = client_for(alice_ny).post(HISTORY, params, follow=True)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert listed(response) == [episode.pk]


def test_history_is_paginated_and_the_filter_holds_across_pages(alice_ny):
    for n in range(HISTORY_PAGE_SIZE + 3):
        episode_at(alice_ny, f"2026-01-{n + 1:02d}T08:00", trigger="cold")
    client = client_for(alice_ny)
    first = client.post(HISTORY, {"trigger": "cold"}, follow=True)
    assert len(listed(first)) == HISTORY_PAGE_SIZE
    assert 'href="?page=2"' in first.content.decode()
    second = client.get(HISTORY, {"page": "2"})
    assert len(listed(second)) == 3
    assert not set(listed(first)) & set(listed(second))
    # A page number out of range or nonsense gives a page, never an error.
    assert client.get(HISTORY, {"page": "999"}).status_code == 200
    assert client.get(HISTORY, {"page": "x"}).status_code == 200


def test_the_filter_never_puts_health_data_in_the_address(alice_ny):
    cold = episode_at(alice_ny, "2026-03-01T08:00", trigger="cold")
    episode_at(alice_ny, "2026-03-02T08:00", trigger="stress")
    client = client_for(alice_ny)
    response = client.post(HISTORY, {"since": "2026-02-01", "trigger": "cold"})
    # Post/redirect/get to the plain address; the filter is remembered in the session.
    assert response.status_code == 302
    assert response["Location"] == HISTORY
    page = client.get(HISTORY)
    assert listed(page) == [cold.pk]
    assert page.context["form"]["trigger"].value() == "cold"
    assert "trigger=" not in page.content.decode()
    assert 'method="get"' not in page.content.decode()


def test_clearing_the_filter_shows_everything_again(alice_ny):
    cold = episode_at(alice_ny, "2026-03-01T08:00", trigger="cold")
    other = episode_at(alice_ny, "2026-03-02T08:00", trigger="stress")
    client = client_for(alice_ny)
    client.post(HISTORY, {"trigger": "cold"})
    assert listed(client.get(HISTORY)) == [cold.pk]
    assert client.post(HISTORY, {"clear": ""})["Location"] == HISTORY
    assert listed(client.get(HISTORY)) == [other.pk, cold.pk]


def test_a_bad_filter_keeps_what_was_typed_and_the_previous_filter(alice_ny):
    cold = episode_at(alice_ny, "2026-03-01T08:00", trigger="cold")
    client = client_for(alice_ny)
    client.post(HISTORY, {"trigger": "cold"})
    response = client.post(HISTORY, {"since": "31/02/2026", "trigger": "stress"})
    assert response.status_code == 200
    assert response.context["form"]["since"].value() == "31/02/2026"
    assert 'value="31/02/2026"' in response.content.decode()
    # Nothing was remembered from the bad post: the page still shows the cold filter.
    assert client.get(HISTORY).context["form"]["trigger"].value() == "cold"
    assert listed(client.get(HISTORY)) == [cold.pk]


@pytest.mark.parametrize("count", [3, 60])
def test_history_queries_do_not_grow_with_the_page(alice_ny, count, django_assert_num_queries):
    for n in range(count):
        episode_at(
            alice_ny,
            f"2026-01-01T08:{n % 60:02d}",
            trigger="cold",
            locations=[("lower", "left")],
            spread=["buttock"],
        )
    assert EpisodeLocation.objects.count() == EpisodeSpread.objects.count() == count
    client = client_for(alice_ny)
    # 1 session, 2 user, 3 count, 4 episodes, 5 triggers, 6 locations, 7 spread,
    # 8 the navigation's clinician check, 9 the banner's stored status (fresh: no recompute).
    with django_assert_num_queries(9):
        client.get(HISTORY)


def full_record(patient, *, note: str) -> None:
    episode_at(patient, "2026-02-01T08:00", trigger="cold", notes=note, red_flags=["fever"])
    check_in(patient, day=datetime.date(2026, 2, 1), severity=3)
    add_drink(patient, day=datetime.date(2026, 2, 1), ml=330)
    HydrationDay.objects.create(patient=patient, day=datetime.date(2026, 2, 1), complete=True)
    PatientProfile.objects.create(user=patient, glass_ml=250)


def test_the_json_download_holds_exactly_the_patients_data(alice_ny, charlie):
    full_record(alice_ny, note="alice's own note")
    full_record(charlie, note="charlie's secret")
    response = client_for(alice_ny).get(reverse("tracker:export_json"))
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    data = json.loads(text)
    assert [e["notes"] for e in data["episodes"]] == ["alice's own note"]
    assert len(data["drinks"]) == len(data["checkins"]) == len(data["red_flag_answers"]) == 1
    assert "charlie" not in text.decode()


def test_the_csv_download_is_a_zip_safe_against_formulas(alice_ny, charlie):
    full_record(alice_ny, note='=HYPERLINK("http://example.org","x")')
    full_record(charlie, note="charlie's secret")
    response = client_for(alice_ny).get(reverse("tracker:export_csv"))
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert "episodes.csv" in archive.namelist()
    episodes = archive.read("episodes.csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in episodes
    assert all(
        "charlie" not in archive.read(name).decode("utf-8-sig") for name in archive.namelist()
    )


def test_your_data_offers_downloads_before_deletion(alice):
    content = client_for(alice).get(reverse("tracker:your_data")).content.decode()
    assert content.index(reverse("tracker:export_csv")) < content.index(
        reverse("tracker:account_delete")
    )


def test_a_wrong_password_deletes_nothing(alice_ny):
    full_record(alice_ny, note="keep")
    response = client_for(alice_ny).post(reverse("tracker:account_delete"), {"password": "not-it"})
    assert response.status_code == 200
    assert "Nothing has been deleted" in response.content.decode()
    assert Episode.objects.filter(patient=alice_ny).exists()


def test_deleting_the_account_removes_all_health_data_and_logs_out(alice_ny, charlie):
    full_record(alice_ny, note="gone")
    full_record(charlie, note="stays")
    client = client_for(alice_ny)
    Submission.objects.create(key=uuid.uuid4(), patient=alice_ny, redirect_to="/")
    assert PatientStatus.objects.filter(patient=alice_ny).exists()
    response = client.post(reverse("tracker:account_delete"), {"password": PASSWORD})
    assert response["Location"] == reverse("home")
    models = (
        Episode,
        EpisodeTrigger,
        RedFlagAnswer,
        CheckIn,
        Drink,
        HydrationDay,
        Submission,
        PatientStatus,
    )
    for model in models:
        owner = "episode__patient" if model is EpisodeTrigger else "patient"
        assert not model.objects.filter(**{f"{owner}__username": "alice"}).exists(), model
    assert not PatientProfile.objects.filter(user__username="alice").exists()
    assert Episode.objects.filter(patient=charlie).count() == 1
    assert PatientStatus.objects.filter(patient=charlie).exists()
    assert client.get(reverse("tracker:dashboard")).status_code == 302


def test_account_deletion_needs_post(alice):
    assert client_for(alice).get(reverse("tracker:account_delete")).status_code == 405
