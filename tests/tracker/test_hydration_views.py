"""Drinks: quick-add, the day page, changing and deleting, "all logged", and who may see what."""

import datetime
import re
import uuid
import zoneinfo

import pytest
from django.conf import settings as django_settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from tests.conftest import client_for
from tests.factories import add_drink as log_drink
from tracker import dates
from tracker.models import Drink, HydrationDay, PatientProfile, Submission

AUCKLAND = zoneinfo.ZoneInfo("Pacific/Auckland")
HYDRATION = reverse("tracker:hydration")
ADD = reverse("tracker:drink_add")
DASHBOARD = reverse("tracker:dashboard")

QUICK_ADD_FORM = re.compile(rf'<form method="post" action="{ADD}"[^>]*>(.*?)</form>', re.S)
HIDDEN_INPUT = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


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


def day_url(day: datetime.date) -> str:
    return reverse("tracker:hydration_day", args=[day])


def drink_data(*, amount: object = 250, day: object = None, key: str | None = None) -> dict:
    """Return a drink post for today (local) with a fresh submission key."""
    return {
        "submission_key": key or str(uuid.uuid4()),
        "day": str(day or today()),
        "amount_ml": str(amount),
    }


def add_drink(client, **kwargs: object):
    return client.post(ADD, drink_data(**kwargs))


def quick_add_posts(content: bytes) -> list[dict[str, str]]:
    """Return what each quick-add form on a page would post: glass, bottle, other amount."""
    return [dict(HIDDEN_INPUT.findall(body)) for body in QUICK_ADD_FORM.findall(content.decode())]


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def make_drink(patient, *, amount: int = 200, day: datetime.date | None = None) -> Drink:
    return log_drink(patient, day=day or today(), ml=amount)


# Quick-add


@pytest.mark.parametrize(
    ("button", "typed", "amount"),
    [(0, None, 200), (1, None, 500), (2, "330", 330)],
    ids=["glass", "bottle", "other_amount"],
)
def test_each_quick_add_button_logs_one_drink_on_the_local_day(
    alice, alice_client, now, button, typed, amount
):
    # The test is only worth something when Auckland's day is not the UTC day.
    assert today() == now.date() + datetime.timedelta(days=1)
    posts = quick_add_posts(alice_client.get(HYDRATION).content)
    assert len(posts) == 3
    data = posts[button]
    assert data["day"] == today().isoformat()
    if typed is not None:
        assert "amount_ml" not in data
        data["amount_ml"] = typed
    response = alice_client.post(ADD, data)
    assert response.status_code == 302
    assert response["Location"] == HYDRATION
    drink = Drink.objects.get(patient=alice)
    assert (drink.day, drink.amount_ml) == (today(), amount)
    # The zone its day is a date in, so a later move never re-dates it.
    assert drink.time_zone == "Pacific/Auckland"
    assert messages_of(response) == [f"Added {amount} ml."]


def test_the_glass_button_uses_the_patients_own_glass_size(alice, alice_client):
    PatientProfile.objects.create(user=alice, glass_ml=330)
    page = alice_client.get(HYDRATION)
    assert b"+ a glass (330 ml)" in page.content
    alice_client.post(ADD, quick_add_posts(page.content)[0])
    assert list(Drink.objects.filter(patient=alice).values_list("amount_ml", flat=True)) == [330]


def test_the_same_post_sent_twice_logs_one_drink(alice, alice_client):
    data = drink_data(amount=200)
    first = alice_client.post(ADD, data)
    second = alice_client.post(ADD, data)
    assert Drink.objects.filter(patient=alice).count() == 1
    assert Submission.objects.filter(patient=alice).count() == 1
    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    # The first message is still unread, so a second "Added" would show as a second item.
    assert messages_of(second) == ["Added 200 ml."]


def test_two_posts_with_different_keys_log_two_drinks(alice, alice_client):
    add_drink(alice_client, amount=200)
    add_drink(alice_client, amount=200)
    assert Drink.objects.filter(patient=alice, day=today()).count() == 2


