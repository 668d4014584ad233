"""Every tracker form and URL parameter, fed anything: never a server error, never bad rows.

Each example snapshots the project's tables before and after its request. A refused form must
leave them exactly as they were; an accepted one may change only what it is for, and what it
wrote must obey the rules the form promises (a day that has come, 1 to 5,000 ml, and so on).
A patient's write also stores their status (tracker.PatientStatus) in the same transaction:
only their own row, and it must then be the assessment of their log. A page that is only read
may refresh the reader's own stale status, nothing else.
"""

import datetime
import uuid
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import event, example, given
from hypothesis import strategies as st

from accounts.models import User
from tests.factories import add_drink, answer_red_flags, log_episode
from tests.properties.conftest import assert_status_matches_log, make_episode
from tests.properties.state import (
    STATUS,
    changed_statuses,
    changed_tables,
    new_rows,
    rolled_back,
    snapshot,
)
from tests.properties.strategies import (
    any_day,
    day_text,
    examples,
    form_data,
    id_in_path,
    junk,
    junk_text,
    last,
    past_day,
    path_ids,
    path_with,
    some_of,
    spoiled,
    text,
)
from tracker import dates
from tracker.forms import EFFECT_CHOICES, DayField, red_flag_choices
from tracker.models import (
    CheckIn,
    Drink,
    Episode,
    HydrationDay,
    PatientProfile,
    PatientStatus,
    RedFlagAnswer,
    Region,
    Relief,
    Side,
    Spread,
    Submission,
    Trigger,
)
from tracker.rules import RED_FLAGS_BY_CODE

EPISODE_DETAIL_TABLES = {
    "tracker.EpisodeTrigger",
    "tracker.EpisodeSpread",
    "tracker.EpisodeLocation",
    "tracker.ReliefTried",
    "tracker.RedFlagAnswer",
}
JSON = {"HTTP_ACCEPT": "application/json"}


def ticked(data: dict, name: str) -> bool:
    """Return what a checkbox field reads from the submission."""
    return forms.CheckboxInput().value_from_datadict({name: last(data.get(name, ""))}, {}, name)


def unused_key(patient: User, data: dict) -> bool:
    """Say whether the submission carries a key this patient has not used yet."""
    try:
        key = uuid.UUID(last(data.get("submission_key", "")))
    except ValueError:
        return False
    return not Submission.objects.filter(patient=patient, key=key).exists()


def iso(day: datetime.date) -> str:
    return day.isoformat()


def local_today(zone: ZoneInfo) -> datetime.date:
    return dates.local_day(timezone.now(), zone)


def assert_own_status_stored(patient: User, before: dict, after: dict) -> None:
    """Check that a patient's write stored their status, and nobody else's."""
    assert changed_statuses(before, after) == {patient.pk}
    assert_status_matches_log(patient)


def assert_local(location: str) -> None:
    assert location.startswith("/") and not location.startswith("//"), location


@st.composite
def quick_logs(draw: st.DrawFn) -> dict[str, object]:
    """Draw a coherent quick log as alice (in the default zone) would send it: a start, 0-10,
    and still going, or stopped now, at a time today, or at a day and time."""
    now = timezone.now().astimezone(ZoneInfo(settings.PORTAL_DEFAULT_TIME_ZONE))
    start = now - datetime.timedelta(minutes=draw(st.integers(1, 60 * 24 * 90)))
    end = min(start + datetime.timedelta(minutes=draw(st.integers(0, 600))), now)
    ended = draw(st.sampled_from(["", "now", "time", "day and time"]))
    return {
        "submission_key": str(draw(st.uuids())),
        "start_date": iso(start.date()),
        "start_time": start.strftime("%H:%M"),
        "severity": str(draw(st.integers(0, 10))),
        "status": "ended" if ended else "ongoing",
        "end_date": iso(end.date()) if ended == "day and time" else "",
        "end_time": end.strftime("%H:%M") if ended in ("time", "day and time") else "",
    }


