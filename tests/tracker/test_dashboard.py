"""The dashboard: flag, prompts, charts with their table, patterns, and a bounded query count."""

import datetime
import json
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import client_for, make_article
from tracker.dashboard import FLAG_WINDOW_DAYS, build_summary, local_today, patient_profile
from tracker.models import (
    CheckIn,
    Drink,
    Episode,
    EpisodeTrigger,
    HydrationDay,
    PatientProfile,
    ReliefTried,
)

# Episodes are logged at fixed times today; a pinned clock keeps them in the past.
pytestmark = pytest.mark.usefixtures("midday")

DASHBOARD = reverse("tracker:dashboard")
LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture
def alice_london(alice):
    alice.time_zone = "Europe/London"
    alice.save()
    return alice


def today() -> datetime.date:
    return local_today(LONDON)


def episode_on(patient, day: datetime.date, *, severity: int = 5, hours: int = 1) -> Episode:
    start = datetime.datetime.combine(day, datetime.time(9), tzinfo=LONDON)
    return Episode.objects.create(
        patient=patient,
        started_at=start,
        ended_at=start + datetime.timedelta(hours=hours),
        severity=severity,
    )


def daily_history(patient, *, days: int) -> None:
    """Give the patient an episode, a trigger, a relief and two drinks on each of many days."""
    first = today() - datetime.timedelta(days=days)
    episodes = Episode.objects.bulk_create(
        Episode(
            patient=patient,
            started_at=datetime.datetime.combine(
                first + datetime.timedelta(days=n), datetime.time(9), tzinfo=LONDON
            ),
            ended_at=datetime.datetime.combine(
                first + datetime.timedelta(days=n), datetime.time(10), tzinfo=LONDON
            ),
            severity=n % 11,
        )
        for n in range(days)
    )
    EpisodeTrigger.objects.bulk_create(EpisodeTrigger(episode=e, code="stress") for e in episodes)
    ReliefTried.objects.bulk_create(ReliefTried(episode=e, code="heat", effect=1) for e in episodes)
    Drink.objects.bulk_create(
        Drink(patient=patient, day=first + datetime.timedelta(days=n), amount_ml=700)
        for n in range(days)
        for _ in range(2)
    )


def test_the_flag_shows_with_the_run_dates_after_fifteen_days(alice_london):
    for n in range(15):
        episode_on(alice_london, today() - datetime.timedelta(days=n))
    content = client_for(alice_london).get(DASHBOARD).content.decode()
    assert "Your symptoms have gone on for more than two weeks" in content
    first = today() - datetime.timedelta(days=14)
    assert f"for 15 days, from {first:%-d %b %Y}" in content
    assert reverse("education:article_detail", args=["when-to-get-help"]) in content


def test_no_flag_after_fourteen_days(alice_london):
    for n in range(14):
        episode_on(alice_london, today() - datetime.timedelta(days=n))
    content = client_for(alice_london).get(DASHBOARD).content.decode()
    assert "more than two weeks" not in content


def test_three_free_days_after_the_run_clear_the_flag(alice_london):
    for n in range(3, 20):
        episode_on(alice_london, today() - datetime.timedelta(days=n))
    for n in range(3):
        CheckIn.objects.create(
            patient=alice_london, day=today() - datetime.timedelta(days=n), worst_severity=0
        )
    content = client_for(alice_london).get(DASHBOARD).content.decode()
    assert "more than two weeks" not in content


def test_an_ongoing_episode_older_than_the_window_still_raises_the_flag(alice_london):
    start = timezone.now() - datetime.timedelta(days=FLAG_WINDOW_DAYS + 30)
    Episode.objects.create(patient=alice_london, started_at=start, severity=4)
    content = client_for(alice_london).get(DASHBOARD).content.decode()
    assert "more than two weeks" in content
    assert "from at least" in content
    assert "It has stopped now" in content


def test_severe_days_in_a_row_prompt_a_booking(alice_london):
    for n in range(3):
        episode_on(alice_london, today() - datetime.timedelta(days=n), severity=8)
    content = client_for(alice_london).get(DASHBOARD).content.decode()
    assert "severe (7 or more) on three logged days in a row" in content


def test_the_chart_data_and_table_hold_the_same_numbers(alice_london):
    episode_on(alice_london, today() - datetime.timedelta(days=1), severity=6)
    Drink.objects.create(patient=alice_london, day=today(), amount_ml=450)
    response = client_for(alice_london).get(DASHBOARD)
    content = response.content.decode()
    script = content.split('id="chart-data" type="application/json">')[1].split("</script>")[0]
    data = json.loads(script)
    assert len(data["labels"]) == 30
    assert data["labels"][-1] == today().isoformat()
    assert data["severity"][-2] == 6
    assert data["severity"][-1] is None
    assert data["drinks"][-1] == 450
    assert data["target"] == 1600
    assert "<td>6 (moderate)</td>" in content
    assert "<td>450</td>" in content


def test_ninety_days_can_be_chosen_and_other_periods_fall_back_to_thirty(alice_london):
    client = client_for(alice_london)
    assert len(client.get(DASHBOARD, {"days": "90"}).context["summary"].rows) == 90
    assert len(client.get(DASHBOARD, {"days": "5000"}).context["summary"].rows) == 30
    assert len(client.get(DASHBOARD, {"days": "<script>"}).context["summary"].rows) == 30


