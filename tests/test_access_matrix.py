"""Who may open every URL of the site: each pattern of the root URLconf against seven personas.

The patterns are discovered by walking the resolver, so a new URL cannot be forgotten: one this
file does not know how to classify or fill fails its tests with a message naming it. Parameters
are filled with alice's records. alice shares with bob (he accepted); her share with rita is
stopped; dana is a clinician she has asked, who has not answered (a pending request grants
nothing); erin edits content and is staff; charlie is another patient.

Besides the status and where a redirect goes, every case checks that alice's note never shows to
anyone but alice (and bob on her patient pages), that nobody else changed her records or her
stored status (only bob's requests may have it recomputed, to the same assessment), and that
nobody but bob on her patient pages wrote to the audit trail, notes or acknowledgements.
"""

import datetime
import io
import re
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client, override_settings
from django.test.client import ClientHandler
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from accounts.models import Consent, User
from accounts.roles import CLINICIANS, CONTENT_EDITORS
from accounts.second_factor import give_totp
from clinic import services as share_services
from clinic.access import approve_clinician
from clinic.models import AuditEvent, ClinicianMessage, ClinicianNote, ClinicianProfile, Share
from education import services as education_services
from education.models import Article, ArticleRevision
from notifications.links import stop_token
from notifications.models import Delivery
from tests.conftest import client_for, make_article, make_user
from tests.factories import add_drink, check_in, log_episode, share_request, take_medicine
from tests.factories import share as share_with
from tracker import report_links
from tracker.models import (
    Acknowledgement,
    CheckIn,
    Drink,
    Episode,
    HydrationDay,
    MedicineDose,
    PatientProfile,
    PatientStatus,
    RedFlagAnswer,
    ReportLink,
)
from tracker.rules import RED_FLAGS_BY_CODE

pytestmark = pytest.mark.django_db

SECRET = "ALICE-SECRET-NOTE"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PERSONAS = ("anonymous", "alice", "charlie", "dana", "bob", "rita", "erin")


# What a request should get


@dataclass(frozen=True)
class Expect:
    """A status, and for a redirect where it goes: a view name, or a path prefix."""

    status: int
    to: str = ""

    def __str__(self) -> str:
        return f"{self.status} to {self.to}" if self.to else str(self.status)


OK = Expect(200)
FORBIDDEN = Expect(403)
NOT_FOUND = Expect(404)
NOT_ALLOWED = Expect(405)
LOGIN = Expect(302, "account_login")
ADMIN_LOGIN = Expect(302, "admin:login")


def goes_to(view_name: str) -> Expect:
    return Expect(302, view_name)


# (GET, POST); None means the POST is not sent.
Outcome = tuple[Expect, Expect | None]


@dataclass(frozen=True)
class Rule:
    """What each persona gets from one URL."""

    outcomes: dict[str, Outcome]
    # bob, whom alice shares with, may see her data here, and his looking is audited.
    bob_sees_alice: bool = False


def matrix(default: Outcome, **by_persona: Outcome) -> dict[str, Outcome]:
    """Give every persona the default outcome except those named."""
    unknown = set(by_persona) - set(PERSONAS)
    assert not unknown, f"unknown personas {unknown}"
    return {persona: by_persona.get(persona, default) for persona in PERSONAS}


def public(get: Expect = OK) -> Rule:
    return Rule(matrix((get, None)))


def own_page(get: Expect = OK, post: Expect | None = None) -> Rule:
    """Give each signed-in person their own page; send anonymous visitors to log in."""
    return Rule(matrix((get, post), anonymous=(LOGIN, LOGIN)))


def alices_record(get: Expect = OK, post: Expect | None = None) -> Rule:
    """Let only alice open a URL holding one of her ids; everyone else gets 404 by POST.

    A POST-only view answers anyone's GET with 405 whatever the id, which reveals nothing.
    """
    refused_get = NOT_ALLOWED if get == NOT_ALLOWED else NOT_FOUND
    return Rule(matrix((refused_get, NOT_FOUND), anonymous=(LOGIN, LOGIN), alice=(get, post)))


def shared_patient(get: Expect = OK, post: Expect | None = None) -> Rule:
    """Let only bob, with an accepted share, open alice's pages on the clinician's side.

    Non-clinicians are refused (404) before the method is looked at. For a clinician without
    an accepted share (dana, asked; rita, stopped) a POST-only view answers GET with 405
    whatever the patient id, which reveals nothing; their POST is 404.
    """
    clinician_get = NOT_ALLOWED if get == NOT_ALLOWED else NOT_FOUND
    return Rule(
        matrix(
            (NOT_FOUND, NOT_FOUND),
            anonymous=(LOGIN, LOGIN),
            bob=(get, post),
            dana=(clinician_get, NOT_FOUND),
            rita=(clinician_get, NOT_FOUND),
        ),
        bob_sees_alice=True,
    )


def answer_to_alices_share(*, post: Expect) -> Rule:
    """Let only bob answer alice's share, which he has already accepted: his answer changes
    nothing (a second tap). Any other clinician's POST is 404 (not theirs), their GET 405; the
    rest are refused before the method is looked at."""
    return Rule(
        matrix(
            (NOT_FOUND, NOT_FOUND),
            anonymous=(LOGIN, LOGIN),
            bob=(NOT_ALLOWED, post),
            dana=(NOT_ALLOWED, NOT_FOUND),
            rita=(NOT_ALLOWED, NOT_FOUND),
        )
    )


