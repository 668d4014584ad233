"""Sign-up, sign-in, profile and password forms, and their URL parameters, fed anything.

Never a server error; a refused form changes no table; an account is created or changed only
with values its form allows; and a `next` parameter never sends anyone to another site.
"""

import datetime
import re
import unicodedata

from django.core import mail
from django.test.client import ClientHandler
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from hypothesis import event, given
from hypothesis import strategies as st

from accounts.models import User, time_zone_names
from tests.conftest import PASSWORD
from tests.properties.conftest import assert_status_matches_log, client_with
from tests.properties.state import (
    STATUS,
    changed_statuses,
    changed_tables,
    new_rows,
    rolled_back,
    snapshot,
)
from tests.properties.strategies import examples, form_data, junk, junk_text, last, text

ZONES = st.sampled_from(["Europe/London", "America/New_York", "Asia/Kolkata", "UTC"])
NEW_PASSWORD = "Correct-Horse-Battery-42"
# Where an attacker would like `next` to lead, and places on this site.
NEXT = st.one_of(
    st.sampled_from(
        [
            "/tracker/",
            "/articles/",
            "http://testserver/tracker/",
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example/",
            "\\\\evil.example",
            "https:evil.example",
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            " //evil.example",
            "\t//evil.example",
            "http://testserver@evil.example/",
        ]
    ),
    junk,
)
USERNAME_PATTERN = re.compile(r"^[\w.@+-]+\Z")


def assert_stays_on_the_site(location: str) -> None:
    assert url_has_allowed_host_and_scheme(location, {"testserver"}), location


@examples(30)
@given(
    data=form_data(
        {
            "username": st.from_regex(r"\A[a-z][a-z0-9_.@+-]{2,20}\Z"),
            "email": st.from_regex(r"\A[a-z]{1,10}@example\.org\Z"),
            "first_name": text(40),
            "date_of_birth": st.dates(datetime.date(1890, 1, 1), datetime.date(2030, 1, 1)).map(
                datetime.date.isoformat
            ),
            "time_zone": ZONES,
            "password1": st.just(NEW_PASSWORD),
            "password2": st.just(NEW_PASSWORD),
            "health_data": st.just("on"),
            "terms": st.just("on"),
        }
    )
)
@rolled_back
def test_signing_up_creates_one_sound_account_or_nothing(
    handler: ClientHandler, alice: User, data: dict
) -> None:
    client = client_with(handler)
    before = snapshot()

    response = client.post(reverse("account_signup"), data)
    event(f"status {response.status_code}")

    after = snapshot()
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert changed_tables(before, after) == set()
        return
    assert_stays_on_the_site(response["Location"])
    assert changed_tables(before, after) == {"accounts.User", "accounts.Consent"}
    [row] = new_rows(before, after, "accounts.User")
    user = User.objects.get(pk=row[0])
    assert sorted(user.consents.values_list("kind", flat=True)) == ["health_data", "terms"]
    assert user.username == unicodedata.normalize("NFKC", last(data["username"]))
    assert USERNAME_PATTERN.match(user.username) and len(user.username) <= 150
    assert user.time_zone in time_zone_names()
    assert user.check_password(last(data["password1"]))
    assert not user.is_staff and not user.groups.exists()


@examples(30)
@given(
    data=form_data(
        {
            "first_name": text(40),
            "last_name": text(40),
            "email": st.from_regex(r"\A[a-z]{1,10}@example\.org\Z"),
            "time_zone": ZONES,
        }
    )
)
@rolled_back
def test_a_profile_change_is_sound_or_changes_nothing(
    handler: ClientHandler, patient: User, data: dict
) -> None:
    alice = patient
    client = client_with(handler, alice)
    before = snapshot()

    response = client.post(reverse("profile"), data)
    event(f"status {response.status_code}")

    after = snapshot()
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert changed_tables(before, after) == set()
        return
    # A new zone is a patient's write: "today" moves, so her stored status is recomputed.
    assert changed_tables(before, after) <= {"accounts.User", STATUS}
    saved = User.objects.get(pk=alice.pk)
    assert saved.first_name == last(data.get("first_name", "")).strip()
    assert len(saved.first_name) <= 150 and len(saved.last_name) <= 150
    assert "\x00" not in saved.first_name + saved.last_name
    assert saved.time_zone in time_zone_names()
    assert changed_statuses(before, after) <= {alice.pk}
    assert_status_matches_log(saved)


