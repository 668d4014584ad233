"""Consent to the privacy notice and terms (issue 19): asked at sign-up, recorded with its version,
asked again when the version in code is newer, never in the way of help.

alice, bob and the other personas agreed to the current texts (tests.conftest.make_user); the
tests that need an outdated agreement raise a version in accounts.consent for the test.
"""

import datetime
import json
import re
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.backends.db import SessionStore
from django.db import IntegrityError, connection, transaction
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from accounts import consent
from accounts.middleware import CONSENT_SEEN, ConsentRequiredMiddleware
from accounts.models import Consent, User
from accounts.services import record_consents
from clinic.models import Share
from notifications.models import PushSubscription
from tests.conftest import PASSWORD, client_for, log_in_with_form, make_user
from tests.factories import share
from tests.tracker.test_episode_views import quick_log
from tracker.models import Episode

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "newpatient",
    "email": "new@example.org",
    "first_name": "Noor",
    "date_of_birth": "1980-03-21",
    "time_zone": "Europe/Paris",
    "password1": "plenty of words in here",
    "password2": "plenty of words in here",
}
TICKED = {"health_data": "on", "terms": "on"}
CHANGE = "We now keep your drinks for a shorter time."
NEW_NOTICE = consent.Document(
    version=consent.PRIVACY_NOTICE.version + 1,
    published=datetime.date(2027, 3, 1),
    changes=(CHANGE,),  # type: ignore[arg-type]
)
NEW_TERMS = consent.Document(
    version=consent.TERMS.version + 1,
    published=datetime.date(2027, 3, 1),
    changes=("Clinicians must delete downloads within a year.",),  # type: ignore[arg-type]
)
CONSENT_URL = reverse("accounts:consent")


@pytest.fixture
def new_notice(monkeypatch: pytest.MonkeyPatch) -> consent.Document:
    """The privacy notice in code is one version newer than everyone agreed to."""
    monkeypatch.setattr(consent, "PRIVACY_NOTICE", NEW_NOTICE)
    return NEW_NOTICE


@pytest.fixture
def new_terms(monkeypatch: pytest.MonkeyPatch) -> consent.Document:
    monkeypatch.setattr(consent, "TERMS", NEW_TERMS)
    return NEW_TERMS


def field_block(page: str, name: str) -> str:
    """Return the HTML of one field's block (its box, label, message and help)."""
    match = re.search(rf'<div[^>]*id="div_id_{name}".*?</div>\s*</div>', page, re.S)
    assert match, f"no block for {name}"
    return match.group(0)


# Sign-up ---------------------------------------------------------------------------------------


def test_sign_up_shows_both_boxes_unticked_with_the_notice_and_terms_linked(anonymous) -> None:
    page = anonymous.get(reverse("account_signup")).content.decode()

    for name in ("health_data", "terms"):
        box = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
        assert box, name
        assert 'type="checkbox"' in box.group(0)
        assert "checked" not in box.group(0)
    assert "I agree that the portal may store and use my health information as the privacy " in page
    block = field_block(page, "health_data")
    assert f'href="{reverse("privacy")}" target="_blank" rel="noopener"' in block
    assert f'href="{reverse("terms")}" target="_blank" rel="noopener"' in block
    assert "opens in a new tab" in block


@pytest.mark.parametrize("missing", ["health_data", "terms"])
def test_sign_up_without_a_box_is_refused_next_to_it_and_keeps_what_was_typed(
    anonymous, missing
) -> None:
    data = {**SIGNUP, **TICKED}
    del data[missing]

    response = anonymous.post(reverse("account_signup"), data)

    assert response.status_code == 200
    assert not User.objects.filter(username="newpatient").exists()
    assert not Consent.objects.exists()
    page = response.content.decode()
    message = "Please tick this box"
    assert message in field_block(page, missing)
    other = "terms" if missing == "health_data" else "health_data"
    assert message not in field_block(page, other)
    # What was typed is still there (the passwords are never sent back, as Django does).
    for name in ("username", "email", "first_name", "date_of_birth", "time_zone"):
        assert f'value="{SIGNUP[name]}"' in page, name
    # The box that was ticked stays ticked.
    assert re.search(rf'<input[^>]*name="{other}"[^>]*checked', page)


