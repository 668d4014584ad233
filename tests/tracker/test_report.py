"""The patient's own report: its data (tracker.report), its page and PDF, and the read-only links
(tracker.report_links, tracker.report_views)."""

import datetime
import io
import logging
import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import User
from tests.factories import answer_red_flags, check_in, log_episode
from tracker import dates, presenter, report_links, services
from tracker.assessment import Kind
from tracker.models import (
    DoseUnit,
    Effect,
    FunctionScore,
    MedicineDose,
    RedFlagAnswer,
    Relief,
    ReportLink,
    ReportLinkOpening,
    Trigger,
)
from tracker.report import build_report, suggested_period

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
LONDON = "Europe/London"
# A Friday in British Summer Time; the period below runs Monday 23 March to Sunday 5 April.
NOW = datetime.datetime(2026, 4, 10, 12, 0, tzinfo=UTC)
SINCE = datetime.date(2026, 3, 23)
UNTIL = datetime.date(2026, 4, 5)
FEVER = "fever"


def utc(*parts: int) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=UTC)


def at(day: datetime.date, hour: int = 10, zone: str = LONDON) -> datetime.datetime:
    return dates.to_instant(day, datetime.time(hour), dates.zone_or_utc(zone))


@pytest.fixture
def alice_london(alice: User) -> User:
    alice.time_zone = LONDON
    alice.save()
    return alice


def take(
    patient: User,
    day: datetime.date,
    *,
    name: str = "Ibuprofen",
    dose: str = "400",
    unit: str = DoseUnit.MG,
    helped: int | None = None,
    side_effects: str = "",
) -> MedicineDose:
    # Written directly: the medicine log's own service is another part of issue 20.
    return MedicineDose.objects.create(
        patient=patient,
        name=name,
        dose=Decimal(dose),
        unit=unit,
        taken_at=at(day, 9),
        day=day,
        time_zone=patient.time_zone,
        helped=helped,
        side_effects=side_effects,
    )


def score(patient: User, day: datetime.date, pain: int, enjoyment: int, activity: int) -> None:
    FunctionScore.objects.create(
        patient=patient,
        week=day - datetime.timedelta(days=day.weekday()),
        day=day,
        time_zone=patient.time_zone,
        pain=pain,
        enjoyment=enjoyment,
        activity=activity,
        answered_at=datetime.datetime.combine(day, datetime.time(12), tzinfo=patient.zone),
    )


def answer(patient: User, code: str, when: datetime.datetime) -> None:
    answer_red_flags(patient, code, now=NOW)
    latest = RedFlagAnswer.objects.filter(patient=patient).order_by("-id").first()
    assert latest is not None
    # The answer's time is set by the database on saving; put it where the test needs it.
    RedFlagAnswer.objects.filter(pk=latest.pk).update(answered_at=when)


def a_month_of_entries(patient: User) -> None:
    """Log two weeks of entries inside SINCE..UNTIL and some just outside on each side."""
    log_episode(
        patient,
        start=at(SINCE, 8),
        end=at(SINCE, 9),
        severity=3,
        now=NOW,
        triggers=[Trigger.HEAVY_LIFTING],
        relief={Relief.HEAT: Effect.MUCH_BETTER, Relief.STRETCHING: Effect.WORSE},
    )
    log_episode(
        patient,
        start=at(SINCE + datetime.timedelta(days=2), 8),
        end=at(SINCE + datetime.timedelta(days=2), 9),
        severity=5,
        now=NOW,
        triggers=[Trigger.HEAVY_LIFTING, Trigger.LONG_SITTING],
        relief={Relief.HEAT: Effect.A_BIT_BETTER},
    )
    log_episode(
        patient,
        start=at(UNTIL, 20),
        end=at(UNTIL, 21),
        severity=8,
        now=NOW,
        relief={Relief.SHORT_REST: Effect.NO_CHANGE},
    )
    # Outside: the day before and the day after the period.
    for day in (SINCE - datetime.timedelta(days=1), UNTIL + datetime.timedelta(days=1)):
        log_episode(
            patient,
            start=at(day, 8),
            end=at(day, 9),
            severity=10,
            now=NOW,
            triggers=[Trigger.COLD],
            relief={Relief.MUSCLE_RELAXANT: Effect.WORSE},
        )
        take(patient, day, name="Diazepam", dose="2", helped=Effect.WORSE)
        score(patient, day, 10, 10, 10)
    take(patient, SINCE, helped=Effect.MUCH_BETTER)
    take(
        patient,
        UNTIL,
        name=" ibuprofen",
        dose="200",
        helped=Effect.NO_CHANGE,
        side_effects="Sore stomach",
    )
    take(patient, UNTIL, name="Paracetamol", dose="1", unit=DoseUnit.G)
    score(patient, SINCE + datetime.timedelta(days=1), 6, 5, 7)
    score(patient, UNTIL, 3, 2, 4)