def test_quick_add_on_the_dashboard_goes_back_to_the_dashboard(alice, alice_client):
    posts = quick_add_posts(alice_client.get(DASHBOARD).content)
    assert posts[0]["next_page"] == "dashboard"
    response = alice_client.post(ADD, posts[0])
    assert response["Location"] == DASHBOARD
    assert Drink.objects.get(patient=alice).day == today()


# Quick-add in place: static/js/drinks.js sends the same forms asking for JSON

JSON = {"HTTP_ACCEPT": "application/json"}


def add_in_place(client, data: dict):
    return client.post(ADD, data, **JSON)


def test_a_glass_sent_in_place_is_stored_and_answered_with_the_new_total(alice, alice_client):
    make_drink(alice, amount=300)
    make_drink(alice, amount=999, day=days_ago(1))  # another day: not in the total
    glass = quick_add_posts(alice_client.get(DASHBOARD).content)[0]
    response = add_in_place(alice_client, glass)
    assert response.status_code == 201
    answer = response.json()
    drink = Drink.objects.get(patient=alice, amount_ml=200)
    assert drink.day == today()
    assert {key: answer[key] for key in answer if key not in {"text", "item"}} == {
        "saved": True,
        "repeat": False,
        "url": DASHBOARD,
        "message": "Added 200 ml.",
        "day": today().isoformat(),
        "total_ml": 500,
        "target_ml": 1600,
        "reached": False,
        "percent": 31,
    }
    assert answer["text"] == {
        "dashboard": "500 ml of your 1600 ml target",
        "day": "500 ml, about 2.5 glasses",
    }
    # The new drink's line for the day page's list, with its own links.
    assert reverse("tracker:drink_edit", args=[drink.pk]) in answer["item"]
    assert reverse("tracker:drink_delete", args=[drink.pk]) in answer["item"]
    assert answer["item"].lstrip().startswith('<li class="list-group-item')
    # Said in place, so no message waits for the next page.
    assert messages_of(response) == []
    assert Submission.objects.get(patient=alice).redirect_to == DASHBOARD


def test_the_answers_words_are_the_pages_words_after_a_reload(alice, alice_client):
    yesterday = days_ago(1)
    page = alice_client.get(day_url(yesterday))
    for data in quick_add_posts(page.content)[:2]:
        answer = add_in_place(alice_client, data).json()
    assert answer["url"] == day_url(yesterday)
    assert answer["text"]["day"] == "700 ml, about 3.5 glasses"
    assert answer["text"]["day"] in alice_client.get(day_url(yesterday)).content.decode()
    bottle = quick_add_posts(alice_client.get(DASHBOARD).content)[1]
    today_answer = add_in_place(alice_client, bottle).json()
    assert today_answer["text"]["dashboard"] == "500 ml of your 1600 ml target"
    assert today_answer["text"]["dashboard"] in alice_client.get(DASHBOARD).content.decode()


def test_reaching_the_target_in_place_says_so(alice, alice_client):
    make_drink(alice, amount=1500)
    answer = add_in_place(alice_client, drink_data(amount=100)).json()
    assert (answer["total_ml"], answer["reached"], answer["percent"]) == (1600, True, 100)


def test_in_place_with_fluids_limited_there_is_no_target(alice, alice_client):
    PatientProfile.objects.create(user=alice, limit_fluids=True, glass_ml=250)
    answer = add_in_place(alice_client, drink_data(amount=250)).json()
    assert (answer["target_ml"], answer["reached"], answer["percent"]) == (None, False, None)
    assert answer["text"] == {"dashboard": "250 ml so far", "day": "250 ml, about 1.0 glasses"}


