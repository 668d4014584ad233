"""The quick log (one screen: when, 0-10, ongoing or ended, Save), its optional detail steps,
and the JSON answers the offline outbox relies on (see docs/phone.md)."""

import datetime
import json
import uuid
import zoneinfo

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tests.conftest import client_for
from tests.factories import log_episode
from tracker.models import Episode, EpisodeLocation, RedFlagAnswer, ReliefTried

LONDON = zoneinfo.ZoneInfo("Europe/London")
CREATE = reverse("tracker:episode_create")
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def alice_client(alice):
    alice.time_zone = "Europe/London"
    alice.save()
    return client_for(alice)


def quick(**overrides: object) -> dict:
    """A quick log as the first screen sends it: started an hour ago, 6, still going."""
    start = timezone.now().astimezone(LONDON) - datetime.timedelta(hours=1)
    data = {
        "submission_key": str(uuid.uuid4()),
        "start_date": start.date().isoformat(),
        "start_time": start.strftime("%H:%M"),
        "severity": "6",
        "status": "ongoing",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def step_url(episode: Episode, step: str) -> str:
    return reverse("tracker:episode_step", args=[episode.pk, step])


# The first screen -----------------------------------------------------------------------------


def test_the_first_screen_asks_only_when_how_bad_and_whether_it_is_going(alice_client):
    response = alice_client.get(CREATE)
    form = response.context["form"]
    assert set(form.fields) == {
        "submission_key",
        "start_date",
        "start_time",
        "severity",
        "status",
        "end_date",
        "end_time",
    }
    assert [name for name, field in form.fields.items() if field.required] == [
        "submission_key",
        "start_date",
        "start_time",
        "severity",
        "status",
    ]
    html = response.content.decode()
    assert 'data-outbox="episode"' in html
    assert "I have a warning sign" in html
    assert html.count('name="severity"') == 11
    # Start, severity and ongoing are filled in or chosen by default: only 0-10 is asked.
    assert form.initial["start_date"] == timezone.now().astimezone(LONDON).date()
    assert form.fields["status"].initial == "ongoing"


def test_save_stores_the_episode_at_once_and_offers_the_details(alice, alice_client):
    response = alice_client.post(CREATE, quick())
    episode = Episode.objects.get(patient=alice)
    assert response.status_code == 302
    assert response["Location"] == step_url(episode, "safety")
    assert episode.severity == 6 and episode.ended_at is None


def test_only_severity_is_needed(alice, alice_client):
    """What the form says is optional is optional: no end, no details."""
    response = alice_client.post(CREATE, {"submission_key": str(uuid.uuid4()), **_now_fields()})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "severity": ["Please choose how bad it is, from 0 to 10."]
    }
    response = alice_client.post(
        CREATE, {"submission_key": str(uuid.uuid4()), "severity": "3", **_now_fields()}
    )
    assert response.status_code == 302
    assert Episode.objects.get(patient=alice).ended_at is None


def _now_fields() -> dict:
    now = timezone.now().astimezone(LONDON)
    return {
        "start_date": now.date().isoformat(),
        "start_time": now.strftime("%H:%M"),
        "status": "ongoing",
    }


def test_still_going_ignores_the_hidden_end_fields(alice, alice_client):
    """The end fields are hidden while "Still going" is chosen but still sent (an ended
    episode changed back to ongoing sends its old end): what the person sees wins."""
    alice_client.post(CREATE, quick(status="ongoing", end_date="2026-01-01", end_time="10:00"))
    assert Episode.objects.get(patient=alice).ended_at is None


def test_an_ended_episode_can_be_made_ongoing_again_in_one_go(alice, alice_client):
    episode = log_episode(
        alice,
        start=timezone.now() - datetime.timedelta(hours=3),
        end=timezone.now() - datetime.timedelta(hours=2),
    )
    edit = reverse("tracker:episode_edit", args=[episode.pk])
    form = alice_client.get(edit).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {
        key: value.isoformat() if hasattr(value, "isoformat") else value
        for key, value in data.items()
        if value is not None
    }
    data.update(status="ongoing")
    response = alice_client.post(edit, data)
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.ended_at is None


def test_stopped_with_no_time_means_stopped_now(alice, alice_client):
    before = timezone.now()
    alice_client.post(CREATE, quick(status="ended"))
    episode = Episode.objects.get(patient=alice)
    assert before <= episode.ended_at <= timezone.now()


