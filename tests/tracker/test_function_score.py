"""The weekly function score (issue 20, item 3): the PEG's three questions once per local week,
scored, charted, shown to the clinician with its change, mentioned by the reminders while due,
and exported (JSON, CSV, FHIR QuestionnaireResponse with an Observation of the score)."""

import copy
import datetime
import io
import json
import re
import threading
import uuid
import zipfile
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from clinic.fhir import (
    PEG_QUESTIONNAIRE,
    PEG_SCORE_CODE,
    FhirPatient,
    build_bundle,
    fhir_patient,
)
from tests.clinic.fhir_validation import validate_bundle
from tests.conftest import client_for, make_user
from tests.factories import readable_text, share
from tracker import dates, reminders, scores
from tracker.exports import export_csv_zip, export_data
from tracker.models import FunctionScore, PatientStatus, Reminder

UTC = datetime.UTC
FORM = reverse("tracker:function_score")
DASHBOARD = reverse("tracker:dashboard")
# Words a reminder must not carry (tests/tracker/test_reminders.py has the full reasoning).
HEALTH_WORDS = ("pain", "cramp", "spasm", "back", "symptom", "score", "peg", "function")


def in_zone(user: User, zone: str) -> User:
    user.time_zone = zone
    user.save(update_fields=["time_zone"])
    return user


def answer(
    patient: User, pain: int, enjoyment: int, activity: int, *, now: datetime.datetime
) -> tuple[FunctionScore, scores.Outcome]:
    return scores.record_function_score(
        patient=patient, pain=pain, enjoyment=enjoyment, activity=activity, now=now
    )


def local(zone: str, *args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=ZoneInfo(zone))


# Scoring


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ((0, 0, 0), 0.0),
        ((10, 10, 10), 10.0),
        ((1, 0, 0), 0.3),
        ((2, 0, 0), 0.7),
        ((5, 6, 4), 5.0),
        ((7, 8, 8), 7.7),
        ((9, 10, 10), 9.7),
    ],
)
def test_the_score_is_the_mean_of_the_three_answers_to_one_decimal(answers, expected) -> None:
    pain, enjoyment, activity = answers
    assert scores.peg_score(pain=pain, enjoyment=enjoyment, activity=activity) == expected
    # The model's own score agrees with the service's arithmetic.
    assert FunctionScore(pain=pain, enjoyment=enjoyment, activity=activity).score == expected


@pytest.mark.parametrize("bad", [-1, 11, True, "3", 2.5, None])
def test_an_answer_outside_0_to_10_or_not_a_whole_number_is_refused(bad) -> None:
    with pytest.raises(ValueError):
        scores.peg_score(pain=bad, enjoyment=3, activity=3)


def test_a_change_is_signed_and_rounded() -> None:
    assert scores.change(4.3, 5.7) == -1.4
    assert scores.change(5.7, 4.3) == 1.4
    assert scores.change(3.0, 3.0) == 0.0