def assert_times_obey_the_form(episode: Episode, data: dict[str, object]) -> None:
    """Check when and how bad, as the quick log (new or changing an episode) promises them."""
    latest = timezone.now() + dates.CLOCK_SKEW_TOLERANCE
    assert str(episode.severity) == last(data["severity"])
    assert episode.started_at <= latest
    if last(data["status"]) == "ongoing":
        assert episode.ended_at is None
    else:
        # "It has stopped" with no time is stopped now: either way it has an end.
        assert episode.ended_at is not None
        assert episode.started_at <= episode.ended_at <= latest
    # Dated in the zone it was recorded in, and the days are those its times cover there.
    assert episode.time_zone == episode.patient.time_zone
    assert (episode.start_day, episode.end_day) == dates.span_days(
        episode.started_at, episode.ended_at, episode.zone
    )


@examples(30)
@given(data=spoiled(quick_logs()), as_json=st.booleans())
@rolled_back
def test_a_quick_log_saves_a_sound_episode_or_nothing(
    patient: User, patient_client: Client, data: dict, as_json: bool
) -> None:
    fresh_key = unused_key(patient, data)
    before = snapshot()

    response = patient_client.post(
        reverse("tracker:episode_create"), data, **(JSON if as_json else {})
    )
    event(f"status {response.status_code}{' (JSON)' if as_json else ''}")

    after = snapshot()
    changed = changed_tables(before, after)
    refused, stored = (400, 200) if as_json else (200, 302)
    assert response.status_code in {refused, stored, 201 if as_json else 302}
    if response.status_code == refused or not fresh_key:
        assert changed == set()
        return
    where_next = response.json()["url"] if as_json else response["Location"]
    assert_local(where_next)
    # The episode alone: its details are the optional steps that follow.
    assert changed <= {"tracker.Episode", "tracker.Submission", STATUS}
    [row] = new_rows(before, after, "tracker.Episode")
    episode = Episode.objects.get(pk=row[0], patient=patient)
    assert where_next == reverse("tracker:episode_step", args=[episode.pk, "safety"])
    assert_times_obey_the_form(episode, data)
    assert (episode.activity, episode.trigger_other, episode.notes) == ("", "", "")
    assert Submission.objects.filter(patient=patient, key=last(data["submission_key"])).exists()
    assert_own_status_stored(patient, before, after)


@examples(22)
@given(data=spoiled(quick_logs()))
@rolled_back
def test_changing_when_and_how_bad_saves_a_sound_episode_or_nothing(
    patient: User, patient_client: Client, data: dict
) -> None:
    episode = make_episode(patient)
    before = snapshot()

    response = patient_client.post(reverse("tracker:episode_edit", args=[episode.pk]), data)
    event(f"status {response.status_code}")

    after = snapshot()
    assert response.status_code in (200, 302)
    changed = changed_tables(before, after)
    if response.status_code == 200:
        assert changed == set()
        return
    assert response["Location"] == episode.get_absolute_url()
    # Only the episode's own row, and the status: its details stay, no key is used.
    assert changed <= {"tracker.Episode", STATUS}
    assert {row[0] for row in new_rows(before, after, "tracker.Episode")} <= {episode.pk}
    episode.refresh_from_db()
    assert_times_obey_the_form(episode, data)
    assert episode.notes == "Lifting boxes."
    assert_own_status_stored(patient, before, after)


# The optional steps after a quick log: what each may change besides the status.
STEP_TABLES = {
    "safety": {"tracker.RedFlagAnswer"},
    "where": {"tracker.EpisodeLocation", "tracker.EpisodeSpread", "tracker.RedFlagAnswer"},
    "triggers": {"tracker.Episode", "tracker.EpisodeTrigger"},
    "relief": {"tracker.ReliefTried"},
    "notes": {"tracker.Episode"},
}
# The episode's own columns each step may change.
STEP_COLUMNS = {"triggers": {"activity", "trigger_other"}, "notes": {"notes"}}
SHORT_SCREEN = [code for code, _label in red_flag_choices(pregnant=False, short=True)]
STEP_FIELDS: dict[str, dict[str, st.SearchStrategy]] = {
    "safety": {"red_flags": some_of(SHORT_SCREEN)},
    "where": {
        **{f"side_{region}": st.sampled_from(["", *Side.values]) for region in Region.values},
        "spread": some_of(Spread.values),
    },
    # Every trigger, "none" and "something else" too, so the checks between them are reached.
    "triggers": {
        "activity": text(60),
        "triggers": some_of(Trigger.values),
        "trigger_other": st.one_of(st.just(""), text(60)),
    },
    "relief": {
        f"relief_{relief}": st.sampled_from([value for value, _ in EFFECT_CHOICES])
        for relief in Relief.values
    },
    "notes": {"notes": text(300)},
}