def clinicians_only(get: Expect = OK, post: Expect | None = None) -> Rule:
    """Give every approved clinician their own page; anybody else signed in gets 404."""
    return Rule(
        matrix(
            (NOT_FOUND, NOT_FOUND),
            anonymous=(LOGIN, LOGIN),
            bob=(get, post),
            dana=(get, post),
            rita=(get, post),
        )
    )


# Where each signed-in persona lands: the entrance pages (login, sign-up, the second-factor
# step) send a signed-in person on to their own work.
LANDING = {
    "alice": goes_to("tracker:dashboard"),
    "charlie": goes_to("tracker:dashboard"),
    "bob": goes_to("clinic:queue"),
    "dana": goes_to("clinic:queue"),
    "rita": goes_to("clinic:queue"),
    "erin": goes_to("admin:index"),
}


def visitors_only(get: Expect, post: Expect) -> Rule:
    """An entrance page: for visitors only; a signed-in person is sent to their landing."""
    landings = {persona: (to, to) for persona, to in LANDING.items()}
    return Rule(matrix((get, post), **landings))


REAUTHENTICATE = goes_to("account_reauthenticate")
# A step of signing in or resetting that was never started here: back to the login page (no
# page to return to afterwards, so no ?next=).
TO_LOGIN_PAGE = Expect(302, "/accounts/login/")


def needs_password_again(anonymous: Expect = LOGIN, **by_persona: Outcome) -> Rule:
    """A page that changes how one signs in: the password again first (force_login records no
    recent authentication), visitors to the login."""
    return Rule(
        matrix((REAUTHENTICATE, REAUTHENTICATE), anonymous=(anonymous, anonymous), **by_persona)
    )


# django-allauth's pages (issue 17): sign-up, login, e-mail, password, second factors, sessions.
# Every persona is checked as everywhere else; what differs is only whom a page serves.
ACCOUNT_RULES: dict[str, Rule] = {
    # An empty POST: the form comes back with what is missing; nobody is signed in.
    "account_login": visitors_only(OK, OK),
    "account_signup": visitors_only(OK, OK),
    "account_logout": Rule(matrix((OK, goes_to("home")), anonymous=(goes_to("home"),) * 2)),
    "account_inactive": Rule(matrix((OK, NOT_ALLOWED))),
    "account_reset_password": Rule(matrix((OK, OK))),
    # Without a reset asked for in this browser there is no code to confirm.
    "account_confirm_password_reset_code": Rule(matrix((TO_LOGIN_PAGE, TO_LOGIN_PAGE))),
    "account_complete_password_reset": Rule(matrix((goes_to("account_reset_password"),) * 2)),
    "account_password_reset_completed": Rule(matrix((OK, NOT_ALLOWED))),
    # Login by e-mailed code is off: nothing to confirm.
    "account_confirm_login_code": visitors_only(TO_LOGIN_PAGE, TO_LOGIN_PAGE),
    # Without an address waiting for its code: visitors to the login, others to their addresses.
    "account_email_verification_sent": Rule(
        matrix((goes_to("account_email"),) * 2, anonymous=(TO_LOGIN_PAGE, TO_LOGIN_PAGE))
    ),
    "account_reauthenticate": own_page(OK, OK),
    "account_email": own_page(OK, goes_to("account_email")),
    "account_change_password": own_page(OK, OK),
    "account_set_password": own_page(
        goes_to("account_change_password"), goes_to("account_change_password")
    ),
    "usersessions_list": own_page(OK, goes_to("usersessions_list")),
    # Second factors: anybody may add one; clinicians and staff have one (an authenticator app).
    "mfa_index": own_page(OK, NOT_ALLOWED),
    "mfa_authenticate": visitors_only(TO_LOGIN_PAGE, TO_LOGIN_PAGE),
    "mfa_reauthenticate": Rule(
        matrix(
            (OK, OK),
            anonymous=(LOGIN, LOGIN),
            alice=(REAUTHENTICATE, REAUTHENTICATE),
            charlie=(REAUTHENTICATE, REAUTHENTICATE),
        )
    ),
    "mfa_activate_totp": needs_password_again(),
    "mfa_deactivate_totp": needs_password_again(
        alice=(NOT_FOUND, NOT_FOUND), charlie=(NOT_FOUND, NOT_FOUND)
    ),
    # Nobody here has recovery codes.
    "mfa_view_recovery_codes": own_page(NOT_FOUND, NOT_ALLOWED),
    "mfa_generate_recovery_codes": needs_password_again(),
    "mfa_download_recovery_codes": own_page(NOT_FOUND, NOT_FOUND),
    "mfa_list_webauthn": own_page(OK, NOT_ALLOWED),
    "mfa_add_webauthn": needs_password_again(),
    "mfa_reauthenticate_webauthn": needs_password_again(),
    # Filled with bob's authenticator-app factor: the password first, whoever asks and for
    # whichever id, so the answer tells nothing about the id.
    "mfa_remove_webauthn": needs_password_again(),
    "mfa_edit_webauthn": needs_password_again(),
}


