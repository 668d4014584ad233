"""The daily check-in, and the tracker settings behind the drinks target."""

import datetime
import re
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import client_for
from tests.factories import check_in as record_check_in
from tracker import dates
from tracker.models import CheckIn, PatientProfile

AUCKLAND = zoneinfo.ZoneInfo("Pacific/Auckland")
CHECKIN = reverse("tracker:checkin")
SETTINGS = reverse("tracker:settings")
DASHBOARD = reverse("tracker:dashboard")


@pytest.fixture(autouse=True)
def now(monkeypatch) -> datetime.datetime:
    """Pin the clock at 20:30 UTC: already the next morning in Auckland."""
    pinned = timezone.now().replace(hour=20, minute=30, second=0, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: pinned)
    return pinned


@pytest.fixture
def alice_client(alice):
    alice.time_zone = "Pacific/Auckland"
    alice.save()
    return client_for(alice)


def today() -> datetime.date:
    return dates.local_day(timezone.now(), AUCKLAND)


def days_ago(n: int) -> datetime.date:
    return today() - datetime.timedelta(days=n)


# Check-in


def check_in(client, *, severity: object, day: object = None, confirm: bool = False, **kw):
    data = {"day": str(day or today()), "worst_severity": str(severity)}
    if confirm:
        data["confirm_lower"] = "on"
    return client.post(CHECKIN, data, **kw)


def stored_checkins(patient) -> list[tuple[datetime.date, int]]:
    return list(
        CheckIn.objects.filter(patient=patient).order_by("day").values_list("day", "worst_severity")
    )


def test_the_check_in_starts_on_the_local_today(alice_client, now):
    assert today() != now.date()
    assert alice_client.get(CHECKIN).context["form"].initial["day"] == today()


def test_no_back_symptoms_today_is_stored_as_severity_0(alice, alice_client):
    page = alice_client.get(CHECKIN)
    assert b"No back symptoms today" in page.content
    response = check_in(alice_client, severity=0)
    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    assert stored_checkins(alice) == [(today(), 0)]


def test_the_worst_severity_is_stored_with_the_zone_of_its_day(alice, alice_client):
    check_in(alice_client, severity=7)
    assert stored_checkins(alice) == [(today(), 7)]
    assert CheckIn.objects.get(patient=alice).time_zone == "Pacific/Auckland"


def test_the_confirm_box_is_not_offered_on_a_first_answer(alice_client):
    content = alice_client.get(CHECKIN).content.decode()
    assert 'type="checkbox" name="confirm_lower"' not in content


def test_a_milder_second_answer_is_not_stored_without_confirming(alice, alice_client):
    check_in(alice_client, severity=6)
    response = check_in(alice_client, severity=0)
    assert response.status_code == 200
    assert stored_checkins(alice) == [(today(), 6)]
    form = response.context["form"]
    # The earlier answer is shown next to the field, and what was typed is kept.
    assert form.errors["worst_severity"] == [
        "Earlier you said your worst pain on this day was 6: moderate. We have kept that. "
        "If it was a mistake, tick the box below and save again."
    ]
    assert form["worst_severity"].value() == "0"
    content = response.content.decode()
    error = content.index('id="error_1_id_worst_severity"')
    assert content.index('id="div_id_worst_severity"') < error
    assert "was 6: moderate" in content[error : content.index("</fieldset>", error)]
    assert re.search(r'value="0"\s+id="id_worst_severity_0"[^>]*\schecked', content)
    assert 'type="checkbox" name="confirm_lower"' in content
    assert b"Please check the form" in response.content
    # The patient's status still reads the worse answer: the day stays a day with symptoms.
    assert alice_client.get(DASHBOARD).context["summary"].rows[-1].worst == 6


def test_a_milder_second_answer_is_saved_once_confirmed(alice, alice_client):
    check_in(alice_client, severity=6)
    check_in(alice_client, severity=2)
    response = check_in(alice_client, severity=2, confirm=True, follow=True)
    assert response.redirect_chain[-1][0] == DASHBOARD
    assert stored_checkins(alice) == [(today(), 2)]
    assert "the milder answer replaces the earlier one" in response.content.decode()
    assert response.context["summary"].rows[-1].worst == 2


def test_a_worse_second_answer_replaces_the_first_and_says_so(alice, alice_client):
    check_in(alice_client, severity=2)
    response = check_in(alice_client, severity=8, follow=True)
    assert response.redirect_chain[-1][0] == DASHBOARD
    assert stored_checkins(alice) == [(today(), 8)]
    assert (
        "your new answer is worse than your earlier one, so it replaces it"
        in response.content.decode()
    )


def test_the_same_answer_again_is_fine_and_one_point_milder_is_not(alice, alice_client):
    check_in(alice_client, severity=5)
    response = check_in(alice_client, severity=5, follow=True)
    assert response.redirect_chain[-1][0] == DASHBOARD
    content = response.content.decode()
    assert f"Check-in saved for {today()}." in content
    assert "replaces" not in content
    assert stored_checkins(alice) == [(today(), 5)]
    # The boundary: one point milder than the earlier answer already needs confirming.
    assert check_in(alice_client, severity=4).status_code == 200
    assert stored_checkins(alice) == [(today(), 5)]


def test_a_milder_answer_for_another_day_needs_no_confirmation(alice, alice_client):
    check_in(alice_client, severity=8, day=days_ago(1))
    response = check_in(alice_client, severity=1)
    assert response.status_code == 302
    assert stored_checkins(alice) == [(days_ago(1), 8), (today(), 1)]


def test_a_past_day_can_be_checked_in(alice, alice_client):
    check_in(alice_client, severity=3, day=days_ago(4))
    check_in(alice_client, severity=0)
    assert stored_checkins(alice) == [(days_ago(4), 3), (today(), 0)]