@st.composite
def step_posts(draw: st.DrawFn, step: str) -> dict[str, object]:
    """Draw what a step's form sends, a few fields spoiled. ("Skip this step" is a link to the
    next step: it sends nothing.)"""
    return draw(form_data(STEP_FIELDS[step], max_spoiled=2))


def episode_row(episode: Episode) -> dict[str, object]:
    return Episode.objects.filter(pk=episode.pk).values().get()


@pytest.mark.parametrize("step", sorted(STEP_FIELDS))
@examples(12)
@given(drawn=st.data(), alone=st.booleans())
@rolled_back
def test_a_detail_step_saves_only_its_own_sound_part_or_nothing(
    patient: User, patient_client: Client, step: str, drawn: st.DataObject, alone: bool
) -> None:
    data = drawn.draw(step_posts(step), label="posted")
    # Every part already holds something, so a step touching another part would show.
    episode = log_episode(
        patient,
        start=timezone.now() - datetime.timedelta(hours=30),
        end=timezone.now() - datetime.timedelta(hours=29),
        severity=4,
        activity="Moving house",
        notes="Lifting boxes.",
        triggers=["stress"],
        spread=["buttock"],
        locations=[("lower", "left")],
        relief={"heat": 1},
    )
    url = reverse("tracker:episode_step", args=[episode.pk, step])
    row_before = episode_row(episode)
    before = snapshot()

    response = patient_client.post(url + ("?from=episode" if alone else ""), data)
    event(f"{step}: status {response.status_code}")

    after = snapshot()
    assert response.status_code in (200, 302)
    changed = changed_tables(before, after)
    if response.status_code == 200:
        assert changed == set()
        return
    assert_local(response["Location"])
    assert changed <= STEP_TABLES[step] | {STATUS}
    row_after = episode_row(episode)
    moved = {name for name in row_before if row_before[name] != row_after[name]}
    assert moved <= STEP_COLUMNS.get(step, set()) | {"updated_at"}
    answers = RedFlagAnswer.objects.filter(
        pk__in=[row[0] for row in new_rows(before, after, "tracker.RedFlagAnswer")]
    )
    codes = {answer.code for answer in answers}
    assert {(answer.patient_id, answer.episode_id) for answer in answers} <= {
        (patient.pk, episode.pk)
    }
    # A new warning sign goes to the advice at once; otherwise on to the next step or back.
    if codes:
        assert response["Location"] == reverse("tracker:advice")
    else:
        assert response["Location"] != reverse("tracker:advice")
    if step == "safety":
        ticked = data.get("red_flags", [])
        assert codes == set([ticked] if isinstance(ticked, str) else ticked)
        assert codes <= set(SHORT_SCREEN)
    if step == "where":
        spread = set(episode.spread.values_list("code", flat=True))
        assert spread <= set(Spread.values)
        both = "both_legs" in spread or {"left_leg", "right_leg"} <= spread
        assert codes == ({"both_legs"} if both else set())
        assert set(episode.locations.values_list("region", "side")) <= {
            (region, side) for region in Region.values for side in Side.values
        }
    if step == "triggers":
        triggers = set(episode.triggers.values_list("code", flat=True))
        assert triggers <= set(Trigger.values)
        assert (Trigger.OTHER in triggers) == bool(row_after["trigger_other"])
        assert Trigger.NONE_IDENTIFIED not in triggers or triggers == {Trigger.NONE_IDENTIFIED}
        assert len(row_after["activity"]) <= 200 and len(row_after["trigger_other"]) <= 200
    if step == "relief":
        assert set(episode.relief.values_list("code", flat=True)) <= set(Relief.values)
    if step == "notes":
        assert row_after["notes"] == last(data.get("notes", "")).strip()
        assert len(row_after["notes"]) <= 2000 and "\x00" not in row_after["notes"]
    assert_own_status_stored(patient, before, after)