def test_the_same_glass_sent_twice_in_place_is_stored_once(alice, alice_client):
    data = drink_data(amount=200)
    first = add_in_place(alice_client, data)
    second = add_in_place(alice_client, data)
    assert (first.status_code, second.status_code) == (201, 200)
    answer = second.json()
    assert answer["saved"] is True
    assert answer["repeat"] is True
    assert answer["message"] == "That drink was already saved."
    assert answer["total_ml"] == 200
    assert answer["item"] is None
    assert answer["url"] == first.json()["url"] == HYDRATION
    assert Drink.objects.filter(patient=alice).count() == 1
    assert Submission.objects.filter(patient=alice).count() == 1
    # A fresh key is a new drink.
    assert add_in_place(alice_client, drink_data(amount=200)).status_code == 201
    assert Drink.objects.filter(patient=alice).count() == 2


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "0"}, "amount_ml", "Please enter an amount above 0 ml."),
        ({"amount": ""}, "amount_ml", "This field is required."),
        ({"amount": "abc"}, "amount_ml", "Please enter a whole number of millilitres."),
        ({"day": "2025-02-30"}, "day", "Enter a valid date."),
    ],
)
def test_bad_input_in_place_is_answered_400_with_the_fields_messages(
    alice_client, overrides, field, message
):
    response = add_in_place(alice_client, drink_data(**overrides))
    assert response.status_code == 400
    assert response.json() == {"errors": {field: [message]}}
    assert not Drink.objects.exists()
    assert not Submission.objects.exists()


def test_a_missing_submission_key_in_place_is_refused(alice_client):
    data = drink_data()
    del data["submission_key"]
    response = add_in_place(alice_client, data)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["submission_key"]
    assert not Drink.objects.exists()


def test_over_the_hourly_limit_in_place_is_answered_429_and_nothing_is_stored(alice, alice_client):
    limit = django_settings.PORTAL_DRINKS_PER_HOUR
    for _n in range(limit):
        make_drink(alice, amount=100)
    response = add_in_place(alice_client, drink_data(amount=250))
    assert response.status_code == 429
    assert response.json() == {
        "errors": {
            "__all__": [
                f"You have logged {limit} entries in the last hour, which is as many as the "
                "tracker takes in an hour. Nothing more was saved. Please try again later. If "
                "you need help now, use Get help."
            ]
        }
    }
    assert Drink.objects.filter(patient=alice).count() == limit
    assert not Submission.objects.exists()


def test_signed_out_in_place_is_answered_401_with_where_to_log_in(db, anonymous):
    response = add_in_place(anonymous, drink_data())
    assert response.status_code == 401
    assert response.json() == {"login": reverse("account_login")}
    assert not Drink.objects.exists()


def test_in_place_only_the_senders_own_drinks_count_and_change(alice, alice_client, charlie):
    charlie.time_zone = "Pacific/Auckland"
    charlie.save()
    make_drink(charlie, amount=444)
    charlies_key = str(uuid.uuid4())
    assert (
        client_for(charlie).post(ADD, drink_data(amount=300, key=charlies_key), **JSON).status_code
        == 201
    )
    # The same key from another person is that person's own new drink; a patient field in
    # the post is ignored.
    response = alice_client.post(
        ADD, {**drink_data(amount=200, key=charlies_key), "patient": charlie.pk}, **JSON
    )
    assert response.status_code == 201
    assert response.json()["total_ml"] == 200
    assert list(Drink.objects.filter(patient=alice).values_list("amount_ml", flat=True)) == [200]
    assert sorted(Drink.objects.filter(patient=charlie).values_list("amount_ml", flat=True)) == [
        300,
        444,
    ]


def test_in_place_the_csrf_token_may_come_in_a_header(alice, alice_client):
    client = client_for(alice)  # alice_client has set her zone
    client.handler.enforce_csrf_checks = True
    client.get(HYDRATION)  # the page sets the csrftoken cookie the script reads
    data = drink_data(amount=200)
    refused = client.post(ADD, data, **JSON)
    assert refused.status_code == 403
    token = client.cookies[django_settings.CSRF_COOKIE_NAME].value
    response = client.post(ADD, data, HTTP_X_CSRFTOKEN=token, **JSON)
    assert response.status_code == 201
    assert Drink.objects.filter(patient=alice).count() == 1