SITE_RULES: dict[str, Rule] = {
    # Public pages
    "home": public(),
    "get_help": public(),
    # The privacy notice and terms (issue 19); the consent page has nothing to ask anyone here
    # (every persona agreed to the current texts) and sends them on.
    "privacy": public(),
    "terms": public(),
    "accounts:consent": own_page(goes_to("home"), goes_to("home")),
    "health": public(),
    "ping": public(),
    "favicon": public(Expect(301, "/static/")),
    # The installable app (issue 16): the same for everyone, never anyone's data.
    "manifest": public(),
    "offline": public(),
    "apple_touch_icon": public(Expect(301, "/static/")),
    "education:article_list": public(),
    "education:category": public(),
    "education:article_detail": public(),
    "education:exercise_sheet": public(),
    "education:search": public(),
    # Each person's own pages
    "profile": own_page(),
    "tracker:dashboard": own_page(),
    "tracker:episode_list": own_page(),
    "tracker:episode_create": own_page(),
    "tracker:checkin": own_page(),
    "tracker:function_score": own_page(),
    "tracker:hydration": own_page(),
    "tracker:hydration_day": own_page(),
    "tracker:hydration_complete": own_page(NOT_ALLOWED, goes_to("tracker:hydration_day")),
    "tracker:drink_add": own_page(),
    "tracker:medicine_list": own_page(),
    "tracker:medicine_add": own_page(),
    "tracker:red_flag_check": own_page(),
    "tracker:advice": own_page(),
    "tracker:settings": own_page(),
    # An empty POST lacks the time: the form comes back with the message.
    "tracker:reminders": own_page(OK, OK),
    # A script's POST of this browser's push subscription; an empty one is refused.
    "tracker:push_device": own_page(NOT_ALLOWED, Expect(400)),
    # The one-click stop links (issue 18), filled with alice's and bob's own: they work for
    # anyone holding them, signed in or not, and only stop (alice's reminders were off).
    "tracker:reminder_stop": Rule(matrix((OK, OK))),
    "clinic:notice_stop": Rule(matrix((OK, OK))),
    "tracker:your_data": own_page(),
    "tracker:export_json": own_page(),
    "tracker:export_csv": own_page(),
    # The patient's own report (issue 20); an empty POST lacks the form's key: 400, no link.
    "tracker:report": own_page(),
    "tracker:report_pdf": own_page(),
    "tracker:report_links": own_page(OK, Expect(400)),
    # An empty POST lacks the password: the page comes back with the error, nothing deleted.
    "tracker:account_delete": own_page(NOT_ALLOWED, OK),
    "clinic:sharing": own_page(),
    "clinic:access_log": own_page(),
    # Messages from clinicians (issue 20): each person's own list.
    "clinic:messages": own_page(),
    # alice's records, by id
    "tracker:episode_detail": alices_record(),
    "tracker:episode_edit": alices_record(),
    # The last optional step after a quick log leads to the episode.
    "tracker:episode_step": alices_record(OK, goes_to("tracker:episode_detail")),
    "tracker:episode_end": alices_record(NOT_ALLOWED, goes_to("tracker:episode_detail")),
    "tracker:episode_delete": alices_record(),
    "tracker:drink_edit": alices_record(),
    "tracker:drink_delete": alices_record(),
    "tracker:report_link_revoke": alices_record(NOT_ALLOWED, goes_to("tracker:report_links")),
    # A report link's public pages (tests/tracker/test_report.py tries real links): filled with
    # a guessed secret, the same 404 for everyone.
    "report_shared": public(NOT_FOUND),
    "report_shared_pdf": public(NOT_FOUND),
    "tracker:medicine_edit": alices_record(),
    "tracker:medicine_delete": alices_record(),
    "clinic:share_revoke": alices_record(NOT_ALLOWED, goes_to("clinic:sharing")),
    # Filled with bob's message to alice: only she may mark it read.
    "clinic:message_read": alices_record(NOT_ALLOWED, goes_to("clinic:messages")),
    # alice's log as her clinicians see it
    "clinic:patient_detail": shared_patient(),
    "clinic:summary": shared_patient(),
    "clinic:export_csv": shared_patient(),
    "clinic:export_fhir": shared_patient(),
    "clinic:acknowledge": shared_patient(NOT_ALLOWED, goes_to("clinic:patient_detail")),
    "clinic:note_add": shared_patient(NOT_ALLOWED, goes_to("clinic:patient_detail")),
    # An empty message comes back on the patient view with the error; nothing is sent.
    "clinic:message_send": shared_patient(NOT_ALLOWED, OK),
    # The clinician's own pages
    # The queue shows alice's red-flag answers to bob, which is audited (issue 17).
    "clinic:queue": Rule(clinicians_only().outcomes, bob_sees_alice=True),
    "clinic:new_code": clinicians_only(NOT_ALLOWED, goes_to("clinic:queue")),
    # Requests to share: each clinician lists their own (dana sees alice's request there).
    "clinic:requests": clinicians_only(),
    # An empty POST turns the e-mail notices off.
    "clinic:notices": clinicians_only(OK, goes_to("clinic:notices")),
    # Filled with alice's share with bob, which he accepted: answering again changes nothing.
    "clinic:request_accept": answer_to_alices_share(post=goes_to("clinic:requests")),
    "clinic:request_decline": answer_to_alices_share(post=goes_to("clinic:requests")),
    # Drafts are for the people who edit the library.
    "education:article_preview": Rule(
        matrix((NOT_FOUND, None), anonymous=(LOGIN, None), erin=(OK, None))
    ),
    # The admin's editor posts a draft for its preview (issue 19): a POST-only view answers
    # anyone's GET with 405; only the people who edit the library get the preview (an empty one).
    "education:draft_preview": Rule(
        matrix((NOT_ALLOWED, NOT_FOUND), anonymous=(LOGIN, LOGIN), erin=(NOT_ALLOWED, OK))
    ),
}


