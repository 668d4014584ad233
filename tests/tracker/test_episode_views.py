"""Logging, changing, ending and deleting episodes through the quick log and its optional steps,
with the safety questions, bad input, the clock, the write limit and moves between time zones.

What the quick log's own screen and its JSON answers do is in test_quick_log.py.
"""

import datetime
import uuid
import zoneinfo

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from clinic.access import approve_clinician
from tests.conftest import client_for
from tests.factories import log_episode, share
from tracker import services
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
from tracker.services import EpisodeInput

LONDON = zoneinfo.ZoneInfo("Europe/London")
LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
CREATE = reverse("tracker:episode_create")
ADVICE = reverse("tracker:advice")
DASHBOARD = reverse("tracker:dashboard")
EPISODES = reverse("tracker:episode_list")
PROFILE = reverse("profile")


def quick_log(**overrides: object) -> dict:
    """Return a valid quick log: yesterday 09:30 to 10:15 London time, 5, stopped."""
    yesterday = timezone.now().astimezone(LONDON).date() - datetime.timedelta(days=1)
    data = {
        "submission_key": str(uuid.uuid4()),
        "start_date": yesterday.isoformat(),
        "start_time": "09:30",
        "severity": "5",
        "status": "ended",
        "end_date": yesterday.isoformat(),
        "end_time": "10:15",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def ongoing(**overrides: object) -> dict:
    """A quick log of an episode still going: no end."""
    return quick_log(**{"status": "ongoing", "end_date": None, "end_time": None, **overrides})


def step_url(episode: Episode, step: str, *, alone: bool = False) -> str:
    """A detail step: in the sequence after a quick log, or alone from the episode's page."""
    url = reverse("tracker:episode_step", args=[episode.pk, step])
    return f"{url}?from=episode" if alone else url


def edit_url(episode: Episode) -> str:
    return reverse("tracker:episode_edit", args=[episode.pk])


def log(client, alice, data: dict | None = None) -> Episode:
    """Save a quick log as the patient does and return the episode it stored."""
    response = client.post(CREATE, data or quick_log())
    assert response.status_code == 302, response.context and response.context["form"].errors
    episode = Episode.objects.filter(patient=alice).latest("created_at")
    assert response["Location"] == step_url(episode, "safety")
    return episode


@pytest.fixture
def alice_client(alice):
    alice.time_zone = "Europe/London"
    alice.save()
    return client_for(alice)


def local_dt(day: str, time: str, zone=LONDON) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=zone)


def test_logging_an_episode_stores_local_times_as_utc_with_all_details(alice, alice_client):
    data = quick_log()
    episode = log(alice_client, alice, data)
    assert episode.started_at == local_dt(data["start_date"], "09:30")
    assert episode.ended_at == local_dt(data["start_date"], "10:15")
    assert episode.severity == 5
    # Each step, in turn, saves its own part and leads to the next; the last to the episode.
    steps = [
        ("safety", {}, "where"),
        (
            "where",
            {"side_lower": "left", "side_upper": "both", "spread": ["buttock"]},
            "triggers",
        ),
        ("triggers", {"triggers": ["heavy_lifting", "stress"], "activity": "Gardening"}, "relief"),
        (
            "relief",
            {"relief_heat": "2", "relief_short_rest": "unsure", "relief_stretching": "-1"},
            "notes",
        ),
        ("notes", {"notes": "Lifted a box."}, None),
    ]
    for step, posted, following in steps:
        response = alice_client.post(step_url(episode, step), posted)
        assert response.status_code == 302
        expected = step_url(episode, following) if following else episode.get_absolute_url()
        assert response["Location"] == expected, step
    episode.refresh_from_db()
    assert (episode.started_at, episode.ended_at, episode.severity) == (
        local_dt(data["start_date"], "09:30"),
        local_dt(data["start_date"], "10:15"),
        5,
    )
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


def test_an_ongoing_episode_has_no_end_and_ends_in_one_click(alice, alice_client):
    episode = log(alice_client, alice, ongoing())
    assert episode.ended_at is None
    before = timezone.now()
    response = alice_client.post(reverse("tracker:episode_end", args=[episode.pk]))
    episode.refresh_from_db()
    assert response.status_code == 302
    assert before <= episode.ended_at <= timezone.now()