def test_the_quick_add_forms_work_without_a_script_and_carry_one_for_in_place(alice_client):
    for url in (DASHBOARD, HYDRATION):
        content = alice_client.get(url).content.decode()
        # Plain forms posting to drink_add, each with its own key; the script is extra.
        forms = QUICK_ADD_FORM.findall(content)
        assert len(forms) == 3
        keys = {dict(HIDDEN_INPUT.findall(body))["submission_key"] for body in forms}
        assert len(keys) == 3
        assert re.search(r'<script src="/static/js/drinks\.[0-9a-f]+\.js"></script>', content)
        assert 'aria-live="polite" data-drinks-status' in content


# Bad input when adding

AMOUNT_ABOVE_0 = "Please enter an amount above 0 ml."
MORE_THAN_5_LITRES = "That is more than 5 litres in one go."
WHOLE_NUMBER = "Please enter a whole number of millilitres."


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", AMOUNT_ABOVE_0),
        ("-5", AMOUNT_ABOVE_0),
        ("5001", MORE_THAN_5_LITRES),
        ("abc", WHOLE_NUMBER),
        ("1e3", WHOLE_NUMBER),
        ("", "This field is required."),
    ],
)
def test_a_bad_amount_is_explained_next_to_it_and_logs_nothing(alice_client, typed, message):
    response = alice_client.post(ADD, drink_data(amount=typed))
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors["amount_ml"])
    assert form["amount_ml"].value() == typed
    assert b"Please check the form" in response.content
    assert not Drink.objects.exists()
    assert not Submission.objects.exists()


