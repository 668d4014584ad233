"""The benchmark's demo data: fixed accounts that log in, realistic histories that obey every
rule of the data model, the same data for the same seed, and no accidental overwrite."""

import datetime
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.db.models import Count, F, Max, Min
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User, validate_time_zone
from accounts.roles import is_clinician
from bench import demo_data
from clinic.models import CONSENT_VERSION, ClinicianProfile, Share
from clinic.queue import queue_page
from tests.conftest import log_in_with_form
from tests.factories import log_episode
from tracker import dates, reminders, rules
from tracker.assessment import Kind
from tracker.models import (
    ALL_WEEKDAYS,
    Acknowledgement,
    CheckIn,
    Drink,
    Episode,
    EpisodeLocation,
    EpisodeTrigger,
    FunctionScore,
    HydrationDay,
    MedicineDose,
    PatientProfile,
    PatientStatus,
    RedFlagAnswer,
    ReliefTried,
    Reminder,
)

# The generator places today's entries in the part of the day that has passed: a pinned clock
# makes two runs produce the same moments.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("midday")]

PATIENTS = 20
CLINICIANS = 3
PASSWORD = "bench-test-password-42"


def generate(*, patients: int = PATIENTS, years: float = 1, seed: int = 7, **options) -> str:
    """Run the command and return what it printed on stdout and stderr."""
    out, err = StringIO(), StringIO()
    call_command(
        "generate_demo_data",
        patients=patients,
        clinicians=CLINICIANS,
        years=years,
        seed=seed,
        password=PASSWORD,
        stdout=out,
        stderr=err,
        **options,
    )
    return out.getvalue() + err.getvalue()


@pytest.fixture
def output() -> str:
    return generate()


def patient(username: str) -> User:
    return User.objects.get(username=username)


def numbered(numbers) -> set[str]:
    return {demo_data.patient_username(number) for number in numbers}


def test_every_demo_account_logs_in_with_the_one_password(output) -> None:
    # Through the sign-in pages, as a person does: the address is verified, and clinicians
    # have the second factor production requires of them.
    for username in (
        demo_data.patient_username(1),
        demo_data.patient_username(PATIENTS),
        demo_data.HEAVY_USERNAME,
        demo_data.clinician_username(1),
        demo_data.BUSY_USERNAME,
    ):
        client = Client()
        response = log_in_with_form(client, username, PASSWORD)
        assert response.status_code == 302, username
        assert client.session[SESSION_KEY] == str(patient(username).pk)
        # Each agreed to the current privacy notice and terms: the landing page itself opens.
        assert client.get(response["Location"]).status_code == 200, username
    refused = Client().post(
        reverse("account_login"),
        {"login": demo_data.HEAVY_USERNAME, "password": "not-the-password"},
    )
    assert refused.status_code == 200
    # Hashed once for everyone.
    assert demo_data.demo_users().values("password").distinct().count() == 1
    assert demo_data.demo_users().count() == PATIENTS + 1 + CLINICIANS + 1


def test_clinicians_are_set_up_as_staff_approve_them(output) -> None:
    usernames = [demo_data.clinician_username(n) for n in range(1, CLINICIANS + 1)]
    clinicians = User.objects.filter(username__in=[*usernames, demo_data.BUSY_USERNAME])
    assert clinicians.count() == CLINICIANS + 1
    for clinician in clinicians:
        assert is_clinician(clinician)
        profile = ClinicianProfile.objects.get(user=clinician)
        assert profile.code_expires_at > timezone.now()
    codes = ClinicianProfile.objects.values_list("share_code", flat=True)
    assert len(set(codes)) == CLINICIANS + 1
    assert not PatientProfile.objects.filter(user__in=clinicians).exists()


def test_patients_have_a_profile_and_one_of_several_real_time_zones(output) -> None:
    patients = User.objects.filter(patient_profile__isnull=False)
    assert patients.count() == PATIENTS + 1
    zones = set(patients.values_list("time_zone", flat=True))
    assert len(zones) >= 3
    for zone in zones:
        validate_time_zone(zone)


