"""The records the property tests aim at: alice's, charlie's (never to be touched) and a share.

Everything a page would otherwise create on first visit (alice's tracker profile and stored
status, bob's share code and status) exists beforehand, so any change a request makes is the
request's own. Records are made through tracker.services, as the portal makes them.
"""

import datetime

import pytest
from django.test import Client
from django.test.client import ClientHandler
from django.utils import timezone

from accounts.models import User
from clinic.access import approve_clinician
from tests.factories import add_drink, log_episode, share
from tracker import services
from tracker.assessment import assess
from tracker.dashboard import patient_profile
from tracker.models import Episode, PatientStatus


def make_episode(patient: User, *, hours_ago: int = 30, ongoing: bool = False) -> Episode:
    """Log an episode that started hours ago and lasted an hour (or is still going)."""
    started = timezone.now() - datetime.timedelta(hours=hours_ago)
    return log_episode(
        patient,
        start=started,
        end=None if ongoing else started + datetime.timedelta(hours=1),
        severity=4,
        notes="Lifting boxes.",
    )


def store_status(user: User) -> None:
    """Store the person's current status now, as their first page would."""
    services.refresh_stale([user], now=timezone.now())


def assert_status_matches_log(patient: User) -> None:
    """Check that the patient's stored status is current and is the assessment of their log."""
    now = timezone.now()
    patient = User.objects.get(pk=patient.pk)
    row = PatientStatus.objects.get(patient=patient)
    facts = services.load_facts([patient], now=now)[patient.pk]
    expected = assess(facts, now=now, zone=patient.zone)
    assert not row.is_stale(now=now, time_zone=patient.time_zone)
    assert (row.urgency, row.data) == (int(expected.urgency), expected.to_json())


@pytest.fixture(scope="session")
def handler() -> ClientHandler:
    """Build the request handler once for the run, and share it between test clients.

    Each new handler makes WhiteNoise read every static file, a quarter of a second that every
    test's clients would otherwise spend again. It keeps no per-client state (cookies live on
    the client), and like Client() it does not enforce CSRF.
    """
    built = ClientHandler(enforce_csrf_checks=False)
    built.load_middleware()
    return built


def client_with(handler: ClientHandler, user: User | None = None) -> Client:
    """Return a test client on the shared handler, signed in as `user` if one is given."""
    client = Client()
    client.handler = handler
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def anonymous_client(handler: ClientHandler) -> Client:
    return client_with(handler)


@pytest.fixture
def patient(alice: User) -> User:
    """Return alice with her tracker profile and stored status already made."""
    patient_profile(alice)
    store_status(alice)
    return alice


@pytest.fixture
def patient_client(handler: ClientHandler, patient: User) -> Client:
    return client_with(handler, patient)


@pytest.fixture
def others_records(charlie: User) -> dict[str, int]:
    """Give charlie an episode and a drink; return their ids."""
    patient_profile(charlie)
    return {
        "episode": make_episode(charlie).pk,
        "drink": add_drink(charlie, day=timezone.localdate(), ml=250).pk,
    }


@pytest.fixture
def clinician(patient: User, bob: User) -> User:
    """Return bob, a clinician alice shares her log with, his share code and status already
    made (every signed-in person's pages read their own status, for the red-flag banner)."""
    approve_clinician(user=bob)
    share(patient, bob)
    store_status(bob)
    return bob


@pytest.fixture
def clinician_client(handler: ClientHandler, clinician: User) -> Client:
    return client_with(handler, clinician)