# The admin: anybody but staff is sent to the admin's login; erin is staff with the education
# app's permissions only. Every admin pattern is checked, each model's with a real object.


def admin_page(erin: Expect) -> Rule:
    return Rule(matrix((ADMIN_LOGIN, None), erin=(erin, None)))


ADMIN_SITE_RULES: dict[str, Rule] = {
    "admin:index": admin_page(OK),
    "admin:login": Rule(matrix((OK, None), erin=(goes_to("admin:index"), None))),
    # Without staff rights the admin's logout sends a person to the admin index (and so on to
    # its login) without logging them out; erin's logout is POST only, like the site's.
    "admin:logout": Rule(
        matrix(
            (goes_to("admin:index"), goes_to("admin:index")),
            erin=(NOT_ALLOWED, goes_to("home")),
        )
    ),
    "admin:password_change": admin_page(OK),
    "admin:password_change_done": admin_page(OK),
    # Asked without naming a model and field, autocomplete refuses.
    "admin:autocomplete": admin_page(FORBIDDEN),
    "admin:jsi18n": admin_page(OK),
    # Filled with an article: it leads to the article's public page.
    "admin:view_on_site": admin_page(goes_to("education:article_detail")),
    "admin:auth_user_password_change": admin_page(FORBIDDEN),
    # The editorial pages (issue 19). Filled with the world's article and the revision erin
    # proposed of it: she may open it again, withdraw it and see the history, but only a
    # clinical reviewer may review it; a restore is refused while her revision waits.
    "admin:education_article_propose": Rule(
        matrix(
            (ADMIN_LOGIN, ADMIN_LOGIN),
            erin=(NOT_ALLOWED, goes_to("admin:education_articlerevision_change")),
        )
    ),
    "admin:education_article_unpublish": Rule(
        matrix(
            (ADMIN_LOGIN, ADMIN_LOGIN),
            erin=(NOT_ALLOWED, goes_to("admin:education_article_change")),
        )
    ),
    "admin:education_articlerevision_review": Rule(
        matrix((ADMIN_LOGIN, ADMIN_LOGIN), erin=(FORBIDDEN, FORBIDDEN))
    ),
    "admin:education_articlerevision_withdraw": Rule(
        matrix(
            (ADMIN_LOGIN, ADMIN_LOGIN),
            erin=(NOT_ALLOWED, goes_to("admin:education_article_change")),
        )
    ),
    "admin:education_articlerevision_restore": Rule(
        matrix(
            (ADMIN_LOGIN, ADMIN_LOGIN),
            erin=(NOT_ALLOWED, goes_to("admin:education_article_history")),
        )
    ),
}
ADMIN_PREFIX = reverse("admin:index").lstrip("/")
ADMIN_CATCH_ALL = f"{ADMIN_PREFIX}(?P<url>.*)$"
ADMIN_SITE_RULES[ADMIN_CATCH_ALL] = admin_page(NOT_FOUND)


@dataclass(frozen=True)
class AdminModel:
    editor_may_manage: bool
    instance: Callable[["World"], Model]


# Every model registered in the admin, whether the content editor may manage it, and the real
# object its change, delete and history pages are opened with.
ADMIN_MODELS: dict[str, AdminModel] = {
    "auth.group": AdminModel(False, lambda world: Group.objects.get(name=CLINICIANS)),
    "accounts.user": AdminModel(False, lambda world: world.users["alice"]),
    # What each person agreed to (issue 19): read-only evidence, behind view_health_data.
    "accounts.consent": AdminModel(
        False, lambda world: Consent.objects.filter(user=world.users["alice"]).first()
    ),
    "education.article": AdminModel(True, lambda world: world.article),
    # The article is overdue for review, so this proxy's list holds it too.
    "education.articledueforreview": AdminModel(True, lambda world: world.article),
    # erin's proposed change to the article (issue 19).
    "education.articlerevision": AdminModel(
        True, lambda world: ArticleRevision.objects.get(article=world.article)
    ),
    "clinic.auditevent": AdminModel(False, lambda world: world.audit_event),
    "clinic.share": AdminModel(False, lambda world: world.share),
    "clinic.clinicianprofile": AdminModel(
        False, lambda world: world.users["bob"].clinician_profile
    ),
    # django-allauth: e-mail addresses, second factors and signed-in sessions (with addresses).
    "account.emailaddress": AdminModel(
        False, lambda world: EmailAddress.objects.get(user=world.users["alice"])
    ),
    "mfa.authenticator": AdminModel(
        False, lambda world: Authenticator.objects.filter(user=world.users["bob"]).first()
    ),
    "usersessions.usersession": AdminModel(
        False, lambda world: UserSession.objects.get(user=world.users["alice"])
    ),
    # What was sent (issue 18): staff who manage accounts only.
    "notifications.delivery": AdminModel(
        False, lambda world: Delivery.objects.get(recipient=world.users["alice"])
    ),
}
MODEL_ADMIN_VIEWS = ("changelist", "add", "change", "delete", "history", "simple_history")