# Ids: alice's newest record, charlie's, or anything at all in the path.
record_ids = st.one_of(st.sampled_from(["own", "other's"]), path_ids)


def resolve_id(choice: str, *, own: int, others: int) -> str:
    return {"own": str(own), "other's": str(others)}.get(choice, choice)


def owns(patient: User, model: type, segment: str) -> bool:
    """Say whether the path segment names one of the patient's own records."""
    pk = id_in_path(segment)
    return pk is not None and model.objects.filter(pk=pk, patient=patient).exists()


@examples(30)
@given(
    choice=record_ids,
    page=st.sampled_from(["episode_detail", "episode_edit", "episode_delete"]),
    query=st.dictionaries(junk_text, junk, max_size=2),
)
@rolled_back
def test_opening_an_episode_by_any_id_changes_nothing(
    patient: User,
    patient_client: Client,
    others_records: dict[str, int],
    choice: str,
    page: str,
    query: dict,
) -> None:
    own = make_episode(patient).pk
    segment = resolve_id(choice, own=own, others=others_records["episode"])
    before = snapshot()

    response = patient_client.get(path_with(f"tracker:{page}", segment), query)
    event(f"status {response.status_code}")

    assert response.status_code == (200 if owns(patient, Episode, segment) else 404)
    assert changed_tables(before, snapshot(), own_status_of=patient.pk) == set()


@examples(30)
@given(
    choice=record_ids,
    action=st.sampled_from(["episode_end", "episode_delete"]),
    next_page=junk,
)
@rolled_back
def test_ending_or_deleting_touches_only_ones_own_episode(
    patient: User,
    patient_client: Client,
    others_records: dict[str, int],
    choice: str,
    action: str,
    next_page: object,
) -> None:
    episode = make_episode(patient, ongoing=True)
    segment = resolve_id(choice, own=episode.pk, others=others_records["episode"])
    target = id_in_path(segment) if owns(patient, Episode, segment) else None
    before = snapshot()

    response = patient_client.post(
        path_with(f"tracker:{action}", segment), {"next_page": next_page}
    )
    event(f"status {response.status_code}")

    after = snapshot()
    if target is None:
        assert response.status_code == 404
        assert changed_tables(before, after) == set()
        return
    assert response.status_code == 302
    assert_local(response["Location"])
    assert changed_tables(before, after) <= {"tracker.Episode", STATUS}
    assert_own_status_stored(patient, before, after)
    untouched = [row for row in before["tracker.Episode"] if row[0] != target]
    assert [row for row in after["tracker.Episode"] if row[0] != target] == untouched
    if action == "episode_delete":
        assert not Episode.objects.filter(pk=target).exists()
    else:
        ended = Episode.objects.get(pk=target)
        assert ended.ended_at is not None and ended.ended_at >= ended.started_at
        assert ended.end_day == dates.span_days(ended.started_at, ended.ended_at, ended.zone)[1]


@examples(22)
@given(
    query=form_data(
        {
            "since": day_text,
            "until": day_text,
            "trigger": st.sampled_from(["", *Trigger.values]),
            "page": st.integers(min_value=-3, max_value=5).map(str),
        },
        max_spoiled=4,
    )
)
@rolled_back
def test_filtering_the_history_shows_only_ones_own_episodes(
    patient: User, patient_client: Client, others_records: dict[str, int], query: dict
) -> None:
    make_episode(patient)
    before = snapshot()

    url = reverse("tracker:episode_list")
    page = query.pop("page", None)
    response = patient_client.post(url, query)
    event(f"status {response.status_code}")
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response["Location"] == url
        response = patient_client.get(url, {"page": page} if page is not None else {})

    assert response.status_code == 200
    # A filter is a way of reading: it is kept in the session, never in a table.
    assert changed_tables(before, snapshot(), own_status_of=patient.pk) == set()
    listed = response.context["page"].object_list
    assert all(episode.patient_id == patient.pk for episode in listed)