@examples(30)
@given(
    username=st.one_of(st.just("alice"), junk),
    password=st.one_of(st.just(PASSWORD), junk),
    next_url=NEXT,
    next_in=st.sampled_from(["query", "form"]),
)
@rolled_back
def test_signing_in_changes_nothing_and_never_leaves_the_site(
    handler: ClientHandler,
    alice: User,
    username: object,
    password: object,
    next_url: object,
    next_in: str,
) -> None:
    client = client_with(handler)
    data = {"login": username, "password": password}
    query = {"next": next_url} if next_in == "query" else {}
    if next_in == "form":
        data["next"] = next_url
    before = snapshot()

    response = client.post(reverse("account_login"), data, query_params=query)
    event(f"status {response.status_code}")

    assert response.status_code in (200, 302)
    assert changed_tables(before, snapshot()) == set()
    if response.status_code == 302:
        assert unicodedata.normalize("NFKC", last(username).strip()) == "alice"
        assert last(password) == PASSWORD
        assert_stays_on_the_site(response["Location"])


@examples(22)
@given(next_url=NEXT)
@rolled_back
def test_signing_out_never_leaves_the_site(
    handler: ClientHandler, alice: User, next_url: object
) -> None:
    client = client_with(handler, alice)
    before = snapshot()

    response = client.post(reverse("account_logout"), {"next": next_url})
    event(f"status {response.status_code}")

    assert response.status_code in (200, 302)
    assert changed_tables(before, snapshot()) == set()
    if response.status_code == 302:
        assert_stays_on_the_site(response["Location"])


@examples(30)
@given(
    data=form_data(
        {
            "oldpassword": st.just(PASSWORD),
            "password1": st.just(NEW_PASSWORD),
            "password2": st.just(NEW_PASSWORD),
        }
    )
)
@rolled_back
def test_a_password_changes_only_with_the_old_one_and_a_matching_new_one(
    handler: ClientHandler, patient: User, data: dict
) -> None:
    alice = patient
    client = client_with(handler, alice)
    before = snapshot()

    response = client.post(reverse("account_change_password"), data)
    event(f"status {response.status_code}")

    after = snapshot()
    assert response.status_code in (200, 302)
    # Read afresh: the fixture's copy must keep the password its sign-in was made with.
    saved = User.objects.get(pk=alice.pk)
    if response.status_code == 200:
        assert changed_tables(before, after) == set()
        assert saved.check_password(PASSWORD)
        return
    assert changed_tables(before, after) == {"accounts.User"}
    assert last(data["oldpassword"]) == PASSWORD
    assert saved.check_password(last(data["password1"]))


@examples(30)
@given(email=st.one_of(st.just("alice@example.org"), junk))
@rolled_back
def test_a_reset_request_changes_nothing_and_mails_only_the_owner(
    handler: ClientHandler, alice: User, email: object
) -> None:
    mail.outbox = []
    before = snapshot()

    response = client_with(handler).post(reverse("account_reset_password"), {"email": email})
    event(f"status {response.status_code}")

    assert response.status_code in (200, 302)
    assert changed_tables(before, snapshot()) == set()
    assert all(message.to == [alice.email] for message in mail.outbox)


@examples(37)
@given(code=junk, new_password=junk, asked=st.booleans())
@rolled_back
def test_a_guessed_reset_code_changes_nothing(
    handler: ClientHandler, alice: User, code: object, new_password: object, asked: bool
) -> None:
    """Resets are codes typed into the page (no link carries a token): whatever is typed as
    the code, with or without a reset asked for first, no password changes."""
    client = client_with(handler)
    if asked:
        client.post(reverse("account_reset_password"), {"email": alice.email})
    before = snapshot()

    response = client.post(reverse("account_confirm_password_reset_code"), {"code": code})
    then = client.post(
        reverse("account_complete_password_reset"),
        {"password1": new_password, "password2": new_password},
    )
    event(f"status {response.status_code}, then {then.status_code}")

    assert response.status_code in (200, 302, 429)
    assert then.status_code in (200, 302, 429)
    assert changed_tables(before, snapshot()) == set()
    assert User.objects.get(pk=alice.pk).check_password(PASSWORD)


PUBLIC_PAGES = [
    "home",
    "get_help",
    "account_signup",
    "account_login",
    "account_reset_password",
    "account_confirm_password_reset_code",
    "account_password_reset_completed",
    "account_email_verification_sent",
    "health",
    "favicon",
]


@examples(30)
@given(
    page=st.sampled_from(PUBLIC_PAGES),
    query=st.one_of(
        st.fixed_dictionaries({"next": NEXT}), st.dictionaries(junk_text, junk, max_size=3)
    ),
    signed_in=st.booleans(),
)
@rolled_back
def test_public_pages_ignore_unexpected_parameters(
    handler: ClientHandler, patient: User, page: str, query: dict, signed_in: bool
) -> None:
    client = client_with(handler, patient if signed_in else None)
    before = snapshot()

    response = client.get(reverse(page), query)
    event(f"status {response.status_code}")

    assert response.status_code in (200, 301, 302)
    if response.status_code != 200:
        assert_stays_on_the_site(response["Location"])
    reader = patient.pk if signed_in else None
    assert changed_tables(before, snapshot(), own_status_of=reader) == set()