def test_a_time_in_the_autumn_clock_change_hour_is_taken_as_the_first(alice, alice_client):
    # 26 Oct 2025, 01:30 happened twice in London; the first was 00:30 UTC.
    data = quick_log(
        start_date="2025-10-26", start_time="01:30", end_date="2025-10-26", end_time="03:00"
    )
    episode = log(alice_client, alice, data)
    assert episode.started_at == datetime.datetime(2025, 10, 26, 0, 30, tzinfo=datetime.UTC)
    assert episode.ended_at == datetime.datetime(2025, 10, 26, 3, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("times", "field"),
    [
        ({"start_time": "01:30", "end_time": "03:00"}, "start_time"),
        ({"start_time": "00:30", "end_time": "01:15"}, "end_time"),
    ],
)
def test_a_time_the_spring_clock_change_skipped_is_refused(alice_client, times, field):
    # 30 Mar 2025: London went from 01:00 straight to 02:00.
    data = quick_log(start_date="2025-03-30", end_date="2025-03-30", **times)
    response = alice_client.post(CREATE, data)
    assert response.status_code == 200
    assert "did not happen on that day" in response.context["form"].errors[field][0]
    assert not Episode.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        # The rest of the first screen's bad input is in test_quick_log.py.
        ({"start_date": "0001-01-01"}, "start_date", "between 1900 and 2100"),
        ({"end_date": "2101-01-01"}, "end_date", "between 1900 and 2100"),
        ({"end_date": "2025-02-30"}, "end_date", "Enter a valid date"),
        ({"end_time": "24:00"}, "end_time", "Enter a valid time"),
    ],
)
def test_bad_input_on_the_first_screen_is_explained_next_to_the_field_and_saves_nothing(
    alice_client, overrides, field, message
):
    data = quick_log(**overrides)
    response = alice_client.post(CREATE, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    # What was typed comes back in the form.
    for name in ("start_date", "start_time", "end_date", "end_time", "severity", "status"):
        assert form[name].value() == data[name]
    assert b"Please check the form" in response.content
    assert not Episode.objects.exists()
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("step", "posted", "field", "message", "kept"),
    [
        (
            "triggers",
            {"triggers": ["heavy_lifting", "made_up"], "activity": "Keep this text"},
            "triggers",
            "Select a valid choice",
            "activity",
        ),
        (
            "triggers",
            {"triggers": ["none_identified", "stress"], "activity": "Keep this text"},
            "triggers",
            "None that I can think of",
            "activity",
        ),
        (
            "where",
            {"side_lower": "middle", "side_upper": "left", "spread": ["buttock"]},
            "side_lower",
            "Select a valid choice",
            "side_upper",
        ),
        (
            "relief",
            {"relief_heat": "3", "relief_cold": "1"},
            "relief_heat",
            "Select a valid choice",
            "relief_cold",
        ),
        (
            "safety",
            {"red_flags": ["weight_loss", "fever"]},
            "red_flags",
            "Select a valid choice",
            "red_flags",
        ),
        ("notes", {"notes": "x" * 2001}, "notes", "at most 2000 characters", "notes"),
    ],
)
def test_bad_input_in_a_step_is_explained_next_to_the_field_and_saves_nothing(
    alice, alice_client, step, posted, field, message, kept
):
    episode = log(alice_client, alice)
    response = alice_client.post(step_url(episode, step), posted)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    assert form[kept].value() == posted[kept]
    assert b"Please check the form" in response.content
    # Nothing of the step is stored, and the episode is as the quick log saved it.
    episode.refresh_from_db()
    assert (episode.activity, episode.notes, episode.severity) == ("", "", 5)
    for model in (EpisodeTrigger, EpisodeSpread, EpisodeLocation, ReliefTried, RedFlagAnswer):
        assert not model.objects.exists(), model


def test_an_end_in_the_future_is_refused(alice_client):
    later = timezone.now().astimezone(LONDON) + datetime.timedelta(hours=2)
    data = quick_log(end_date=later.date().isoformat(), end_time=later.strftime("%H:%M"))
    response = alice_client.post(CREATE, data)
    assert "cannot be in the future" in response.context["form"].errors["end_time"][0]
    assert not Episode.objects.exists()