def _model_admin_keys() -> dict[str, tuple[str, str]]:
    """Map each model admin pattern's key to (model label, view)."""
    keys = {}
    for label in ADMIN_MODELS:
        app_label, model_name = label.split(".")
        for view in MODEL_ADMIN_VIEWS:
            keys[f"admin:{app_label}_{model_name}_{view}"] = (label, view)
        # The unnamed pattern that sends an old-style object URL on to the change page.
        keys[f"{ADMIN_PREFIX}{app_label}/{model_name}/<path:object_id>/"] = (label, "redirect")
    return keys


MODEL_ADMIN_KEYS = _model_admin_keys()


def model_admin_rule(label: str, view: str) -> Rule:
    app_label, model_name = label.split(".")
    if view == "redirect":
        # The redirect itself checks nothing; the change page it leads to does.
        return admin_page(goes_to(f"admin:{app_label}_{model_name}_change"))
    if label == "education.articledueforreview" and view in {"history", "simple_history"}:
        # The overdue list is a view of Article; its history lives on Article's own pages.
        return admin_page(goes_to(f"admin:education_article_{view}"))
    if label == "education.articledueforreview" and view == "change":
        # Its rows open on the article's own page, which has the editorial buttons.
        return admin_page(goes_to("admin:education_article_change"))
    if label == "education.articledueforreview" and view == "add":
        # New articles are added from the article list; this one only lists overdue ones.
        return admin_page(FORBIDDEN)
    if label == "education.articlerevision" and view in {"add", "delete"}:
        # A revision starts from its article's page and is never deleted (the history is kept).
        return admin_page(FORBIDDEN)
    return admin_page(OK if ADMIN_MODELS[label].editor_may_manage else FORBIDDEN)


def app_index_rule(app_label: str) -> Rule:
    # An app index lists only the models one may see; with none it does not exist.
    editor_apps = {label.split(".")[0] for label, m in ADMIN_MODELS.items() if m.editor_may_manage}
    return admin_page(OK if app_label in editor_apps else NOT_FOUND)


# The data every case runs against


@dataclass
class World:
    users: dict[str, User]
    episode: Episode
    drink: Drink
    red_flag: RedFlagAnswer
    share: Share
    article: Article
    audit_event: AuditEvent


def build_world() -> World:
    """Make the personas with tests.conftest.make_user, approve the clinicians, add alice's data."""
    alice, charlie, erin = (
        make_user("alice"),
        make_user("charlie"),
        make_user("erin", groups=(CONTENT_EDITORS,), is_staff=True),
    )
    bob, dana, rita = make_user("bob"), make_user("dana"), make_user("rita")
    for clinician in (bob, dana, rita):
        approve_clinician(user=clinician)
        give_totp(clinician)  # production requires it of clinicians
    now = timezone.now()
    day = timezone.localdate() - datetime.timedelta(days=2)
    # Logged through the services, like everything she logs: they store her status with it.
    episode = log_episode(
        alice,
        start=now - datetime.timedelta(days=2),
        severity=4,
        notes=SECRET,
        red_flags=[sorted(RED_FLAGS_BY_CODE)[0]],
    )
    # Made now, as her first visit would: a clinician's page would otherwise create it.
    PatientProfile.objects.create(user=alice)
    drink = add_drink(alice, day=day, ml=250)
    take_medicine(alice, taken_at=now - datetime.timedelta(hours=3), side_effects=SECRET)
    check_in(alice, day=day, severity=4)
    red_flag = RedFlagAnswer.objects.get(patient=alice, episode=episode)
    # Shares made as the product makes them: asked for by alice, answered by the clinician.
    share = share_with(alice, bob)
    share_services.stop(share=share_with(alice, rita), now=now)
    share_request(alice, dana)
    audit_event = AuditEvent.objects.create(
        actor=bob, actor_name="bob", patient=alice, action=AuditEvent.Action.VIEW
    )
    # A message from bob (issue 20): its text is hers to read, nobody else's.
    ClinicianMessage.objects.create(
        patient=alice,
        clinician=bob,
        clinician_name="bob",
        text=SECRET,
        created_at=now,
        key=uuid.uuid4(),
    )
    # A session of alice's, as signing in records it (with the address it came from).
    UserSession.objects.create(
        user=alice, session_key="alice-session-key", ip="198.51.100.7", user_agent="test"
    )
    # A message queued for her (issue 18), for the admin's pages.
    Delivery.objects.create(
        recipient=alice,
        kind=Delivery.Kind.REMINDER,
        channel=Delivery.Channel.EMAIL,
        local_date=day,
        window=0,
        to=alice.email,
        subject="Your daily reminder",
    )
    article = make_article(
        slug="stretching-after-a-cramp",
        next_review_due=timezone.localdate() - datetime.timedelta(days=1),
    )
    education_services.propose(article=article, author=erin)
    users = {
        "alice": alice,
        "charlie": charlie,
        "dana": dana,
        "bob": bob,
        "rita": rita,
        "erin": erin,
    }
    return World(users, episode, drink, red_flag, share, article, audit_event)


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[World]:
    """Set the data up once for the module, like TestCase.setUpTestData.

    It lives in a transaction around the whole module, rolled back at its end; each test runs
    in a savepoint inside it, so what one test changes (alice ending her episode, revoking a
    share) is gone before the next. Made once, it keeps ~770 cases well inside the time budget.
    """
    with django_db_blocker.unblock():
        module_transaction = transaction.atomic()
        module_transaction.__enter__()
    try:
        with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
            made = build_world()
        yield made
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            module_transaction.__exit__(None, None, None)