# One a week, in the patient's own week


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "before", "after", "old_week", "new_week"),
    [
        # +14 hours: Monday starts at 10:00 UTC on the Sunday.
        (
            "Pacific/Kiritimati",
            datetime.datetime(2026, 3, 8, 9, 59, tzinfo=UTC),
            datetime.datetime(2026, 3, 8, 10, 0, tzinfo=UTC),
            datetime.date(2026, 3, 2),
            datetime.date(2026, 3, 9),
        ),
        # Half an hour off the hour.
        (
            "Asia/Kolkata",
            datetime.datetime(2026, 3, 8, 18, 29, tzinfo=UTC),
            datetime.datetime(2026, 3, 8, 18, 30, tzinfo=UTC),
            datetime.date(2026, 3, 2),
            datetime.date(2026, 3, 9),
        ),
        # The clocks went forward that Sunday (29 March 2026): Monday starts at 23:00 UTC.
        (
            "Europe/London",
            datetime.datetime(2026, 3, 29, 22, 59, tzinfo=UTC),
            datetime.datetime(2026, 3, 29, 23, 0, tzinfo=UTC),
            datetime.date(2026, 3, 23),
            datetime.date(2026, 3, 30),
        ),
        # The clocks went back that Sunday (25 October 2026): Monday starts at 00:00 UTC.
        (
            "Europe/London",
            datetime.datetime(2026, 10, 25, 23, 59, tzinfo=UTC),
            datetime.datetime(2026, 10, 26, 0, 0, tzinfo=UTC),
            datetime.date(2026, 10, 19),
            datetime.date(2026, 10, 26),
        ),
        # West of UTC: Sunday night local is already Monday in UTC.
        (
            "America/Los_Angeles",
            datetime.datetime(2026, 3, 9, 6, 59, tzinfo=UTC),
            datetime.datetime(2026, 3, 9, 7, 0, tzinfo=UTC),
            datetime.date(2026, 3, 2),
            datetime.date(2026, 3, 9),
        ),
    ],
    ids=["plus-14", "half-hour", "clocks-forward", "clocks-back", "west"],
)
def test_the_week_turns_at_the_patients_local_monday_midnight(
    alice, zone, before, after, old_week, new_week
) -> None:
    in_zone(alice, zone)
    sunday, outcome = answer(alice, 4, 4, 4, now=before)
    assert (sunday.week, outcome) == (old_week, scores.Outcome.SAVED)
    assert sunday.day == old_week + datetime.timedelta(days=6)
    monday, outcome = answer(alice, 6, 6, 6, now=after)
    assert (monday.week, outcome) == (new_week, scores.Outcome.SAVED)
    assert monday.day == new_week
    assert monday.time_zone == zone
    assert FunctionScore.objects.filter(patient=alice).count() == 2


@pytest.mark.django_db
def test_a_second_answer_in_the_same_week_changes_that_weeks_answers(alice) -> None:
    in_zone(alice, "Europe/London")
    monday = local("Europe/London", 2026, 3, 2, 9)
    first, outcome = answer(alice, 8, 8, 8, now=monday)
    assert outcome is scores.Outcome.SAVED
    friday = local("Europe/London", 2026, 3, 6, 20)
    changed, outcome = answer(alice, 3, 4, 5, now=friday)
    assert outcome is scores.Outcome.UPDATED
    assert changed.pk == first.pk
    stored = FunctionScore.objects.get(patient=alice)
    assert (stored.pain, stored.enjoyment, stored.activity, stored.score) == (3, 4, 5, 4.0)
    assert stored.day == datetime.date(2026, 3, 6)
    assert stored.answered_at == friday
    _same, outcome = answer(alice, 3, 4, 5, now=friday + datetime.timedelta(hours=1))
    assert outcome is scores.Outcome.UNCHANGED
    assert FunctionScore.objects.filter(patient=alice).count() == 1


@pytest.mark.django_db
def test_a_move_east_mid_week_still_changes_the_same_weeks_answers(alice) -> None:
    in_zone(alice, "Europe/London")
    answer(alice, 5, 5, 5, now=local("Europe/London", 2026, 3, 4, 9))
    in_zone(alice, "Pacific/Kiritimati")
    # Thursday morning in London is Thursday evening on Kiritimati: the same week.
    score, outcome = answer(alice, 2, 2, 2, now=local("Europe/London", 2026, 3, 5, 9))
    assert outcome is scores.Outcome.UPDATED
    assert (score.week, score.time_zone) == (datetime.date(2026, 3, 2), "Pacific/Kiritimati")
    assert FunctionScore.objects.filter(patient=alice).count() == 1


@pytest.mark.django_db
def test_answering_records_a_write_for_the_clinicians_queue(alice) -> None:
    now = datetime.datetime(2026, 3, 4, 9, tzinfo=UTC)
    answer(alice, 1, 2, 3, now=now)
    assert PatientStatus.objects.get(patient=alice).last_logged_at == now


@pytest.mark.django_db
def test_an_answer_out_of_range_leaves_nothing_behind(alice) -> None:
    with pytest.raises(ValueError):
        answer(alice, 4, 11, 4, now=datetime.datetime(2026, 3, 4, 9, tzinfo=UTC))
    assert not FunctionScore.objects.exists()


# The form


def answers_of(response) -> dict[str, str]:
    """Return which radio of each question the page shows as chosen."""
    html = response.content.decode()
    return dict(re.findall(r'<input type="radio" name="(\w+)" value="(\d+)"[^>]*checked', html))


def post(client, *, key: uuid.UUID | None = None, **answers: object):
    data = {"submission_key": str(key or uuid.uuid4()), **answers}
    return client.post(FORM, data)


