"""A patient's export holds exactly their records, in their time zone, safe to open anywhere."""

import codecs
import csv
import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from tests.conftest import PASSWORD, make_user
from tests.factories import add_drink, answer_red_flags, check_in, log_episode
from tracker import dates, services
from tracker.exports import csv_safe, export_csv_zip, export_data, export_json
from tracker.models import (
    Drink,
    Effect,
    Episode,
    HydrationDay,
    PatientProfile,
    RedFlagAnswer,
    Region,
    Relief,
    Side,
    Spread,
    Trigger,
)
from tracker.rules import RED_FLAGS_BY_CODE

CSV_MEMBERS = [
    "episodes.csv",
    "red_flag_answers.csv",
    "checkins.csv",
    "drinks.csv",
    "hydration_days.csv",
    "function_scores.csv",
    "medicines.csv",
    "profile.csv",
    "flags_now.csv",
]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def make_episode(
    patient: User, *, started_at: datetime, ended_at: datetime | None = None, **details
) -> Episode:
    """Log an episode as the patient would (through the services), dated in their zone now."""
    return log_episode(patient, start=started_at, end=ended_at, **details)


def set_answered_at(answers, when: datetime) -> None:
    # answered_at is auto_now_add, so a fixed time has to be written afterwards.
    assert answers.update(answered_at=when) >= 1


def make_answer(patient: User, *, code: str, answered_at: datetime) -> RedFlagAnswer:
    """Answer one red-flag question yes on "Get help now", at a fixed time."""
    assert answer_red_flags(patient, code) == [code]
    answer = RedFlagAnswer.objects.filter(patient=patient).latest("id")
    RedFlagAnswer.objects.filter(pk=answer.pk).update(answered_at=answered_at)
    answer.refresh_from_db()
    return answer


def make_drink(patient: User, *, day: date, amount_ml: int = 250) -> Drink:
    return add_drink(patient, day=day, ml=amount_ml)


def set_zone(user: User, name: str) -> None:
    """Move the person to another zone, as the profile page does."""
    services.change_time_zone(user=user, time_zone=name, now=timezone.now())


def read_zip(content: bytes) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(io.BytesIO(content)) as zipped:
        return {
            name: list(csv.DictReader(io.StringIO(zipped.read(name).decode("utf-8-sig"))))
            for name in zipped.namelist()
        }


def zip_texts(content: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(content)) as zipped:
        return {name: zipped.read(name).decode("utf-8-sig") for name in zipped.namelist()}


