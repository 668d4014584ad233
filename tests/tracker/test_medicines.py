"""The medicine log: logging a dose on one screen, changing and deleting it, the list, the
dashboard's card, and the clinician's view. Nobody but the patient may touch their doses."""

import datetime
import re
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from clinic.access import approve_clinician
from tests.conftest import client_for
from tests.factories import share, take_medicine
from tracker import medicines
from tracker.medicines import DoseInput, totals_by_medicine
from tracker.models import Effect, MedicineDose, PatientStatus, Submission
from tracker.services import WriteLimitReached

pytestmark = pytest.mark.django_db

ADD = reverse("tracker:medicine_add")
LIST = reverse("tracker:medicine_list")
DASHBOARD = reverse("tracker:dashboard")
LONDON = ZoneInfo("Europe/London")
KOLKATA = ZoneInfo("Asia/Kolkata")  # +05:30
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")  # +14:00
# 12:00 UTC on a Saturday in summer time: 13:00 in London.
NOW = datetime.datetime(2026, 7, 4, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def now(monkeypatch: pytest.MonkeyPatch) -> datetime.datetime:
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def alice_london(alice):
    alice.time_zone = "Europe/London"
    alice.save()
    return alice


def dose_post(**fields: object) -> dict[str, str]:
    """Return a dose form post: 400 mg of ibuprofen taken now, with a fresh submission key."""
    data = {
        "submission_key": str(uuid.uuid4()),
        "name": "Ibuprofen",
        "dose": "400",
        "unit": "mg",
        "taken_date": "",
        "taken_time": "",
        "helped": "",
        "side_effects": "",
    }
    data.update({key: str(value) for key, value in fields.items()})
    return data


def errors(response, field: str) -> list[str]:
    return [str(message) for message in response.context["form"].errors.get(field, [])]


def at(zone: ZoneInfo, text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=zone)


# The services


def test_a_dose_is_dated_on_the_patients_local_day_and_moves_the_last_logged_time(alice):
    alice.time_zone = "Pacific/Kiritimati"
    alice.save()
    # 10:30 UTC on 3 July is 00:30 on 4 July at +14.
    taken = datetime.datetime(2026, 7, 3, 10, 30, tzinfo=datetime.UTC)
    dose = take_medicine(alice, taken_at=taken, now=NOW)
    assert (dose.day, dose.time_zone) == (datetime.date(2026, 7, 4), "Pacific/Kiritimati")
    assert PatientStatus.objects.get(patient=alice).last_logged_at == NOW


def test_a_half_hour_zone_keeps_a_late_evening_dose_on_its_own_day(alice):
    alice.time_zone = "Asia/Kolkata"
    alice.save()
    dose = take_medicine(alice, taken_at=at(KOLKATA, "2026-07-03T23:45"), now=NOW)
    # 18:15 UTC: the same date in UTC too, but 00:15 local would not be.
    assert dose.day == datetime.date(2026, 7, 3)
    dose = take_medicine(alice, taken_at=at(KOLKATA, "2026-07-04T00:15"), now=NOW)
    assert dose.taken_at.astimezone(datetime.UTC).date() == datetime.date(2026, 7, 3)
    assert dose.day == datetime.date(2026, 7, 4)


def test_a_change_is_dated_in_the_zone_the_dose_was_logged_in_after_a_move(alice_london):
    dose = take_medicine(alice_london, taken_at=at(LONDON, "2026-07-03T23:30"), now=NOW)
    alice_london.time_zone = "America/New_York"
    alice_london.save()
    later = NOW + datetime.timedelta(hours=1)
    medicines.change_medicine_dose(
        dose=dose,
        data=DoseInput(
            name="Naproxen", dose=Decimal("250"), unit="mg", taken_at=at(LONDON, "2026-07-04T00:30")
        ),
        now=later,
    )
    dose.refresh_from_db()
    # 00:30 in London is still 3 July in New York: the dose keeps London's date.
    assert (dose.day, dose.time_zone, dose.name) == (
        datetime.date(2026, 7, 4),
        "Europe/London",
        "Naproxen",
    )
    assert PatientStatus.objects.get(patient=alice_london).last_logged_at == later


def test_deleting_a_dose_removes_it_and_moves_the_last_logged_time(alice_london):
    dose = take_medicine(alice_london, taken_at=NOW, now=NOW)
    later = NOW + datetime.timedelta(minutes=5)
    medicines.delete_medicine_dose(dose=dose, now=later)
    assert not MedicineDose.objects.exists()
    assert PatientStatus.objects.get(patient=alice_london).last_logged_at == later


def test_the_hourly_limit_refuses_the_next_dose(alice_london, settings):
    settings.PORTAL_MEDICINES_PER_HOUR = 2
    take_medicine(alice_london, taken_at=NOW)
    take_medicine(alice_london, taken_at=NOW)
    with pytest.raises(WriteLimitReached):
        take_medicine(alice_london, taken_at=NOW)
    assert MedicineDose.objects.count() == 2


def test_suggestions_put_the_patients_own_names_first_most_recent_first(alice_london, charlie):
    take_medicine(alice_london, name="Co-codamol", taken_at=NOW - datetime.timedelta(days=2))
    take_medicine(alice_london, name="Baclofen", taken_at=NOW - datetime.timedelta(days=1))
    take_medicine(alice_london, name="co-codamol", taken_at=NOW - datetime.timedelta(days=3))
    take_medicine(charlie, name="Charlie's secret pill", taken_at=NOW)
    names = medicines.name_suggestions(alice_london)
    assert names[:2] == ["Baclofen", "Co-codamol"]
    # A common name already used (in any case) is not offered twice; others follow A to Z.
    assert [name.casefold() for name in names].count("co-codamol") == 1
    assert names[2:] == sorted(names[2:])
    assert {"Paracetamol", "Ibuprofen", "Naproxen", "Codeine", "Diazepam"} <= set(names)
    assert "Charlie's secret pill" not in names


def test_totals_for_the_summary_group_names_and_count_what_helped() -> None:
    def dose(name: str, day: str, helped: int | None, side_effects: str = "") -> dict:
        return {"name": name, "day": day, "helped": helped, "side_effects": side_effects}

    totals = totals_by_medicine(
        [
            dose("Ibuprofen", "2026-07-01", Effect.MUCH_BETTER),
            dose("ibuprofen", "2026-07-03", Effect.NO_CHANGE, "Upset stomach"),
            dose("Ibuprofen", "2026-07-02", None),
            dose("Paracetamol", "2026-07-02", Effect.A_BIT_BETTER),
        ]
    )
    ibuprofen, paracetamol = totals
    assert (ibuprofen.name, ibuprofen.doses, ibuprofen.answered, ibuprofen.helped) == (
        "Ibuprofen",
        3,
        2,
        1,
    )
    assert (ibuprofen.with_side_effects, ibuprofen.last_day) == (1, datetime.date(2026, 7, 3))
    assert (paracetamol.doses, paracetamol.helped, paracetamol.answered) == (1, 1, 1)


# Logging a dose


def test_the_form_offers_names_a_submission_key_and_no_dosing_advice(alice_london):
    take_medicine(alice_london, name="Baclofen", taken_at=NOW - datetime.timedelta(days=1))
    response = client_for(alice_london).get(ADD)
    content = response.content.decode()
    assert response.status_code == 200
    assert 'list="medicine-names"' in content
    options = re.findall(r'<option value="([^"]+)"></option>', content)
    assert options[0] == "Baclofen" and "Paracetamol" in options
    assert 'name="submission_key"' in content
    # CLINICAL.md: record, never advise on doses; the only word on doses points elsewhere.
    assert "follow the leaflet or ask a pharmacist" in content
    for advice in ("maximum", "take up to", "every 4", "recommended dose"):
        assert advice not in content.lower()


def test_a_dose_with_no_time_is_taken_now_and_saved(alice_london):
    client = client_for(alice_london)
    response = client.post(ADD, dose_post(helped=Effect.A_BIT_BETTER, side_effects="Sleepy"))
    assert response.status_code == 302 and response.url == LIST
    dose = MedicineDose.objects.get(patient=alice_london)
    assert (dose.name, dose.dose, dose.unit, dose.taken_at) == ("Ibuprofen", 400, "mg", NOW)
    assert (dose.helped, dose.side_effects, dose.day) == (1, "Sleepy", datetime.date(2026, 7, 4))
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Saved: Ibuprofen."]


def test_a_dose_taken_earlier_is_read_in_the_patients_zone(alice_london):
    client = client_for(alice_london)
    client.post(ADD, dose_post(taken_date="2026-07-03", taken_time="23:30", dose="2.5", unit="ml"))
    dose = MedicineDose.objects.get()
    assert dose.taken_at == datetime.datetime(2026, 7, 3, 22, 30, tzinfo=datetime.UTC)
    assert (dose.day, dose.dose) == (datetime.date(2026, 7, 3), Decimal("2.5"))


def test_a_time_only_means_today(alice_london):
    client_for(alice_london).post(ADD, dose_post(taken_time="09:15"))
    assert MedicineDose.objects.get().taken_at == at(LONDON, "2026-07-04T09:15")


def test_a_few_minutes_ahead_is_accepted_as_clock_skew(alice_london):
    # 13:00 in London now; a phone running five minutes fast.
    response = client_for(alice_london).post(ADD, dose_post(taken_time="13:05"))
    assert response.status_code == 302
    assert MedicineDose.objects.count() == 1


@pytest.mark.parametrize(
    ("taken_date", "taken_time"), [("", "13:11"), ("2026-07-05", "09:00"), ("2027-01-01", "08:00")]
)
def test_a_time_in_the_future_is_refused(alice_london, taken_date, taken_time):
    response = client_for(alice_london).post(
        ADD, dose_post(taken_date=taken_date, taken_time=taken_time, name="Naproxen")
    )
    assert response.status_code == 200
    assert errors(response, "taken_time") == [
        "That time has not come yet. Please give the time you took it."
    ]
    assert not MedicineDose.objects.exists()
    # What was typed is still there.
    assert 'value="Naproxen"' in response.content.decode()


def test_a_time_the_clocks_skipped_is_refused(alice_london):
    # The clocks went from 01:00 to 02:00 in London on 29 March 2026.
    response = client_for(alice_london).post(
        ADD, dose_post(taken_date="2026-03-29", taken_time="01:30")
    )
    assert "did not happen on that day" in errors(response, "taken_time")[0]
    assert not MedicineDose.objects.exists()


def test_a_time_that_happened_twice_is_the_first(alice_london):
    # The clocks went back from 02:00 to 01:00 in London on 26 October 2025.
    client_for(alice_london).post(ADD, dose_post(taken_date="2025-10-26", taken_time="01:30"))
    dose = MedicineDose.objects.get()
    assert dose.taken_at == datetime.datetime(2025, 10, 26, 0, 30, tzinfo=datetime.UTC)
    assert dose.day == datetime.date(2025, 10, 26)


def test_a_date_without_a_time_asks_for_the_time(alice_london):
    response = client_for(alice_london).post(ADD, dose_post(taken_date="2026-07-03"))
    assert errors(response, "taken_time") == ["Please give the time you took it."]
    assert not MedicineDose.objects.exists()


@pytest.mark.parametrize(
    ("dose", "message"),
    [
        ("0", "Please enter an amount above 0."),
        ("-5", "Please enter an amount above 0."),
        ("100000.01", "That is more than 100,000. Please check the amount and the unit."),
        ("9999999", "That is more than 100,000. Please check the amount and the unit."),
        ("1.255", "Please use at most 2 decimal places."),
        ("ten", "Please enter a number, for example 400 or 2.5."),
        ("", "Please enter how much you took, for example 400 or 2."),
        ("NaN", "Please enter a number, for example 400 or 2.5."),
    ],
)
def test_a_dose_that_cannot_be_right_is_refused_with_a_message(alice_london, dose, message):
    response = client_for(alice_london).post(ADD, dose_post(dose=dose))
    assert response.status_code == 200
    assert errors(response, "dose") == [message]
    assert not MedicineDose.objects.exists()


def test_the_largest_dose_allowed_is_saved(alice_london):
    client_for(alice_london).post(ADD, dose_post(dose="100000", unit="mcg"))
    assert MedicineDose.objects.get().dose == 100_000


@pytest.mark.parametrize("name", ["", "   "])
def test_a_dose_needs_a_name(alice_london, name):
    response = client_for(alice_london).post(ADD, dose_post(name=name))
    assert errors(response, "name") == ["Please enter the name of the medicine."]
    assert not MedicineDose.objects.exists()


def test_an_unknown_unit_or_answer_is_refused(alice_london):
    response = client_for(alice_london).post(ADD, dose_post(unit="bucket", helped="7"))
    assert errors(response, "unit") and errors(response, "helped")
    assert not MedicineDose.objects.exists()


def test_side_effects_longer_than_500_characters_are_refused(alice_london):
    response = client_for(alice_london).post(ADD, dose_post(side_effects="x" * 501))
    assert errors(response, "side_effects")
    assert not MedicineDose.objects.exists()
    client_for(alice_london).post(ADD, dose_post(side_effects="x" * 500))
    assert MedicineDose.objects.count() == 1


def test_a_double_tap_saves_one_dose(alice_london):
    client = client_for(alice_london)
    post = dose_post()
    first = client.post(ADD, post)
    second = client.post(ADD, post)
    assert MedicineDose.objects.count() == 1
    assert Submission.objects.filter(patient=alice_london).count() == 1
    assert first.url == second.url == LIST
    # Only the first press says it saved.
    assert [str(m) for m in get_messages(second.wsgi_request)] == ["Saved: Ibuprofen."]


def test_the_hourly_limit_is_a_message_on_the_form(alice_london, settings):
    settings.PORTAL_MEDICINES_PER_HOUR = 1
    client = client_for(alice_london)
    client.post(ADD, dose_post())
    response = client.post(ADD, dose_post(name="Paracetamol"))
    assert response.status_code == 200
    assert "as many as the tracker takes in an hour" in response.content.decode()
    assert MedicineDose.objects.count() == 1


# Changing and deleting


def test_a_dose_can_be_changed_in_the_zone_it_was_logged_in(alice_london):
    dose = take_medicine(alice_london, taken_at=at(LONDON, "2026-07-04T08:00"))
    alice_london.time_zone = "Asia/Kolkata"
    alice_london.save()
    client = client_for(alice_london)
    url = reverse("tracker:medicine_edit", args=[dose.pk])
    page = client.get(url)
    # Shown as the London clock read, where it was logged.
    assert page.context["form"].initial["taken_time"] == datetime.time(8, 0)
    response = client.post(
        url, dose_post(taken_date="2026-07-04", taken_time="08:30", helped=Effect.MUCH_BETTER)
    )
    assert response.status_code == 302 and response.url == LIST
    dose.refresh_from_db()
    assert dose.taken_at == at(LONDON, "2026-07-04T08:30")
    assert dose.helped == Effect.MUCH_BETTER
    assert MedicineDose.objects.count() == 1


def test_a_dose_can_be_deleted_after_a_confirmation(alice_london):
    dose = take_medicine(alice_london, taken_at=NOW)
    client = client_for(alice_london)
    url = reverse("tracker:medicine_delete", args=[dose.pk])
    assert "This cannot be undone" in client.get(url).content.decode()
    assert MedicineDose.objects.count() == 1
    assert client.post(url).url == LIST
    assert not MedicineDose.objects.exists()


@pytest.mark.parametrize("name", ["tracker:medicine_edit", "tracker:medicine_delete"])
def test_another_patients_dose_is_not_found(alice_london, charlie, name):
    dose = take_medicine(alice_london, taken_at=NOW, side_effects="Alice's own words")
    client = client_for(charlie)
    url = reverse(name, args=[dose.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, dose_post(name="Changed by Charlie")).status_code == 404
    dose.refresh_from_db()
    assert dose.name == "Ibuprofen"


# The list, the dashboard and the clinician


def test_the_list_is_newest_first_and_only_the_patients_own(alice_london, charlie):
    take_medicine(alice_london, name="Older", taken_at=NOW - datetime.timedelta(days=2))
    take_medicine(alice_london, name="Newer", taken_at=NOW - datetime.timedelta(hours=1))
    take_medicine(charlie, name="Charlie's", taken_at=NOW)
    response = client_for(alice_london).get(LIST)
    assert [dose.name for dose in response.context["page"]] == ["Newer", "Older"]
    assert "Charlie's" not in response.content.decode()


def test_the_list_shows_the_local_time_amount_and_answer(alice_london):
    take_medicine(
        alice_london,
        taken_at=at(LONDON, "2026-07-03T21:05"),
        dose="2.50",
        unit="tablet",
        helped=Effect.WORSE,
        side_effects="Dizzy",
    )
    content = client_for(alice_london).get(LIST).content.decode()
    assert "Fri 3 Jul 2026, 21:05" in content
    assert "2.5 tablet(s)" in content
    assert "Made it worse" in content and "Dizzy" in content


@pytest.mark.parametrize("count", [3, 45])
def test_the_list_queries_do_not_grow_with_the_log(alice_london, count, django_assert_num_queries):
    for n in range(count):
        take_medicine(alice_london, taken_at=NOW - datetime.timedelta(hours=n))
    client = client_for(alice_london)
    client.get(LIST)  # the first visit stores her status; the rest read it
    # 1 session, 2 user, 3 count, 4 the page's doses, 5 the navigation's clinician check,
    # 6 the banner's stored status (fresh: no recompute).
    with django_assert_num_queries(6):
        response = client.get(LIST, {"page": 2 if count > 20 else 1})
    assert len(response.context["page"]) == (20 if count > 20 else count)


def test_the_dashboard_card_shows_the_last_three_doses(alice_london, charlie):
    for n, name in enumerate(["Fourth", "Third", "Second", "First"]):
        take_medicine(alice_london, name=name, taken_at=NOW - datetime.timedelta(hours=n))
    take_medicine(charlie, name="Charlie's", taken_at=NOW)
    response = client_for(alice_london).get(DASHBOARD)
    assert [dose.name for dose in response.context["doses"]] == ["Fourth", "Third", "Second"]
    content = response.content.decode()
    assert ADD in content and "Log a medicine" in content
    assert "First" not in content and "Charlie's" not in content


def test_the_dashboard_card_invites_a_first_dose(alice_london):
    content = client_for(alice_london).get(DASHBOARD).content.decode()
    assert "Keep a note of the medicines you take" in content
    assert ADD in content


def test_the_clinician_sees_the_doses_in_the_patients_local_time(alice_london, bob):
    approve_clinician(user=bob)
    share(alice_london, bob)
    take_medicine(
        alice_london,
        name="Diazepam",
        dose="2",
        taken_at=at(LONDON, "2026-07-02T22:40"),
        helped=Effect.NO_CHANGE,
        side_effects="Drowsy next day",
    )
    take_medicine(alice_london, name="Paracetamol", dose="1", unit="g", taken_at=NOW)
    response = client_for(bob).get(reverse("clinic:patient_detail", args=[alice_london.pk]))
    content = response.content.decode()
    assert [dose.name for dose in response.context["doses"]] == ["Paracetamol", "Diazepam"]
    assert "Thu 2 Jul 2026, 22:40" in content
    assert "2 mg" in content and "1 g" in content
    assert "No change" in content and "Drowsy next day" in content
    assert not response.context["more_doses"]


def test_the_clinician_sees_the_latest_doses_of_a_long_range(alice_london, bob, monkeypatch):
    approve_clinician(user=bob)
    share(alice_london, bob)
    monkeypatch.setattr(medicines, "CLINICIAN_DOSES", 2)
    for n in range(3):
        take_medicine(alice_london, name=f"Dose {n}", taken_at=NOW - datetime.timedelta(hours=n))
    response = client_for(bob).get(reverse("clinic:patient_detail", args=[alice_london.pk]))
    assert [dose.name for dose in response.context["doses"]] == ["Dose 0", "Dose 1"]
    assert response.context["more_doses"]
    assert "Choose a shorter range" in response.content.decode()


def test_the_printable_summary_totals_each_medicine(alice_london, bob):
    approve_clinician(user=bob)
    share(alice_london, bob)
    for hours, helped in ((1, Effect.MUCH_BETTER), (30, Effect.NO_CHANGE), (50, None)):
        take_medicine(alice_london, taken_at=NOW - datetime.timedelta(hours=hours), helped=helped)
    take_medicine(alice_london, name="Codeine", dose="30", taken_at=NOW, side_effects="Sick")
    response = client_for(bob).get(reverse("clinic:summary", args=[alice_london.pk]))
    content = response.content.decode()
    assert "Ibuprofen: 3 doses, last on 4 Jul 2026; helped 1 of 2 times the patient said" in content
    assert "Codeine: 1 dose, last on 4 Jul 2026; side effects noted once" in content