# The data


def test_each_section_holds_the_entries_of_the_period(alice_london: User) -> None:
    a_month_of_entries(alice_london)
    answer(alice_london, FEVER, at(SINCE + datetime.timedelta(days=3), 15))

    report = build_report(patient=alice_london, since=SINCE, until=UNTIL, now=NOW)

    assert report.zone == LONDON
    assert (report.since, report.until, report.days) == (SINCE, UNTIL, 14)
    assert report.episode_count == 3
    assert [(w.first, w.last, w.episodes, w.worst, w.average) for w in report.weeks] == [
        (SINCE, datetime.date(2026, 3, 29), 2, 5, Decimal("4.0")),
        (datetime.date(2026, 3, 30), UNTIL, 1, 8, Decimal("8.0")),
    ]
    assert "higher by 2 points or more" in report.trend
    relief = {row.label: (row.tried, row.helped, row.no_change, row.worse) for row in report.relief}
    assert relief == {
        str(Relief.HEAT.label): (2, 2, 0, 0),
        str(Relief.STRETCHING.label): (1, 0, 0, 1),
        str(Relief.SHORT_REST.label): (1, 0, 1, 0),
    }
    assert [row.label for row in report.made_worse] == [str(Relief.STRETCHING.label)]
    assert [(row.label, row.count) for row in report.triggers] == [
        (str(Trigger.HEAVY_LIFTING.label), 2),
        (str(Trigger.LONG_SITTING.label), 1),
    ]
    medicines = {row.name: row for row in report.medicines}
    assert set(medicines) == {"ibuprofen", "Paracetamol"}
    ibuprofen = medicines["ibuprofen"]
    assert (ibuprofen.doses, ibuprofen.times) == ("200 mg, 400 mg", 2)
    assert (ibuprofen.first_day, ibuprofen.last_day) == (SINCE, UNTIL)
    assert (ibuprofen.helped, ibuprofen.no_change, ibuprofen.worse) == (1, 1, 0)
    assert ibuprofen.side_effects == ("Sore stomach",)
    assert medicines["Paracetamol"].doses == "1 g"
    assert [(s.pain, s.enjoyment, s.activity, s.score) for s in report.scores] == [
        (6, 5, 7, 6.0),
        (3, 2, 4, 3.0),
    ]
    assert "a change of -3.0" in report.score_change
    assert [(row.question, row.urgency) for row in report.red_flags] == [
        ("A high temperature (38°C or more), or feeling hot and shivery", "Urgent")
    ]
    assert report.questions[-1] == "Which signs mean I should get help urgently?"
    assert any("medicines" in question for question in report.questions)
    assert any("side effects" in question for question in report.questions)


def test_nothing_from_outside_the_period_is_counted(alice_london: User) -> None:
    a_month_of_entries(alice_london)

    report = build_report(patient=alice_london, since=SINCE, until=UNTIL, now=NOW)

    assert all(week.worst != 10 for week in report.weeks)
    assert str(Trigger.COLD.label) not in {row.label for row in report.triggers}
    assert str(Relief.MUSCLE_RELAXANT.label) not in {row.label for row in report.relief}
    assert "Diazepam" not in {row.name for row in report.medicines}
    assert all(row.score != 10 for row in report.scores)


@pytest.mark.parametrize(
    ("day", "inside", "outside"),
    [
        # Clocks go forward: the day is 23 hours long, from 00:00 GMT to 00:00 BST next day.
        (
            datetime.date(2026, 3, 29),
            [utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 22, 59)],
            [utc(2026, 3, 28, 23, 59), utc(2026, 3, 29, 23, 0)],
        ),
        # Clocks go back: 25 hours, from 00:00 BST (23:00 UTC the day before) to 00:00 GMT.
        (
            datetime.date(2026, 10, 25),
            [utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 23, 59)],
            [utc(2026, 10, 24, 22, 59), utc(2026, 10, 26, 0, 0)],
        ),
    ],
)
def test_answers_count_from_local_midnight_to_local_midnight_across_a_clock_change(
    alice_london: User,
    day: datetime.date,
    inside: list[datetime.datetime],
    outside: list[datetime.datetime],
) -> None:
    for when in [*inside, *outside]:
        answer(alice_london, FEVER, when)
    now = utc(2026, 11, 1, 12)

    report = build_report(patient=alice_london, since=day, until=day, now=now)

    assert sorted(row.answered_at for row in report.red_flags) == inside