def test_stopped_with_a_time_and_no_date_means_today(alice, alice_client):
    start = timezone.now().astimezone(LONDON) - datetime.timedelta(minutes=50)
    end = start + datetime.timedelta(minutes=20)
    if end.date() != start.date():
        pytest.skip("too close to midnight for a same-day example")
    alice_client.post(
        CREATE,
        quick(
            start_date=start.date().isoformat(),
            start_time=start.strftime("%H:%M"),
            status="ended",
            end_time=end.strftime("%H:%M"),
        ),
    )
    episode = Episode.objects.get(patient=alice)
    assert episode.ended_at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") == end.strftime(
        "%Y-%m-%d %H:%M"
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"status": "ended", "end_date": "2020-01-01"}, "end_time", "time it stopped"),
        ({"status": "ended", "end_date": "2000-01-01", "end_time": "10:00"}, "end_time", "before"),
        ({"status": "maybe"}, "status", "valid choice"),
        ({"severity": "11"}, "severity", "valid choice"),
        ({"severity": "-1"}, "severity", "valid choice"),
        ({"start_date": "2026-02-30"}, "start_date", "valid date"),
        ({"start_date": "0202-01-01"}, "start_date", "between 1900 and 2100"),
        ({"start_time": "25:00"}, "start_time", "valid time"),
    ],
)
def test_bad_input_is_explained_next_to_its_field_and_keeps_what_was_typed(
    alice, alice_client, overrides, field, message
):
    data = quick(**overrides)
    response = alice_client.post(CREATE, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field])
    assert not Episode.objects.exists()
    html = response.content.decode()
    assert f'value="{data["submission_key"]}"' in html
    for name in ("start_date", "start_time"):
        assert f'value="{data[name]}"' in html
    assert "Nothing has been saved yet" in html


def test_a_start_more_than_ten_minutes_ahead_is_refused(alice_client):
    ahead = timezone.now().astimezone(LONDON) + datetime.timedelta(minutes=30)
    response = alice_client.post(
        CREATE, quick(start_date=ahead.date().isoformat(), start_time=ahead.strftime("%H:%M"))
    )
    assert response.context["form"].errors["start_time"] == ["The start cannot be in the future."]


def test_a_double_tap_stores_one_episode(alice, alice_client):
    data = quick()
    first = alice_client.post(CREATE, data)
    second = alice_client.post(CREATE, data)
    assert Episode.objects.filter(patient=alice).count() == 1
    assert first["Location"] == second["Location"]


def test_the_edit_screen_changes_when_and_how_bad_and_keeps_the_details(alice, alice_client):
    episode = log_episode(
        alice,
        start=timezone.now() - datetime.timedelta(days=1),
        end=timezone.now() - datetime.timedelta(hours=20),
        severity=4,
        locations=[("lower", "left")],
        notes="Lifted a box.",
    )
    edit = reverse("tracker:episode_edit", args=[episode.pk])
    form = alice_client.get(edit).context["form"]
    assert form.initial["status"] == "ended" and form.initial["severity"] == 4
    start = episode.started_at.astimezone(LONDON)
    response = alice_client.post(
        edit,
        {
            "submission_key": str(uuid.uuid4()),
            "start_date": start.date().isoformat(),
            "start_time": start.strftime("%H:%M"),
            "severity": "8",
            "status": "ongoing",
        },
    )
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.severity == 8 and episode.ended_at is None
    assert episode.notes == "Lifted a box."
    assert list(episode.locations.values_list("region", "side")) == [("lower", "left")]


# The optional steps ---------------------------------------------------------------------------


def test_the_steps_follow_one_another_and_each_is_saved_on_its_own(alice, alice_client):
    alice_client.post(CREATE, quick())
    episode = Episode.objects.get(patient=alice)
    response = alice_client.post(step_url(episode, "safety"), {})
    assert response["Location"] == step_url(episode, "where")
    response = alice_client.post(step_url(episode, "where"), {"side_lower": "left"})
    assert response["Location"] == step_url(episode, "triggers")
    assert list(EpisodeLocation.objects.values_list("region", "side")) == [("lower", "left")]
    # "Skip this step" is a link to the next step: nothing is sent.
    page = alice_client.get(step_url(episode, "triggers")).content.decode()
    assert f'href="{step_url(episode, "relief")}"' in page
    response = alice_client.post(step_url(episode, "relief"), {"relief_heat": "2"})
    assert response["Location"] == step_url(episode, "notes")
    assert list(ReliefTried.objects.values_list("code", "effect")) == [("heat", 2)]
    response = alice_client.post(step_url(episode, "notes"), {"notes": "Better after a walk."})
    assert response["Location"] == episode.get_absolute_url()
    episode.refresh_from_db()
    assert episode.notes == "Better after a walk."
    # Each step replaced only its own part.
    assert list(episode.locations.values_list("region", "side")) == [("lower", "left")]
    assert not episode.triggers.exists()


def test_a_step_opened_from_the_episode_returns_there(alice, alice_client):
    episode = log_episode(alice, start=timezone.now() - datetime.timedelta(hours=2))
    response = alice_client.post(
        step_url(episode, "notes") + "?from=episode", {"notes": "Only this."}
    )
    assert response["Location"] == episode.get_absolute_url()