@pytest.mark.django_db
def test_the_form_asks_three_questions_and_says_what_0_and_10_mean(alice) -> None:
    response = client_for(alice).get(FORM)
    assert response.status_code == 200
    html = response.content.decode()
    assert "How has the past week been?" in html
    for name in ("pain", "enjoyment", "activity"):
        radios = re.findall(rf'<input type="radio" name="{name}" value="(\d+)"', html)
        assert radios == [str(n) for n in range(11)]
    assert "0 means no pain at all" in html
    assert "10 means pain as bad as you can imagine" in html
    assert "10 means it got in the way completely" in html
    # Each question's explanation is read out with it.
    assert 'aria-describedby="id_pain-ends"' in html


@pytest.mark.django_db
def test_answers_are_saved_and_the_patient_is_told_the_score(alice) -> None:
    client = client_for(alice)
    response = post(client, pain=6, enjoyment=7, activity=4)
    assert response.status_code == 302
    assert response.url == DASHBOARD
    score = FunctionScore.objects.get(patient=alice)
    assert (score.pain, score.enjoyment, score.activity) == (6, 7, 4)
    page = client.get(DASHBOARD).content.decode()
    assert "your score is 5.7" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sent", "wrong"),
    [
        ({"pain": 4, "enjoyment": 5}, "activity"),
        ({"pain": 11, "enjoyment": 5, "activity": 6}, "pain"),
        ({"pain": 4, "enjoyment": "lots", "activity": 6}, "enjoyment"),
        ({"pain": 4, "enjoyment": 5, "activity": -1}, "activity"),
    ],
)
def test_a_missing_or_impossible_answer_is_refused_with_the_others_kept(alice, sent, wrong) -> None:
    response = post(client_for(alice), **sent)
    assert response.status_code == 200
    assert not FunctionScore.objects.exists()
    form = response.context["form"]
    assert list(form.errors) == [wrong]
    assert form.errors[wrong] == ["Please choose a number from 0 to 10 for this question."]
    html = response.content.decode()
    assert f'id="id_{wrong}-error"' in html
    kept = {name: str(value) for name, value in sent.items() if name != wrong}
    assert answers_of(response) == kept


@pytest.mark.django_db
def test_a_double_tap_saves_once_and_says_so_once(alice) -> None:
    client = client_for(alice)
    key = uuid.uuid4()
    first = post(client, key=key, pain=3, enjoyment=3, activity=3)
    again = post(client, key=key, pain=3, enjoyment=3, activity=3)
    assert first.status_code == again.status_code == 302
    assert first.url == again.url == DASHBOARD
    assert FunctionScore.objects.filter(patient=alice).count() == 1
    page = client.get(DASHBOARD).content.decode()
    assert page.count("This week&#x27;s answers are saved") == 1
    assert "nothing changed" not in page


@pytest.mark.django_db
def test_the_form_shows_this_weeks_earlier_answers_to_change(alice) -> None:
    client = client_for(alice)
    post(client, pain=2, enjoyment=8, activity=5)
    response = client.get(FORM)
    assert answers_of(response) == {"pain": "2", "enjoyment": "8", "activity": "5"}
    assert "You already answered this week" in response.content.decode()
    post(client, pain=2, enjoyment=6, activity=5)
    assert FunctionScore.objects.get(patient=alice).enjoyment == 6
    assert "This week&#x27;s answers are changed" in client.get(DASHBOARD).content.decode()


@pytest.mark.django_db
def test_another_patients_answers_are_neither_shown_nor_changed(alice, charlie) -> None:
    answer(charlie, 9, 9, 9, now=timezone.now())
    response = client_for(alice).get(FORM)
    assert answers_of(response) == {}
    post(client_for(alice), pain=1, enjoyment=1, activity=1)
    assert FunctionScore.objects.get(patient=charlie).pain == 9


# The dashboard card and chart


@pytest.mark.django_db
def test_the_dashboard_offers_the_questions_while_this_week_is_unanswered(alice) -> None:
    client = client_for(alice)
    html = client.get(DASHBOARD).content.decode()
    assert "How has the past week been?" in html
    assert f'href="{FORM}"' in html
    post(client, pain=4, enjoyment=4, activity=4)
    html = client.get(DASHBOARD).content.decode()
    assert "How has the past week been?" not in html
    assert "This week: 4.0 out of 10" in html
    assert "Your first score" in html