def test_sign_up_with_both_boxes_records_each_with_its_version_and_time(anonymous) -> None:
    before = timezone.now()
    response = anonymous.post(reverse("account_signup"), {**SIGNUP, **TICKED})
    after = timezone.now()

    assert response.status_code == 302
    user = User.objects.get(username="newpatient")
    rows = {row.kind: row for row in user.consents.all()}
    assert set(rows) == {Consent.Kind.HEALTH_DATA, Consent.Kind.TERMS}
    assert rows[Consent.Kind.HEALTH_DATA].version == consent.PRIVACY_NOTICE.version
    assert rows[Consent.Kind.TERMS].version == consent.TERMS.version
    for row in rows.values():
        assert before <= row.given_at <= after
        assert row.given_at.utcoffset() == datetime.timedelta(0)


def test_the_account_and_its_consent_are_saved_together_or_not_at_all(
    anonymous, monkeypatch
) -> None:
    def fail(**kwargs: object) -> None:
        raise IntegrityError("the consent could not be written")

    monkeypatch.setattr("portal.forms.record_consents", fail)
    with pytest.raises(IntegrityError):
        anonymous.post(reverse("account_signup"), {**SIGNUP, **TICKED})

    assert not User.objects.filter(username="newpatient").exists()


def test_signing_up_twice_with_the_same_form_makes_one_account_and_one_record(anonymous) -> None:
    first = anonymous.post(reverse("account_signup"), {**SIGNUP, **TICKED})
    second = anonymous.post(reverse("account_signup"), {**SIGNUP, **TICKED})

    assert first.status_code == 302
    assert second.status_code in (200, 302)
    assert User.objects.filter(username="newpatient").count() == 1
    assert Consent.objects.count() == 2


def test_a_new_patient_who_agreed_goes_straight_to_their_tracker(anonymous, mailoutbox) -> None:
    anonymous.post(reverse("account_signup"), {**SIGNUP, **TICKED})
    code = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", mailoutbox[-1].body, re.M)
    assert code
    response = anonymous.post(reverse("account_email_verification_sent"), {"code": code.group(1)})

    assert response["Location"] == reverse("tracker:dashboard")
    assert anonymous.get(reverse("tracker:dashboard")).status_code == 200


# The record ------------------------------------------------------------------------------------


def test_agreeing_twice_to_one_version_keeps_the_first_record(alice) -> None:
    first = alice.consents.get(kind=Consent.Kind.TERMS)

    record_consents(user=alice, kinds=[Consent.Kind.TERMS], now=timezone.now())

    assert alice.consents.get(kind=Consent.Kind.TERMS) == first
    assert alice.consents.get(kind=Consent.Kind.TERMS).given_at == first.given_at


def test_the_database_refuses_a_second_record_of_one_version(alice) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Consent.objects.create(
            user=alice,
            kind=Consent.Kind.TERMS,
            version=consent.TERMS.version,
            given_at=timezone.now(),
        )


def test_deleting_the_account_deletes_its_consent_records(alice) -> None:
    client = client_for(alice)
    client.post(reverse("tracker:account_delete"), {"password": PASSWORD})

    assert not User.objects.filter(pk=alice.pk).exists()
    assert not Consent.objects.filter(user_id=alice.pk).exists()


# Asked again -----------------------------------------------------------------------------------


def test_a_newer_notice_sends_a_patient_to_the_consent_page_and_back(alice, new_notice) -> None:
    client = client_for(alice)
    going_to = reverse("tracker:episode_list") + "?page=1"

    response = client.get(going_to)

    assert response.status_code == 302
    assert response["Location"] == f"{CONSENT_URL}?next=%2Ftracker%2Fepisodes%2F%3Fpage%3D1"
    page = client.get(response["Location"]).content.decode()
    assert CHANGE in page
    assert f"Version {new_notice.version} — 1 March 2027" in page
    assert 'name="health_data"' in page
    assert 'name="terms"' not in page  # the terms did not change
    assert f'href="{reverse("tracker:your_data")}"' in page
    assert f'action="{reverse("account_logout")}"' in page

    refused = client.post(CONSENT_URL, {"next": going_to})
    assert refused.status_code == 200
    assert "Please tick this box" in refused.content.decode()
    assert not alice.consents.filter(version=new_notice.version).exists()

    agreed = client.post(CONSENT_URL, {"next": going_to, "health_data": "on"})
    assert agreed.status_code == 302
    assert agreed["Location"] == going_to
    row = alice.consents.get(kind=Consent.Kind.HEALTH_DATA, version=new_notice.version)
    assert row.given_at <= timezone.now()
    assert client.get(going_to).status_code == 200