def test_a_week_cut_by_the_period_shows_only_its_days_inside(alice_london: User) -> None:
    since, until = datetime.date(2026, 3, 25), datetime.date(2026, 4, 2)  # Wednesday to Thursday

    report = build_report(patient=alice_london, since=since, until=until, now=NOW)

    assert [(week.first, week.last) for week in report.weeks] == [
        (since, datetime.date(2026, 3, 29)),
        (datetime.date(2026, 3, 30), until),
    ]
    assert report.trend == "No episodes were logged in this period."


def fifteen_days_of_symptoms(patient: User, *, last: datetime.date, days: int = 15) -> None:
    for n in range(days):
        check_in(patient, day=last - datetime.timedelta(days=n), severity=4, now=NOW)


def test_flags_are_worded_by_the_presenter_with_their_dates(alice_london: User) -> None:
    today = dates.local_day(NOW, alice_london.zone)
    fifteen_days_of_symptoms(alice_london, last=today)
    assessment = services.status_for(alice_london, now=NOW).assessment
    reason = assessment.reason(Kind.TWO_WEEK)
    assert reason is not None

    report = build_report(
        patient=alice_london, since=today - datetime.timedelta(days=27), until=today, now=NOW
    )

    assert report.flags == (presenter.clinician_line(reason, viewer_zone=alice_london.zone),)
    assert "more than two weeks" in report.flags[0]
    assert any("more than two weeks" in question for question in report.questions)


def test_a_flag_that_ended_before_the_period_is_not_shown(alice_london: User) -> None:
    today = dates.local_day(NOW, alice_london.zone)
    fifteen_days_of_symptoms(alice_london, last=today)

    report = build_report(
        patient=alice_london,
        since=today - datetime.timedelta(days=60),
        until=today - datetime.timedelta(days=20),
        now=NOW,
    )

    assert report.flags == ()


def test_the_suggested_period_reaches_back_to_where_a_long_flag_began(alice_london: User) -> None:
    today = dates.local_day(NOW, alice_london.zone)
    fifteen_days_of_symptoms(alice_london, last=today, days=40)
    assessment = services.status_for(alice_london, now=NOW).assessment

    since, until = suggested_period(assessment, today=today, zone=alice_london.zone)

    assert (since, until) == (today - datetime.timedelta(days=39), today)


def test_the_suggested_period_is_four_weeks_without_a_flag(alice_london: User) -> None:
    today = dates.local_day(NOW, alice_london.zone)
    assessment = services.status_for(alice_london, now=NOW).assessment

    assert suggested_period(assessment, today=today, zone=alice_london.zone) == (
        today - datetime.timedelta(days=27),
        today,
    )


@pytest.mark.parametrize("months", [1, 6])
def test_the_report_takes_seven_queries_whatever_the_log(
    alice_london: User, django_assert_num_queries, months: int
) -> None:
    until = datetime.date(2026, 4, 5)
    since = until - datetime.timedelta(days=30 * months)
    for n in range(0, 30 * months, 3):
        day = since + datetime.timedelta(days=n)
        log_episode(
            alice_london,
            start=at(day, 8),
            end=at(day, 9),
            severity=n % 11,
            now=NOW,
            triggers=[Trigger.STRESS],
            relief={Relief.HEAT: Effect.A_BIT_BETTER},
        )
        take(alice_london, day, side_effects=f"effect {n}")
        if day.weekday() == 0:
            score(alice_london, day, 4, 4, 4)
    answer(alice_london, FEVER, at(until, 9))
    services.status_for(alice_london, now=NOW)
    patient = User.objects.get(pk=alice_london.pk)

    # 1 status row, 2 episodes, 3 relief, 4 triggers, 5 medicines, 6 weekly scores,
    # 7 red-flag answers.
    with django_assert_num_queries(7):
        report = build_report(patient=patient, since=since, until=until, now=NOW)

    assert report.episode_count == 10 * months


