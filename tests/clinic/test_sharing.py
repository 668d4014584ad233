"""The patient's side of sharing: consent, codes, verified e-mail, the name and date of birth a
request carries, the limits on requests, withdrawing and stopping, and what it never reveals."""

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from accounts.roles import CLINICIANS
from clinic import services as share_services
from clinic.access import approve_clinician, renew_share_code
from clinic.forms import NO_MATCH
from clinic.models import CONSENT_VERSION, AuditEvent, ClinicianProfile, Share
from tests.conftest import client_for, make_user
from tests.factories import log_episode, share_request
from tests.factories import share as accepted_share

SHARING = reverse("clinic:sharing")
# A valid NHS number (the check digit of 943 476 591 is 9), and the same with a wrong last digit.
NHS_NUMBER = "9434765919"
WRONG_NHS_NUMBER = "9434765918"


@pytest.fixture
def bob_code(bob) -> str:
    return approve_clinician(user=bob).share_code


def verify_email(user, email: str | None = None) -> None:
    EmailAddress.objects.update_or_create(
        user=user,
        email=email or user.email,
        defaults={"verified": True, "primary": True},
    )


def form_data(code_or_email: str, *, consent: bool = True, **changes: str) -> dict[str, str]:
    data = {
        "code_or_email": code_or_email,
        "first_name": "Alice",
        "last_name": "Smith",
        "date_of_birth": "1984-02-29",
        "nhs_number": "",
    }
    if consent:
        data["consent"] = "on"
    return {**data, **changes}


def ask(client, code_or_email: str, *, consent: bool = True, **changes: str):
    return client.post(SHARING, form_data(code_or_email, consent=consent, **changes))


def test_a_request_is_pending_with_the_consent_version_and_time(alice, bob, bob_code, midday):
    response = ask(client_for(alice), bob_code)
    assert response["Location"] == SHARING
    record = Share.objects.get(patient=alice, clinician=bob)
    assert record.status == Share.Status.PENDING
    assert record.consent_version == CONSENT_VERSION
    assert record.consented_at == midday
    assert record.decided_at is None
    assert not record.is_active


def test_the_request_saves_the_name_and_date_of_birth_on_the_account(alice, bob, bob_code):
    ask(client_for(alice), bob_code, nhs_number="943 476 5919")
    alice.refresh_from_db()
    assert (alice.first_name, alice.last_name) == ("Alice", "Smith")
    assert alice.date_of_birth == datetime.date(1984, 2, 29)
    assert alice.nhs_number == NHS_NUMBER


def test_the_form_is_prefilled_from_the_account(alice, bob_code):
    alice.first_name, alice.last_name = "Alice", "Jones"
    alice.date_of_birth = datetime.date(1990, 5, 17)
    alice.nhs_number = NHS_NUMBER
    alice.save()
    form = client_for(alice).get(SHARING).context["form"]
    assert form["first_name"].value() == "Alice"
    assert form["last_name"].value() == "Jones"
    assert form["date_of_birth"].value() == datetime.date(1990, 5, 17)
    assert form["nhs_number"].value() == NHS_NUMBER


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("first_name", "", "This field is required."),
        ("last_name", "", "This field is required."),
        ("date_of_birth", "", "This field is required."),
        ("date_of_birth", "not a date", "Enter a date"),
        ("date_of_birth", "{after_tomorrow}", "cannot be in the future"),
        ("date_of_birth", "{too_old}", "more than 120 years ago"),
        ("nhs_number", WRONG_NHS_NUMBER, "not a valid NHS number"),
        ("nhs_number", "12345", "not a valid NHS number"),
    ],
)
def test_bad_identity_is_refused_next_to_its_field_and_nothing_is_written(
    alice, bob, bob_code, field, typed, message
):
    today = timezone.localdate()
    before = (alice.first_name, alice.last_name, alice.date_of_birth, alice.nhs_number)
    typed = typed.format(
        after_tomorrow=today + datetime.timedelta(days=2),
        too_old=today.replace(year=today.year - 121),
    )
    response = ask(client_for(alice), bob_code, **{field: typed})
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == [field]
    assert message in form.errors[field][0]
    # What was typed comes back, so nothing is lost.
    assert form["code_or_email"].value() == bob_code
    assert form[field].value() == typed
    assert not Share.objects.exists()
    alice.refresh_from_db()
    assert (alice.first_name, alice.last_name, alice.date_of_birth, alice.nhs_number) == before