def test_the_heavy_patient_has_an_episode_a_check_in_and_drinks_every_day_for_five_years(
    output,
) -> None:
    heavy = patient(demo_data.HEAVY_USERNAME)
    zone = heavy.zone
    today = timezone.now().astimezone(zone).date()
    episode_days = {
        started_at.astimezone(zone).date()
        for started_at in Episode.objects.filter(patient=heavy).values_list("started_at", flat=True)
    }
    first = today - datetime.timedelta(days=demo_data.HEAVY_DAYS - 1)
    every_day = {first + datetime.timedelta(days=n) for n in range(demo_data.HEAVY_DAYS)}
    assert episode_days == every_day
    assert set(Episode.objects.filter(patient=heavy).values_list("start_day", flat=True)) == (
        every_day
    )
    assert set(CheckIn.objects.filter(patient=heavy).values_list("day", flat=True)) == every_day
    assert set(Drink.objects.filter(patient=heavy).values_list("day", flat=True)) == every_day
    assert HydrationDay.objects.filter(patient=heavy, complete=True).count() == len(every_day) - 1


def test_the_busy_clinician_has_every_patient_when_there_are_fewer_than_500(output) -> None:
    busy = patient(demo_data.BUSY_USERNAME)
    shares = Share.objects.accepted().filter(clinician=busy)
    assert shares.count() == PATIENTS + 1
    assert shares.filter(patient__username=demo_data.HEAVY_USERNAME).exists()
    assert set(Share.objects.values_list("consent_version", flat=True)) == {CONSENT_VERSION}


def test_the_busy_clinician_has_500_patients_when_there_are_more() -> None:
    generate(patients=600, years=0.05)
    busy = patient(demo_data.BUSY_USERNAME)
    shares = Share.objects.accepted().filter(clinician=busy)
    assert shares.count() == demo_data.BUSY_SHARES
    assert shares.filter(patient__username=demo_data.HEAVY_USERNAME).exists()
    assert not shares.filter(patient__username=demo_data.patient_username(500)).exists()
    # Everyone else shares with one or two of the numbered clinicians, or with nobody.
    per_patient = Share.objects.filter(revoked_at__isnull=True).exclude(clinician=busy)
    counts = per_patient.values("patient").annotate(n=Count("id")).values_list("n", flat=True)
    assert set(counts) <= {1, 2}


def test_episodes_keep_every_constraint_and_only_recent_ones_are_still_going(output) -> None:
    now = timezone.now()
    episodes = Episode.objects.all()
    assert episodes.count() > 20 * PATIENTS
    for episode in episodes:
        assert rules.SEVERITY_MIN <= episode.severity <= rules.SEVERITY_MAX
        assert episode.started_at <= now
        assert episode.started_at <= episode.updated_at + dates.CLOCK_SKEW_TOLERANCE
        assert episode.created_at >= episode.started_at
        if episode.ended_at is None:
            assert now - episode.started_at < datetime.timedelta(days=2)
        else:
            assert episode.started_at <= episode.ended_at <= now
    assert episodes.filter(ended_at__isnull=True).exists()
    severities = set(episodes.values_list("severity", flat=True))
    assert {1, 5, 9} <= severities
    # Details from the vocabularies, as a patient fills them in.
    assert EpisodeTrigger.objects.values("code").distinct().count() >= 10
    assert EpisodeLocation.objects.values("region", "side").distinct().count() >= 6
    assert ReliefTried.objects.filter(effect__isnull=False).values("effect").distinct().count() == 4


def test_every_entry_is_dated_in_the_patients_zone_as_the_services_would(output) -> None:
    episodes = Episode.objects.select_related("patient")
    assert episodes.count() > 20 * PATIENTS
    for episode in episodes:
        assert episode.time_zone == episode.patient.time_zone
        first, last = dates.span_days(episode.started_at, episode.ended_at, episode.patient.zone)
        assert (episode.start_day, episode.end_day) == (first, last), episode
    for model in (CheckIn, Drink, MedicineDose, FunctionScore):
        assert model.objects.exists()
        assert not model.objects.exclude(time_zone=F("patient__time_zone")).exists(), model