@examples(30)
@given(
    data=form_data(
        {
            "day": st.one_of(past_day().map(iso), day_text),
            "worst_severity": st.integers(min_value=0, max_value=10).map(str),
        }
    )
)
@rolled_back
def test_a_check_in_is_for_a_day_that_has_come_with_a_severity_from_0_to_10(
    patient: User, patient_client: Client, data: dict
) -> None:
    before = snapshot()

    response = patient_client.post(reverse("tracker:checkin"), data)
    event(f"status {response.status_code}")

    after = snapshot()
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert changed_tables(before, after) == set()
        return
    assert changed_tables(before, after) <= {"tracker.CheckIn", STATUS}
    [row] = new_rows(before, after, "tracker.CheckIn")
    checkin = CheckIn.objects.get(pk=row[0], patient=patient)
    assert str(checkin.worst_severity) == last(data["worst_severity"])
    assert DayField.first <= checkin.day <= local_today(patient.zone)
    assert checkin.time_zone == patient.time_zone
    assert_own_status_stored(patient, before, after)


DRINK_FIELDS = {
    "submission_key": st.uuids().map(str),
    "day": st.one_of(past_day().map(iso), day_text),
    "amount_ml": st.one_of(
        st.integers(min_value=-10, max_value=6000), st.sampled_from([0, 1, 5000, 5001])
    ).map(str),
    "next_page": st.sampled_from(["", "dashboard"]),
}


def assert_drink_obeys_the_form(drink: Drink, data: dict) -> None:
    assert 1 <= drink.amount_ml <= 5000
    assert drink.amount_ml == int(last(data["amount_ml"]))
    assert DayField.first <= drink.day <= local_today(drink.patient.zone)
    assert drink.time_zone == drink.patient.time_zone


@examples(30)
@given(data=form_data(DRINK_FIELDS))
@rolled_back
def test_a_drink_is_1_to_5000_ml_on_a_day_that_has_come(
    patient: User, patient_client: Client, data: dict
) -> None:
    fresh_key = unused_key(patient, data)
    before = snapshot()

    response = patient_client.post(reverse("tracker:drink_add"), data)
    event(f"status {response.status_code}")

    after = snapshot()
    assert response.status_code in (200, 302)
    if response.status_code == 200 or not fresh_key:
        assert changed_tables(before, after) == set()
        return
    assert_local(response["Location"])
    # The status row records the patient's latest entry, for the order of the clinician's queue.
    assert changed_tables(before, after) == {"tracker.Drink", "tracker.Submission", STATUS}
    [row] = new_rows(before, after, "tracker.Drink")
    assert_drink_obeys_the_form(Drink.objects.get(pk=row[0], patient=patient), data)
    assert_own_status_stored(patient, before, after)


@examples(30)
@given(choice=record_ids, data=form_data(DRINK_FIELDS))
@rolled_back
def test_changing_a_drink_keeps_it_sound_and_ones_own(
    patient: User,
    patient_client: Client,
    others_records: dict[str, int],
    choice: str,
    data: dict,
) -> None:
    drink = add_drink(patient, day=timezone.localdate(), ml=200)
    segment = resolve_id(choice, own=drink.pk, others=others_records["drink"])
    target = id_in_path(segment) if owns(patient, Drink, segment) else None
    before = snapshot()

    response = patient_client.post(path_with("tracker:drink_edit", segment), data)
    event(f"status {response.status_code}")

    after = snapshot()
    if target is None:
        assert response.status_code == 404
        assert changed_tables(before, after) == set()
        return
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert changed_tables(before, after) == set()
        return
    assert changed_tables(before, after) <= {"tracker.Drink", STATUS}
    assert {row[0] for row in new_rows(before, after, "tracker.Drink")} <= {target}
    assert_drink_obeys_the_form(Drink.objects.get(pk=target), data)
    assert_own_status_stored(patient, before, after)