def test_newer_terms_ask_only_for_the_terms(alice, new_terms) -> None:
    client = client_for(alice)
    assert client.get(reverse("tracker:dashboard"))["Location"].startswith(CONSENT_URL)

    page = client.get(CONSENT_URL).content.decode()

    assert 'name="terms"' in page
    assert 'name="health_data"' not in page
    assert "Clinicians must delete downloads within a year." in page


def test_a_clinician_is_asked_to_read_the_notice_not_to_consent_to_health_data(
    bob, new_notice
) -> None:
    client = client_for(bob)

    response = client.get(reverse("clinic:queue"))

    assert response["Location"] == f"{CONSENT_URL}?next=%2Fclinic%2F"
    page = client.get(response["Location"]).content.decode()
    assert "I have read the privacy notice" in page
    assert 'name="health_data"' not in page
    agreed = client.post(CONSENT_URL, {"next": "/clinic/", "privacy_notice": "on"})
    assert agreed["Location"] == "/clinic/"
    assert bob.consents.filter(kind=Consent.Kind.PRIVACY_NOTICE, version=2).exists()
    assert client.get(reverse("clinic:queue")).status_code == 200


def test_staff_are_asked_before_the_admin_but_its_login_stays_open(erin, new_terms) -> None:
    client = client_for(erin)

    assert client.get(reverse("admin:index"))["Location"].startswith(CONSENT_URL)
    assert client.get(reverse("admin:login")).status_code in (200, 302)
    assert not client.get(reverse("admin:login")).get("Location", "").startswith(CONSENT_URL)


def test_an_account_older_than_consent_is_asked_for_everything_at_its_next_sign_in(db) -> None:
    user = make_user("olduser")
    user.consents.all().delete()  # as every account made before issue 19
    client = client_for(user)

    response = log_in_with_form(client, "olduser")
    assert response["Location"] == reverse("tracker:dashboard")
    wall = client.get(response["Location"])

    assert wall["Location"] == f"{CONSENT_URL}?next=%2Ftracker%2F"
    page = client.get(wall["Location"]).content.decode()
    assert "Before you go on" in page
    assert 'name="health_data"' in page and 'name="terms"' in page
    client.post(CONSENT_URL, {"next": "/tracker/", "health_data": "on", "terms": "on"})
    assert client.get(reverse("tracker:dashboard")).status_code == 200


def test_a_double_tap_on_the_consent_page_records_once(alice, new_notice) -> None:
    client = client_for(alice)
    data = {"next": "/tracker/", "health_data": "on"}

    first = client.post(CONSENT_URL, data)
    second = client.post(CONSENT_URL, data)

    assert first.status_code == second.status_code == 302
    assert alice.consents.filter(version=new_notice.version).count() == 1


def test_agreeing_on_another_device_lets_this_one_through_at_the_consent_page(
    alice, new_notice
) -> None:
    phone, laptop = client_for(alice), client_for(alice)
    assert laptop.get("/tracker/")["Location"].startswith(CONSENT_URL)  # the laptop is told
    phone.post(CONSENT_URL, {"next": "/tracker/", "health_data": "on"})

    response = laptop.get(f"{CONSENT_URL}?next=/tracker/")

    assert response["Location"] == "/tracker/"
    assert laptop.get("/tracker/").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:x"])
def test_the_consent_page_only_sends_people_on_to_this_site(alice, new_notice, target) -> None:
    response = client_for(alice).post(CONSENT_URL, {"next": target, "health_data": "on"})

    assert response["Location"] == reverse("home")


def test_declining_deletes_nothing(alice, new_notice) -> None:
    client = client_for(alice)
    client.post(reverse("tracker:episode_create"), quick_log())  # refused: consent is pending
    alice_episodes = Episode.objects.filter(patient=alice).count()
    agreements = alice.consents.count()
    client.get(CONSENT_URL)
    client.post(CONSENT_URL, {"next": "/tracker/"})
    client.post(reverse("account_logout"))

    assert User.objects.filter(pk=alice.pk).exists()
    assert Episode.objects.filter(patient=alice).count() == alice_episodes
    assert alice.consents.count() == agreements