def test_the_drink_after_the_hours_limit_is_refused_and_nothing_is_stored(
    alice, alice_client, now, monkeypatch
):
    limit = django_settings.PORTAL_DRINKS_PER_HOUR
    earlier = [make_drink(alice, amount=100).pk for _n in range(limit)]
    data = drink_data(amount=250)
    response = alice_client.post(ADD, data)
    assert response.status_code == 200
    message = (
        f"You have logged {limit} entries in the last hour, which is as many as the tracker "
        "takes in an hour. Nothing more was saved. Please try again later. If you need help "
        "now, use Get help."
    )
    assert response.context["form"].non_field_errors() == [message]
    assert message in response.content.decode()
    assert response.context["form"]["amount_ml"].value() == "250"
    assert sorted(Drink.objects.filter(patient=alice).values_list("pk", flat=True)) == earlier
    assert not Submission.objects.exists()
    # An hour on, the same post is taken.
    later = now + datetime.timedelta(hours=1, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert alice_client.post(ADD, data).status_code == 302
    assert Drink.objects.filter(patient=alice).count() == limit + 1


def test_5000_ml_is_the_largest_drink_accepted(alice, alice_client):
    response = add_drink(alice_client, amount=5000)
    assert response.status_code == 302
    assert Drink.objects.get(patient=alice).amount_ml == 5000


def test_a_drink_for_a_day_not_come_yet_is_refused(alice_client):
    tomorrow = today() + datetime.timedelta(days=1)
    response = add_drink(alice_client, day=tomorrow)
    assert response.status_code == 200
    assert response.context["form"].errors["day"] == [
        "You cannot log a drink for a day that has not come yet."
    ]
    assert response.context["form"]["day"].value() == tomorrow.isoformat()
    assert not Drink.objects.exists()


@pytest.mark.parametrize("typed", ["2025-02-30", "yesterday", ""])
def test_a_malformed_day_is_refused(alice_client, typed):
    response = alice_client.post(ADD, {**drink_data(), "day": typed})
    assert response.status_code == 200
    assert response.context["form"].errors["day"]
    assert response.context["form"]["day"].value() == typed
    assert not Drink.objects.exists()


# The day page


def test_the_day_page_shows_the_total_glasses_target_and_only_that_days_drinks(
    alice, alice_client, charlie
):
    drinks = [make_drink(alice, amount=ml) for ml in (200, 300, 200)]
    make_drink(alice, amount=999, day=days_ago(1))
    make_drink(charlie, amount=444)
    response = alice_client.get(HYDRATION)
    assert response.status_code == 200
    assert response.context["day"] == today()
    assert response.context["drinks"] == drinks
    assert response.context["total"] == 700
    assert response.context["glasses"] == 3.5
    assert response.context["target"] == 1600
    content = response.content.decode()
    assert "700 ml, about 3.5 glasses" in content
    assert "Your daily target is 1600 ml." in content
    assert "999 ml" not in content
    assert "444 ml" not in content


def test_glasses_are_counted_in_the_patients_glass_size(alice, alice_client):
    PatientProfile.objects.create(user=alice, glass_ml=250)
    make_drink(alice, amount=1000)
    assert alice_client.get(HYDRATION).context["glasses"] == 4


def test_the_day_page_shows_no_target_when_fluids_are_limited(alice, alice_client):
    PatientProfile.objects.create(user=alice, limit_fluids=True, own_target_ml=2500)
    response = alice_client.get(HYDRATION)
    assert response.context["target"] is None
    assert b"No target is shown because a doctor asked you to limit fluids." in response.content
    assert b"Your daily target is" not in response.content


def test_a_past_day_can_be_viewed_and_drinks_added_to_it(alice, alice_client):
    yesterday = days_ago(1)
    make_drink(alice, amount=400, day=yesterday)
    page = alice_client.get(day_url(yesterday))
    assert page.status_code == 200
    assert page.context["day"] == yesterday
    assert page.context["total"] == 400
    assert page.context["next_day"] == today()
    glass = quick_add_posts(page.content)[0]
    assert glass["day"] == yesterday.isoformat()
    response = alice_client.post(ADD, glass)
    assert response["Location"] == day_url(yesterday)
    assert sorted(
        Drink.objects.filter(patient=alice, day=yesterday).values_list("amount_ml", flat=True)
    ) == [200, 400]
    assert not Drink.objects.filter(patient=alice, day=today()).exists()


def test_a_day_not_come_yet_shows_today_instead(alice_client):
    response = alice_client.get(day_url(today() + datetime.timedelta(days=1)))
    assert response.status_code == 302
    assert response["Location"] == HYDRATION


def test_an_impossible_date_in_the_address_is_not_found(alice_client):
    assert alice_client.get("/tracker/drinks/2026-02-30/").status_code == 404
    assert alice_client.post("/tracker/drinks/2026-02-30/complete/").status_code == 404
    assert not HydrationDay.objects.exists()


# Changing and deleting


def edit(client, drink: Drink, **kwargs: object):
    return client.post(reverse("tracker:drink_edit", args=[drink.pk]), drink_data(**kwargs))


def test_changing_a_drink_updates_its_amount_and_day(alice, alice_client):
    drink = make_drink(alice, amount=200)
    page = alice_client.get(reverse("tracker:drink_edit", args=[drink.pk]))
    assert page.status_code == 200
    assert page.context["form"]["amount_ml"].value() == 200
    response = edit(alice_client, drink, amount=350, day=days_ago(2))
    assert response.status_code == 302
    assert response["Location"] == day_url(days_ago(2))
    drink.refresh_from_db()
    assert (drink.amount_ml, drink.day) == (350, days_ago(2))
    assert Drink.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "0"}, "amount_ml", AMOUNT_ABOVE_0),
        ({"amount": "5001"}, "amount_ml", MORE_THAN_5_LITRES),
        ({"amount": "abc"}, "amount_ml", WHOLE_NUMBER),
        ({"day": "2025-02-30"}, "day", "Enter a valid date."),
        ({"day": "tomorrow"}, "day", "Enter a valid date."),
    ],
)
def test_a_change_is_checked_like_a_new_drink(alice, alice_client, overrides, field, message):
    drink = make_drink(alice, amount=200, day=days_ago(1))
    response = edit(alice_client, drink, **overrides)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    drink.refresh_from_db()
    assert (drink.amount_ml, drink.day) == (200, days_ago(1))


def test_a_drink_cannot_be_moved_to_a_day_not_come_yet(alice, alice_client):
    drink = make_drink(alice, amount=200)
    response = edit(alice_client, drink, day=today() + datetime.timedelta(days=1))
    assert response.context["form"].errors["day"] == [
        "You cannot log a drink for a day that has not come yet."
    ]
    drink.refresh_from_db()
    assert drink.day == today()