@examples(22)
@given(choice=record_ids, method=st.sampled_from(["get", "post"]))
@rolled_back
def test_deleting_a_drink_by_any_id_deletes_only_ones_own(
    patient: User,
    patient_client: Client,
    others_records: dict[str, int],
    choice: str,
    method: str,
) -> None:
    drink = add_drink(patient, day=timezone.localdate(), ml=200)
    segment = resolve_id(choice, own=drink.pk, others=others_records["drink"])
    target = id_in_path(segment) if owns(patient, Drink, segment) else None
    before = snapshot()

    response = getattr(patient_client, method)(path_with("tracker:drink_delete", segment))
    event(f"status {response.status_code}")

    after = snapshot()
    if target is None or method == "get":
        assert response.status_code == (404 if target is None else 200)
        reader = patient.pk if method == "get" else None
        assert changed_tables(before, after, own_status_of=reader) == set()
        return
    assert response.status_code == 302
    assert changed_tables(before, after) == {"tracker.Drink", STATUS}
    assert_own_status_stored(patient, before, after)
    assert [row[0] for row in before["tracker.Drink"] if row not in after["tracker.Drink"]] == [
        target
    ]


# The day converter's own pattern, filled with anything that matches it, and other text.
path_days = st.one_of(
    any_day.map(iso),
    st.from_regex(r"\A\d{4}-\d{2}-\d{2}\Z"),
    day_text,
    path_ids,
)


@examples(37)
@given(day=path_days)
@example(day="0001-01-01")  # the day before it does not exist: once a server error
@rolled_back
def test_a_drinks_day_in_the_path_is_shown_redirected_or_not_found(
    patient: User, patient_client: Client, day: str
) -> None:
    before = snapshot()

    response = patient_client.get(f"{reverse('tracker:hydration')}{day}/")
    event(f"status {response.status_code}")

    assert response.status_code in (200, 302, 404)
    assert changed_tables(before, snapshot(), own_status_of=patient.pk) == set()


@examples(37)
@given(day=path_days, complete=junk)
@example(day="1899-12-31", complete="1")  # once stored, though no form accepts that day
@rolled_back
def test_marking_a_day_complete_stores_only_a_plausible_past_day(
    patient: User, patient_client: Client, day: str, complete: object
) -> None:
    before = snapshot()

    response = patient_client.post(
        f"{reverse('tracker:hydration')}{day}/complete/", {"complete": complete}
    )
    event(f"status {response.status_code}")

    after = snapshot()
    assert response.status_code in (302, 404)
    assert changed_tables(before, after) <= {"tracker.HydrationDay"}
    changed = [row[0] for row in new_rows(before, after, "tracker.HydrationDay")]
    for marked in HydrationDay.objects.filter(pk__in=changed):
        assert marked.patient == patient
        assert DayField.first <= marked.day <= local_today(patient.zone), marked.day
        assert marked.complete == (last(complete) == "1")


@examples(30)
@given(
    data=form_data({"submission_key": st.uuids().map(str), "red_flags": some_of(RED_FLAGS_BY_CODE)})
)
@rolled_back
def test_red_flag_answers_are_only_known_questions(
    patient: User, patient_client: Client, data: dict
) -> None:
    before = snapshot()

    response = patient_client.post(reverse("tracker:red_flag_check"), data)
    event(f"status {response.status_code}")

    after = snapshot()
    assert response.status_code in (200, 302)
    changed = changed_tables(before, after)
    if response.status_code == 200:
        assert changed == set()
        return
    assert changed <= {"tracker.RedFlagAnswer", "tracker.Submission", STATUS}
    added = [row[0] for row in new_rows(before, after, "tracker.RedFlagAnswer")]
    for answer in RedFlagAnswer.objects.filter(pk__in=added):
        assert answer.patient == patient
        assert answer.code in RED_FLAGS_BY_CODE
    assert_own_status_stored(patient, before, after)
    # The advice for each answer is in the stored status at once, for the very next page.
    advice = PatientStatus.objects.get(patient=patient).assessment.advice
    assert set(RedFlagAnswer.objects.filter(pk__in=added).values_list("code", flat=True)) <= set(
        advice
    )