# Never in the way ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "get_help",
        "tracker:advice",
        "privacy",
        "terms",
        "tracker:your_data",
        "tracker:export_json",
        "tracker:export_csv",
        "clinic:sharing",
    ],
)
def test_help_and_the_way_out_stay_open_while_consent_is_pending(alice, new_notice, name) -> None:
    assert client_for(alice).get(reverse(name)).status_code == 200


@pytest.mark.parametrize(
    "name", ["profile", "tracker:dashboard", "tracker:hydration", "clinic:access_log"]
)
def test_the_diary_and_the_rest_wait_for_consent(alice, new_notice, name) -> None:
    response = client_for(alice).get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(CONSENT_URL)


def test_red_flag_answers_are_taken_while_consent_is_pending(alice, new_notice) -> None:
    client = client_for(alice)

    response = client.post(
        reverse("tracker:red_flag_check"),
        {"red_flags": ["both_legs"], "submission_key": str(uuid.uuid4())},
    )

    assert response.status_code == 302
    assert not response["Location"].startswith(CONSENT_URL)
    assert client.get(response["Location"]).status_code == 200
    assert alice.red_flag_answers.filter(code="both_legs").exists()


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("account_email", []),
        ("account_change_password", []),
        ("mfa_index", []),
        ("usersessions_list", []),
        ("tracker:reminder_stop", ["daily", "not-a-token"]),
        ("clinic:notice_stop", ["not-a-token"]),
    ],
)
def test_account_pages_and_stop_links_are_not_behind_the_wall(
    alice, new_notice, name, args
) -> None:
    response = client_for(alice).get(reverse(name, args=args))

    assert response.status_code < 500
    assert not response.get("Location", "").startswith(CONSENT_URL), name


def test_stopping_a_share_works_while_consent_is_pending(alice, bob, new_notice) -> None:
    stopped = share(alice, bob)

    response = client_for(alice).post(reverse("clinic:share_revoke", args=[stopped.pk]))

    assert not response.get("Location", "").startswith(CONSENT_URL)
    stopped.refresh_from_db()
    assert stopped.status == Share.Status.STOPPED


@pytest.mark.parametrize("name", ["health", "ping", "manifest", "offline"])
def test_what_the_app_itself_needs_stays_open(alice, new_notice, name) -> None:
    assert client_for(alice).get(reverse(name)).status_code == 200


def test_logging_out_and_deleting_the_account_stay_open(alice, new_notice) -> None:
    client = client_for(alice)

    assert client.post(reverse("tracker:account_delete"), {"password": PASSWORD})[
        "Location"
    ] == reverse("home")
    assert not User.objects.filter(pk=alice.pk).exists()


def test_a_script_is_told_in_json_and_nothing_is_saved(alice, new_notice) -> None:
    client = client_for(alice)
    body = {
        "endpoint": "https://fcm.googleapis.com/fcm/send/abc",
        "keys": {"p256dh": "BNcR", "auth": "tBHI"},
    }

    device = client.post(
        reverse("tracker:push_device"),
        data=json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )
    queued = client.post(
        reverse("tracker:episode_create"), quick_log(), HTTP_ACCEPT="application/json"
    )

    for response in (device, queued):
        assert response.status_code == 403
        assert response["Content-Type"] == "application/json"
        answer = response.json()
        assert answer["consent"] == CONSENT_URL
        assert "nothing was saved" in answer["error"]
        assert "no-store" in response["Cache-Control"]
    assert not PushSubscription.objects.filter(person=alice).exists()
    assert not Episode.objects.filter(patient=alice).exists()


def test_a_form_posted_while_consent_is_pending_leads_back_to_its_page(alice, new_notice) -> None:
    response = client_for(alice).post(reverse("tracker:episode_create"), quick_log())

    assert response.status_code == 302
    assert response["Location"] == f"{CONSENT_URL}?next=%2Ftracker%2Fepisodes%2Fnew%2F"
    assert not Episode.objects.filter(patient=alice).exists()


def test_visitors_are_never_asked(anonymous, new_notice) -> None:
    assert anonymous.get(reverse("home")).status_code == 200
    assert anonymous.get(CONSENT_URL)["Location"].startswith(reverse("account_login"))


# Cost ------------------------------------------------------------------------------------------


