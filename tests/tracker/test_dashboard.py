"""The dashboard: flag, prompts, charts with their table, patterns, and a bounded query count.

What the log means (the two-week flag, the prompts) comes from the patient's stored assessment
(summary.assessment); the tests read it there or in the rendered page.
"""

import datetime
import json
import zoneinfo

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from tests.conftest import client_for, make_article
from tests.factories import add_drink, check_in, log_episode
from tracker import dates, services
from tracker.assessment import WINDOW_DAYS, Kind, Urgency
from tracker.dashboard import build_summary, patient_profile
from tracker.models import (
    Drink,
    Episode,
    EpisodeTrigger,
    HydrationDay,
    PatientProfile,
    PatientStatus,
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
    return dates.local_day(timezone.now(), LONDON)


def episode_on(
    patient, day: datetime.date, *, severity: int = 5, hours: int = 1, **details: object
) -> Episode:
    """Log an episode from 09:00 London time on a day, as the patient would."""
    start = datetime.datetime.combine(day, datetime.time(9), tzinfo=LONDON)
    return log_episode(
        patient,
        start=start,
        end=start + datetime.timedelta(hours=hours),
        severity=severity,
        **details,
    )


def daily_history(patient, *, days: int) -> None:
    """Give the patient an episode, a trigger, a relief and two drinks on each of many days,
    ending yesterday in their own zone.

    Bulk-created for speed, with the local dates and zone the services would record; the rows
    are dated as logged when they happened (not all in the last hour, which the write limit
    would count), and the patient's stored status is then computed afresh.
    """
    zone = patient.zone
    first = dates.local_day(timezone.now(), zone) - datetime.timedelta(days=days)
    episodes = []
    for n in range(days):
        day = first + datetime.timedelta(days=n)
        start = dates.to_instant(day, datetime.time(9), zone)
        end = dates.to_instant(day, datetime.time(10), zone)
        episodes.append(
            Episode(
                patient=patient,
                time_zone=patient.time_zone,
                started_at=start,
                ended_at=end,
                start_day=day,
                end_day=day,
                severity=n % 11,
            )
        )
    episodes = Episode.objects.bulk_create(episodes)
    Episode.objects.filter(patient=patient).update(created_at=F("started_at"))
    EpisodeTrigger.objects.bulk_create(EpisodeTrigger(episode=e, code="stress") for e in episodes)
    ReliefTried.objects.bulk_create(ReliefTried(episode=e, code="heat", effect=1) for e in episodes)
    Drink.objects.bulk_create(
        Drink(
            patient=patient,
            time_zone=patient.time_zone,
            day=first + datetime.timedelta(days=n),
            amount_ml=700,
        )
        for n in range(days)
        for _ in range(2)
    )
    # Logged by the end of the history (yesterday), not in the last hour.
    Drink.objects.filter(patient=patient).update(
        logged_at=dates.day_start(first + datetime.timedelta(days=days - 1), zone)
    )
    PatientStatus.objects.filter(patient=patient).delete()
    services.refresh_stale([patient], now=timezone.now())


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
    response = client_for(alice_london).get(DASHBOARD)
    assert "more than two weeks" not in response.content.decode()
    assessment = response.context["summary"].assessment
    assert assessment.reason(Kind.TWO_WEEK) is None
    assert assessment.days_counted == 14


def test_three_free_days_after_the_run_clear_the_flag(alice_london):
    for n in range(3, 20):
        episode_on(alice_london, today() - datetime.timedelta(days=n))
    for n in range(3):
        check_in(alice_london, day=today() - datetime.timedelta(days=n), severity=0)
    response = client_for(alice_london).get(DASHBOARD)
    assert "more than two weeks" not in response.content.decode()
    assert response.context["summary"].assessment.run is None


def test_an_ongoing_episode_older_than_the_window_still_raises_the_flag(alice_london):
    start = timezone.now() - datetime.timedelta(days=WINDOW_DAYS + 30)
    log_episode(alice_london, start=start, severity=4)
    response = client_for(alice_london).get(DASHBOARD)
    content = response.content.decode()
    assert "more than two weeks" in content
    assert "from at least" in content
    assert "It has stopped now" in content
    reason = response.context["summary"].assessment.reason(Kind.TWO_WEEK)
    assert reason.reaches_back
    assert reason.first == today() - datetime.timedelta(days=WINDOW_DAYS - 1)
    assert reason.last == today()


def test_severe_days_in_a_row_prompt_a_booking(alice_london):
    for n in range(3):
        episode_on(alice_london, today() - datetime.timedelta(days=n), severity=8)
    response = client_for(alice_london).get(DASHBOARD)
    assert "severe (7 or more) on three logged days in a row" in response.content.decode()
    assessment = response.context["summary"].assessment
    assert assessment.reason(Kind.SEVERE_STREAK) is not None
    assert assessment.urgency is Urgency.SOON


def test_the_chart_data_and_table_hold_the_same_numbers(alice_london):
    episode_on(alice_london, today() - datetime.timedelta(days=1), severity=6)
    add_drink(alice_london, day=today(), ml=450)
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
    # Today's cell is marked so a drink added in place (drinks.js, charts.js) can change it.
    assert f'<td><span data-drinks-cell="{today().isoformat()}">450</span></td>' in content
    # Today's pain and yesterday's drinks were not logged: said in words, not as 0 or a dash.
    assert "<td>not logged</td><td><span" in content
    assert "<td>6 (moderate)</td><td>not logged</td>" in content


def test_a_day_not_logged_is_null_in_the_charts_and_a_logged_zero_is_zero(alice_london):
    days = [today() - datetime.timedelta(days=n) for n in range(5)]
    check_in(alice_london, day=days[1], severity=0)  # "no back symptoms"
    episode_on(alice_london, days[2], severity=4)
    HydrationDay.objects.create(patient=alice_london, day=days[3], complete=True)  # drank nothing
    add_drink(alice_london, day=days[2], ml=300)  # some drinks, not marked complete
    HydrationDay.objects.create(patient=alice_london, day=days[4], complete=False)
    response = client_for(alice_london).get(DASHBOARD)
    summary = response.context["summary"]
    rows = {row.day: row for row in summary.rows}
    assert [rows[day].worst for day in days] == [None, 0, 4, None, None]
    assert [rows[day].drinks_ml for day in days] == [None, None, 300, 0, None]
    assert [rows[day].complete for day in days] == [False, False, False, True, False]
    content = response.content.decode()
    script = content.split('id="chart-data" type="application/json">')[1].split("</script>")[0]
    data = json.loads(script)
    assert data["severity"][-5:] == [None, None, 4, 0, None]
    assert data["drinks"][-5:] == [None, 0, 300, None, None]
    # Nothing logged at all before these days: every earlier day is a gap, never a 0.
    assert set(data["severity"][:-5]) == {None}
    assert set(data["drinks"][:-5]) == {None}
    # The table says the same, in words.
    day_cell = '<th scope="row">{:%a %-d %b}</th>'
    assert day_cell.format(days[1]) + "<td>0 (no pain)</td><td>not logged</td>" in content
    assert day_cell.format(days[3]) + "<td>not logged</td><td>0 (all logged)</td>" in content
    assert day_cell.format(days[4]) + "<td>not logged</td><td>not logged</td>" in content
    assert "which is not the same as 0" in content


def test_ninety_days_can_be_chosen_and_other_periods_fall_back_to_thirty(alice_london):
    client = client_for(alice_london)
    assert len(client.get(DASHBOARD, {"days": "90"}).context["summary"].rows) == 90
    assert len(client.get(DASHBOARD, {"days": "5000"}).context["summary"].rows) == 30
    assert len(client.get(DASHBOARD, {"days": "<script>"}).context["summary"].rows) == 30


def test_triggers_and_relief_are_counted_and_linked_to_their_articles(alice_london):
    make_article(slug="causes-and-risk-factors", title="What causes back spasms")
    make_article(slug="heat-and-cold-safely", title="Heat and cold")
    for n, effect in enumerate([2, 1, -1]):
        episode_on(
            alice_london,
            today() - datetime.timedelta(days=n),
            triggers=["heavy_lifting"],
            relief={"heat": effect},
        )
    content = client_for(alice_london).get(DASHBOARD).content.decode()
    assert "Heavy lifting: 3 times" in content
    assert "Heat: helped 2 of 3 times (made it worse once)" in content
    assert reverse("education:article_detail", args=["causes-and-risk-factors"]) in content
    assert reverse("education:article_detail", args=["heat-and-cold-safely"]) in content


def test_a_draft_article_is_not_linked(alice_london):
    make_article(slug="heat-and-cold-safely", status="draft")
    episode_on(alice_london, today(), relief={"heat": 2})
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
        add_drink(alice_london, day=day, ml=500 if low else 1600)
        HydrationDay.objects.create(patient=alice_london, day=day, complete=True)
        if low:
            episode_on(alice_london, day + datetime.timedelta(days=1))
    response = client_for(alice_london).get(DASHBOARD)
    summary = response.context["summary"]
    assert summary.comparison is not None
    assert summary.comparison.low_days == 20
    assert summary.comparison.episodes_after_low == 20
    assert summary.comparison.episodes_after_target == 0
    content = response.content.decode()
    assert "three quarters of the target: 1.00 episodes per day (20 episodes after 20 days)" in (
        content
    )
    assert "at the target: 0.00 episodes per day (0 episodes after 20 days)" in content
    assert "Per day, episodes started more often after the low days." in content


def test_the_hydration_comparison_on_the_page_follows_rates_not_counts(alice_london):
    # 30 complete days before the day before yesterday: 5 low days, each followed by an
    # episode, then 25 days at target, 10 of them followed by one. More episodes came after
    # days at target, but fewer per day.
    for n in range(2, 32):
        day = today() - datetime.timedelta(days=n)
        low = n >= 27
        add_drink(alice_london, day=day, ml=500 if low else 1600)
        HydrationDay.objects.create(patient=alice_london, day=day, complete=True)
        if low or (n % 2 == 0 and n <= 20):
            episode_on(alice_london, day + datetime.timedelta(days=1))
    response = client_for(alice_london).get(DASHBOARD)
    comparison = response.context["summary"].comparison
    assert (comparison.low_days, comparison.episodes_after_low) == (5, 5)
    assert (comparison.target_days, comparison.episodes_after_target) == (25, 10)
    content = response.content.decode()
    assert "1.00 episodes per day (5 episodes after 5 days)" in content
    assert "0.40 episodes per day (10 episodes after 25 days)" in content
    assert "Per day, episodes started more often after the low days." in content


def test_a_patient_told_to_limit_fluids_sees_no_target(alice_london):
    PatientProfile.objects.create(user=alice_london, limit_fluids=True)
    response = client_for(alice_london).get(DASHBOARD)
    assert response.context["summary"].target_ml is None
    assert "asked you to limit fluids" in response.content.decode()


def test_todays_drinks_show_against_the_target(alice_london):
    PatientProfile.objects.create(user=alice_london, sex="male")
    add_drink(alice_london, day=today(), ml=300)
    add_drink(alice_london, day=today() - datetime.timedelta(days=1), ml=900)
    content = client_for(alice_london).get(DASHBOARD).content.decode()
    assert "300 ml of your 2000 ml target" in content


def test_other_patients_data_never_counts(alice_london, charlie):
    for n in range(20):
        episode_on(charlie, today() - datetime.timedelta(days=n))
    add_drink(charlie, day=today(), ml=999)
    response = client_for(alice_london).get(DASHBOARD)
    summary = response.context["summary"]
    assert summary.assessment.urgency is Urgency.NONE
    assert summary.assessment.reasons == ()
    assert summary.assessment.run is None
    assert "more than two weeks" not in response.content.decode()
    assert summary.today_ml == 0
    assert summary.recent_episodes == []
    assert all(row.worst is None and row.drinks_ml is None for row in summary.rows)


@pytest.mark.parametrize("days_of_history", [30, 5 * 365])
def test_dashboard_queries_do_not_grow_with_history(
    alice_london, django_assert_num_queries, days_of_history
):
    daily_history(alice_london, days=days_of_history)
    PatientProfile.objects.create(user=alice_london)
    client = client_for(alice_london)
    # 1 session, 2 user with profile, 3 the stored status (fresh, so not recomputed),
    # 4 episode days in the window, 5 check-ins, 6 drink totals, 7 complete days,
    # 8 trigger counts, 9 relief counts, 10 episodes still going, 11 the latest episodes,
    # 12 linked articles, 13 this week's function score, 14 the latest medicine doses,
    # 15 the navigation's clinician check (the red-flag banner reuses the view's status row),
    # 16 unread messages from clinicians (clinic.context_processors). Who saw a flag is in
    # the stored status since issue 20: no query of its own.
    with django_assert_num_queries(16):
        response = client.get(DASHBOARD)
    assert response.status_code == 200
    # The window is bounded: five years of history still yields only the window's episodes.
    summary = response.context["summary"]
    assert len(summary.rows) == 30
    # History ends yesterday, so the 90-day statistics hold at most 89 of its days.
    assert summary.triggers[0].count == min(days_of_history, 89)


def test_the_window_reads_only_recent_episodes(alice_london):
    daily_history(alice_london, days=400)
    now = timezone.now()
    assessment = services.status_for(alice_london, now=now).assessment
    # One episode a day, each inside a single day: the flag's window holds exactly its days.
    reason = assessment.reason(Kind.TWO_WEEK)
    assert reason is not None
    assert assessment.run.first == today() - datetime.timedelta(days=WINDOW_DAYS - 1)
    assert assessment.run.last == today() - datetime.timedelta(days=1)
    assert assessment.run.reaches_window_start
    assert reason.reaches_back
    summary = build_summary(
        patient=alice_london,
        profile=patient_profile(alice_london),
        assessment=assessment,
        today=today(),
        days=90,
    )
    assert summary.assessment == assessment
    assert [row.day for row in summary.rows][0] == today() - datetime.timedelta(days=89)
    assert all(row.worst is not None for row in summary.rows[:-1])
    assert summary.rows[-1].worst is None