@examples(30)
@given(
    data=form_data(
        {
            "sex": st.sampled_from(["", "female", "male"]),
            "pregnant": st.sampled_from(["", "on"]),
            "breastfeeding": st.sampled_from(["", "on"]),
            "year_of_birth": st.one_of(st.just(""), st.integers(1850, 2150).map(str)),
            "limit_fluids": st.sampled_from(["", "on"]),
            "own_target_ml": st.one_of(st.just(""), st.integers(0, 6000).map(str)),
            "glass_ml": st.integers(0, 1500).map(str),
            "confirm_high_target": st.sampled_from(["", "on"]),
        }
    )
)
@rolled_back
def test_tracker_settings_stay_within_their_limits(
    patient: User, patient_client: Client, data: dict
) -> None:
    before = snapshot()

    response = patient_client.post(reverse("tracker:settings"), data)
    event(f"status {response.status_code}")

    after = snapshot()
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert changed_tables(before, after) == set()
        return
    assert changed_tables(before, after) <= {"tracker.PatientProfile"}
    profile = PatientProfile.objects.get(user=patient)
    assert 50 <= profile.glass_ml <= 1000
    assert profile.year_of_birth is None or 1900 <= profile.year_of_birth <= timezone.now().year
    if profile.own_target_ml is not None:
        assert 1000 <= profile.own_target_ml <= 4000
        assert profile.own_target_ml <= 3000 or ticked(data, "confirm_high_target")


@examples(22)
@given(password=junk)
@rolled_back
def test_a_wrong_password_never_deletes_the_account(
    patient: User, patient_client: Client, password: object
) -> None:
    before = snapshot()

    response = patient_client.post(reverse("tracker:account_delete"), {"password": password})
    event(f"status {response.status_code}")

    assert response.status_code == 200
    assert changed_tables(before, snapshot()) == set()


# Pages whose only parameters are the ones tested above must ignore any others.
PATIENT_PAGES = [
    "tracker:dashboard",
    "tracker:episode_list",
    "tracker:episode_create",
    "tracker:checkin",
    "tracker:hydration",
    "tracker:drink_add",
    "tracker:red_flag_check",
    "tracker:settings",
    "tracker:your_data",
    "tracker:export_json",
    "tracker:export_csv",
]


@examples(30)
@given(
    page=st.sampled_from(PATIENT_PAGES),
    query=st.one_of(
        st.fixed_dictionaries({"days": st.one_of(st.sampled_from(["30", "90"]), junk)}),
        st.dictionaries(junk_text, junk, max_size=3),
    ),
)
@rolled_back
def test_patient_pages_ignore_unexpected_parameters(
    patient: User, patient_client: Client, page: str, query: dict
) -> None:
    before = snapshot()

    response = patient_client.get(reverse(page), query)
    event(f"status {response.status_code}")

    assert response.status_code == 200
    assert changed_tables(before, snapshot(), own_status_of=patient.pk) == set()


@examples(10)
@given(query=st.dictionaries(junk_text, junk, max_size=3))
@rolled_back
def test_the_advice_page_only_marks_advice_as_shown(
    patient: User, patient_client: Client, query: dict
) -> None:
    answer_red_flags(patient, "fever")
    before = snapshot()

    response = patient_client.get(reverse("tracker:advice"), query)
    event(f"status {response.status_code}")

    assert response.status_code == 200
    assert changed_tables(before, snapshot(), own_status_of=patient.pk) <= {"tracker.RedFlagAnswer"}
    assert not RedFlagAnswer.objects.filter(patient=patient, advice_shown_at=None).exists()