# The patient's page and its PDF


def report_url(since: datetime.date | str, until: datetime.date | str) -> str:
    return f"{reverse('tracker:report')}?since={since}&until={until}"


def today_of(user: User) -> datetime.date:
    return dates.local_day(timezone.now(), user.zone)


def test_the_page_shows_the_last_four_weeks_by_default(alice_london: User, client: Client) -> None:
    client.force_login(alice_london)
    today = today_of(alice_london)

    response = client.get(reverse("tracker:report"))

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.since, report.until) == (today - datetime.timedelta(days=27), today)
    assert "no-store" in response["Cache-Control"]
    assert b"Questions to ask" in response.content


@pytest.mark.parametrize(
    ("since", "until", "field", "message"),
    [
        (0, 1, "until", "The end cannot be after today."),
        (1, 2, "since", "The start cannot be in the future."),
        (-3, -5, "until", "The end must not be before the start."),
        (-366, 0, "since", "Please choose at most a year at a time."),
    ],
)
def test_a_wrong_period_is_refused_next_to_its_field_keeping_what_was_typed(
    alice_london: User, client: Client, since: int, until: int, field: str, message: str
) -> None:
    client.force_login(alice_london)
    today = today_of(alice_london)
    typed_since = today + datetime.timedelta(days=since)
    typed_until = today + datetime.timedelta(days=until)

    response = client.get(report_url(typed_since, typed_until))
    pdf = client.get(f"{reverse('tracker:report_pdf')}?since={typed_since}&until={typed_until}")

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert "report" not in response.context
    assert typed_since.isoformat().encode() in response.content
    assert typed_until.isoformat().encode() in response.content
    assert pdf.status_code == 400
    assert pdf["Content-Type"].startswith("text/html")


def test_a_year_exactly_is_accepted(alice_london: User, client: Client) -> None:
    client.force_login(alice_london)
    today = today_of(alice_london)

    response = client.get(report_url(today - datetime.timedelta(days=365), today))

    assert response.status_code == 200
    assert response.context["report"].days == 366