def test_the_data_passes_every_database_constraint(output) -> None:
    with connection.cursor() as cursor:
        for model in (Episode, CheckIn, Drink, MedicineDose, FunctionScore):
            table = model._meta.db_table
            in_database = connection.introspection.get_constraints(cursor, table)
            for constraint in model._meta.constraints:
                # The database holds the constraint, so the rows were checked as they went in...
                assert constraint.name in in_database, (table, constraint.name)
                if isinstance(constraint, models.CheckConstraint):
                    # ...and no row breaks it, checked again here by the ORM.
                    broken = model.objects.exclude(constraint.condition)
                    assert not broken.exists(), constraint.name
                else:
                    fields = constraint.fields
                    repeated = model.objects.values(*fields).annotate(n=Count("pk")).filter(n__gt=1)
                    assert not repeated.exists(), constraint.name
    # Every episode has its local dates: NULL end_day only for an episode still going.
    assert not Episode.objects.filter(time_zone="").exists()
    assert Episode.objects.filter(end_day__isnull=True).count() == (
        Episode.objects.filter(ended_at__isnull=True).count()
    )


def test_histories_have_runs_of_symptoms_with_free_and_unlogged_days_between(output) -> None:
    counts = dict.fromkeys(rules.DayStatus, 0)
    for someone in User.objects.filter(username__startswith="demo-patient-"):
        zone = someone.zone
        today = timezone.now().astimezone(zone).date()
        since = today - datetime.timedelta(days=200)
        statuses = rules.day_statuses(
            episodes=[
                rules.EpisodeDays(first, last, severity)
                for first, last, severity in Episode.objects.filter(patient=someone).values_list(
                    "start_day", "end_day", "severity"
                )
            ],
            checkins=CheckIn.objects.filter(patient=someone, day__gte=since).values_list(
                "day", "worst_severity"
            ),
            today=today,
            since=since,
        )
        for status in statuses.values():
            counts[status] += 1
    days = sum(counts.values())
    assert 0.2 < counts[rules.DayStatus.SYM] / days < 0.5
    assert 0.1 < counts[rules.DayStatus.FREE] / days < 0.5
    assert 0.1 < counts[rules.DayStatus.UNLOGGED] / days < 0.7


def test_the_flagged_patients_are_the_heavy_one_and_every_sixteenth(output) -> None:
    busy = patient(demo_data.BUSY_USERNAME)
    # The generator writes no statuses: reading the queue computes them.
    page = queue_page(clinician=busy, now=timezone.now())
    assert page.paginator.count == PATIENTS + 1
    statuses = PatientStatus.objects.filter(patient__shares_given__clinician=busy)
    assert statuses.count() == PATIENTS + 1
    flagged = {
        status.patient.username
        for status in statuses.select_related("patient")
        if status.assessment.reason(Kind.TWO_WEEK) is not None
    }
    expected = numbered(range(1, PATIENTS + 1, demo_data.PERSISTENT_EVERY))
    assert flagged == expected | {demo_data.HEAVY_USERNAME}
    # Some runs are already marked as seen, by a clinician the patient shares with.
    for seen in Acknowledgement.objects.filter(run_first_day__isnull=False):
        assert Share.objects.filter(patient=seen.patient, clinician=seen.clinician).exists()


def test_some_patients_answered_red_flags_and_a_clinician_saw_some(output) -> None:
    answers = RedFlagAnswer.objects.select_related("patient__patient_profile")
    answered = {answer.patient.username for answer in answers}
    expected = numbered(range(demo_data.RED_FLAGS_FROM, PATIENTS + 1, demo_data.RED_FLAGS_EVERY))
    assert answered == expected | {demo_data.HEAVY_USERNAME}
    for answer in answers:
        flag = rules.RED_FLAGS_BY_CODE[answer.code]
        assert answer.patient.patient_profile.pregnant or not flag.pregnancy_only
        assert answer.answered_at <= answer.advice_shown_at <= timezone.now()
        if answer.episode_id:
            assert answer.episode.patient_id == answer.patient_id
    seen = Acknowledgement.objects.filter(red_flag__isnull=False)
    assert 0 < seen.count() < answers.count()
    for acknowledgement in seen:
        assert acknowledgement.created_at >= acknowledgement.red_flag.answered_at
        assert Share.objects.filter(
            patient=acknowledgement.patient, clinician=acknowledgement.clinician
        ).exists()


