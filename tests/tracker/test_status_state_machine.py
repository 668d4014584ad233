"""The stored status always equals a fresh assessment, whatever writes and clock moves come.

A Hypothesis state machine plays a patient (and a clinician) through random writes made the way
the views make them (tracker.services), moves of the clock by minutes to weeks, across both DST
changes, and moves between zones (+14, -10, +05:30). After every step the stored row, read as
a page would read it, must equal the assessment of the log as it is now.
"""

import datetime
from unittest import mock

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from accounts.models import User
from tracker import dates, rules, services
from tracker.assessment import Kind, assess
from tracker.models import Episode, PatientStatus, RedFlagAnswer
from tracker.services import EpisodeInput

ZONES = ["Europe/London", "Pacific/Kiritimati", "Pacific/Honolulu", "Asia/Kolkata"]
CODES = ["chest_pain", "fever", "not_coping", "night_pain"]
# Just before the clocks go forward in London, so the runs cross both DST changes.
START = datetime.datetime(2025, 3, 20, 9, 0, tzinfo=datetime.UTC)


class StatusMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.clock = mock.patch("django.utils.timezone.now", lambda: self.now)
        self.clock.start()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.patient = User.objects.create_user(username="p", time_zone="Europe/London")
        self.clinician = User.objects.create_user(username="c")

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)
        self.clock.stop()

    def episodes(self) -> list[Episode]:
        return list(Episode.objects.filter(patient=self.patient).order_by("pk"))

    @rule(
        days_ago=st.integers(0, 40),
        minutes=st.integers(-10, 24 * 60),
        length_minutes=st.one_of(st.none(), st.integers(0, 3 * 24 * 60)),
        severity=st.integers(0, 10),
        flags=st.lists(st.sampled_from(CODES), max_size=2),
    )
    def log_episode(
        self,
        days_ago: int,
        minutes: int,
        length_minutes: int | None,
        severity: int,
        flags: list[str],
    ) -> None:
        # minutes may be -10: a start up to ten minutes ahead of the server (clock skew).
        start = self.now - datetime.timedelta(days=days_ago, minutes=minutes)
        start = min(start, self.now + dates.CLOCK_SKEW_TOLERANCE)
        end = None
        if length_minutes is not None:
            end = min(start + datetime.timedelta(minutes=length_minutes), self.now)
            end = max(end, start)
        services.record_episode(
            patient=self.patient,
            data=EpisodeInput(started_at=start, ended_at=end, severity=severity, red_flags=flags),
            now=self.now,
        )

    @precondition(lambda self: Episode.objects.filter(patient=self.patient).exists())
    @rule(which=st.integers(0, 100), action=st.sampled_from(["end", "delete", "change"]))
    def touch_episode(self, which: int, action: str) -> None:
        episodes = self.episodes()
        episode = episodes[which % len(episodes)]
        if action == "end":
            services.end_episode(episode=episode, now=self.now)
        elif action == "delete":
            services.delete_episode(episode=episode, now=self.now)
        else:
            services.change_when(
                episode=episode,
                started_at=episode.started_at - datetime.timedelta(days=2),
                ended_at=None,
                severity=min(10, episode.severity + 3),
                now=self.now,
            )

    @rule(days_ago=st.integers(0, 30), severity=st.integers(0, 10), confirm=st.booleans())
    def check_in(self, days_ago: int, severity: int, confirm: bool) -> None:
        today = dates.local_day(self.now, self.patient.zone)
        services.record_checkin(
            patient=self.patient,
            day=today - datetime.timedelta(days=days_ago),
            worst_severity=severity,
            confirm_lower=confirm,
            now=self.now,
        )

    @rule(codes=st.lists(st.sampled_from(CODES), min_size=1, max_size=2))
    def answer_red_flags(self, codes: list[str]) -> None:
        services.record_red_flags(patient=self.patient, codes=codes, now=self.now)

    @precondition(lambda self: RedFlagAnswer.objects.filter(patient=self.patient).exists())
    @rule(which=st.integers(0, 100))
    def clinician_sees_an_answer(self, which: int) -> None:
        answers = list(RedFlagAnswer.objects.filter(patient=self.patient).order_by("pk"))
        answer = answers[which % len(answers)]
        services.acknowledge_answer(clinician=self.clinician, answer=answer, now=self.now)

    @rule()
    def clinician_sees_the_run(self) -> None:
        services.acknowledge_run(clinician=self.clinician, patient=self.patient, now=self.now)

    @rule(kind=st.sampled_from([Kind.TWO_WEEK, Kind.SEVERE_STREAK, Kind.WORSENING]))
    def clinician_sees_a_flag_as_shown(self, kind: Kind) -> None:
        reason = services.status_for(self.patient, now=self.now).assessment.reason(kind)
        if reason is None or reason.first is None or reason.last is None:
            return
        shown = services.SeenRun(
            kind=kind, first=reason.first, last=reason.last, worst=reason.worst or 0
        )
        services.acknowledge_flag(
            clinician=self.clinician, patient=self.patient, shown=shown, now=self.now
        )

    @rule(zone=st.sampled_from(ZONES))
    def move_zone(self, zone: str) -> None:
        services.change_time_zone(user=self.patient, time_zone=zone, now=self.now)

    @rule(hours=st.integers(0, 24 * 21), minutes=st.integers(0, 59))
    def time_passes(self, hours: int, minutes: int) -> None:
        self.now += datetime.timedelta(hours=hours, minutes=minutes)

    @invariant()
    def stored_status_equals_a_fresh_assessment(self) -> None:
        patient = User.objects.get(pk=self.patient.pk)
        fresh = assess(
            services.load_facts([patient], now=self.now)[patient.pk],
            now=self.now,
            zone=patient.zone,
        )
        row = PatientStatus.objects.filter(patient=patient).first()
        if row is not None and not row.is_stale(now=self.now, time_zone=patient.time_zone):
            # Still valid: what the pages read without recomputing must be the truth.
            assert row.assessment == fresh
            assert row.urgency == fresh.urgency
        read = services.status_for(patient, now=self.now)
        assert read.assessment == fresh
        assert not read.is_stale(now=self.now, time_zone=patient.time_zone)

    @invariant()
    def red_flag_advice_is_never_lost(self) -> None:
        """Every answer of the last 24 hours is in the advice the patient is shown."""
        since = self.now - datetime.timedelta(hours=24)
        recent = set(
            RedFlagAnswer.objects.filter(patient=self.patient, answered_at__gt=since).values_list(
                "code", flat=True
            )
        )
        advice = services.status_for(self.patient, now=self.now).assessment.advice
        assert set(advice) == recent & set(rules.RED_FLAGS_BY_CODE)


@pytest.mark.django_db
def test_stored_status_always_equals_a_fresh_assessment() -> None:
    run_state_machine_as_test(
        StatusMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