def test_the_check_asks_the_database_once_a_session_then_never(alice, rf) -> None:
    person = User.objects.get(pk=alice.pk)  # a fresh object, as a request's user is
    request = rf.get("/tracker/")
    request.user = person
    request.session = SessionStore()
    request.resolver_match = resolve("/tracker/")
    middleware = ConsentRequiredMiddleware(lambda request: HttpResponse())

    with CaptureQueriesContext(connection) as first:
        assert middleware.process_view(request, lambda r: HttpResponse(), (), {}) is None
    with CaptureQueriesContext(connection) as later:
        for _ in range(3):
            assert middleware.process_view(request, lambda r: HttpResponse(), (), {}) is None

    # The person's roles (which texts they must agree to), then their newest agreements.
    assert len(first) == 2, [query["sql"] for query in first]
    assert len(later) == 0
    assert request.session[CONSENT_SEEN]["accepted"] == {
        kind: consent.document(kind).version for kind in Consent.Kind.values
    }


def test_a_page_costs_no_more_queries_with_the_check_once_the_session_knows(
    alice, settings
) -> None:
    client = client_for(alice)
    page = reverse("tracker:settings")
    client.get(page)  # the first page: the session learns
    with CaptureQueriesContext(connection) as checked:
        assert client.get(page).status_code == 200

    settings.MIDDLEWARE = [
        name
        for name in settings.MIDDLEWARE
        if name != "accounts.middleware.ConsentRequiredMiddleware"
    ]
    with CaptureQueriesContext(connection) as unchecked:
        assert client.get(page).status_code == 200

    assert len(checked) == len(unchecked)


def test_a_new_version_reaches_a_session_that_already_knows(alice, monkeypatch) -> None:
    client = client_for(alice)
    assert client.get("/tracker/").status_code == 200  # the session knows: all agreed
    monkeypatch.setattr(consent, "PRIVACY_NOTICE", NEW_NOTICE)  # a deploy with a new notice

    assert client.get("/tracker/")["Location"].startswith(CONSENT_URL)


def test_signing_in_notes_the_agreements_afresh(alice, rf) -> None:
    request = rf.get("/")
    request.session = SessionStore()
    request.session[CONSENT_SEEN] = {"user": alice.pk, "kinds": ["terms"], "accepted": {}}

    user_logged_in.send(sender=User, request=request, user=alice)

    assert request.session[CONSENT_SEEN] == {
        "user": alice.pk,
        "kinds": [Consent.Kind.HEALTH_DATA, Consent.Kind.TERMS],
        "accepted": {kind: consent.document(kind).version for kind in Consent.Kind.values},
    }


def test_the_first_page_after_signing_in_costs_no_query_for_the_check(alice, settings) -> None:
    page = reverse("tracker:settings")

    def first_page_queries() -> int:
        client = Client()
        log_in_with_form(client, "alice")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200
        return len(queries)

    first_page_queries()  # her first visit ever makes her tracker profile
    checked = first_page_queries()
    settings.MIDDLEWARE = [
        name
        for name in settings.MIDDLEWARE
        if name != "accounts.middleware.ConsentRequiredMiddleware"
    ]

    assert checked == first_page_queries()


# The admin ---------------------------------------------------------------------------------------


def test_staff_who_may_see_health_data_read_the_record_and_nobody_edits_it(alice, erin) -> None:
    keeper = make_user("keeper", is_staff=True)
    keeper.user_permissions.add(
        Permission.objects.get(codename="view_health_data"),
        Permission.objects.get(codename="view_consent"),
    )
    client = client_for(keeper)
    row = alice.consents.get(kind=Consent.Kind.HEALTH_DATA)

    listing = client.get(reverse("admin:accounts_consent_changelist"))
    assert listing.status_code == 200
    assert "alice" in listing.content.decode()
    assert client.get(reverse("admin:accounts_consent_change", args=[row.pk])).status_code == 200
    assert client.get(reverse("admin:accounts_consent_add")).status_code == 403
    assert client.get(reverse("admin:accounts_consent_delete", args=[row.pk])).status_code == 403
    edited = client.post(
        reverse("admin:accounts_consent_change", args=[row.pk]), {"version": 9, "kind": "terms"}
    )
    assert edited.status_code == 403
    row.refresh_from_db()
    assert (row.kind, row.version) == (Consent.Kind.HEALTH_DATA, consent.PRIVACY_NOTICE.version)
    # The editor, staff without the permission, never sees it.
    assert client_for(erin).get(reverse("admin:accounts_consent_changelist")).status_code == 403
