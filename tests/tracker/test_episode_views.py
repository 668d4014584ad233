"""Logging, changing, ending and deleting episodes, with the red-flag screen and bad input."""

import datetime
import uuid
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import client_for
from tracker.models import (
    Episode,
    EpisodeLocation,
    EpisodeSpread,
    EpisodeTrigger,
    PatientProfile,
    RedFlagAnswer,
    ReliefTried,
    Submission,
)

LONDON = zoneinfo.ZoneInfo("Europe/London")
CREATE = reverse("tracker:episode_create")


def form_data(**overrides: object) -> dict:
    """Return a valid episode post: yesterday 09:30 to 10:15 London time, moderate."""
    yesterday = timezone.now().astimezone(LONDON).date() - datetime.timedelta(days=1)
    data = {
        "submission_key": str(uuid.uuid4()),
        "start_date": yesterday.isoformat(),
        "start_time": "09:30",
        "end_date": yesterday.isoformat(),
        "end_time": "10:15",
        "severity": "5",
        "activity": "Gardening",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def alice_client(alice):
    alice.time_zone = "Europe/London"
    alice.save()
    return client_for(alice)


def local_dt(day: str, time: str, zone=LONDON) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=zone)


def test_logging_an_episode_stores_local_times_as_utc_with_all_details(alice, alice_client):
    data = form_data(
        triggers=["heavy_lifting", "stress"],
        side_lower="left",
        side_upper="both",
        spread=["buttock"],
        relief_heat="2",
        relief_short_rest="unsure",
        relief_stretching="-1",
        notes="Lifted a box.",
    )
    response = alice_client.post(CREATE, data)
    episode = Episode.objects.get(patient=alice)
    assert response.status_code == 302
    assert response["Location"] == episode.get_absolute_url()
    assert episode.started_at == local_dt(data["start_date"], "09:30")
    assert episode.ended_at == local_dt(data["start_date"], "10:15")
    assert episode.severity == 5
    assert episode.activity == "Gardening"
    assert episode.notes == "Lifted a box."
    assert sorted(episode.triggers.values_list("code", flat=True)) == ["heavy_lifting", "stress"]
    assert set(episode.locations.values_list("region", "side")) == {
        ("lower", "left"),
        ("upper", "both"),
    }
    assert list(episode.spread.values_list("code", flat=True)) == ["buttock"]
    assert dict(episode.relief.values_list("code", "effect")) == {
        "heat": 2,
        "short_rest": None,
        "stretching": -1,
    }
    assert not RedFlagAnswer.objects.exists()


def test_still_going_leaves_the_end_empty(alice, alice_client):
    alice_client.post(CREATE, form_data(still_going="on", end_date=None, end_time=None))
    assert Episode.objects.get(patient=alice).ended_at is None


def test_an_ongoing_episode_ends_in_one_click(alice, alice_client):
    alice_client.post(CREATE, form_data(still_going="on", end_date=None, end_time=None))
    episode = Episode.objects.get(patient=alice)
    before = timezone.now()
    response = alice_client.post(reverse("tracker:episode_end", args=[episode.pk]))
    episode.refresh_from_db()
    assert response.status_code == 302
    assert before <= episode.ended_at <= timezone.now()


def test_a_time_in_the_autumn_clock_change_hour_is_taken_as_the_first(alice, alice_client):
    # 26 Oct 2025, 01:30 happened twice in London; the first was 00:30 UTC.
    data = form_data(
        start_date="2025-10-26", start_time="01:30", end_date="2025-10-26", end_time="03:00"
    )
    alice_client.post(CREATE, data)
    episode = Episode.objects.get(patient=alice)
    assert episode.started_at == datetime.datetime(2025, 10, 26, 0, 30, tzinfo=datetime.UTC)
    assert episode.ended_at == datetime.datetime(2025, 10, 26, 3, 0, tzinfo=datetime.UTC)