def give_full_record(patient: User, *, marker: str, day: date, amount_ml: int) -> Episode:
    """Give the patient one record of every type, its text carrying the marker."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    episode = make_episode(
        patient,
        started_at=start,
        ended_at=start + timedelta(hours=1),
        activity=f"{marker} activity",
        trigger_other=f"{marker} trigger",
        notes=f"{marker} notes",
        triggers=[Trigger.COLD],
        relief={Relief.HEAT: Effect.A_BIT_BETTER},
        locations=[(Region.MID, Side.RIGHT)],
        spread=[Spread.LEFT_LEG],
        red_flags=["night_pain"],
    )
    set_answered_at(RedFlagAnswer.objects.filter(episode=episode), start)
    check_in(patient, day=day, severity=4)
    make_drink(patient, day=day, amount_ml=amount_ml)
    HydrationDay.objects.create(patient=patient, day=day, complete=True)
    return episode


def test_export_holds_only_the_patients_own_records(alice, charlie) -> None:
    own = give_full_record(alice, marker="alice", day=date(2024, 5, 1), amount_ml=300)
    give_full_record(charlie, marker="CHARLIE-SECRET", day=date(2024, 5, 2), amount_ml=4321)

    data = export_data(patient=alice)

    assert [episode["id"] for episode in data["episodes"]] == [own.pk]
    assert [answer["episode"] for answer in data["red_flag_answers"]] == [own.pk]
    assert [checkin["day"] for checkin in data["checkins"]] == ["2024-05-01"]
    assert [drink["amount_ml"] for drink in data["drinks"]] == [300]
    assert [hydration["day"] for hydration in data["hydration_days"]] == ["2024-05-01"]
    assert data["profile"]["username"] == "alice"
    json_text = export_json(patient=alice).decode()
    assert "alice notes" in json_text
    assert "CHARLIE-SECRET" not in json_text
    assert "charlie" not in json_text
    assert "4321" not in json_text
    texts = zip_texts(export_csv_zip(patient=alice))
    assert "alice notes" in texts["episodes.csv"]
    for name, text in texts.items():
        assert "CHARLIE-SECRET" not in text, name
        assert "charlie" not in text, name
        assert "4321" not in text, name
        assert "2024-05-02" not in text, name
    episode_ids = [
        row["Episode ID"] for row in read_zip(export_csv_zip(patient=alice))["episodes.csv"]
    ]
    assert episode_ids == [str(own.pk)]


@pytest.fixture
def alice_with_everything(alice) -> tuple[User, Episode]:
    set_zone(alice, "Europe/London")
    PatientProfile.objects.create(
        user=alice,
        sex="female",
        breastfeeding=True,
        year_of_birth=1980,
        own_target_ml=2000,
        glass_ml=250,
    )
    episode = make_episode(
        alice,
        started_at=utc(2024, 7, 1, 9, 0),
        ended_at=utc(2024, 7, 1, 10, 30),
        severity=6,
        activity="Gardening",
        trigger_other="Carrying logs",
        notes="Stiff after lunch",
        triggers=[Trigger.HEAVY_LIFTING, Trigger.STRESS],
        relief={Relief.HEAT: Effect.MUCH_BETTER, Relief.COLD: None},
        locations=[(Region.LOWER, Side.LEFT), (Region.NECK_SHOULDER, Side.BOTH)],
        spread=[Spread.BUTTOCK],
        red_flags=["fever"],
    )
    RedFlagAnswer.objects.filter(episode=episode).update(
        answered_at=utc(2024, 7, 1, 11, 0), advice_shown_at=utc(2024, 7, 1, 11, 0, 5)
    )
    check_in(alice, day=date(2024, 7, 1), severity=6)
    drink = make_drink(alice, day=date(2024, 7, 1), amount_ml=330)
    Drink.objects.filter(pk=drink.pk).update(logged_at=utc(2024, 7, 1, 12, 0))
    HydrationDay.objects.create(patient=alice, day=date(2024, 7, 1), complete=True)
    episode.refresh_from_db()
    return alice, episode


def test_json_export_has_every_record_type_with_its_values(alice_with_everything) -> None:
    alice, episode = alice_with_everything
    drink = Drink.objects.get(patient=alice)

    data = json.loads(export_json(patient=alice))

    assert data["format_version"] == 1
    exported_at = datetime.fromisoformat(data["exported_at"])
    assert exported_at.utcoffset() == timedelta(0)
    assert abs(timezone.now() - exported_at) < timedelta(minutes=1)
    assert data["since"] is None
    assert data["until"] is None
    assert data["profile"] == {
        "username": "alice",
        "time_zone": "Europe/London",
        "sex": "female",
        "pregnant": False,
        "breastfeeding": True,
        "year_of_birth": 1980,
        "limit_fluids": False,
        "own_target_ml": 2000,
        "glass_ml": 250,
    }
    assert data["episodes"] == [
        {
            "id": episode.pk,
            "started_at": "2024-07-01T09:00:00+00:00",
            "ended_at": "2024-07-01T10:30:00+00:00",
            "time_zone": "Europe/London",
            "started_local": "2024-07-01T10:00:00+01:00",
            "ended_local": "2024-07-01T11:30:00+01:00",
            "first_day": "2024-07-01",
            "last_day": "2024-07-01",
            "severity": 6,
            "activity": "Gardening",
            "triggers": ["heavy_lifting", "stress"],
            "trigger_other": "Carrying logs",
            "relief": [{"code": "heat", "effect": 2}, {"code": "cold", "effect": None}],
            "locations": [
                {"region": "lower", "side": "left"},
                {"region": "neck_shoulder", "side": "both"},
            ],
            "spread": ["buttock"],
            "notes": "Stiff after lunch",
            "created_at": episode.created_at.isoformat(),
            "updated_at": episode.updated_at.isoformat(),
        }
    ]
    assert data["red_flag_answers"] == [
        {
            "code": "fever",
            "question": str(RED_FLAGS_BY_CODE["fever"].text),
            "answered_at": "2024-07-01T11:00:00+00:00",
            "advice_shown_at": "2024-07-01T11:00:05+00:00",
            "episode": episode.pk,
        }
    ]
    assert data["checkins"] == [
        {"day": "2024-07-01", "time_zone": "Europe/London", "worst_severity": 6}
    ]
    assert data["drinks"] == [
        {
            "id": drink.pk,
            "day": "2024-07-01",
            "time_zone": "Europe/London",
            "amount_ml": 330,
            "logged_at": "2024-07-01T12:00:00+00:00",
        }
    ]
    assert data["hydration_days"] == [{"day": "2024-07-01", "complete": True}]


def test_csv_files_show_labels_and_values(alice_with_everything) -> None:
    alice, episode = alice_with_everything
    drink = Drink.objects.get(patient=alice)

    tables = read_zip(export_csv_zip(patient=alice))

    assert tables["episodes.csv"] == [
        {
            "Episode ID": str(episode.pk),
            "Started (UTC)": "2024-07-01T09:00:00+00:00",
            "Ended (UTC)": "2024-07-01T10:30:00+00:00",
            "Time zone": "Europe/London",
            "Started (local time)": "2024-07-01T10:00:00+01:00",
            "Ended (local time)": "2024-07-01T11:30:00+01:00",
            "First day": "2024-07-01",
            "Last day": "2024-07-01",
            "Severity (0 to 10)": "6",
            "What you were doing": "Gardening",
            "Triggers": "Heavy lifting; Stress or anxiety",
            "Other trigger": "Carrying logs",
            "Relief tried": "Heat: Much better; Cold",
            "Where": "Lower back, Left; Neck and shoulder, Both sides",
            "Spreading to": "Buttock",
            "Notes": "Stiff after lunch",
            "Logged (UTC)": episode.created_at.isoformat(),
            "Last changed (UTC)": episode.updated_at.isoformat(),
        }
    ]
    assert tables["red_flag_answers.csv"] == [
        {
            "Question": str(RED_FLAGS_BY_CODE["fever"].text),
            "Code": "fever",
            "Answered (UTC)": "2024-07-01T11:00:00+00:00",
            "Advice shown (UTC)": "2024-07-01T11:00:05+00:00",
            "Episode ID": str(episode.pk),
        }
    ]
    assert tables["checkins.csv"] == [{"Day": "2024-07-01", "Worst pain (0 to 10)": "6"}]
    assert tables["drinks.csv"] == [
        {
            "Drink ID": str(drink.pk),
            "Day": "2024-07-01",
            "Amount (ml)": "330",
            "Logged (UTC)": "2024-07-01T12:00:00+00:00",
        }
    ]
    assert tables["hydration_days.csv"] == [{"Day": "2024-07-01", "All drinks logged": "Yes"}]
    assert tables["profile.csv"] == [
        {
            "Username": "alice",
            "Time zone": "Europe/London",
            "Sex": "Female",
            "Pregnant": "No",
            "Breastfeeding": "Yes",
            "Year of birth": "1980",
            "Told to limit fluids": "No",
            "Own daily drinks target (ml)": "2000",
            "Usual glass (ml)": "250",
        }
    ]


def test_profile_without_a_patient_profile_is_username_and_zone_only(alice) -> None:
    set_zone(alice, "Asia/Tokyo")

    assert export_data(patient=alice)["profile"] == {"username": "alice", "time_zone": "Asia/Tokyo"}
    [row] = read_zip(export_csv_zip(patient=alice))["profile.csv"]
    assert row["Username"] == "alice"
    assert row["Time zone"] == "Asia/Tokyo"
    assert row["Sex"] == row["Pregnant"] == row["Usual glass (ml)"] == ""


def test_local_times_follow_the_episodes_zone_across_dst_changes(alice) -> None:
    set_zone(alice, "Europe/London")
    # UK clocks went forward at 01:00 UTC on 31 March 2024 and back at 01:00 UTC on 27 October.
    spring = make_episode(
        alice, started_at=utc(2024, 3, 31, 0, 30), ended_at=utc(2024, 3, 31, 1, 30)
    )
    autumn = make_episode(
        alice, started_at=utc(2024, 10, 27, 0, 30), ended_at=utc(2024, 10, 27, 1, 30)
    )

    episodes = {episode["id"]: episode for episode in export_data(patient=alice)["episodes"]}

    assert episodes[spring.pk]["started_local"] == "2024-03-31T00:30:00+00:00"
    assert episodes[spring.pk]["ended_local"] == "2024-03-31T02:30:00+01:00"
    # The same wall-clock time twice, told apart by its offset.
    assert episodes[autumn.pk]["started_local"] == "2024-10-27T01:30:00+01:00"
    assert episodes[autumn.pk]["ended_local"] == "2024-10-27T01:30:00+00:00"
    assert episodes[autumn.pk]["ended_at"] == "2024-10-27T01:30:00+00:00"
    assert [(e["first_day"], e["last_day"]) for e in episodes.values()] == [
        ("2024-03-31", "2024-03-31"),
        ("2024-10-27", "2024-10-27"),
    ]


def test_episodes_carry_their_zone_and_the_local_days_they_cover(alice) -> None:
    set_zone(alice, "Asia/Kolkata")
    # 23:30 on 1 July in Kolkata (+05:30) to 00:30 on 3 July: three local days, whatever the
    # UTC dates (1 and 2 July).
    across = make_episode(
        alice, started_at=utc(2024, 7, 1, 18, 0), ended_at=utc(2024, 7, 2, 19, 0), notes="across"
    )
    # Ends exactly at local midnight: it does not reach the new day.
    to_midnight = make_episode(
        alice, started_at=utc(2024, 7, 9, 17, 30), ended_at=utc(2024, 7, 9, 18, 30)
    )
    ongoing_start = timezone.now() - timedelta(hours=1)
    ongoing = make_episode(alice, started_at=ongoing_start)
    # Its first day is the local day it started on (yesterday between 18:30 and 19:30 UTC).
    started_on = ongoing_start.astimezone(alice.zone).date()

    episodes = {e["id"]: e for e in export_data(patient=alice)["episodes"]}
    rows = {
        row["Episode ID"]: row for row in read_zip(export_csv_zip(patient=alice))["episodes.csv"]
    }

    expected = {
        across.pk: ("2024-07-01", "2024-07-03"),
        to_midnight.pk: ("2024-07-09", "2024-07-09"),
        ongoing.pk: (started_on.isoformat(), None),
    }
    for pk, (first, last) in expected.items():
        assert episodes[pk]["time_zone"] == "Asia/Kolkata"
        assert (episodes[pk]["first_day"], episodes[pk]["last_day"]) == (first, last)
        row = rows[str(pk)]
        assert (row["Time zone"], row["First day"], row["Last day"]) == (
            "Asia/Kolkata",
            first,
            last or "",
        )
    assert episodes[across.pk]["started_local"] == "2024-07-01T23:30:00+05:30"
    assert episodes[across.pk]["ended_local"] == "2024-07-03T00:30:00+05:30"


def test_local_times_stay_in_the_episodes_own_zone_after_the_profile_zone_changed(
    alice,
) -> None:
    set_zone(alice, "America/New_York")
    # 22:00 on 1 June in New York, which is already 2 June in Tokyo.
    before = make_episode(
        alice, started_at=utc(2024, 6, 2, 2, 0), ended_at=utc(2024, 6, 2, 3, 0), notes="before"
    )
    check_in(alice, day=date(2024, 6, 1), severity=4)
    make_drink(alice, day=date(2024, 6, 1))
    set_zone(alice, "Asia/Tokyo")
    after = make_episode(
        alice, started_at=utc(2024, 6, 9, 2, 0), ended_at=utc(2024, 6, 9, 3, 0), notes="after"
    )
    check_in(alice, day=date(2024, 6, 9), severity=2)

    data = export_data(patient=alice)
    episodes = {e["id"]: e for e in data["episodes"]}

    assert data["profile"]["time_zone"] == "Asia/Tokyo"
    assert episodes[before.pk]["time_zone"] == "America/New_York"
    assert episodes[before.pk]["started_local"] == "2024-06-01T22:00:00-04:00"
    assert episodes[before.pk]["ended_local"] == "2024-06-01T23:00:00-04:00"
    assert (episodes[before.pk]["first_day"], episodes[before.pk]["last_day"]) == (
        "2024-06-01",
        "2024-06-01",
    )
    assert episodes[after.pk]["time_zone"] == "Asia/Tokyo"
    assert episodes[after.pk]["started_local"] == "2024-06-09T11:00:00+09:00"
    assert episodes[after.pk]["first_day"] == "2024-06-09"
    assert [(c["day"], c["time_zone"]) for c in data["checkins"]] == [
        ("2024-06-01", "America/New_York"),
        ("2024-06-09", "Asia/Tokyo"),
    ]
    assert [d["time_zone"] for d in data["drinks"]] == ["America/New_York"]
    [row] = [
        row
        for row in read_zip(export_csv_zip(patient=alice))["episodes.csv"]
        if row["Episode ID"] == str(before.pk)
    ]
    assert row["Started (local time)"] == "2024-06-01T22:00:00-04:00"
    assert row["Time zone"] == "America/New_York"


def test_ongoing_episode_has_no_end(alice) -> None:
    set_zone(alice, "America/New_York")
    start = timezone.now() - timedelta(hours=3)
    make_episode(alice, started_at=start)

    [episode] = export_data(patient=alice)["episodes"]

    assert episode["ended_at"] is None
    assert episode["ended_local"] is None
    assert episode["last_day"] is None
    [row] = read_zip(export_csv_zip(patient=alice))["episodes.csv"]
    assert row["Ended (UTC)"] == ""
    assert row["Last day"] == ""


# In New York, 10 to 12 March 2024 runs from 05:00 UTC on the 10th (EST, UTC-5) to 04:00 UTC on
# the 13th (EDT, UTC-4): the clocks went forward on the 10th, so the range is 71 hours long.
SINCE = date(2024, 3, 10)
UNTIL = date(2024, 3, 12)


def test_range_keeps_episodes_overlapping_the_local_days(alice) -> None:
    set_zone(alice, "America/New_York")
    for notes, start, end in [
        ("from the evening before", utc(2024, 3, 10, 3, 0), utc(2024, 3, 10, 6, 0)),
        ("ends at the first midnight", utc(2024, 3, 10, 2, 0), utc(2024, 3, 10, 5, 0)),
        ("zero length at the first midnight", utc(2024, 3, 10, 5, 0), utc(2024, 3, 10, 5, 0)),
        ("spans the range", utc(2024, 3, 9, 12, 0), utc(2024, 3, 14, 12, 0)),
        ("late on the last day", utc(2024, 3, 13, 3, 30), utc(2024, 3, 13, 3, 45)),
        ("just after the last day", utc(2024, 3, 13, 4, 0), utc(2024, 3, 13, 4, 30)),
        ("ongoing since before", utc(2024, 3, 1, 12, 0), None),
        ("ongoing since after", utc(2024, 3, 14, 12, 0), None),
        ("the week before", utc(2024, 3, 3, 12, 0), utc(2024, 3, 3, 13, 0)),
    ]:
        make_episode(alice, started_at=start, ended_at=end, notes=notes)

    episodes = export_data(patient=alice, since=SINCE, until=UNTIL)["episodes"]

    assert {episode["notes"] for episode in episodes} == {
        "from the evening before",
        "zero length at the first midnight",
        "spans the range",
        "late on the last day",
        "ongoing since before",
    }


def test_range_keeps_day_records_of_the_local_days_inclusive(alice) -> None:
    set_zone(alice, "America/New_York")
    make_episode(alice, started_at=utc(2024, 3, 11, 12, 0), ended_at=utc(2024, 3, 11, 13, 0))
    for day in [date(2024, 3, 9), SINCE, UNTIL, date(2024, 3, 13)]:
        make_drink(alice, day=day)
        check_in(alice, day=day, severity=3)
        HydrationDay.objects.create(patient=alice, day=day, complete=False)

    data = export_data(patient=alice, since=SINCE, until=UNTIL)

    assert data["since"] == "2024-03-10"
    assert data["until"] == "2024-03-12"
    assert [drink["day"] for drink in data["drinks"]] == ["2024-03-10", "2024-03-12"]
    assert [checkin["day"] for checkin in data["checkins"]] == ["2024-03-10", "2024-03-12"]
    assert [day["day"] for day in data["hydration_days"]] == ["2024-03-10", "2024-03-12"]
    tables = read_zip(export_csv_zip(patient=alice, since=SINCE, until=UNTIL))
    assert [row["Day"] for row in tables["drinks.csv"]] == ["2024-03-10", "2024-03-12"]


def test_range_keeps_red_flag_answers_of_the_local_days(alice) -> None:
    set_zone(alice, "America/New_York")
    for answered_at in [
        utc(2024, 3, 10, 4, 59),  # 23:59 on the 9th in New York
        utc(2024, 3, 10, 5, 0),
        utc(2024, 3, 13, 3, 59),  # 23:59 on the 12th, after the clocks went forward
        utc(2024, 3, 13, 4, 0),
    ]:
        make_answer(alice, code="fever", answered_at=answered_at)

    answers = export_data(patient=alice, since=SINCE, until=UNTIL)["red_flag_answers"]

    assert [answer["answered_at"] for answer in answers] == [
        "2024-03-10T05:00:00+00:00",
        "2024-03-13T03:59:00+00:00",
    ]


def test_range_open_at_one_end_is_unbounded_there(alice) -> None:
    set_zone(alice, "America/New_York")
    for day in [date(2020, 1, 1), SINCE, date(2024, 6, 1)]:
        make_drink(alice, day=day)
        start = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
        make_episode(alice, started_at=start, ended_at=start + timedelta(hours=1))

    since_only = export_data(patient=alice, since=SINCE)
    until_only = export_data(patient=alice, until=SINCE)

    assert [drink["day"] for drink in since_only["drinks"]] == ["2024-03-10", "2024-06-01"]
    assert [drink["day"] for drink in until_only["drinks"]] == ["2020-01-01", "2024-03-10"]
    assert [e["started_at"][:10] for e in since_only["episodes"]] == ["2024-03-10", "2024-06-01"]
    assert [e["started_at"][:10] for e in until_only["episodes"]] == ["2020-01-01", "2024-03-10"]


def test_ongoing_episode_is_not_in_a_range_that_starts_after_now(alice) -> None:
    make_episode(alice, started_at=timezone.now() - timedelta(days=1))
    tomorrow = timezone.now().astimezone(alice.zone).date() + timedelta(days=1)

    assert export_data(patient=alice, since=tomorrow)["episodes"] == []
    assert len(export_data(patient=alice, until=tomorrow)["episodes"]) == 1


@pytest.mark.django_db
def test_range_that_ends_before_it_starts_is_refused() -> None:
    patient = make_user("patient")

    with pytest.raises(ValueError, match="after until"):
        export_data(patient=patient, since=date(2024, 3, 2), until=date(2024, 3, 1))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1", "'+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tTab first", "'\tTab first"),
        ("\rCR first", "'\rCR first"),
        ("  =1+1", "'  =1+1"),
        ("\n@SUM(1)", "'\n@SUM(1)"),
        ("Lifting boxes = bad idea", "Lifting boxes = bad idea"),
        ("Back ache - again", "Back ache - again"),
        ("", ""),
        (-1, -1),
        (250, 250),
        (None, None),
    ],
)
def test_csv_safe_neutralises_formulas_only(value: object, expected: object) -> None:
    result = csv_safe(value)

    assert result == expected
    assert type(result) is type(expected)


def test_csv_neutralises_formulas_that_json_keeps(alice) -> None:
    make_episode(
        alice,
        started_at=utc(2024, 2, 1, 10, 0),
        activity="@SUM(1)",
        trigger_other="-1+1",
        notes='=HYPERLINK("http://x","y")',
    )
    mallory = User.objects.create_user(username="+mallory", password=PASSWORD)
    make_episode(mallory, started_at=utc(2024, 2, 1, 10, 0))

    [row] = read_zip(export_csv_zip(patient=alice))["episodes.csv"]
    [profile] = read_zip(export_csv_zip(patient=mallory))["profile.csv"]
    [episode] = export_data(patient=alice)["episodes"]

    assert row["What you were doing"] == "'@SUM(1)"
    assert row["Other trigger"] == "'-1+1"
    assert row["Notes"] == '\'=HYPERLINK("http://x","y")'
    assert row["Severity (0 to 10)"] == "5"
    assert profile["Username"] == "'+mallory"
    assert episode["activity"] == "@SUM(1)"
    assert episode["trigger_other"] == "-1+1"
    assert episode["notes"] == '=HYPERLINK("http://x","y")'


def test_zip_holds_one_deflated_utf8_csv_per_record_type(alice) -> None:
    make_episode(alice, started_at=utc(2024, 2, 1, 10, 0))

    with zipfile.ZipFile(io.BytesIO(export_csv_zip(patient=alice))) as zipped:
        assert zipped.namelist() == CSV_MEMBERS
        assert zipped.testzip() is None
        for info in zipped.infolist():
            assert info.compress_type == zipfile.ZIP_DEFLATED, info.filename
            assert zipped.read(info).startswith(codecs.BOM_UTF8), info.filename


def test_exports_keep_unicode_text_intact(alice) -> None:
    notes = "Rückenschmerz — 腰痛 🙂"
    make_episode(alice, started_at=utc(2024, 2, 1, 10, 0), notes=notes)

    content = export_json(patient=alice)

    assert notes.encode("utf-8") in content
    assert "\\u" not in content.decode("utf-8")
    assert json.loads(content)["episodes"][0]["notes"] == notes
    assert read_zip(export_csv_zip(patient=alice))["episodes.csv"][0]["Notes"] == notes


def give_many_records(patient: User, *, count: int) -> None:
    start = timezone.now() - timedelta(days=count + 1)
    for n in range(count):
        began = start + timedelta(days=n)
        make_episode(
            patient,
            started_at=began,
            ended_at=began + timedelta(hours=1),
            triggers=[Trigger.HEAVY_LIFTING, Trigger.STRESS],
            relief={Relief.HEAT: Effect.MUCH_BETTER},
            locations=[(Region.LOWER, Side.LEFT)],
            spread=[Spread.BUTTOCK],
            red_flags=["fever"],
        )
        check_in(patient, day=began.date(), severity=5)
        make_drink(patient, day=began.date())
        HydrationDay.objects.create(patient=patient, day=began.date(), complete=True)


@pytest.mark.parametrize("count", [2, 30])
@pytest.mark.parametrize("export", [export_data, export_json, export_csv_zip])
def test_query_count_does_not_grow_with_records(
    alice, django_assert_num_queries, export, count: int
) -> None:
    PatientProfile.objects.create(user=alice)
    give_many_records(alice, count=count)

    # 1 profile, 2 episodes, 3 triggers, 4 relief, 5 locations, 6 spread,
    # 7 red-flag answers, 8 check-ins, 9 drinks, 10 hydration days, 11 weekly function scores,
    # 12 medicine doses, 13 the stored status
    with django_assert_num_queries(13):
        export(patient=alice)

    data = export_data(patient=alice)
    assert len(data["episodes"]) == count
    assert all(len(episode["triggers"]) == 2 for episode in data["episodes"])


def test_the_export_carries_the_flags_the_portal_raises_now(alice) -> None:
    """The one assessment reaches the patient's own download too, worded by the presenter."""
    now = timezone.now()
    today = dates.local_day(now, alice.zone)
    start = dates.day_start(today - timedelta(days=15), alice.zone) + timedelta(hours=9)
    log_episode(alice, start=start, severity=5, now=now)
    answer_red_flags(alice, "fever", now=now)
    data = export_data(patient=alice)
    assert [(flag["kind"], flag["code"], flag["urgency"]) for flag in data["flags_now"]] == [
        ("red_flag", "fever", "urgent"),
        ("persistence", "", "two_week"),
    ]
    two_week = data["flags_now"][1]
    assert two_week["first_day"] == (today - timedelta(days=15)).isoformat()
    assert two_week["last_day"] == today.isoformat()
    assert two_week["text"].startswith("Back symptoms for more than two weeks: 16 days")
    [fever, persistence] = read_zip(export_csv_zip(patient=alice))["flags_now.csv"]
    assert fever["Urgency"] == "urgent"
    assert persistence["Seen by a clinician"] == "No"