@pytest.fixture(scope="module")
def handler() -> ClientHandler:
    """Share one request handler: building one loads the middleware, and WhiteNoise's scan of
    the static files would otherwise be most of the run's time."""
    return Client().handler


def client_as(persona: str, world: World, handler: ClientHandler) -> Client:
    client = Client()
    client.handler = handler
    if persona != "anonymous":
        client.force_login(world.users[persona])
    return client


# Filling URL parameters with alice's records

Filler = Callable[[World], dict[str, object] | tuple[object, ...] | str]

PK_OWNERS: dict[str, Callable[[World], Model]] = {
    "tracker:episode_detail": lambda world: world.episode,
    "tracker:episode_edit": lambda world: world.episode,
    "tracker:episode_end": lambda world: world.episode,
    "tracker:episode_delete": lambda world: world.episode,
    "tracker:drink_edit": lambda world: world.drink,
    "tracker:drink_delete": lambda world: world.drink,
    "tracker:report_link_revoke": lambda world: alices_report_link(world),
    "tracker:medicine_edit": lambda world: MedicineDose.objects.get(patient=world.users["alice"]),
    "tracker:medicine_delete": lambda world: MedicineDose.objects.get(patient=world.users["alice"]),
    "clinic:share_revoke": lambda world: world.share,
    "clinic:message_read": lambda world: ClinicianMessage.objects.get(patient=world.users["alice"]),
    "clinic:request_accept": lambda world: world.share,
    "clinic:request_decline": lambda world: world.share,
    "mfa_remove_webauthn": lambda world: Authenticator.objects.get(user=world.users["bob"]),
    "mfa_edit_webauthn": lambda world: Authenticator.objects.get(user=world.users["bob"]),
}
# URLs with more than a pk: the notes step holds alice's note, so a POST that got through
# would change it.
SITE_FILLERS: dict[str, Filler] = {
    "report_shared": lambda world: {"token": GUESSED_TOKEN},
    "report_shared_pdf": lambda world: {"token": GUESSED_TOKEN},
    "tracker:episode_step": lambda world: {"pk": world.episode.pk, "step": "notes"},
    "tracker:reminder_stop": lambda world: {
        "topic": "daily",
        "token": stop_token(person_id=world.users["alice"].pk, topic="daily"),
    },
    "clinic:notice_stop": lambda world: {
        "token": stop_token(person_id=world.users["bob"].pk, topic="clinician_notice"),
    },
}
GUESSED_TOKEN = "x" * 43


def alices_report_link(world: World) -> ReportLink:
    """Return a working report link of alice's (made on first use, inside the case)."""
    link = ReportLink.objects.filter(patient=world.users["alice"]).first()
    if link is None:
        today = timezone.localdate()
        link, _token = report_links.create_link(
            patient=world.users["alice"], since=today, until=today, now=timezone.now()
        )
    return link


# Parameters whose meaning does not depend on the URL.
PARAMETERS: dict[tuple[str, ...], Filler] = {
    ("patient_id",): lambda world: {"patient_id": world.users["alice"].pk},
    ("day",): lambda world: {"day": world.drink.day},
    ("slug",): lambda world: {"slug": world.article.slug},
    ("category",): lambda world: {"category": world.article.category},
}
ADMIN_FILLERS: dict[str, Filler] = {
    "admin:auth_user_password_change": lambda world: {"id": world.users["alice"].pk},
    "admin:view_on_site": lambda world: {
        "content_type_id": ContentType.objects.get_for_model(Article).pk,
        "object_id": world.article.pk,
    },
    ADMIN_CATCH_ALL: lambda world: f"/{ADMIN_PREFIX}no-such-page/",
    "admin:education_article_propose": lambda world: {"object_id": world.article.pk},
    "admin:education_article_unpublish": lambda world: {"object_id": world.article.pk},
    **{
        f"admin:education_articlerevision_{view}": lambda world: {
            "object_id": ArticleRevision.objects.get(article=world.article).pk
        }
        for view in ("review", "withdraw", "restore")
    },
}


def model_admin_filler(label: str, view: str) -> Filler:
    def fill(world: World) -> dict[str, object] | tuple[object, ...]:
        instance = ADMIN_MODELS[label].instance(world)
        if view == "simple_history":
            # A regex with two unnamed groups: the object and one of its recorded versions.
            return (instance.pk, world.article.history.latest().history_id)
        return {"object_id": instance.pk}

    return fill


# Discovering the URLs


@dataclass(frozen=True)
class Found:
    """One URL pattern of the site, as found by walking the resolver."""

    key: str  # "namespace:name", or the full route when the pattern has no name
    route: str
    named: bool
    params: tuple[str, ...]
    positional: int
    routes_only: bool