def test_a_warning_sign_in_the_safety_step_goes_to_the_advice_at_once(alice, alice_client):
    alice_client.post(CREATE, quick())
    episode = Episode.objects.get(patient=alice)
    response = alice_client.post(
        step_url(episode, "safety"), {"red_flags": ["bladder_bowel_control"]}
    )
    assert response["Location"] == reverse("tracker:advice")
    assert list(RedFlagAnswer.objects.values_list("code", "episode")) == [
        ("bladder_bowel_control", episode.pk)
    ]
    advice = alice_client.get(reverse("tracker:advice"))
    assert "tel:999" in advice.content.decode()


def test_both_legs_in_the_where_step_is_the_emergency_answer(alice, alice_client):
    episode = log_episode(alice, start=timezone.now() - datetime.timedelta(hours=2))
    response = alice_client.post(step_url(episode, "where"), {"spread": ["both_legs"]})
    assert response["Location"] == reverse("tracker:advice")
    assert list(RedFlagAnswer.objects.values_list("code", flat=True)) == ["both_legs"]
    # Saving the same step again does not record the answer twice.
    alice_client.post(step_url(episode, "where") + "?from=episode", {"spread": ["both_legs"]})
    assert RedFlagAnswer.objects.count() == 1


def test_a_bad_step_keeps_what_was_typed(alice, alice_client):
    episode = log_episode(alice, start=timezone.now() - datetime.timedelta(hours=2))
    response = alice_client.post(
        step_url(episode, "triggers"), {"triggers": ["other"], "activity": "Gardening"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["trigger_other"]
    assert 'value="Gardening"' in response.content.decode()
    episode.refresh_from_db()
    assert episode.activity == ""


def test_another_patients_episode_steps_are_404(alice, charlie):
    episode = log_episode(alice, start=timezone.now() - datetime.timedelta(hours=2))
    other = client_for(charlie)
    assert other.get(step_url(episode, "notes")).status_code == 404
    assert other.post(step_url(episode, "notes"), {"notes": "x"}).status_code == 404
    episode.refresh_from_db()
    assert episode.notes == ""


def test_an_unknown_step_is_404(alice, alice_client):
    episode = log_episode(alice, start=timezone.now() - datetime.timedelta(hours=2))
    assert alice_client.get(step_url(episode, "nowhere")).status_code == 404


# The JSON answers the offline outbox relies on -------------------------------------------------


def test_a_queued_entry_is_stored_once_and_told_so(alice, alice_client):
    data = quick()
    first = alice_client.post(CREATE, data, **JSON)
    episode = Episode.objects.get(patient=alice)
    assert first.status_code == 201
    assert first.json() == {"saved": True, "repeat": False, "url": step_url(episode, "safety")}
    again = alice_client.post(CREATE, data, **JSON)
    assert again.status_code == 200
    assert again.json() == {"saved": True, "repeat": True, "url": step_url(episode, "safety")}
    assert Episode.objects.count() == 1


def test_a_queued_entry_with_bad_input_gets_the_messages_by_field(alice_client):
    response = alice_client.post(CREATE, quick(severity=None, start_time="99:00"), **JSON)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"severity", "start_time"}
    assert not Episode.objects.exists()


@override_settings(PORTAL_EPISODES_PER_HOUR=1)
def test_a_queued_entry_over_the_hourly_limit_is_429(alice, alice_client):
    assert alice_client.post(CREATE, quick(), **JSON).status_code == 201
    response = alice_client.post(CREATE, quick(), **JSON)
    assert response.status_code == 429
    assert "as many as the tracker takes in an hour" in response.json()["errors"]["__all__"][0]
    assert Episode.objects.count() == 1


def test_a_queued_entry_without_a_session_is_told_to_log_in(db):
    response = Client().post(CREATE, quick(), **JSON)
    assert response.status_code == 401
    assert response.json() == {"login": reverse("account_login")}
    assert "no-store" in response["Cache-Control"]
    assert not Episode.objects.exists()
    # A person (not a script) is still sent to the login page.
    assert Client().get(CREATE).status_code == 302


def test_queued_red_flag_answers_are_stored_once(alice, alice_client):
    url = reverse("tracker:red_flag_check")
    data = {"submission_key": str(uuid.uuid4()), "red_flags": ["chest_pain"]}
    first = alice_client.post(url, data, **JSON)
    again = alice_client.post(url, data, **JSON)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["url"] == reverse("tracker:advice")
    assert RedFlagAnswer.objects.filter(patient=alice).count() == 1
    bad = alice_client.post(url, {"submission_key": str(uuid.uuid4())}, **JSON)
    assert bad.status_code == 400 and "red_flags" in bad.json()["errors"]


def test_the_json_answers_are_valid_json_with_a_json_type(alice_client):
    response = alice_client.post(CREATE, quick(), **JSON)
    assert response["Content-Type"] == "application/json"
    json.loads(response.content)