def test_a_refused_request_does_not_save_the_identity_either(alice, bob, bob_code):
    accepted_share(alice, bob)
    alice.refresh_from_db()
    before = (alice.first_name, alice.last_name, alice.date_of_birth)
    response = ask(client_for(alice), bob_code, first_name="Mallory")
    assert "already share" in response.context["form"].errors["code_or_email"][0]
    alice.refresh_from_db()
    assert (alice.first_name, alice.last_name, alice.date_of_birth) == before


@pytest.mark.parametrize("typed", ["{code}", "{lower}", "{half1}-{half2}", " {half1} {half2} "])
def test_a_code_may_be_typed_with_a_dash_spaces_or_in_lower_case(alice, bob, bob_code, typed):
    text = typed.format(
        code=bob_code, lower=bob_code.lower(), half1=bob_code[:4], half2=bob_code[4:]
    )
    ask(client_for(alice), text)
    assert Share.objects.filter(patient=alice, clinician=bob).exists()


def test_asking_by_the_clinicians_verified_email(alice, bob, bob_code):
    verify_email(bob)
    ask(client_for(alice), "BOB@example.org")
    assert Share.objects.filter(patient=alice, clinician=bob).exists()


def test_consent_must_be_ticked(alice, bob, bob_code):
    response = ask(client_for(alice), bob_code, consent=False)
    assert "Please tick to agree" in response.content.decode()
    assert response.context["form"]["code_or_email"].value() == bob_code
    assert not Share.objects.exists()


@pytest.mark.parametrize(
    "who",
    [
        "unknown e-mail",
        "patient e-mail",
        "unverified e-mail",
        "e-mail verified on another account",
        "wrong code",
        "expired code",
        "unapproved",
    ],
)
def test_every_failed_match_gives_the_same_message(alice, charlie, bob, bob_code, who):
    eve = make_user("eve")  # has an account, is not a clinician
    ClinicianProfile.objects.create(
        user=eve,
        share_code="ZZZZ2222",
        code_expires_at=timezone.now() + datetime.timedelta(days=1),
    )
    verify_email(charlie)
    if who == "unverified e-mail":
        EmailAddress.objects.update_or_create(
            user=bob, email=bob.email, defaults={"verified": False, "primary": True}
        )
    if who == "e-mail verified on another account":
        # An address bob has not verified, verified by a patient's account: it is not bob's.
        EmailAddress.objects.create(
            user=charlie, email="casey@example.org", verified=True, primary=False
        )
        bob.email = "casey@example.org"
        bob.save()
    if who == "expired code":
        ClinicianProfile.objects.filter(user=bob).update(code_expires_at=timezone.now())
    typed = {
        "unknown e-mail": "nobody@example.org",
        "patient e-mail": charlie.email,
        "unverified e-mail": bob.email,
        "e-mail verified on another account": "casey@example.org",
        "wrong code": "AAAA-BBBB",
        "expired code": bob_code,
        "unapproved": "ZZZZ-2222",
    }[who]
    response = ask(client_for(alice), typed)
    assert response.status_code == 200
    assert response.context["form"].errors["code_or_email"] == [str(NO_MATCH)]
    assert not Share.objects.exists()


def test_a_new_code_stops_the_old_one(alice, bob, bob_code):
    renew_share_code(clinician=bob)
    response = ask(client_for(alice), bob_code)
    assert response.context["form"].errors["code_or_email"] == [str(NO_MATCH)]


def test_asking_twice_while_the_first_request_waits_is_refused(alice, bob, bob_code):
    client = client_for(alice)
    ask(client, bob_code)
    response = ask(client, bob_code)
    assert "already asked" in response.context["form"].errors["code_or_email"][0]
    assert Share.objects.count() == 1


def test_asking_a_clinician_who_accepted_is_refused(alice, bob, bob_code):
    accepted_share(alice, bob)
    response = ask(client_for(alice), bob_code)
    assert "already share" in response.context["form"].errors["code_or_email"][0]
    assert Share.objects.count() == 1


def test_a_clinician_cannot_share_with_themselves(bob, bob_code):
    response = ask(client_for(bob), bob_code)
    assert "with yourself" in response.context["form"].errors["code_or_email"][0]
    assert not Share.objects.exists()