def _walk(resolver: URLResolver, prefix: str, namespace: str, routes_only: bool) -> Iterator[Found]:
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        plain = routes_only and isinstance(entry.pattern, RoutePattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, (namespace, entry.namespace)))
            yield from _walk(entry, route, inner, plain)
            continue
        regex = entry.pattern.regex
        params = tuple(regex.groupindex)
        name = ":".join(filter(None, (namespace, entry.name))) if entry.name else ""
        yield Found(
            key=name or route,
            route=route,
            named=bool(name),
            params=params,
            positional=regex.groups - len(params),
            routes_only=plain,
        )


FOUND = list(_walk(get_resolver(), "", "", True))


@dataclass(frozen=True)
class Case:
    found: Found
    variant: str = ""
    rule: Rule | None = None
    fill: Filler | None = None
    problem: str = ""

    @property
    def id(self) -> str:
        return f"{self.found.key}({self.variant})" if self.variant else self.found.key

    def url(self, world: World) -> str:
        values = self.fill(world) if self.fill else {}
        if isinstance(values, str):
            return values
        if self.found.named:
            if isinstance(values, tuple):
                return reverse(self.found.key, args=values)
            return reverse(self.found.key, kwargs=values)
        # An unnamed path() pattern: put the values in its route.
        return "/" + re.sub(
            r"<(?:\w+:)?(\w+)>", lambda match: str(values[match.group(1)]), self.found.route
        )


def _filler(found: Found) -> Filler | None:
    if found.key in PK_OWNERS and "<int:pk>" in found.route:
        # The pk may sit in an include's prefix (allauth's passkey pages), not in the pattern.
        owner = PK_OWNERS[found.key]
        return lambda world: {"pk": owner(world).pk}
    if not found.params and not found.positional:
        return None
    if found.key in SITE_FILLERS:
        return SITE_FILLERS[found.key]
    if found.key in MODEL_ADMIN_KEYS:
        return model_admin_filler(*MODEL_ADMIN_KEYS[found.key])
    if found.key in ADMIN_FILLERS:
        return ADMIN_FILLERS[found.key]
    return PARAMETERS.get(found.params) if not found.positional else None


def _cases(found: Found) -> list[Case]:
    """Classify and fill one pattern; what cannot be is a case that fails, naming the pattern."""
    where = f"URL pattern {found.route!r} (key {found.key!r})"
    if found.key == "admin:app_list":
        labels = sorted({label.split(".")[0] for label in ADMIN_MODELS})
        return [
            Case(
                found, label, app_index_rule(label), lambda world, label=label: {"app_label": label}
            )
            for label in labels
        ]
    if found.key in MODEL_ADMIN_KEYS:
        rule = model_admin_rule(*MODEL_ADMIN_KEYS[found.key])
    else:
        rule = (
            SITE_RULES.get(found.key)
            or ACCOUNT_RULES.get(found.key)
            or ADMIN_SITE_RULES.get(found.key)
        )
    if rule is None:
        return [Case(found, problem=f"{where} is not classified: add it to this file's rules")]
    fill = _filler(found)
    if (found.params or found.positional) and fill is None:
        problem = f"{where} has parameters {found.params} ({found.positional} positional) "
        return [Case(found, problem=problem + "that this file does not know how to fill")]
    if not found.named and not found.routes_only and found.key not in ADMIN_FILLERS:
        return [Case(found, problem=f"{where} is an unnamed regex: give it a URL in this file")]
    return [Case(found, rule=rule, fill=fill)]


CASES = [case for found in FOUND for case in _cases(found)]


# Checks run on every response


def content(response: HttpResponse) -> bytes:
    """Return the body, with a zip file's members unpacked so their text can be searched."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return b"".join(archive.read(name) for name in archive.namelist())
    return body


# What a recomputation of a stored status sets even when the assessment comes out the same.
RECOMPUTED = ("computed_at", "valid_until")
STATUS_FIELDS = ("urgency", "data", "version", "last_logged_at", "time_zone", *RECOMPUTED)


def alices_records(alice: User, *, recompute_allowed: bool = False) -> dict[str, list]:
    """Return what only alice may change: her records, shares, settings and account, and her
    stored status.

    Only bob, whom she shares with, may make the portal recompute her status (reading it when
    time has made it stale, marking a flag as seen); the assessment itself must come out the
    same. Nobody else's request may write it at all.
    """
    fields = [f for f in STATUS_FIELDS if not (recompute_allowed and f in RECOMPUTED)]
    return {
        "status": list(PatientStatus.objects.filter(patient=alice).values(*fields)),
        "episodes": list(
            Episode.objects.filter(patient=alice)
            .order_by("pk")
            .values("pk", "started_at", "ended_at", "severity", "notes")
        ),
        "drinks": list(Drink.objects.filter(patient=alice).order_by("pk").values()),
        "medicine doses": list(MedicineDose.objects.filter(patient=alice).order_by("pk").values()),
        "checkins": list(CheckIn.objects.filter(patient=alice).order_by("pk").values()),
        "red_flags": list(
            RedFlagAnswer.objects.filter(patient=alice).order_by("pk").values("pk", "code")
        ),
        "hydration_days": list(HydrationDay.objects.filter(patient=alice).values()),
        "shares": list(Share.objects.filter(patient=alice).order_by("pk").values()),
        "profile": list(PatientProfile.objects.filter(user=alice).values()),
        "account": list(User.objects.filter(pk=alice.pk).values("password", "email", "is_active")),
    }


def clinician_writes() -> dict[str, int]:
    """Count what a clinician's actions write (a new code replaces one; it adds no profile)."""
    return {
        "audit events": AuditEvent.objects.count(),
        "clinician notes": ClinicianNote.objects.count(),
        "acknowledgements": Acknowledgement.objects.count(),
        "messages to patients": ClinicianMessage.objects.count(),
        "clinician profiles": ClinicianProfile.objects.count(),
    }