@pytest.mark.django_db
def test_the_dashboard_shows_the_change_from_the_week_before(alice, monkeypatch) -> None:
    in_zone(alice, "Europe/London")
    now = local("Europe/London", 2026, 3, 11, 12)
    answer(alice, 7, 7, 7, now=now - datetime.timedelta(weeks=2))  # week of 23 Feb
    answer(alice, 6, 6, 5, now=now - datetime.timedelta(weeks=1))  # week of 2 Mar: 5.7
    answer(alice, 4, 5, 4, now=now)  # week of 9 Mar: 4.3
    monkeypatch.setattr(timezone, "now", lambda: now)
    response = client_for(alice).get(DASHBOARD)
    html = response.content.decode()
    assert "This week: 4.3 out of 10" in html
    assert "1.4 lower than the week of 2 Mar (5.7)" in html
    data = json.loads(re.search(r'id="function-score-data"[^>]*>(.*?)</script>', html).group(1))
    assert len(data["labels"]) == scores.CHART_WEEKS
    assert data["labels"][-1] == "2026-03-09"
    assert data["scores"][-3:] == [7.0, 5.7, 4.3]
    # Weeks without answers are gaps, not zeros.
    assert data["scores"][:-3] == [None] * (scores.CHART_WEEKS - 3)
    # The table carries the same numbers without JavaScript.
    assert re.search(r"Mon 9 Mar 2026</th><td>4.3</td><td>4</td><td>5</td><td>4</td>", html)
    assert re.search(r"js/function-score-chart\.\w+\.js", html)


@pytest.mark.django_db
def test_a_higher_score_is_said_to_be_higher(alice) -> None:
    in_zone(alice, "UTC")
    now = timezone.now()
    answer(alice, 2, 2, 2, now=now - datetime.timedelta(weeks=1))
    answer(alice, 5, 5, 5, now=now)
    html = client_for(alice).get(DASHBOARD).content.decode()
    assert "3.0 higher than the week of" in html


@pytest.mark.django_db
@pytest.mark.parametrize("weeks_of_history", [1, 150])
def test_the_dashboard_card_is_one_query_whatever_the_history(
    alice, weeks_of_history, django_assert_num_queries
) -> None:
    start = datetime.datetime(2026, 3, 11, 12, tzinfo=UTC)
    FunctionScore.objects.bulk_create(
        FunctionScore(
            patient=alice,
            week=dates.week_start(start.date()) - datetime.timedelta(weeks=n),
            day=start.date() - datetime.timedelta(weeks=n),
            time_zone="UTC",
            pain=n % 11,
            enjoyment=3,
            activity=3,
            answered_at=start - datetime.timedelta(weeks=n),
        )
        for n in range(weeks_of_history)
    )
    # 1 the latest twelve weeks' scores (the chart's and the card's).
    with django_assert_num_queries(1):
        card = scores.dashboard_card(patient=alice, today=start.date())
        assert not card.due
        assert len(card.points) == scores.CHART_WEEKS
        assert len(card.recent) == min(weeks_of_history, scores.CHART_WEEKS)


# The clinician's view


@pytest.fixture
def bob_sees_alice(alice, bob) -> User:
    share(alice, bob)
    return bob


def patient_page(patient: User, **query: str) -> str:
    url = reverse("clinic:patient_detail", args=[patient.pk])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


@pytest.mark.django_db
def test_the_clinician_sees_the_latest_score_its_answers_and_its_changes(
    alice, bob_sees_alice
) -> None:
    in_zone(alice, "Europe/London")
    today = dates.local_day(timezone.now(), alice.zone)
    now = timezone.now()
    answer(alice, 8, 8, 8, now=now - datetime.timedelta(weeks=3))  # 8.0, the first
    answer(alice, 6, 7, 5, now=now - datetime.timedelta(weeks=1))  # 6.0, the previous
    answer(alice, 4, 5, 3, now=now)  # 4.0, the latest
    since = today - datetime.timedelta(days=27)
    response = client_for(bob_sees_alice).get(
        patient_page(alice, since=since.isoformat(), until=today.isoformat())
    )
    html = response.content.decode()
    assert "Function (PEG)" in html
    assert f"4.0 out of 10, answered {today:%a} {today.day} {today:%b %Y}" in html
    assert "pain on average 4; enjoyment of life 5; general activity 3" in html
    assert "-2.0 (was 6.0" in html
    assert "-4.0 (was 8.0" in html
    trend = response.context["function_trend"]
    assert [s.score for s in trend.scores] == [8.0, 6.0, 4.0]