@pytest.mark.parametrize("earlier", ["declined", "expired", "withdrawn", "stopped"])
def test_a_patient_can_ask_again_after_an_earlier_request_ended(
    alice, bob, bob_code, midday, earlier
):
    asked = midday - datetime.timedelta(days=20 if earlier == "expired" else 1)
    first = share_request(alice, bob, now=asked)
    if earlier == "declined":
        share_services.decline(share=first, now=asked)
    elif earlier == "withdrawn":
        share_services.stop(share=first, now=asked)
    elif earlier == "stopped":
        share_services.accept(share=first, now=asked)
        share_services.stop(share=first, now=asked)
    response = ask(client_for(alice), bob_code)
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == earlier
    assert Share.objects.get(status=Share.Status.PENDING).pk != first.pk


def test_at_most_three_requests_wait_at_once(alice, bob_code, midday):
    assert share_services.MAX_WAITING_REQUESTS == 3
    for name in ("carol", "dave", "frank"):
        clinician = make_user(name, groups=(CLINICIANS,))
        share_request(alice, clinician)
    bob = ClinicianProfile.objects.get(share_code=bob_code).user
    response = ask(client_for(alice), bob_code)
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert "You have 3 requests waiting for an answer" in errors[0]
    assert not Share.objects.filter(clinician=bob).exists()
    # Accepted shares, and requests that lapsed, do not count against the limit.
    share = Share.objects.filter(clinician__username="carol").get()
    share_services.accept(share=share, now=midday)
    assert ask(client_for(alice), bob_code).status_code == 302


def test_an_expired_request_does_not_count_against_the_limit(alice, bob, bob_code, midday):
    for name in ("carol", "dave", "frank"):
        clinician = make_user(name, groups=(CLINICIANS,))
        share_request(alice, clinician, now=midday - datetime.timedelta(days=14))
    assert ask(client_for(alice), bob_code).status_code == 302
    assert Share.objects.get(clinician=bob).status == Share.Status.PENDING


def test_requests_are_rate_limited_and_a_refused_one_changes_nothing(
    alice, bob, bob_code, settings
):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "share_request": "2/h/user"}
    client = client_for(alice)
    # Two guesses use the allowance, matched or not.
    assert ask(client, "AAAA-BBBB").status_code == 200
    assert ask(client, "CCCC-DDDD").status_code == 200
    response = ask(client, bob_code, first_name="Changed")
    assert response.status_code == 429
    assert "Too many tries" in response.content.decode()
    assert not Share.objects.exists()
    alice.refresh_from_db()
    assert alice.first_name == ""
    # Reading the page is not limited.
    assert client.get(SHARING).status_code == 200


def test_the_limit_is_per_account(alice, charlie, bob, bob_code, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "share_request": "1/h/user"}
    ask(client_for(alice), "AAAA-BBBB")
    assert ask(client_for(alice), bob_code).status_code == 429
    assert ask(client_for(charlie), bob_code).status_code == 302


def test_the_configured_limit_is_the_briefs():
    from django.conf import settings

    assert settings.ACCOUNT_RATE_LIMITS["share_request"] == "10/h/user,30/h/ip"


# Withdrawing and stopping


def test_stopping_takes_effect_on_the_next_request(alice, bob):
    log_episode(alice, start=timezone.now() - datetime.timedelta(hours=1), severity=3)
    record = accepted_share(alice, bob)
    approve_clinician(user=bob)
    detail = reverse("clinic:patient_detail", args=[alice.pk])
    clinician = client_for(bob)
    assert clinician.get(detail).status_code == 200
    response = client_for(alice).post(reverse("clinic:share_revoke", args=[record.pk]))
    assert response["Location"] == SHARING
    assert clinician.get(detail).status_code == 404
    record.refresh_from_db()
    assert record.status == Share.Status.STOPPED
    assert record.revoked_at is not None


def test_withdrawing_a_request_before_it_is_answered(alice, bob, midday):
    record = share_request(alice, bob)
    client_for(alice).post(reverse("clinic:share_revoke", args=[record.pk]))
    record.refresh_from_db()
    assert record.status == Share.Status.WITHDRAWN
    assert record.revoked_at == midday
    assert record.decided_at is None
    # bob cannot accept it any more.
    approve_clinician(user=bob)
    client_for(bob).post(reverse("clinic:request_accept", args=[record.pk]))
    record.refresh_from_db()
    assert record.status == Share.Status.WITHDRAWN