def test_an_impossible_date_is_refused_not_a_crash(alice_london: User, client: Client) -> None:
    client.force_login(alice_london)

    response = client.get(report_url("2026-02-30", "nonsense"))

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"since", "until"}


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_the_pdf_carries_the_report_as_text(alice_london: User, client: Client) -> None:
    today = today_of(alice_london)
    log_episode(
        alice_london,
        start=timezone.now() - datetime.timedelta(days=2, hours=1),
        end=timezone.now() - datetime.timedelta(days=2),
        severity=7,
        triggers=[Trigger.HEAVY_LIFTING],
        relief={Relief.HEAT: Effect.MUCH_BETTER, Relief.STRETCHING: Effect.WORSE},
    )
    take(alice_london, today - datetime.timedelta(days=1), name="Naproxen", dose="250")
    score(alice_london, today - datetime.timedelta(days=1), 6, 5, 4)
    answer_red_flags(alice_london, FEVER)
    client.force_login(alice_london)

    response = client.get(
        f"{reverse('tracker:report_pdf')}?since={today - datetime.timedelta(days=6)}&until={today}"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    text = pdf_text(response.content)
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 1
    for words in (
        "Back cramp report: alice",
        "Period:",
        LONDON,
        "Episodes and severity",
        "1 episode started in the period",
        "Flags",
        "Safety questions answered yes",
        "high temperature",
        "What was tried, and did it help",
        "Heat",
        "Made the pain worse: Stretching and holding",
        "Heavy lifting",
        "Medicines",
        "Naproxen",
        "250 mg",
        "Weekly function score (PEG)",
        "5.0",
        "Questions to ask",
        "Which signs mean I should get help urgently?",
    ):
        assert words in text, f"{words!r} not in the PDF: {text}"


def test_the_pdf_fetches_nothing_but_static_files() -> None:
    from tracker.report_pdf import StaticFilesOnly

    fetcher = StaticFilesOnly()
    with pytest.raises(ValueError, match="not a static file"):
        fetcher.fetch("https://example.org/tracker.css")
    with pytest.raises(ValueError, match="no such static file"):
        fetcher.fetch("https://report.invalid/static/../../portal/settings.py")
    css = fetcher.fetch("https://report.invalid/static/css/report.css")
    assert b"@page" in css.read()


# Read-only links


def make_link(client: Client, since: datetime.date, until: datetime.date, key: uuid.UUID) -> str:
    response = client.post(
        reverse("tracker:report_links"),
        {"since": since.isoformat(), "until": until.isoformat(), "submission_key": str(key)},
    )
    assert response.status_code == 302, response.content[:2000]
    return response["Location"]


def shown_link(client: Client) -> str:
    page = client.get(reverse("tracker:report_links"))
    url = page.context["new_url"]
    assert url.startswith("http://testserver/r/")
    return url.removeprefix("http://testserver")


@pytest.fixture
def alices_link(alice_london: User, client: Client) -> str:
    """Return the path of a link alice made to her last week, shown to her once."""
    client.force_login(alice_london)
    today = today_of(alice_london)
    make_link(client, today - datetime.timedelta(days=6), today, uuid.uuid4())
    path = shown_link(client)
    client.logout()
    return path


def test_a_link_stores_only_the_hash_of_its_secret_and_is_shown_once(
    alice_london: User, client: Client
) -> None:
    client.force_login(alice_london)
    today = today_of(alice_london)
    key = uuid.uuid4()

    make_link(client, today - datetime.timedelta(days=6), today, key)
    make_link(client, today - datetime.timedelta(days=6), today, key)  # a double tap
    path = shown_link(client)
    again = client.get(reverse("tracker:report_links"))

    link = ReportLink.objects.get(patient=alice_london)
    token = path.removeprefix("/r/").removesuffix("/")
    assert len(token) >= 43
    assert link.token_hash == report_links.hash_token(token)
    assert token not in link.token_hash
    assert link.expires_at - link.created_at == datetime.timedelta(days=7)
    assert (link.since, link.until) == (today - datetime.timedelta(days=6), today)
    assert again.context["new_url"] == ""
    assert token.encode() not in again.content


def test_anyone_with_the_link_sees_the_report_without_signing_in(
    alice_link_and_client: tuple[str, Client],
) -> None:
    path, visitor = alice_link_and_client

    page = visitor.get(path)
    pdf = visitor.get(f"{path}report.pdf")

    assert page.status_code == 200
    assert b"Back cramp report: alice" in page.content
    assert b'<meta name="robots" content="noindex, nofollow">' in page.content
    assert b"/tracker/" not in page.content
    assert b"/accounts/" not in page.content
    for response in (page, pdf):
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        assert "no-store" in response["Cache-Control"]
        assert response["Referrer-Policy"] == "no-referrer"
    assert pdf["Content-Type"] == "application/pdf"
    assert "Back cramp report: alice" in pdf_text(pdf.content)
    openings = ReportLinkOpening.objects.order_by("opened_at", "id")
    assert [opening.what for opening in openings] == ["page", "pdf"]


@pytest.fixture
def alice_link_and_client(alices_link: str) -> tuple[str, Client]:
    return alices_link, Client()


def not_found_page(client: Client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 404
    return response.content


def test_a_revoked_expired_or_guessed_link_is_the_same_404(
    alice_london: User, alices_link: str, client: Client
) -> None:
    guessed = not_found_page(client, "/r/" + "A" * 43 + "/")
    ReportLink.objects.update(
        created_at=timezone.now() - datetime.timedelta(days=7, seconds=1),
        expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    expired = not_found_page(client, alices_link)
    expired_pdf = not_found_page(client, f"{alices_link}report.pdf")
    ReportLink.objects.update(
        expires_at=timezone.now() + datetime.timedelta(days=1), revoked_at=timezone.now()
    )
    revoked = not_found_page(client, alices_link)

    assert guessed == expired == revoked == expired_pdf
    assert not ReportLinkOpening.objects.exists()


def test_revoking_stops_the_link_and_a_second_press_changes_nothing(
    alice_london: User, alices_link: str, client: Client
) -> None:
    client.force_login(alice_london)
    link = ReportLink.objects.get(patient=alice_london)
    revoke = reverse("tracker:report_link_revoke", kwargs={"pk": link.pk})

    first = client.post(revoke, follow=True)
    link.refresh_from_db()
    revoked_at = link.revoked_at
    second = client.post(revoke, follow=True)
    link.refresh_from_db()

    assert b"The link no longer opens." in first.content
    assert b"That link was already revoked." in second.content
    assert revoked_at is not None and link.revoked_at == revoked_at
    client.logout()
    assert client.get(alices_link).status_code == 404


def test_another_patient_cannot_revoke_alices_link(
    alice_london: User, charlie: User, alices_link: str, client: Client
) -> None:
    link = ReportLink.objects.get(patient=alice_london)
    client.force_login(charlie)

    response = client.post(reverse("tracker:report_link_revoke", kwargs={"pk": link.pk}))

    assert response.status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None


def test_the_patient_sees_each_opening_beside_the_link(
    alice_london: User, alices_link: str, client: Client
) -> None:
    Client().get(alices_link)
    Client().get(f"{alices_link}report.pdf")
    client.force_login(alice_london)

    page = client.get(reverse("tracker:report_links"))

    assert b"Opened 2 times:" in page.content
    assert b"the PDF" in page.content and b"the page" in page.content


def test_opening_links_is_rate_limited_per_address_and_the_secret_stays_out_of_the_log(
    alices_link: str, client: Client, settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "report_link_open": "3/m/ip"}
    statuses = [client.get("/r/" + "B" * 43 + "/").status_code for _ in range(3)]

    refused = client.get(alices_link)

    assert statuses == [404, 404, 404]
    assert refused.status_code == 429
    assert refused["X-Robots-Tag"] == "noindex, nofollow"
    assert not ReportLinkOpening.objects.exists()
    secret = alices_link.removeprefix("/r/").removesuffix("/")
    assert "Too Many Requests: a report link" in caplog.text
    assert secret not in caplog.text


def test_a_patient_may_have_only_so_many_working_links(alice_london: User, client: Client) -> None:
    client.force_login(alice_london)
    today = today_of(alice_london)
    for _ in range(report_links.MAX_ACTIVE_LINKS):
        make_link(client, today, today, uuid.uuid4())

    response = client.post(
        reverse("tracker:report_links"),
        {"since": today.isoformat(), "until": today.isoformat(), "submission_key": uuid.uuid4()},
    )

    assert response.status_code == 400
    assert b"You already have 5 links that work." in response.content
    assert ReportLink.objects.filter(patient=alice_london).count() == 5


def test_making_links_is_rate_limited_per_patient(
    alice_london: User, client: Client, settings
) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "report_link": "1/d/user"}
    client.force_login(alice_london)
    today = today_of(alice_london)
    make_link(client, today, today, uuid.uuid4())

    response = client.post(
        reverse("tracker:report_links"),
        {"since": today.isoformat(), "until": today.isoformat(), "submission_key": uuid.uuid4()},
    )

    assert response.status_code == 429
    assert ReportLink.objects.count() == 1


def test_a_link_for_a_wrong_period_is_refused_next_to_the_field(
    alice_london: User, client: Client
) -> None:
    client.force_login(alice_london)
    today = today_of(alice_london)

    response = client.post(
        reverse("tracker:report_links"),
        {
            "since": today.isoformat(),
            "until": (today + datetime.timedelta(days=3)).isoformat(),
            "submission_key": uuid.uuid4(),
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors["until"] == ["The end cannot be after today."]
    assert not ReportLink.objects.exists()


@pytest.mark.parametrize("links", [1, 4])
def test_the_links_page_takes_the_same_queries_however_many_links(
    alice_london: User, client: Client, django_assert_num_queries, links: int
) -> None:
    now = timezone.now()
    today = today_of(alice_london)
    for _ in range(links):
        link, _token = report_links.create_link(
            patient=alice_london, since=today, until=today, now=now
        )
        for what in ("page", "pdf"):
            ReportLinkOpening.objects.create(link=link, opened_at=now, what=what)
    client.force_login(alice_london)
    client.get(reverse("tracker:report_links"))

    # 1 session, 2 user, 3 her status row (the suggested period), 4 her groups (the menu),
    # 5 her links, 6 their openings.
    with django_assert_num_queries(6):
        response = client.get(reverse("tracker:report_links"))

    assert len(response.context["links"]) == links


def test_the_links_rules_answer_for_a_given_instant(alice_london: User) -> None:
    made, token = report_links.create_link(patient=alice_london, since=SINCE, until=UNTIL, now=NOW)
    just_before = made.expires_at - datetime.timedelta(microseconds=1)

    assert report_links.open_link(token=token, what="page", now=just_before) == made
    assert report_links.open_link(token=token, what="page", now=made.expires_at) is None
    assert report_links.open_link(token=token + "x", what="page", now=NOW) is None
    assert report_links.revoke_link(link=made, now=NOW) is True
    assert report_links.revoke_link(link=made, now=NOW) is False
    assert report_links.open_link(token=token, what="page", now=NOW) is None
    assert ReportLinkOpening.objects.filter(link=made).count() == 1


def test_a_busy_month_fits_on_one_a4_page(alice_london: User, rf) -> None:
    from django.template.loader import render_to_string

    from tracker.report_pdf import render_pdf

    until = dates.local_day(NOW, alice_london.zone)
    since = until - datetime.timedelta(days=27)
    for n in range(0, 28, 2):
        day = since + datetime.timedelta(days=n)
        log_episode(
            alice_london,
            start=at(day, 8),
            end=at(day, 9),
            severity=3 + n % 6,
            now=NOW,
            triggers=[Trigger.HEAVY_LIFTING, Trigger.STRESS, Trigger.LONG_SITTING][: 1 + n % 3],
            relief={
                Relief.HEAT: Effect.MUCH_BETTER,
                Relief.STRETCHING: Effect.WORSE if n % 4 else Effect.A_BIT_BETTER,
                Relief.ANTI_INFLAMMATORY: Effect.A_BIT_BETTER,
                Relief.SHORT_REST: Effect.NO_CHANGE,
            },
        )
        take(alice_london, day, helped=Effect.A_BIT_BETTER, side_effects="Sore stomach")
        take(alice_london, day, name="Paracetamol", dose="1", unit=DoseUnit.G)
    take(alice_london, until, name="Diazepam", dose="2", side_effects="Drowsy the next morning")
    for week in range(4):
        score(alice_london, since + datetime.timedelta(days=7 * week + 1), 7 - week, 6, 5)
    answer(alice_london, FEVER, at(until - datetime.timedelta(days=3), 9))
    answer(alice_london, "night_pain", at(until - datetime.timedelta(days=2), 9))
    report = build_report(patient=alice_london, since=since, until=until, now=NOW)
    html = render_to_string(
        "tracker/report/document.html", {"report": report, "public": False}, request=rf.get("/")
    )

    pdf = render_pdf(html)

    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1


def test_the_access_log_never_shows_a_link_secret() -> None:
    import runpy
    import types

    from django.conf import settings
    from gunicorn.config import Config

    config = runpy.run_path(str(settings.BASE_DIR / "gunicorn.conf.py"))
    logger = config["logger_class"](Config())
    response = types.SimpleNamespace(status="200 OK", response_length=10, sent=10, headers=[])
    request = types.SimpleNamespace(headers=[])
    secret = "S" * 43

    def logged_path(path: str) -> str:
        environ = {
            "REMOTE_ADDR": "192.0.2.1",
            "PATH_INFO": path,
            "RAW_URI": path,
            "REQUEST_METHOD": "GET",
            "QUERY_STRING": "",
            "SERVER_PROTOCOL": "HTTP/1.1",
        }
        atoms = logger.atoms(response, request, environ, datetime.timedelta(milliseconds=5))
        return atoms["U"]

    assert logged_path(f"/r/{secret}/") == "/r/…/"
    assert logged_path(f"/r/{secret}/report.pdf") == "/r/…/report.pdf"
    assert logged_path("/tracker/report/") == "/tracker/report/"


def test_a_link_opens_for_someone_signed_in_who_has_a_newer_notice_to_agree_to(
    alices_link: str, charlie: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from accounts import consent
    from tests.accounts.test_consent import NEW_NOTICE

    monkeypatch.setattr(consent, "PRIVACY_NOTICE", NEW_NOTICE)
    visitor = Client()
    visitor.force_login(charlie)

    assert visitor.get(reverse("tracker:dashboard")).status_code == 302  # asked to agree first
    page = visitor.get(alices_link)

    assert page.status_code == 200
    assert b"Back cramp report: alice" in page.content


def test_the_patients_own_pdf_is_rate_limited_per_patient(
    alice_london: User, client: Client, settings
) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "report_pdf": "1/10m/user"}
    client.force_login(alice_london)

    first = client.get(reverse("tracker:report_pdf"))
    second = client.get(reverse("tracker:report_pdf"))

    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    assert second.status_code == 429