@pytest.mark.django_db
def test_the_clinicians_range_decides_which_weeks_count_as_first_and_previous(
    alice, bob_sees_alice
) -> None:
    in_zone(alice, "UTC")
    now = timezone.now()
    today = now.date()
    answer(alice, 9, 9, 9, now=now - datetime.timedelta(weeks=10))  # outside the range
    answer(alice, 3, 3, 3, now=now)
    response = client_for(bob_sees_alice).get(
        patient_page(
            alice,
            since=(today - datetime.timedelta(days=13)).isoformat(),
            until=today.isoformat(),
        )
    )
    html = response.content.decode()
    assert "3.0 out of 10" in html
    assert html.count("No earlier score in this range.") == 2
    assert "9.0" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("weeks", [2, 60])
def test_the_clinicians_weekly_scores_are_one_query(alice, weeks, django_assert_num_queries):
    in_zone(alice, "UTC")
    monday = datetime.date(2026, 3, 9)
    FunctionScore.objects.bulk_create(
        FunctionScore(
            patient=alice,
            week=monday - datetime.timedelta(weeks=n),
            day=monday - datetime.timedelta(weeks=n),
            time_zone="UTC",
            pain=5,
            enjoyment=5,
            activity=n % 11,
            answered_at=datetime.datetime.combine(
                monday - datetime.timedelta(weeks=n), datetime.time(12), tzinfo=UTC
            ),
        )
        for n in range(weeks)
    )
    # 1 the scores answered in the range, oldest first.
    with django_assert_num_queries(1):
        trend = scores.function_trend(
            patient=alice, since=monday - datetime.timedelta(weeks=weeks), until=monday
        )
        assert len(trend.newest_first) == weeks
        assert trend.change_from_first is not None


@pytest.mark.django_db
def test_the_clinician_sees_no_section_content_without_scores(alice, bob_sees_alice) -> None:
    html = client_for(bob_sees_alice).get(patient_page(alice)).content.decode()
    assert "Function (PEG)" in html
    assert "No weekly scores answered in this range." in html


# The reminders


def remind(patient: User, *, now: datetime.datetime, daily: bool, digest: bool) -> Reminder:
    reminder = Reminder(
        patient=patient,
        daily=daily,
        at=datetime.time(19),
        weekdays=0b1111111,
        by_email=True,
        weekly_digest=digest,
        digest_weekday=6,
    )
    reminders.save_choices(reminder=reminder, now=now)
    return reminder


def mail_titled(subject: str) -> mail.EmailMessage:
    (message,) = [m for m in mail.outbox if m.subject == subject]
    return message


@pytest.mark.django_db
def test_the_daily_reminder_links_the_weekly_questions_while_they_are_unanswered() -> None:
    alice = in_zone(make_user("alice"), "Europe/London")
    remind(alice, now=local("Europe/London", 2027, 3, 1, 9), daily=True, digest=False)
    reminders.send_due_reminders(now=local("Europe/London", 2027, 3, 2, 19))
    body = mail_titled("Your daily reminder").body
    assert "This week's three short questions are waiting" in body
    assert f"http://testserver{FORM}" in body or FORM in body
    for word in HEALTH_WORDS:
        assert word not in readable_text(body).replace(FORM, ""), word


@pytest.mark.django_db
def test_the_daily_reminder_leaves_the_questions_out_once_answered() -> None:
    alice = in_zone(make_user("alice"), "Europe/London")
    remind(alice, now=local("Europe/London", 2027, 3, 1, 9), daily=True, digest=False)
    # Answered on Monday; Tuesday's reminder goes (nothing logged on Tuesday) without them.
    answer(alice, 3, 3, 3, now=local("Europe/London", 2027, 3, 1, 10))
    reminders.send_due_reminders(now=local("Europe/London", 2027, 3, 2, 19))
    body = mail_titled("Your daily reminder").body
    assert "three short questions" not in body
    assert FORM not in body