def test_a_time_the_spring_clock_change_skipped_is_refused(alice, alice_client):
    # 30 Mar 2025: London went from 01:00 straight to 02:00.
    data = form_data(
        start_date="2025-03-30", start_time="01:30", end_date="2025-03-30", end_time="03:00"
    )
    response = alice_client.post(CREATE, data)
    assert response.status_code == 200
    assert "did not happen on that day" in response.context["form"].errors["start_time"][0]
    assert not Episode.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"end_time": "09:00"}, "end_time", "The end must not be before the start."),
        ({"severity": "11"}, "severity", "Select a valid choice"),
        ({"severity": "-1"}, "severity", "Select a valid choice"),
        ({"severity": None}, "severity", "This field is required"),
        ({"triggers": ["heavy_lifting", "made_up"]}, "triggers", "Select a valid choice"),
        ({"triggers": ["other"]}, "trigger_other", "Please say what else"),
        (
            {"triggers": ["none_identified", "stress"]},
            "triggers",
            "None that I can think of",
        ),
        ({"start_date": "2025-02-30"}, "start_date", "Enter a valid date"),
        ({"start_date": "0001-01-01"}, "start_date", "between 1900 and 2100"),
        ({"end_date": "2101-01-01"}, "end_date", "between 1900 and 2100"),
        ({"start_time": "25:00"}, "start_time", "Enter a valid time"),
        ({"end_date": None, "end_time": None}, "end_time", "tick “It's still going”"),
        ({"still_going": "on"}, "still_going", "Please clear one of them"),
        ({"side_lower": "middle"}, "side_lower", "Select a valid choice"),
        ({"relief_heat": "3"}, "relief_heat", "Select a valid choice"),
        ({"red_flags": ["weight_loss"]}, "red_flags", "Select a valid choice"),
        ({"notes": "x" * 2001}, "notes", "at most 2000 characters"),
    ],
)
def test_bad_input_is_explained_next_to_the_field_and_saves_nothing(
    alice, alice_client, overrides, field, message
):
    data = form_data(**{"notes": "Keep this text", **overrides})
    response = alice_client.post(CREATE, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    # What was typed comes back in the form.
    assert form["notes"].value() == data["notes"]
    assert b"Please check the form" in response.content
    assert not Episode.objects.exists()
    assert not EpisodeTrigger.objects.exists()


def test_a_start_in_the_future_is_refused(alice, alice_client):
    later = timezone.now().astimezone(LONDON) + datetime.timedelta(hours=2)
    data = form_data(
        start_date=later.date().isoformat(),
        start_time=later.strftime("%H:%M"),
        still_going="on",
        end_date=None,
        end_time=None,
    )
    response = alice_client.post(CREATE, data)
    assert "cannot be in the future" in response.context["form"].errors["start_time"][0]
    assert not Episode.objects.exists()


def test_an_end_in_the_future_is_refused(alice, alice_client):
    later = timezone.now().astimezone(LONDON) + datetime.timedelta(hours=2)
    data = form_data(end_date=later.date().isoformat(), end_time=later.strftime("%H:%M"))
    response = alice_client.post(CREATE, data)
    assert "cannot be in the future" in response.context["form"].errors["end_time"][0]
    assert not Episode.objects.exists()


def test_the_form_starts_at_the_current_local_time(alice, alice_client):
    response = alice_client.get(CREATE)
    form = response.context["form"]
    assert form.initial["start_date"] == timezone.now().astimezone(LONDON).date()
    assert response.context["form"]["submission_key"].value()


def test_a_form_sent_twice_creates_one_episode(alice, alice_client):
    data = form_data(triggers=["stress"])
    first = alice_client.post(CREATE, data)
    second = alice_client.post(CREATE, data)
    assert Episode.objects.filter(patient=alice).count() == 1
    assert EpisodeTrigger.objects.count() == 1
    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Submission.objects.filter(patient=alice).count() == 1


def test_a_key_used_by_another_patient_does_not_block_or_leak(alice, alice_client, charlie):
    data = form_data()
    first = alice_client.post(CREATE, data)
    response = client_for(charlie).post(CREATE, data)
    charlies = Episode.objects.get(patient=charlie)
    assert response["Location"] == charlies.get_absolute_url() != first["Location"]
    assert Episode.objects.filter(patient=alice).count() == 1


def test_changing_an_episode_records_only_new_red_flags(alice, alice_client):
    alice_client.post(CREATE, form_data(spread=["both_legs"]))
    episode = Episode.objects.get(patient=alice)
    edit = reverse("tracker:episode_edit", args=[episode.pk])
    response = alice_client.post(edit, form_data(spread=["both_legs"], severity="6"))
    assert response["Location"] == episode.get_absolute_url()
    alice_client.post(edit, form_data(spread=["both_legs"], red_flags=["fever"]))
    assert sorted(RedFlagAnswer.objects.values_list("code", flat=True)) == ["both_legs", "fever"]


def test_an_emergency_answer_goes_straight_to_the_advice(alice, alice_client):
    response = alice_client.post(
        CREATE, form_data(red_flags=["bladder_bowel_control", "fever"]), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("tracker:advice")
    content = response.content.decode()
    emergency = content.index("Call 999 or go to A&amp;E now")
    urgent = content.index("Get medical advice today")
    saved = content.index("Your episode is saved.")
    assert content.index('id="main"') < emergency < urgent < saved
    episode = Episode.objects.get(patient=alice)
    answers = RedFlagAnswer.objects.filter(patient=alice, episode=episode)
    assert set(answers.values_list("code", flat=True)) == {"bladder_bowel_control", "fever"}
    assert all(answer.advice_shown_at is not None for answer in answers)


def test_pain_spreading_to_both_legs_counts_as_the_emergency_answer(alice, alice_client):
    alice_client.post(CREATE, form_data(spread=["left_leg", "right_leg"]))
    assert list(RedFlagAnswer.objects.values_list("code", flat=True)) == ["both_legs"]


def test_the_short_screen_asks_emergency_items_and_the_two_commonest_urgent_ones(
    alice, alice_client
):
    codes = {
        choice.data["value"] for choice in alice_client.get(CREATE).context["form"]["red_flags"]
    }
    assert {"saddle_numbness", "both_legs", "chest_pain", "fever", "night_pain"} <= codes
    assert "weight_loss" not in codes
    assert "pregnancy_bleeding" not in codes


def test_a_pregnant_patient_is_also_asked_the_pregnancy_questions(alice, alice_client):
    PatientProfile.objects.create(user=alice, pregnant=True)
    form = alice_client.get(CREATE).context["form"]
    codes = {choice.data["value"] for choice in form["red_flags"]}
    assert "pregnancy_bleeding" in codes


def test_editing_replaces_the_details(alice, alice_client):
    alice_client.post(CREATE, form_data(triggers=["stress"], side_lower="left"))
    episode = Episode.objects.get(patient=alice)
    page = alice_client.get(reverse("tracker:episode_edit", args=[episode.pk]))
    assert page.context["form"].initial["triggers"] == ["stress"]
    assert page.context["form"].initial["side_lower"] == "left"
    response = alice_client.post(
        reverse("tracker:episode_edit", args=[episode.pk]),
        form_data(triggers=["cold"], side_mid="right", severity="8"),
    )
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.severity == 8
    assert list(episode.triggers.values_list("code", flat=True)) == ["cold"]
    assert list(episode.locations.values_list("region", "side")) == [("mid", "right")]
    assert Episode.objects.count() == 1


def test_deleting_an_episode_removes_its_details(alice, alice_client):
    alice_client.post(
        CREATE,
        form_data(triggers=["stress"], spread=["buttock"], relief_heat="1", side_lower="left"),
    )
    episode = Episode.objects.get(patient=alice)
    assert alice_client.get(reverse("tracker:episode_delete", args=[episode.pk])).status_code == 200
    response = alice_client.post(reverse("tracker:episode_delete", args=[episode.pk]))
    assert response.status_code == 302
    assert not Episode.objects.exists()
    for model in (EpisodeTrigger, EpisodeSpread, EpisodeLocation, ReliefTried):
        assert not model.objects.exists()


def test_the_detail_page_shows_local_times_and_words(alice, alice_client):
    alice_client.post(CREATE, form_data(severity="7", triggers=["cold"]))
    episode = Episode.objects.get(patient=alice)
    content = alice_client.get(episode.get_absolute_url()).content.decode()
    assert "09:30" in content
    assert "7 (severe)" in content
    assert "Cold or a sudden temperature change" in content


def test_logging_yesterday_does_not_block_logging_today(alice, alice_client):
    today = timezone.now().astimezone(LONDON)
    alice_client.post(CREATE, form_data())
    earlier = today - datetime.timedelta(minutes=5)
    alice_client.post(
        CREATE,
        form_data(
            start_date=earlier.date().isoformat(),
            start_time=earlier.strftime("%H:%M"),
            still_going="on",
            end_date=None,
            end_time=None,
        ),
    )
    assert Episode.objects.filter(patient=alice).count() == 2


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_the_same_form_sent_at_the_same_moment_creates_one_episode() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from tests.conftest import make_user

    alice = make_user("alice")
    data = form_data()

    # Each thread holds its own connection; the unique key makes the later commit fail whole.
    def send(_n: int) -> int:
        try:
            return client_for(alice).post(CREATE, data).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(send, range(4)))
    assert statuses == [302] * 4
    assert Episode.objects.filter(patient=alice).count() == 1
    assert Submission.objects.filter(patient=alice).count() == 1