def test_drinks_are_logged_on_most_recent_days_and_most_of_those_marked_complete(output) -> None:
    today = timezone.now().date()
    recent = today - datetime.timedelta(days=demo_data.DENSE_HYDRATION_DAYS - 10)
    stopped = numbered(range(demo_data.STOPPED_FROM, PATIENTS + 1, demo_data.STOPPED_EVERY))
    for someone in User.objects.filter(username__startswith="demo-patient-").exclude(
        username__in=stopped
    ):
        drink_days = set(
            Drink.objects.filter(patient=someone, day__gte=recent).values_list("day", flat=True)
        )
        complete = HydrationDay.objects.filter(patient=someone, day__gte=recent, complete=True)
        days = (today - recent).days
        assert len(drink_days) > 0.6 * days, someone.username
        assert complete.count() > 0.4 * days, someone.username
    per_day = Drink.objects.values("patient", "day").annotate(n=Count("id"))
    assert {row["n"] for row in per_day} <= {1, 2, 3, 4, 5}
    amounts = Drink.objects.aggregate(low=Min("amount_ml"), high=Max("amount_ml"))
    assert 50 <= amounts["low"] and amounts["high"] <= 1500


def test_medicines_are_taken_on_their_local_day_and_only_recently_except_the_heavy_patient(
    output,
) -> None:
    for dose in MedicineDose.objects.select_related("patient")[:2000]:
        assert dates.local_day(dose.taken_at, dose.patient.zone) == dose.day, dose
        assert dose.taken_at <= timezone.now()
    recent = timezone.now().date() - datetime.timedelta(days=demo_data.DENSE_HYDRATION_DAYS + 1)
    assert not MedicineDose.objects.exclude(patient__username="demo-heavy").filter(day__lt=recent)
    heavy_days = MedicineDose.objects.filter(patient=patient("demo-heavy")).values("day")
    assert heavy_days.distinct().count() == demo_data.HEAVY_DAYS
    assert MedicineDose.objects.filter(helped__isnull=False).exists()


def test_weekly_scores_are_for_mondays_answered_within_their_week(output) -> None:
    scores = FunctionScore.objects.select_related("patient")
    assert scores.count() > PATIENTS * 5
    for score in scores:
        assert score.week.weekday() == 0, score
        assert score.week <= score.day < score.week + datetime.timedelta(days=7), score
        assert dates.local_day(score.answered_at, score.patient.zone) == score.day, score
    heavy = FunctionScore.objects.filter(patient=patient("demo-heavy")).count()
    assert heavy >= demo_data.HEAVY_DAYS // 7


def test_a_seen_run_records_its_flag_its_last_day_and_worst_severity() -> None:
    # Enough persistent patients (every sixteenth) for some runs to have been seen.
    generate(patients=80)
    runs = Acknowledgement.objects.filter(run_first_day__isnull=False)
    assert runs.exists()
    for seen in runs:
        assert seen.kind == Kind.TWO_WEEK
        assert seen.run_last_day is not None and seen.worst_seen is not None
        assert seen.run_first_day <= seen.run_last_day
    answers = Acknowledgement.objects.filter(red_flag__isnull=False)
    assert answers.exists()
    assert not answers.exclude(kind="").exists()


def test_every_patient_has_the_daily_reminder_on_by_email_scheduled_from_now(
    output, midday
) -> None:
    rows = Reminder.objects.select_related("patient")
    assert set(rows.values_list("patient__username", flat=True)) == numbered(
        range(1, PATIENTS + 1)
    ) | {demo_data.HEAVY_USERNAME}
    for row in rows:
        assert row.daily and row.by_email and not row.by_push
        # Scheduled as the settings page schedules a patient's choices.
        expected = Reminder(
            patient=row.patient,
            daily=True,
            at=row.at,
            weekdays=row.weekdays,
            weekly_digest=row.weekly_digest,
            digest_weekday=row.digest_weekday,
        )
        reminders.schedule(expected, now=midday)
        assert (row.next_daily_at, row.next_daily_day) == (
            expected.next_daily_at,
            expected.next_daily_day,
        )
        assert (row.next_digest_at, row.next_digest_day) == (
            expected.next_digest_at,
            expected.next_digest_day,
        )
        assert midday < row.next_daily_at <= midday + datetime.timedelta(days=7)