def test_stopping_twice_changes_nothing_the_second_time(alice, bob, midday):
    record = accepted_share(alice, bob)
    client = client_for(alice)
    url = reverse("clinic:share_revoke", args=[record.pk])
    client.post(url)
    record.refresh_from_db()
    stopped_at = record.revoked_at
    response = client.post(url, follow=True)
    assert "already over" in response.content.decode()
    record.refresh_from_db()
    assert (record.status, record.revoked_at) == (Share.Status.STOPPED, stopped_at)


def test_another_patient_cannot_stop_alices_share_or_request(alice, charlie, bob):
    shared = accepted_share(alice, bob)
    dana_like = make_user("dora", groups=(CLINICIANS,))
    waiting = share_request(alice, dana_like)
    for record in (shared, waiting):
        response = client_for(charlie).post(reverse("clinic:share_revoke", args=[record.pk]))
        assert response.status_code == 404
    shared.refresh_from_db()
    waiting.refresh_from_db()
    assert (shared.status, waiting.status) == (Share.Status.ACCEPTED, Share.Status.PENDING)


# The page


def test_the_sharing_page_shows_each_state(alice, bob, midday):
    clinicians = {
        name: make_user(name, groups=(CLINICIANS,))
        for name in ("carol", "dave", "frank", "gina", "hank")
    }
    accepted_share(alice, bob, now=midday - datetime.timedelta(days=3))
    share_request(alice, clinicians["carol"], now=midday - datetime.timedelta(days=1))
    declined = share_request(alice, clinicians["dave"], now=midday - datetime.timedelta(days=2))
    share_services.decline(share=declined, now=midday)
    share_request(alice, clinicians["frank"], now=midday - datetime.timedelta(days=15))
    withdrawn = share_request(alice, clinicians["gina"])
    share_services.stop(share=withdrawn, now=midday)
    stopped = accepted_share(alice, clinicians["hank"], now=midday - datetime.timedelta(days=9))
    share_services.stop(share=stopped, now=midday)

    response = client_for(alice).get(SHARING)
    context = response.context
    states = {row.name: row.state for row in [*context["active"], *context["waiting"]]}
    states |= {row.name: row.state for row in context["ended"]}
    assert states == {
        "bob": "accepted",
        "carol": "pending",
        "dave": "declined",
        "frank": "expired",
        "gina": "withdrawn",
        "hank": "stopped",
    }
    page = response.content.decode()
    expires = (midday + datetime.timedelta(days=13)).strftime("%-d %B %Y")
    assert f"the request expires on {expires}" in page
    for label in ("Accepted", "Pending", "Declined", "Expired", "Withdrawn", "Stopped"):
        assert label in page
    assert "Stop sharing" in page
    assert "Withdraw request" in page
    assert f"version {CONSENT_VERSION}" in page


def test_the_page_names_a_clinician_by_the_name_staff_approved(alice, bob, bob_code):
    bob.first_name, bob.last_name = "Robert", "Brown"
    bob.save()
    accepted_share(alice, bob)
    # Without a display name, the account's own name.
    ClinicianProfile.objects.filter(user=bob).update(display_name="")
    page = client_for(alice).get(SHARING).content.decode()
    assert "Robert Brown" in page
    ClinicianProfile.objects.filter(user=bob).update(display_name="Dr R. Brown, physiotherapist")
    page = client_for(alice).get(SHARING).content.decode()
    assert "Dr R. Brown, physiotherapist" in page
    assert "Robert Brown" not in page


def test_accepting_and_declining_show_in_the_patients_access_log(alice, bob, midday):
    accepted_share(alice, bob)
    dora = make_user("dora", groups=(CLINICIANS,))
    share_services.decline(share=share_request(alice, dora), now=midday)
    actions = set(AuditEvent.objects.filter(patient=alice).values_list("actor__username", "action"))
    assert actions == {("bob", "accept"), ("dora", "decline")}
    page = client_for(alice).get(reverse("clinic:access_log")).content.decode()
    assert "Accepted your request to share your log" in page
    assert "Declined your request to share your log" in page
