"""Red flags: the full list on "Get help now", advice at once, and the 24-hour banner."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import client_for
from tracker.models import PatientProfile, RedFlagAnswer

CHECK = reverse("tracker:red_flag_check")
ADVICE = reverse("tracker:advice")


def answer(client, *codes: str, key: str | None = None):
    return client.post(
        CHECK, {"red_flags": list(codes), "submission_key": key or str(uuid.uuid4())}
    )


def test_get_help_offers_the_full_list_to_a_signed_in_patient(alice):
    content = client_for(alice).get(reverse("get_help")).content.decode()
    assert f'action="{CHECK}"' in content
    assert 'value="weight_loss"' in content
    assert 'value="pregnancy_bleeding"' not in content


def test_get_help_asks_the_pregnancy_questions_when_pregnant(alice):
    PatientProfile.objects.create(user=alice, pregnant=True)
    content = client_for(alice).get(reverse("get_help")).content.decode()
    assert 'value="pregnancy_bleeding"' in content


def test_get_help_has_no_form_for_a_visitor(anonymous):
    content = anonymous.get(reverse("get_help")).content.decode()
    assert CHECK not in content
    assert "Emergency: call 999 or go to A&amp;E now" in content


def test_answers_are_stored_with_time_and_the_advice_follows_highest_first(alice):
    client = client_for(alice)
    before = timezone.now()
    response = answer(client, "one_leg_symptoms", "weight_loss", "chest_pain")
    assert response["Location"] == ADVICE
    answers = RedFlagAnswer.objects.filter(patient=alice)
    assert set(answers.values_list("code", flat=True)) == {
        "one_leg_symptoms",
        "weight_loss",
        "chest_pain",
    }
    assert all(a.answered_at >= before and a.advice_shown_at is None for a in answers)
    content = client.get(ADVICE).content.decode()
    positions = [
        content.index("Call 999 or go to A&amp;E now"),
        content.index("Get medical advice today"),
        content.index("Book an appointment with a GP or physiotherapist"),
    ]
    assert positions == sorted(positions)
    assert all(a.advice_shown_at is not None for a in RedFlagAnswer.objects.filter(patient=alice))


def test_the_emergency_number_comes_from_the_setting(alice, settings):
    settings.PORTAL_EMERGENCY_NUMBER = "112"
    client = client_for(alice)
    answer(client, "saddle_numbness")
    content = client.get(ADVICE).content.decode()
    assert "Call 112 or go to A&amp;E now" in content
    assert "Call 999" not in content


def test_the_same_answers_sent_twice_are_stored_once(alice):
    client = client_for(alice)
    key = str(uuid.uuid4())
    answer(client, "fever", key=key)
    answer(client, "fever", key=key)
    assert RedFlagAnswer.objects.filter(patient=alice).count() == 1


def test_sending_nothing_ticked_explains_and_stores_nothing(alice):
    response = answer(client_for(alice))
    assert response.status_code == 200
    assert "Tick at least one" in response.content.decode()
    assert not RedFlagAnswer.objects.exists()


def test_an_unknown_code_is_refused(alice):
    response = answer(client_for(alice), "fever", "made_up")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not RedFlagAnswer.objects.exists()


def test_a_pregnancy_answer_is_refused_when_not_pregnant(alice):
    response = answer(client_for(alice), "pregnancy_bleeding")
    assert response.status_code == 200
    assert not RedFlagAnswer.objects.exists()


@pytest.mark.parametrize(
    ("codes", "banner_shown"),
    [
        (("bladder_bowel_control",), True),
        (("fever",), True),
        (("not_coping",), False),
    ],
)
def test_emergency_and_urgent_answers_stay_on_every_page_as_a_banner(alice, codes, banner_shown):
    client = client_for(alice)
    answer(client, *codes)
    for url in (reverse("home"), reverse("tracker:dashboard"), reverse("education:article_list")):
        content = client.get(url).content.decode()
        assert ("Urgent advice for you" in content) is banner_shown, url


def test_the_banner_has_no_close_button(alice):
    client = client_for(alice)
    answer(client, "chest_pain")
    content = client.get(reverse("home")).content.decode()
    banner = content.split('aria-label="Urgent advice for you"')[1].split("</div>\n</div>")[0]
    assert "btn-close" not in banner
    assert "data-bs-dismiss" not in banner


def test_the_banner_goes_after_24_hours(alice, monkeypatch):
    answer(client_for(alice), "chest_pain")
    answered_at = RedFlagAnswer.objects.get(patient=alice).answered_at

    def home_at(moment: datetime.datetime):
        monkeypatch.setattr(timezone, "now", lambda: moment)
        # A fresh sign-in: a day later the first session has long been idle.
        response = client_for(alice).get(reverse("home"))
        assert response.wsgi_request.user == alice
        return response.content.decode()

    day = datetime.timedelta(hours=24)
    assert "Urgent advice for you" in home_at(answered_at + day - datetime.timedelta(seconds=1))
    assert "Urgent advice for you" not in home_at(answered_at + day + datetime.timedelta(seconds=1))


def test_the_banner_is_only_for_the_person_who_answered(alice, charlie):
    answer(client_for(alice), "chest_pain")
    assert "Urgent advice for you" not in client_for(charlie).get(reverse("home")).content.decode()


def test_the_advice_page_without_answers_says_so(alice):
    content = client_for(alice).get(ADVICE).content.decode()
    assert "not told us about any warning symptoms" in content