@pytest.mark.django_db
def test_last_weeks_answers_do_not_silence_this_weeks_questions() -> None:
    alice = in_zone(make_user("alice"), "Europe/London")
    remind(alice, now=local("Europe/London", 2027, 3, 1, 9), daily=True, digest=False)
    answer(alice, 3, 3, 3, now=local("Europe/London", 2027, 2, 28, 10))  # the Sunday before
    reminders.send_due_reminders(now=local("Europe/London", 2027, 3, 2, 19))
    assert "three short questions" in mail_titled("Your daily reminder").body


@pytest.mark.django_db
def test_the_push_reminder_mentions_the_questions_without_health_words() -> None:
    alice = make_user("alice")
    reminder = Reminder(patient=alice, daily=True, by_email=False, by_push=True)
    (due,) = reminders.daily_messages(reminder, questions_due=True)
    (answered,) = reminders.daily_messages(reminder, questions_due=False)
    assert "three questions" in due.body
    assert "questions" not in answered.body
    for word in HEALTH_WORDS:
        assert word not in readable_text(due.body), word


@pytest.mark.django_db
def test_the_weekly_summary_links_the_questions_only_while_due() -> None:
    alice = in_zone(make_user("alice"), "Europe/London")
    bea = in_zone(make_user("bea"), "Europe/London")
    for person in (alice, bea):
        remind(person, now=local("Europe/London", 2027, 3, 1, 9), daily=False, digest=True)
    answer(bea, 2, 2, 2, now=local("Europe/London", 2027, 3, 3, 9))
    result = reminders.send_due_reminders(now=local("Europe/London", 2027, 3, 7, 19))
    assert result.digests == 2
    summaries = {m.to[0]: m.body for m in mail.outbox if m.subject == "Your weekly summary"}
    assert "three short questions" in summaries[alice.email]
    assert "three short questions" not in summaries[bea.email]
    for word in HEALTH_WORDS:
        assert word not in readable_text(summaries[alice.email]).replace(FORM, ""), word


@pytest.mark.django_db
def test_which_patients_answered_is_one_query_for_a_batch(django_assert_num_queries) -> None:
    people = [make_user(f"p{n}") for n in range(5)]
    monday = datetime.datetime(2027, 3, 1, 9, tzinfo=UTC)
    answer(people[0], 1, 1, 1, now=monday)
    answer(people[1], 1, 1, 1, now=monday - datetime.timedelta(weeks=1))
    with django_assert_num_queries(1):
        answered = scores.answered_weeks({p.pk: datetime.date(2027, 3, 3) for p in people})
    assert answered == {people[0].pk}


# Exports


@pytest.fixture
def alices_weeks(alice) -> list[FunctionScore]:
    in_zone(alice, "Europe/London")
    made = [
        answer(alice, 7, 6, 8, now=local("Europe/London", 2026, 3, 3, 9))[0],
        answer(alice, 5, 4, 3, now=local("Europe/London", 2026, 3, 10, 9))[0],
    ]
    return made


@pytest.mark.django_db
def test_the_json_export_holds_each_weeks_answers_and_score(alice, alices_weeks) -> None:
    data = export_data(patient=alice)
    assert data["function_scores"] == [
        {
            "week": "2026-03-02",
            "day": "2026-03-03",
            "time_zone": "Europe/London",
            "pain": 7,
            "enjoyment": 6,
            "activity": 8,
            "score": 7.0,
            "answered_at": alices_weeks[0].answered_at.astimezone(UTC).isoformat(),
        },
        {
            "week": "2026-03-09",
            "day": "2026-03-10",
            "time_zone": "Europe/London",
            "pain": 5,
            "enjoyment": 4,
            "activity": 3,
            "score": 4.0,
            "answered_at": alices_weeks[1].answered_at.astimezone(UTC).isoformat(),
        },
    ]
    # A range takes the weeks answered on its local days.
    ranged = export_data(
        patient=alice, since=datetime.date(2026, 3, 4), until=datetime.date(2026, 3, 31)
    )
    assert [row["week"] for row in ranged["function_scores"]] == ["2026-03-09"]