def test_a_check_in_for_a_day_not_come_yet_is_refused(alice_client):
    response = check_in(alice_client, severity=2, day=today() + datetime.timedelta(days=1))
    assert response.status_code == 200
    assert response.context["form"].errors["day"] == [
        "You cannot check in for a day that has not come yet."
    ]
    assert b"Please check the form" in response.content
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("typed", ["11", "-1", "x", ""])
def test_a_severity_off_the_scale_is_refused_next_to_it(alice_client, typed):
    response = check_in(alice_client, severity=typed)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["worst_severity"]
    assert form["worst_severity"].value() == typed
    assert not CheckIn.objects.exists()


def test_the_recent_list_shows_only_the_patients_own_check_ins(alice, alice_client, charlie):
    mine = [record_check_in(alice, day=days_ago(n), severity=n) for n in (2, 0)]
    record_check_in(charlie, day=days_ago(1), severity=9)
    recent = list(alice_client.get(CHECKIN).context["recent"])
    assert recent == [mine[1], mine[0]]


# Tracker settings

VALID_SETTINGS = {
    "sex": "",
    "year_of_birth": "",
    "own_target_ml": "",
    "glass_ml": "200",
}


def save_settings(client, **overrides: object):
    """Post the settings form; booleans are ticked by passing "on" and left out otherwise."""
    data = {**VALID_SETTINGS, **{key: str(value) for key, value in overrides.items()}}
    return client.post(SETTINGS, data)


def dashboard_target(client) -> int | None:
    return client.get(DASHBOARD).context["summary"].target_ml


def stored_profile(patient) -> dict:
    return PatientProfile.objects.filter(user=patient).values().get()


def test_the_target_is_1600_ml_before_any_settings(alice_client):
    assert dashboard_target(alice_client) == 1600


@pytest.mark.parametrize(
    ("answers", "target"),
    [
        ({"sex": "female"}, 1600),
        ({"sex": "male"}, 2000),
        ({"sex": "female", "pregnant": "on"}, 1800),
        ({"sex": "female", "breastfeeding": "on"}, 2200),
        ({"sex": "female", "pregnant": "on", "breastfeeding": "on"}, 2200),
    ],
)
def test_the_suggested_target_follows_the_answers(alice, alice_client, answers, target):
    response = save_settings(alice_client, **answers)
    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    assert dashboard_target(alice_client) == target
    assert alice_client.get(SETTINGS).context["suggested"] == target


def test_a_saved_glass_size_is_used_for_glasses(alice, alice_client):
    save_settings(alice_client, glass_ml=330)
    assert stored_profile(alice)["glass_ml"] == 330
    assert b"+ a glass (330 ml)" in alice_client.get(reverse("tracker:hydration")).content


@pytest.mark.parametrize("target", [1000, 2500, 3000])
def test_an_own_target_up_to_3000_ml_needs_no_confirmation(alice_client, target):
    response = save_settings(alice_client, sex="male", own_target_ml=target)
    assert response.status_code == 302
    assert dashboard_target(alice_client) == target


def test_an_own_target_above_3000_ml_needs_the_tick(alice, alice_client):
    response = save_settings(alice_client, own_target_ml=3500)
    assert response.status_code == 200
    assert response.context["form"].errors["confirm_high_target"] == [
        "A target above 3,000 ml is unusual. Please tick to confirm it."
    ]
    assert stored_profile(alice)["own_target_ml"] is None
    response = save_settings(alice_client, own_target_ml=3500, confirm_high_target="on")
    assert response.status_code == 302
    assert dashboard_target(alice_client) == 3500


def test_4000_ml_with_the_tick_is_accepted(alice_client):
    save_settings(alice_client, own_target_ml=4000, confirm_high_target="on")
    assert dashboard_target(alice_client) == 4000


def test_limiting_fluids_turns_the_target_off(alice, alice_client):
    save_settings(alice_client, own_target_ml=2500)
    response = save_settings(alice_client, own_target_ml=2500, limit_fluids="on")
    assert response.status_code == 302
    assert stored_profile(alice)["limit_fluids"] is True
    assert dashboard_target(alice_client) is None


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("own_target_ml", "999", "A daily target must be between 1,000 and 4,000 ml."),
        ("own_target_ml", "4001", "A daily target must be between 1,000 and 4,000 ml."),
        ("glass_ml", "49", "A glass must hold between 50 and 1,000 ml."),
        ("glass_ml", "1001", "A glass must hold between 50 and 1,000 ml."),
        ("year_of_birth", "1899", "Please check the year"),
        ("year_of_birth", "next year", "Please check the year"),
    ],
)
def test_an_answer_out_of_range_is_refused_and_nothing_changes(
    alice, alice_client, field, typed, message
):
    save_settings(alice_client, sex="female", glass_ml=250)
    before = stored_profile(alice)
    if typed == "next year":
        typed = str(timezone.now().year + 1)
    # The tick is given so that a high target can only fail for being out of range.
    response = save_settings(alice_client, sex="male", confirm_high_target="on", **{field: typed})
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    assert list(form.errors) == [field]
    assert form[field].value() == typed
    assert form["sex"].value() == "male"
    assert b"Please check the form" in response.content
    assert stored_profile(alice) == before
    assert dashboard_target(alice_client) == 1600


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("glass_ml", "50"),
        ("glass_ml", "1000"),
        ("year_of_birth", "1900"),
        ("year_of_birth", "this year"),
    ],
)
def test_an_answer_at_the_edge_of_the_range_is_saved(alice, alice_client, field, typed):
    if typed == "this year":
        typed = str(timezone.now().year)
    response = save_settings(alice_client, **{field: typed})
    assert response.status_code == 302
    assert stored_profile(alice)[field] == int(typed)