def check_outcome(response: HttpResponse, expect: Expect, where: str, url: str) -> None:
    location = response.get("Location", "")
    assert response.status_code == expect.status, (
        f"{where}: expected {expect}, got {response.status_code} {location}".rstrip()
    )
    if not expect.to:
        return
    if expect.to.startswith("/"):
        assert location.startswith(expect.to), f"{where}: redirected to {location}"
        return
    parts = urlsplit(location)
    assert resolve(parts.path).view_name == expect.to, f"{where}: redirected to {location}"
    if expect in (LOGIN, ADMIN_LOGIN):
        assert parse_qs(parts.query).get("next") == [url], f"{where}: redirected to {location}"


def refused(expect: Expect) -> bool:
    return expect.status >= 400 or expect in (LOGIN, ADMIN_LOGIN)


@pytest.mark.parametrize(
    ("case", "persona"),
    [
        pytest.param(case, persona, id=f"{case.id}-{persona}")
        for case in CASES
        for persona in PERSONAS
    ],
)
def test_each_persona_gets_what_the_matrix_says(
    case: Case, persona: str, world: World, handler: ClientHandler
) -> None:
    if case.problem:
        pytest.fail(case.problem)
    url = case.url(world)
    get, post = case.rule.outcomes[persona]
    client = client_as(persona, world, handler)
    alice = world.users["alice"]
    recompute_allowed = persona == "bob"
    records_before = alices_records(alice, recompute_allowed=recompute_allowed)
    writes_before = clinician_writes()
    assert records_before["status"], "alice's logging stored her status"

    requests = [("GET", get, lambda: client.get(url))]
    if post is not None:
        # A refused POST carries plausible data, so a missing check would have something to do.
        data = {}
        if refused(post):
            data = {
                "severity": "9",
                "amount_ml": "1",
                "name": "Written by someone else",
                "dose": "1",
                "unit": "mg",
                "day": world.drink.day.isoformat(),
                "text": "Written by someone else",
                "notes": "Written by someone else",
                "red_flag": str(world.red_flag.pk),
                "complete": "1",
            }
        requests.append(("POST", post, lambda: client.post(url, data)))
    bob_sees_alice = persona == "bob" and case.rule.bob_sees_alice
    for method, expect, send in requests:
        where = f"{method} {url} ({case.id}) as {persona}"
        response = send()
        check_outcome(response, expect, where, url)
        if persona != "alice" and not bob_sees_alice:
            assert SECRET.encode() not in content(response), f"{where}: shows alice's note"
        # Nothing shown to a logged-in person, and no page with health data on it, may be kept
        # by the browser or a proxy.
        if response.status_code == 200 and (
            persona != "anonymous" or SECRET.encode() in content(response)
        ):
            assert "no-store" in response.get("Cache-Control", ""), f"{where}: may be cached"

    if persona != "alice":
        after = alices_records(alice, recompute_allowed=recompute_allowed)
        assert after == records_before, f"{case.id} as {persona}: changed alice"
    if not bob_sees_alice:
        assert clinician_writes() == writes_before, f"{case.id} as {persona}: wrote a record"


# The matrix itself


def test_every_url_is_classified_and_filled() -> None:
    problems = [case.problem for case in CASES if case.problem]
    assert not problems, "\n".join(problems)


def test_the_walk_finds_the_whole_site() -> None:
    keys = {found.key for found in FOUND}
    assert len(keys) == len(FOUND), "two patterns share a key; tell them apart in this file"
    assert {"home", "tracker:episode_detail", "clinic:patient_detail", "admin:index"} <= keys
    assert {"education:article_detail", "admin:clinic_share_change", ADMIN_CATCH_ALL} <= keys


def test_no_rule_names_a_url_that_is_gone() -> None:
    keys = {found.key for found in FOUND}
    named = (
        set(SITE_RULES)
        | set(ADMIN_SITE_RULES)
        | set(ACCOUNT_RULES)
        | set(PK_OWNERS)
        | set(SITE_FILLERS)
        | set(ADMIN_FILLERS)
    )
    assert named - keys == set()
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered == set(ADMIN_MODELS)


def test_alices_note_is_on_her_own_pages_so_its_absence_elsewhere_means_something(
    world: World,
) -> None:
    client = client_for(world.users["alice"])
    for url in (
        reverse("tracker:episode_detail", kwargs={"pk": world.episode.pk}),
        reverse("tracker:export_json"),
        reverse("tracker:export_csv"),
    ):
        assert SECRET.encode() in content(client.get(url)), url