@pytest.mark.django_db
def test_the_csv_export_has_a_function_scores_table(alice, alices_weeks) -> None:
    archive = zipfile.ZipFile(io.BytesIO(export_csv_zip(patient=alice)))
    text = archive.read("function_scores.csv").decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("Week starting,Answered on,Pain on average (0 to 10)")
    assert lines[1].startswith("2026-03-02,2026-03-03,7,6,8,7.0,")
    assert lines[2].startswith("2026-03-09,2026-03-10,5,4,3,4.0,")


# FHIR


def fhir_bundle(patient: User) -> dict:
    return build_bundle(
        data=export_data(patient=patient),
        patient=fhir_patient(patient),
        flags=[],
        generated_at=datetime.datetime(2026, 3, 20, tzinfo=UTC),
    )


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


@pytest.mark.django_db
def test_each_week_exports_as_a_valid_questionnaire_response_with_a_score_observation(
    alice, alices_weeks
) -> None:
    bundle = fhir_bundle(alice)
    validate_bundle(bundle)
    responses = resources(bundle, "QuestionnaireResponse")
    assert len(responses) == 2
    first = responses[0]
    assert first["questionnaire"] == PEG_QUESTIONNAIRE
    assert first["status"] == "completed"
    assert [(item["linkId"], item["answer"]) for item in first["item"]] == [
        ("75893-8", [{"valueInteger": 7}]),
        ("91145-3", [{"valueInteger": 6}]),
        ("91146-1", [{"valueInteger": 8}]),
    ]
    full_urls = {e["resource"]["id"]: e["fullUrl"] for e in bundle["entry"]}
    observations = [
        o
        for o in resources(bundle, "Observation")
        if o["code"]["coding"][0]["code"] == PEG_SCORE_CODE
    ]
    assert len(observations) == 2
    score = observations[1]
    assert score["valueQuantity"] == {
        "value": 4.0,
        "unit": "{score}",
        "system": "http://unitsofmeasure.org",
        "code": "{score}",
    }
    # R4 Observation has no decimal value: the models refuse one.
    decimal = copy.deepcopy(bundle)
    for entry in decimal["entry"]:
        if entry["resource"]["id"] == score["id"]:
            entry["resource"]["valueDecimal"] = entry["resource"].pop("valueQuantity")["value"]
    with pytest.raises(ValueError):
        validate_bundle(decimal)
    assert score["effectiveDateTime"] == "2026-03-10"
    assert score["derivedFrom"] == [{"reference": full_urls[responses[1]["id"]]}]
    assert [c["valueInteger"] for c in score["component"]] == [5, 4, 3]


@pytest.mark.django_db
def test_a_changed_week_keeps_its_fhir_ids(alice) -> None:
    now = local("Europe/London", 2026, 3, 3, 9)
    answer(alice, 7, 6, 8, now=now)
    before = {e["fullUrl"] for e in fhir_bundle(alice)["entry"]}
    answer(alice, 1, 1, 1, now=now + datetime.timedelta(days=1))
    after = {e["fullUrl"] for e in fhir_bundle(alice)["entry"]}
    assert before == after


def test_an_impossible_answer_is_refused_rather_than_exported() -> None:
    data = {
        "profile": {},
        "episodes": [],
        "checkins": [],
        "drinks": [],
        "hydration_days": [],
        "medicines": [],
        "function_scores": [
            {
                "week": "2026-03-02",
                "day": "2026-03-03",
                "pain": 11,
                "enjoyment": 1,
                "activity": 1,
                "answered_at": "2026-03-03T09:00:00+00:00",
            }
        ],
    }
    with pytest.raises(ValueError, match="PEG"):
        build_bundle(
            data=data,
            patient=FhirPatient(pseudonym="patient-x"),
            flags=[],
            generated_at=datetime.datetime(2026, 3, 20, tzinfo=UTC),
        )


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_first_answers_at_once_make_one_week_not_an_error() -> None:
    alice = make_user("alice")
    now = datetime.datetime(2027, 3, 2, 9, tzinfo=UTC)
    start = threading.Barrier(2)
    outcomes: list[scores.Outcome] = []
    errors: list[BaseException] = []

    def run(pain: int) -> None:
        try:
            start.wait()
            outcomes.append(answer(alice, pain, 5, 5, now=now)[1])
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(pain,)) for pain in (3, 8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # The second waited for the first's lock, then changed its answers.
    assert sorted(o.value for o in outcomes) == ["saved", "updated"]
    assert FunctionScore.objects.filter(patient=alice).count() == 1