def test_reminders_are_mostly_at_a_few_evening_times_in_every_zone() -> None:
    generate(patients=300, years=0.05)
    rows = Reminder.objects.select_related("patient")
    times = Counter(rows.values_list("at", flat=True))
    common = [at for at in demo_data.REMINDER_TIMES.values if at is not None]
    assert sum(times[at] for at in common) > 0.85 * rows.count()
    assert times.most_common(1)[0][0] == datetime.time(19, 0)
    assert len(times) > len(common)  # and a few at other quarter hours
    zones = set(rows.values_list("patient__time_zone", flat=True))
    assert {"Asia/Kolkata", "Asia/Tehran", "Pacific/Auckland", "America/Los_Angeles"} <= zones
    summaries = rows.filter(weekly_digest=True)
    assert 0.2 < summaries.count() / rows.count() < 0.4
    assert Counter(summaries.values_list("digest_weekday", flat=True)).most_common(1)[0][0] == 6
    assert rows.exclude(weekdays=ALL_WEEKDAYS).exists()


def snapshot() -> dict[str, list]:
    """Return the demo data by what it means, without ids, sorted."""
    return {
        "users": sorted(
            demo_data.demo_users().values_list(
                "username", "first_name", "last_name", "time_zone", "date_joined"
            )
        ),
        "episodes": sorted(
            Episode.objects.values_list(
                "patient__username",
                "started_at",
                "ended_at",
                "time_zone",
                "start_day",
                "end_day",
                "severity",
                "activity",
                "created_at",
                "updated_at",
            )  # fmt: skip
        ),
        "triggers": sorted(
            EpisodeTrigger.objects.values_list(
                "episode__patient__username", "episode__started_at", "code"
            )
        ),
        "checkins": sorted(
            CheckIn.objects.values_list(
                "patient__username", "day", "time_zone", "worst_severity", "created_at"
            )
        ),
        "drinks": sorted(
            Drink.objects.values_list(
                "patient__username", "day", "time_zone", "amount_ml", "logged_at"
            )
        ),
        "red_flags": sorted(
            RedFlagAnswer.objects.values_list("patient__username", "code", "answered_at")
        ),
        "shares": sorted(
            Share.objects.values_list(
                "patient__username", "clinician__username", "consented_at", "revoked_at"
            ),
            key=str,
        ),
        "codes": sorted(ClinicianProfile.objects.values_list("share_code", flat=True)),
        "reminders": sorted(
            Reminder.objects.values_list(
                "patient__username",
                "at",
                "weekdays",
                "weekly_digest",
                "digest_weekday",
                "next_daily_at",
                "next_digest_at",
            ),
            key=str,
        ),
    }


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data() -> None:
    generate(patients=6, seed=3)
    first = snapshot()
    generate(patients=6, seed=3, replace=True)
    assert snapshot() == first
    generate(patients=6, seed=4, replace=True)
    other = snapshot()
    assert other["episodes"] != first["episodes"]
    assert other["drinks"] != first["drinks"]


def test_it_refuses_to_run_over_existing_demo_accounts_without_replace(output) -> None:
    episodes = Episode.objects.count()
    with pytest.raises(CommandError, match="--replace"):
        generate()
    assert Episode.objects.count() == episodes


def test_replace_deletes_the_old_demo_accounts_and_all_their_data(output) -> None:
    alice = User.objects.create_user(username="alice", password="another-password-1")
    log_episode(alice, start=timezone.now() - datetime.timedelta(hours=2), severity=3)
    generate(patients=5, replace=True)

    assert not User.objects.filter(username=demo_data.patient_username(6)).exists()
    assert User.objects.filter(username=demo_data.patient_username(5)).exists()
    assert demo_data.demo_users().count() == 5 + 1 + CLINICIANS + 1
    # Nothing is left of the old accounts, and other people's data is untouched.
    assert not Episode.objects.exclude(patient__in=User.objects.all()).exists()
    assert Episode.objects.filter(patient=alice).count() == 1
    assert User.objects.filter(username="alice").exists()
    for model in (EpisodeTrigger, ReliefTried, EpisodeLocation):
        assert not model.objects.exclude(episode__in=Episode.objects.all()).exists()


def test_it_names_the_database_first_and_shows_progress(output) -> None:
    name = connection.settings_dict["NAME"]
    assert output.splitlines()[0] == (
        f"Writing demo data to the {connection.vendor} database “{name}”."
    )
    total = PATIENTS + 1
    assert f"patients {total}/{total} [##########] 100%" in output