def test_changing_when_refuses_bad_input_and_changes_nothing(alice, alice_client):
    episode = log(alice_client, alice)
    before = (episode.started_at, episode.ended_at, episode.severity)
    later = timezone.now().astimezone(LONDON) + datetime.timedelta(hours=2)
    response = alice_client.post(
        edit_url(episode),
        ongoing(
            start_date=later.date().isoformat(), start_time=later.strftime("%H:%M"), severity="9"
        ),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["start_time"] == ["The start cannot be in the future."]
    episode.refresh_from_db()
    assert (episode.started_at, episode.ended_at, episode.severity) == before


def test_a_quick_log_and_a_step_sent_twice_store_them_once(alice, alice_client):
    data = quick_log()
    first = alice_client.post(CREATE, data)
    second = alice_client.post(CREATE, data)
    assert Episode.objects.filter(patient=alice).count() == 1
    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Submission.objects.filter(patient=alice).count() == 1
    # A step replaces its own part, so sending it again changes nothing.
    episode = Episode.objects.get(patient=alice)
    for _ in range(2):
        alice_client.post(step_url(episode, "triggers"), {"triggers": ["stress"]})
    assert list(EpisodeTrigger.objects.values_list("code", flat=True)) == ["stress"]


def test_a_key_used_by_another_patient_does_not_block_or_leak(alice, alice_client, charlie):
    data = quick_log()
    first = alice_client.post(CREATE, data)
    response = client_for(charlie).post(CREATE, data)
    charlies = Episode.objects.get(patient=charlie)
    assert response["Location"] == step_url(charlies, "safety") != first["Location"]
    assert Episode.objects.filter(patient=alice).count() == 1


def test_changing_an_episode_records_only_new_red_flags(alice, alice_client):
    episode = log(alice_client, alice)
    response = alice_client.post(step_url(episode, "where"), {"spread": ["both_legs"]})
    assert response["Location"] == ADVICE
    # Changing when and how bad keeps the answers and asks nothing again.
    response = alice_client.post(edit_url(episode), quick_log(severity="6"))
    assert response["Location"] == episode.get_absolute_url()
    # The safety questions, opened from the episode, show what was answered; only fever is new.
    page = alice_client.get(step_url(episode, "safety", alone=True))
    assert page.context["form"].initial["red_flags"] == ["both_legs"]
    response = alice_client.post(
        step_url(episode, "safety", alone=True), {"red_flags": ["both_legs", "fever"]}
    )
    assert response["Location"] == ADVICE
    # The same answers again are nothing new: back to the episode, nothing recorded.
    response = alice_client.post(
        step_url(episode, "safety", alone=True), {"red_flags": ["both_legs", "fever"]}
    )
    assert response["Location"] == episode.get_absolute_url()
    assert sorted(RedFlagAnswer.objects.values_list("code", flat=True)) == ["both_legs", "fever"]


def test_an_emergency_answer_goes_straight_to_the_advice(alice, alice_client):
    saved = alice_client.post(CREATE, quick_log(), follow=True)
    # The quick log's "saved" comes with the safety questions, the first step.
    assert "Your episode is saved." in saved.content.decode()
    episode = Episode.objects.get(patient=alice)
    assert saved.redirect_chain == [(step_url(episode, "safety"), 302)]
    response = alice_client.post(
        step_url(episode, "safety"), {"red_flags": ["bladder_bowel_control", "fever"]}, follow=True
    )
    assert response.redirect_chain == [(ADVICE, 302)]
    content = response.content.decode()
    emergency = content.index("Call 999 or go to A&amp;E now")
    urgent = content.index("Get medical advice today")
    assert content.index('id="main"') < emergency < urgent
    answers = RedFlagAnswer.objects.filter(patient=alice, episode=episode)
    assert set(answers.values_list("code", flat=True)) == {"bladder_bowel_control", "fever"}
    assert all(answer.advice_shown_at is not None for answer in answers)


@pytest.mark.parametrize("spread", [["both_legs"], ["left_leg", "right_leg"]])
def test_pain_spreading_to_both_legs_stores_the_emergency_answer_and_advises_at_once(
    alice, alice_client, spread
):
    episode = log(alice_client, alice)
    response = alice_client.post(step_url(episode, "where"), {"spread": spread}, follow=True)
    answers = RedFlagAnswer.objects.filter(patient=alice)
    assert list(answers.values_list("code", "episode")) == [("both_legs", episode.pk)]
    # The advice is the very next page, and it is recorded as shown.
    assert response.redirect_chain == [(ADVICE, 302)]
    content = response.content.decode()
    assert "Call 999 or go to A&amp;E now" in content
    assert "Pain, tingling, numbness or weakness in both legs" in content
    assert answers.get().advice_shown_at is not None
    # The step's answer itself is kept.
    assert sorted(episode.spread.values_list("code", flat=True)) == sorted(spread)
    # And it stays in front of the patient on every page for the day.
    assert "Urgent advice for you" in alice_client.get(DASHBOARD).content.decode()


def test_both_legs_is_a_red_flag_of_the_episode_itself_not_of_the_form(alice):
    # The rule lives in the services, so an episode stored by any door answers it.
    data = EpisodeInput(
        started_at=timezone.now() - datetime.timedelta(hours=2),
        ended_at=None,
        severity=6,
        spread=["left_leg", "right_leg"],
    )
    assert services.red_flags_for(data) == ["both_legs"]
    episode, answered = services.record_episode(patient=alice, data=data, now=timezone.now())
    assert answered == ["both_legs"]
    assert list(episode.red_flags.values_list("code", flat=True)) == ["both_legs"]
    advice = services.status_for(alice, now=timezone.now()).assessment.advice
    assert advice == ("both_legs",)


def test_adding_both_legs_to_an_episode_later_advises_at_once(alice, alice_client):
    episode = log(alice_client, alice)
    alice_client.post(step_url(episode, "where"), {"spread": ["buttock"]})
    assert not RedFlagAnswer.objects.exists()
    response = alice_client.post(
        step_url(episode, "where", alone=True), {"spread": ["buttock", "left_leg", "right_leg"]}
    )
    assert response["Location"] == ADVICE
    assert list(RedFlagAnswer.objects.values_list("code", flat=True)) == ["both_legs"]


def test_the_short_screen_asks_emergency_items_and_the_two_commonest_urgent_ones(
    alice, alice_client
):
    episode = log(alice_client, alice)
    form = alice_client.get(step_url(episode, "safety")).context["form"]
    codes = {choice.data["value"] for choice in form["red_flags"]}
    assert {"saddle_numbness", "both_legs", "chest_pain", "fever", "night_pain"} <= codes
    assert "weight_loss" not in codes
    assert "pregnancy_bleeding" not in codes


def test_a_pregnant_patient_is_also_asked_the_pregnancy_questions(alice, alice_client):
    PatientProfile.objects.create(user=alice, pregnant=True)
    episode = log(alice_client, alice)
    form = alice_client.get(step_url(episode, "safety")).context["form"]
    codes = {choice.data["value"] for choice in form["red_flags"]}
    assert "pregnancy_bleeding" in codes


def test_editing_replaces_the_details_step_by_step(alice, alice_client):
    episode = log(alice_client, alice)
    alice_client.post(step_url(episode, "where"), {"side_lower": "left"})
    alice_client.post(step_url(episode, "triggers"), {"triggers": ["stress"]})
    # Each step opened from the episode shows what it holds now.
    triggers = alice_client.get(step_url(episode, "triggers", alone=True)).context["form"]
    assert triggers.initial["triggers"] == ["stress"]
    where = alice_client.get(step_url(episode, "where", alone=True)).context["form"]
    assert where.initial["side_lower"] == "left"
    for step, posted in (
        ("triggers", {"triggers": ["cold"]}),
        ("where", {"side_mid": "right"}),
    ):
        response = alice_client.post(step_url(episode, step, alone=True), posted)
        assert response["Location"] == episode.get_absolute_url()
    response = alice_client.post(edit_url(episode), quick_log(severity="8"))
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.severity == 8
    assert list(episode.triggers.values_list("code", flat=True)) == ["cold"]
    assert list(episode.locations.values_list("region", "side")) == [("mid", "right")]
    assert Episode.objects.count() == 1


def test_deleting_an_episode_removes_its_details(alice, alice_client):
    episode = log_episode(
        alice,
        start=timezone.now() - datetime.timedelta(hours=3),
        end=timezone.now() - datetime.timedelta(hours=2),
        triggers=["stress"],
        spread=["buttock"],
        relief={"heat": 1},
        locations=[("lower", "left")],
    )
    services.change_details(
        episode=episode, details=services.Details(red_flags=["fever"]), now=timezone.now()
    )
    assert alice_client.get(reverse("tracker:episode_delete", args=[episode.pk])).status_code == 200
    response = alice_client.post(reverse("tracker:episode_delete", args=[episode.pk]))
    assert response.status_code == 302
    assert not Episode.objects.exists()
    for model in (EpisodeTrigger, EpisodeSpread, EpisodeLocation, ReliefTried):
        assert not model.objects.exists()
    # A safety answer is the patient's, not the episode's: it stays, without the episode.
    assert list(RedFlagAnswer.objects.values_list("code", "episode")) == [("fever", None)]


def test_the_detail_page_shows_local_times_and_words(alice, alice_client):
    episode = log(alice_client, alice, quick_log(severity="7"))
    alice_client.post(step_url(episode, "triggers"), {"triggers": ["cold"]})
    content = alice_client.get(episode.get_absolute_url()).content.decode()
    assert "09:30" in content
    assert "10:15" in content
    assert "7 (severe)" in content
    assert "Cold or a sudden temperature change" in content


def test_logging_yesterday_does_not_block_logging_today(alice, alice_client):
    log(alice_client, alice)
    earlier = timezone.now().astimezone(LONDON) - datetime.timedelta(minutes=5)
    log(
        alice_client,
        alice,
        ongoing(start_date=earlier.date().isoformat(), start_time=earlier.strftime("%H:%M")),
    )
    assert Episode.objects.filter(patient=alice).count() == 2


# The clock: a start a little ahead is "now", further ahead is refused


@pytest.fixture
def near_midnight(monkeypatch) -> datetime.datetime:
    """Pin the clock at 23:57 London time today, three minutes before the local day ends."""
    local = timezone.now().astimezone(LONDON).replace(hour=23, minute=57, second=0, microsecond=0)
    pinned = local.astimezone(datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: pinned)
    return pinned


def starting_in(minutes: int, **overrides: object) -> dict:
    """Return a still-going quick log starting some minutes from now, London time."""
    start = timezone.now().astimezone(LONDON) + datetime.timedelta(minutes=minutes)
    return ongoing(
        start_date=start.date().isoformat(), start_time=start.strftime("%H:%M"), **overrides
    )


def test_a_start_more_than_ten_minutes_ahead_is_refused_next_to_the_start_time(
    near_midnight, alice_client
):
    data = starting_in(11)
    response = alice_client.post(CREATE, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["start_time"] == ["The start cannot be in the future."]
    assert list(form.errors) == ["start_time"]
    assert (form["start_date"].value(), form["start_time"].value()) == (
        data["start_date"],
        data["start_time"],
    )
    content = response.content.decode()
    field = content.index('id="div_id_start_time"')
    message = content.index("The start cannot be in the future.", field)
    # Next to the start time: after its field, before the scale and the status that follow it.
    assert field < message < content.index('id="id_severity"') < content.index('id="id_status"')
    assert not Episode.objects.exists()
    assert not Submission.objects.exists()


def test_a_start_ten_minutes_ahead_is_taken_as_now(alice, near_midnight, alice_client):
    response = alice_client.post(CREATE, starting_in(10))
    assert response.status_code == 302
    episode = Episode.objects.get(patient=alice)
    assert episode.started_at == near_midnight + datetime.timedelta(minutes=10)


def test_a_start_a_few_minutes_ahead_across_midnight_breaks_no_page(
    alice, bob, near_midnight, alice_client, monkeypatch
):
    approve_clinician(user=bob)
    share(alice, bob)
    today = near_midnight.astimezone(LONDON).date()
    tomorrow = today + datetime.timedelta(days=1)

    episode = log(alice_client, alice, starting_in(5, severity="6"))

    assert episode.started_at == near_midnight + datetime.timedelta(minutes=5)
    # Dated by the local date of its start: tomorrow, while it is still today.
    assert (episode.start_day, episode.end_day, episode.time_zone) == (
        tomorrow,
        None,
        "Europe/London",
    )
    # The steps that follow work on it too.
    assert alice_client.get(step_url(episode, "safety")).status_code == 200
    assert alice_client.post(step_url(episode, "notes"), {"notes": "Late."}).status_code == 302
    dashboard = alice_client.get(DASHBOARD)
    assert dashboard.status_code == 200
    assert dashboard.context["summary"].today == today
    assert dashboard.context["summary"].open_episodes == [episode]
    # It counts from its own day: today has no symptoms logged yet.
    assert dashboard.context["summary"].rows[-1].worst is None
    listing = alice_client.get(EPISODES)
    assert listing.status_code == 200
    assert list(listing.context["page"].object_list) == [episode]
    assert alice_client.get(episode.get_absolute_url()).status_code == 200
    assert alice_client.get(edit_url(episode)).status_code == 200
    clinician = client_for(bob)
    assert clinician.get(reverse("clinic:queue")).status_code == 200
    detail = reverse("clinic:patient_detail", args=[alice.pk])
    assert clinician.get(detail).status_code == 200

    # Once its day comes, it counts.
    later = near_midnight + datetime.timedelta(minutes=13)
    monkeypatch.setattr(timezone, "now", lambda: later)
    summary = alice_client.get(DASHBOARD).context["summary"]
    assert summary.today == tomorrow
    assert summary.rows[-1].worst == 6
    assert clinician.get(reverse("clinic:queue")).status_code == 200


@pytest.mark.parametrize("how", ["the episode's button", "the quick log's 'It has stopped'"])
def test_ending_an_episode_started_a_few_minutes_ahead_keeps_it_valid(
    alice, near_midnight, alice_client, how
):
    if how == "the episode's button":
        episode = log(alice_client, alice, starting_in(5))
        response = alice_client.post(reverse("tracker:episode_end", args=[episode.pk]))
        assert response.status_code == 302
        episode.refresh_from_db()
    else:
        # "It has stopped" with no time means now, which is before the start.
        episode = log(alice_client, alice, starting_in(5, status="ended"))
    # Ended "now", which is before the start: the end is moved to the start, not before it.
    assert episode.ended_at == episode.started_at
    assert episode.end_day == episode.start_day
    assert alice_client.get(DASHBOARD).status_code == 200


# The write limit


def test_the_episode_after_the_hours_limit_is_refused_and_nothing_is_stored(
    alice, midday, alice_client, monkeypatch
):
    start = midday - datetime.timedelta(days=1)
    earlier = [
        log_episode(alice, start=start + datetime.timedelta(minutes=n), severity=3).pk
        for n in range(django_settings.PORTAL_EPISODES_PER_HOUR)
    ]
    data = quick_log(severity="8", start_time="08:05")

    response = alice_client.post(CREATE, data)

    assert response.status_code == 200
    form = response.context["form"]
    limit = django_settings.PORTAL_EPISODES_PER_HOUR
    message = (
        f"You have logged {limit} entries in the last hour, which is as many as the tracker "
        "takes in an hour. Nothing more was saved. Please try again later. If you need help "
        "now, use Get help."
    )
    assert form.non_field_errors() == [message]
    assert message in response.content.decode()
    assert (form["start_time"].value(), form["severity"].value()) == ("08:05", "8")
    assert sorted(Episode.objects.filter(patient=alice).values_list("pk", flat=True)) == earlier
    assert not Submission.objects.exists()

    # An hour on, the same form is taken: the refused post did not use up its key.
    later = midday + datetime.timedelta(hours=1, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert alice_client.post(CREATE, data).status_code == 302
    assert Episode.objects.filter(patient=alice).count() == limit + 1


# Moving to another time zone


def move_to(client, user, zone: str):
    response = client.post(
        PROFILE,
        {"first_name": "", "last_name": "", "email": user.email, "time_zone": zone},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.time_zone == zone
    return response


@pytest.fixture
def alice_in_los_angeles(alice):
    alice.time_zone = "America/Los_Angeles"
    alice.save()
    return client_for(alice)


def test_a_move_never_re_dates_a_past_episode(alice, alice_in_los_angeles):
    client = alice_in_los_angeles
    data = quick_log(
        start_date="2025-01-01", start_time="23:30", end_date="2025-01-01", end_time="23:50"
    )
    episode = log(client, alice, data)
    new_year = datetime.date(2025, 1, 1)
    assert (episode.start_day, episode.end_day) == (new_year, new_year)

    move_to(client, alice, "Europe/London")

    episode.refresh_from_db()
    # 23:30 in Los Angeles was 07:30 on 2 January in London; it stays a 1 January entry.
    assert episode.started_at == datetime.datetime(2025, 1, 2, 7, 30, tzinfo=datetime.UTC)
    assert (episode.start_day, episode.end_day) == (new_year, new_year)
    assert episode.time_zone == "America/Los_Angeles"
    listing = client.post(EPISODES, {"since": "2025-01-01", "until": "2025-01-01"}, follow=True)
    assert list(listing.context["page"].object_list) == [episode]
    # Adding details afterwards does not re-date it either.
    client.post(step_url(episode, "notes", alone=True), {"notes": "After the move."})
    episode.refresh_from_db()
    assert (episode.start_day, episode.end_day) == (new_year, new_year)


def test_a_move_never_lowers_a_raised_two_week_flag(alice, midday, alice_in_los_angeles):
    client = alice_in_los_angeles
    today = midday.astimezone(LOS_ANGELES).date()
    first = today - datetime.timedelta(days=14)
    # Still going since 23:30 on the first day, Los Angeles time: 15 days by today.
    log(client, alice, ongoing(start_date=first.isoformat(), start_time="23:30"))
    flag = "Your symptoms have gone on for more than two weeks"
    run = f"for 15 days, from {first:%-d %b %Y}"
    content = client.get(DASHBOARD).content.decode()
    assert flag in content
    assert run in content

    move_to(client, alice, "Europe/London")

    # Read in London the start would be the next morning, 14 days: the recorded date stands.
    assert midday.astimezone(LONDON).date() == today
    response = client.get(DASHBOARD)
    content = response.content.decode()
    assert flag in content
    assert run in content
    assert response.context["summary"].assessment.days_counted == 15


def test_editing_an_old_episode_after_a_move_keeps_its_times_and_dates(alice, alice_in_los_angeles):
    client = alice_in_los_angeles
    when = {
        "start_date": "2025-01-01",
        "start_time": "23:30",
        "end_date": "2025-01-02",
        "end_time": "00:20",
    }
    episode = log(client, alice, quick_log(**when))
    client.post(step_url(episode, "triggers"), {"triggers": ["stress"]})
    before = (episode.started_at, episode.ended_at, episode.start_day, episode.end_day)
    assert before[2:] == (datetime.date(2025, 1, 1), datetime.date(2025, 1, 2))

    move_to(client, alice, "Europe/London")

    form = client.get(edit_url(episode)).context["form"]
    # Shown in the zone it was recorded in, as the patient typed it.
    assert form.initial["start_date"] == datetime.date(2025, 1, 1)
    assert form.initial["start_time"] == datetime.time(23, 30)
    assert form.initial["end_date"] == datetime.date(2025, 1, 2)
    assert form.initial["end_time"] == datetime.time(0, 20)
    # Saved unchanged but for how bad, nothing moves and the details stay.
    response = client.post(edit_url(episode), quick_log(severity="7", **when))
    assert response.status_code == 302
    episode.refresh_from_db()
    assert (episode.started_at, episode.ended_at, episode.start_day, episode.end_day) == before
    assert episode.time_zone == "America/Los_Angeles"
    assert episode.severity == 7
    assert list(episode.triggers.values_list("code", flat=True)) == ["stress"]


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_the_same_form_sent_at_the_same_moment_creates_one_episode() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from tests.conftest import make_user

    alice = make_user("alice")
    data = quick_log()

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