def test_triggers_and_relief_are_counted_and_linked_to_their_articles(alice_london):
    make_article(slug="causes-and-risk-factors", title="What causes back spasms")
    make_article(slug="heat-and-cold-safely", title="Heat and cold")
    for n, effect in enumerate([2, 1, -1]):
        episode = episode_on(alice_london, today() - datetime.timedelta(days=n))
        EpisodeTrigger.objects.create(episode=episode, code="heavy_lifting")
        ReliefTried.objects.create(episode=episode, code="heat", effect=effect)
    content = client_for(alice_london).get(DASHBOARD).content.decode()
    assert "Heavy lifting: 3 times" in content
    assert "Heat: helped 2 of 3 times (made it worse once)" in content
    assert reverse("education:article_detail", args=["causes-and-risk-factors"]) in content
    assert reverse("education:article_detail", args=["heat-and-cold-safely"]) in content


def test_a_draft_article_is_not_linked(alice_london):
    make_article(slug="heat-and-cold-safely", status="draft")
    episode = episode_on(alice_london, today())
    ReliefTried.objects.create(episode=episode, code="heat", effect=2)
    content = client_for(alice_london).get(DASHBOARD).content.decode()
    assert "Heat: helped 1 of 1 time" in content
    assert reverse("education:article_detail", args=["heat-and-cold-safely"]) not in content


def test_not_enough_hydration_data_says_so(alice_london):
    content = client_for(alice_london).get(DASHBOARD).content.decode()
    assert "Not enough data yet" in content


def test_the_hydration_comparison_shows_when_there_is_enough(alice_london):
    # 40 complete days: every other day low (500 ml) or at target (1600 ml); an episode follows
    # each low day.
    for n in range(2, 42):
        day = today() - datetime.timedelta(days=n)
        low = n % 2 == 0
        Drink.objects.create(patient=alice_london, day=day, amount_ml=500 if low else 1600)
        HydrationDay.objects.create(patient=alice_london, day=day, complete=True)
        if low:
            episode_on(alice_london, day + datetime.timedelta(days=1))
    summary = client_for(alice_london).get(DASHBOARD).context["summary"]
    assert summary.comparison is not None
    assert summary.comparison.low_days == 20
    assert summary.comparison.episodes_after_low == 20
    assert summary.comparison.episodes_after_target == 0


def test_a_patient_told_to_limit_fluids_sees_no_target(alice_london):
    PatientProfile.objects.create(user=alice_london, limit_fluids=True)
    response = client_for(alice_london).get(DASHBOARD)
    assert response.context["summary"].target_ml is None
    assert "asked you to limit fluids" in response.content.decode()


def test_todays_drinks_show_against_the_target(alice_london):
    PatientProfile.objects.create(user=alice_london, sex="male")
    Drink.objects.create(patient=alice_london, day=today(), amount_ml=300)
    Drink.objects.create(
        patient=alice_london, day=today() - datetime.timedelta(days=1), amount_ml=900
    )
    content = client_for(alice_london).get(DASHBOARD).content.decode()
    assert "300 ml of your 2000 ml target" in content


def test_other_patients_data_never_counts(alice_london, charlie):
    for n in range(20):
        episode_on(charlie, today() - datetime.timedelta(days=n))
    Drink.objects.create(patient=charlie, day=today(), amount_ml=999)
    summary = client_for(alice_london).get(DASHBOARD).context["summary"]
    assert not summary.flag
    assert summary.today_ml == 0
    assert summary.recent_episodes == []


@pytest.mark.parametrize("days_of_history", [30, 5 * 365])
def test_dashboard_queries_do_not_grow_with_history(
    alice_london, django_assert_num_queries, days_of_history
):
    daily_history(alice_london, days=days_of_history)
    PatientProfile.objects.create(user=alice_london)
    client = client_for(alice_london)
    # 1 session, 2 user with profile, 3 episodes in the window, 4 check-ins, 5 drink totals,
    # 6 complete days, 7 trigger counts, 8 relief counts, 9 acknowledged runs,
    # 10 linked articles, 11 the navigation's clinician check, 12 red-flag banner answers.
    with django_assert_num_queries(12):
        response = client.get(DASHBOARD)
    assert response.status_code == 200
    # The window is bounded: five years of history still yields only the window's episodes.
    summary = response.context["summary"]
    assert len(summary.rows) == 30
    # History ends yesterday, so the 90-day statistics hold at most 89 of its days.
    assert summary.triggers[0].count == min(days_of_history, 89)


def test_the_window_reads_only_recent_episodes(alice_london):
    daily_history(alice_london, days=400)
    profile = patient_profile(alice_london)
    summary = build_summary(patient=alice_london, profile=profile, today=today(), days=90)
    # One episode a day, each inside a single day: the flag's window holds exactly its days.
    assert summary.flag
    assert summary.run.first == today() - datetime.timedelta(days=FLAG_WINDOW_DAYS - 1)
    assert summary.run_reaches_back
