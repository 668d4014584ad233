"""tracker.presenter: the one wording of an assessment, for the patient and for clinicians."""

import datetime
from dataclasses import replace
from zoneinfo import ZoneInfo

from tracker.assessment import Assessment, Kind, Reason, Urgency
from tracker.presenter import (
    clinician_lines,
    fhir_text,
    format_local,
    hydration_comparison_lines,
    patient_notices,
    seen_line,
)
from tracker.rules import HydrationComparison, Run

LONDON = ZoneInfo("Europe/London")
TOKYO = ZoneInfo("Asia/Tokyo")
FIRST, LAST = datetime.date(2025, 1, 1), datetime.date(2025, 1, 18)
ANSWERED = datetime.datetime(2025, 1, 18, 12, 0, tzinfo=datetime.UTC)


def assessment(*reasons: Reason) -> Assessment:
    return Assessment(
        urgency=max((r.urgency for r in reasons), default=Urgency.NONE),
        reasons=reasons,
        run=Run(first=FIRST, last=LAST, reaches_window_start=False),
        advice=(),
        valid_until=None,
    )


TWO_WEEK = Reason(kind=Kind.TWO_WEEK, urgency=Urgency.TWO_WEEK, first=FIRST, last=LAST)
CHEST = Reason(
    kind=Kind.RED_FLAG, urgency=Urgency.EMERGENCY, code="chest_pain", at=ANSWERED, count=3
)


def test_a_clinician_reads_each_reason_with_its_dates_in_their_own_zone() -> None:
    lines = clinician_lines(assessment(CHEST, TWO_WEEK), viewer_zone=TOKYO)
    assert lines == [
        "answered yes: Chest pain as well as the back pain, 18 Jan 21:00 (3 times)",
        "symptoms for more than two weeks: 18 days, from 1 Jan 2025 to 18 Jan 2025",
    ]


def test_a_seen_flag_says_so_and_a_run_past_the_window_says_at_least() -> None:
    seen = Reason(
        kind=Kind.TWO_WEEK,
        urgency=Urgency.SOON,
        first=FIRST,
        last=LAST,
        seen=True,
        reaches_back=True,
    )
    assert clinician_lines(assessment(seen), viewer_zone=LONDON) == [
        "symptoms for more than two weeks: from at least 1 Jan 2025 to 18 Jan 2025 (seen)"
    ]


def test_a_seen_flag_names_who_saw_it_and_the_day_in_the_readers_zone() -> None:
    # 23:30 in London on 18 January is already the 19th in Auckland.
    at = datetime.datetime(2025, 1, 18, 23, 30, tzinfo=LONDON)
    streak = Reason(
        kind=Kind.SEVERE_STREAK,
        urgency=Urgency.NONE,
        first=FIRST,
        last=LAST,
        seen=True,
        seen_by="Dr Okafor",
        seen_at=at,
    )
    assert clinician_lines(assessment(streak), viewer_zone=LONDON) == [
        "severe pain (7 or more) on three logged days in a row (seen by Dr Okafor on 18 Jan 2025)"
    ]
    auckland = ZoneInfo("Pacific/Auckland")
    assert seen_line(streak, viewer_zone=auckland) == "Seen by Dr Okafor on 19 Jan 2025"
    assert seen_line(replace(streak, seen=False), viewer_zone=LONDON) == ""
    (notice,) = patient_notices(assessment(streak))
    assert notice.seen == [streak]


def test_the_patient_is_told_what_to_do_about_a_two_week_run() -> None:
    (notice,) = patient_notices(assessment(TWO_WEEK))
    assert notice.heading == "Your symptoms have gone on for more than two weeks"
    assert notice.lines[0] == (
        "You have logged back symptoms for 18 days, from 1 Jan 2025 to 18 Jan 2025."
    )
    assert "GP or physiotherapist" in notice.lines[1]


def test_prompts_are_one_notice_for_the_patient() -> None:
    streak = Reason(kind=Kind.SEVERE_STREAK, urgency=Urgency.SOON, first=FIRST, last=LAST)
    worse = Reason(kind=Kind.WORSENING, urgency=Urgency.SOON, first=FIRST, last=LAST)
    (notice,) = patient_notices(assessment(streak, worse))
    assert len(notice.lines) == 2


def test_red_flags_are_not_dashboard_notices_they_have_their_own_advice() -> None:
    assert patient_notices(assessment(CHEST)) == []


def test_fhir_text_has_no_time_of_day() -> None:
    assert fhir_text(CHEST) == "Chest pain as well as the back pain"
    assert "18 days" in fhir_text(TWO_WEEK)


def test_one_instant_is_shown_in_each_viewers_own_zone() -> None:
    """The formatting cache must not hand a Tokyo clinician the London time."""
    assert format_local(ANSWERED, "j M H:i", LONDON) == "18 Jan 12:00"
    assert format_local(ANSWERED, "j M H:i", TOKYO) == "18 Jan 21:00"
    assert format_local(ANSWERED, "j M H:i", LONDON) == "18 Jan 12:00"


def test_the_drinks_comparison_is_worded_as_rates_per_day() -> None:
    # More episodes after days at target (6 against 3), but fewer per day: the words follow the
    # rates.
    comparison = HydrationComparison(
        low_days=5, target_days=20, episodes_after_low=3, episodes_after_target=6
    )
    assert hydration_comparison_lines(comparison) == [
        "After fully logged days with drinks below three quarters of the target: 0.60 episodes "
        "per day (3 episodes after 5 days).",
        "After fully logged days at the target: 0.30 episodes per day (6 episodes after 20 days).",
        "Per day, episodes started more often after the low days.",
    ]


def test_the_drinks_comparison_says_which_rate_is_higher_or_that_they_are_equal() -> None:
    higher_after_target = HydrationComparison(
        low_days=10, target_days=5, episodes_after_low=3, episodes_after_target=2
    )
    assert hydration_comparison_lines(higher_after_target)[1:] == [
        "After fully logged days at the target: 0.40 episodes per day (2 episodes after 5 days).",
        "Per day, episodes started more often after the days at the target.",
    ]
    equal = HydrationComparison(
        low_days=5, target_days=20, episodes_after_low=1, episodes_after_target=4
    )
    assert hydration_comparison_lines(equal)[2] == (
        "Per day, episodes started as often after both kinds of day."
    )
    one = HydrationComparison(
        low_days=6, target_days=5, episodes_after_low=1, episodes_after_target=4
    )
    assert "0.17 episodes per day (1 episode after 6 days)" in hydration_comparison_lines(one)[0]
    eighth = HydrationComparison(
        low_days=8, target_days=5, episodes_after_low=1, episodes_after_target=4
    )
    assert "0.13 episodes per day" in hydration_comparison_lines(eighth)[0]  # 0.125, half up