def test_deleting_a_drink_asks_first_then_deletes_it(alice, alice_client):
    drink = make_drink(alice, amount=200, day=days_ago(1))
    url = reverse("tracker:drink_delete", args=[drink.pk])
    page = alice_client.get(url)
    assert page.status_code == 200
    assert b"Delete this drink?" in page.content
    assert Drink.objects.filter(pk=drink.pk).exists()
    response = alice_client.post(url)
    assert response["Location"] == day_url(days_ago(1))
    assert not Drink.objects.filter(pk=drink.pk).exists()


# "I logged all my drinks"


def mark(client, day: datetime.date, complete: str):
    return client.post(reverse("tracker:hydration_complete", args=[day]), {"complete": complete})


def test_a_day_can_be_marked_complete_and_unmarked(alice, alice_client):
    yesterday = days_ago(1)
    response = mark(alice_client, yesterday, "1")
    assert response["Location"] == day_url(yesterday)
    assert HydrationDay.objects.get(patient=alice, day=yesterday).complete is True
    assert alice_client.get(day_url(yesterday)).context["marked_complete"] is True
    mark(alice_client, yesterday, "0")
    assert HydrationDay.objects.get(patient=alice, day=yesterday).complete is False
    assert alice_client.get(day_url(yesterday)).context["marked_complete"] is False
    assert HydrationDay.objects.count() == 1


def test_today_can_be_marked_complete(alice, alice_client):
    response = mark(alice_client, today(), "1")
    assert response["Location"] == HYDRATION
    assert HydrationDay.objects.get(patient=alice).day == today()


def test_a_day_not_come_yet_cannot_be_marked_complete(alice_client):
    response = mark(alice_client, today() + datetime.timedelta(days=1), "1")
    assert response["Location"] == HYDRATION
    assert messages_of(response) == ["That day has not come yet."]
    assert not HydrationDay.objects.exists()


def test_marking_complete_ignores_a_get(alice_client):
    response = alice_client.get(reverse("tracker:hydration_complete", args=[today()]))
    assert response.status_code == 405
    assert not HydrationDay.objects.exists()


# Who may see what


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", ["tracker:drink_edit", "tracker:drink_delete"])
def test_another_patient_cannot_see_change_or_delete_alices_drink(alice, charlie, method, name):
    drink = make_drink(alice, amount=200, day=days_ago(1))
    client = client_for(charlie)
    response = getattr(client, method)(reverse(name, args=[drink.pk]), drink_data(amount=999))
    assert response.status_code == 404
    drink.refresh_from_db()
    assert (drink.amount_ml, drink.day, drink.patient) == (200, days_ago(1), alice)


@pytest.mark.parametrize(
    ("method", "name", "arg"),
    [
        ("get", "tracker:hydration", None),
        ("get", "tracker:hydration_day", "day"),
        ("get", "tracker:drink_add", None),
        ("post", "tracker:drink_add", None),
        ("get", "tracker:drink_edit", "pk"),
        ("post", "tracker:drink_edit", "pk"),
        ("get", "tracker:drink_delete", "pk"),
        ("post", "tracker:drink_delete", "pk"),
        ("get", "tracker:hydration_complete", "day"),
        ("post", "tracker:hydration_complete", "day"),
    ],
)
def test_an_anonymous_visitor_is_sent_to_sign_in(alice, anonymous, method, name, arg):
    drink = make_drink(alice, amount=200, day=days_ago(1))
    args = {None: [], "day": [days_ago(1)], "pk": [drink.pk]}[arg]
    url = reverse(name, args=args)
    data = {**drink_data(amount=999), "complete": "1"}
    response = getattr(anonymous, method)(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('account_login')}?next=")
    drink.refresh_from_db()
    assert drink.amount_ml == 200
    assert Drink.objects.count() == 1
    assert not HydrationDay.objects.exists()
