"""Shared fixtures: the personas of every test, and the rules of the test run itself.

alice: a patient; charlie: another patient, who must never see alice's data; bob: a clinician
alice shares with (from issue 4 on); dana: a clinician she does not share with; erin: a content
editor; rhys: a clinical reviewer, who approves what editors write (issue 19); anonymous: the
test client with nobody logged in.
"""

import datetime
import os

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import CLINICAL_REVIEWERS, CLINICIANS, CONTENT_EDITORS
from accounts.second_factor import current_code, give_totp
from education.library import load_library
from education.models import Article, Category, ExerciseStep, Source
from notifications import services as notification_services
from portal import celery_app
from tests.factories import agree_to_current_texts

PASSWORD = "a-long-test-password-42"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Stop at once if CI asked for PostgreSQL and the run would use something else."""
    expected = os.environ.get("PORTAL_EXPECT_DATABASE")
    if expected:
        from django.conf import settings

        engine = settings.DATABASES["default"]["ENGINE"]
        if expected not in engine:
            pytest.exit(f"PORTAL_EXPECT_DATABASE={expected} but the engine is {engine}", 1)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the PostgreSQL run if any test was skipped: there, every test must really run."""
    if not os.environ.get("PORTAL_EXPECT_DATABASE"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        session.exitstatus = 1
        if reporter:
            reporter.write_line(f"FAILED: {skipped} test(s) skipped in the PostgreSQL run")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip PostgreSQL-only tests on other databases (CI's PostgreSQL run refuses skips), and
    run the browser journeys last: they commit and flush for real, and are the slowest."""
    for item in items:
        if item.get_closest_marker("postgresql") and connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL"))
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


@pytest.fixture
def midday(monkeypatch) -> datetime.datetime:
    """Pin the clock at 12:00 UTC today, so "an episode at 09:00 today" is always in the past."""
    pinned = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: pinned)
    return pinned


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Hash test passwords cheaply: production's slow hasher would dominate the run's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Tasks run in the test's own process and transaction (a worker would not see its rows); one
# test sends through a real worker on Redis (tests/notifications/test_worker.py).
celery_app.conf.task_always_eager = True
celery_app.conf.task_eager_propagates = True


def _commits_for_real(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return (
        bool(marker and marker.kwargs.get("transaction"))
        or "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
    )


@pytest.fixture(autouse=True)
def send_at_once(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hand queued messages to the (eager) worker at once: a test's transaction never commits,
    so what waits for the commit would never go. Tests that commit for real keep the wait."""
    if not _commits_for_real(request):
        monkeypatch.setattr(notification_services, "after_commit", lambda callback: callback())


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Start every test with an empty cache: a page cached by one test must not serve another."""
    cache.clear()


# The date of birth every test patient gave at sign-up.
BIRTH_DATE = datetime.date(1980, 5, 17)


def make_user(username: str, *, groups: tuple[str, ...] = (), is_staff: bool = False) -> User:
    """Make an account as sign-up and staff would: a verified e-mail address; a patient's date
    of birth; for clinicians and staff, the second factor production requires of them."""
    user = User.objects.create_user(
        username=username,
        email=f"{username}@example.org",
        password=PASSWORD,
        is_staff=is_staff,
        date_of_birth=None if groups or is_staff else BIRTH_DATE,
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user.groups.set(Group.objects.filter(name__in=groups))
    if groups or is_staff:
        give_totp(user)
    agree_to_current_texts(user)
    return user


@pytest.fixture
def alice(db) -> User:
    return make_user("alice")


@pytest.fixture
def charlie(db) -> User:
    return make_user("charlie")


@pytest.fixture
def bob(db) -> User:
    return make_user("bob", groups=(CLINICIANS,))


@pytest.fixture
def dana(db) -> User:
    return make_user("dana", groups=(CLINICIANS,))


@pytest.fixture
def erin(db) -> User:
    return make_user("erin", groups=(CONTENT_EDITORS,), is_staff=True)


REVIEWER_ROLE = "Physiotherapist"


def make_reviewer(username: str = "rhys", *, first: str = "Rhys", last: str = "Reviewer") -> User:
    """Make a clinical reviewer: staff, in the reviewers' group, with a name readers see."""
    user = make_user(username, groups=(CLINICAL_REVIEWERS,), is_staff=True)
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])
    return user


@pytest.fixture
def rhys(db) -> User:
    """A clinical reviewer, the second person who approves what editors write (issue 19)."""
    return make_reviewer()


@pytest.fixture
def published_library(db) -> list[Article]:
    """Load education/content/ and approve it as a clinical reviewer, as `make run` does."""
    reviewer = make_reviewer("library-reviewer", first="Lee", last="Library")
    report = load_library(approve_as=reviewer, reviewer_role=REVIEWER_ROLE)
    assert not report.refused, report.refused
    return list(Article.objects.published())


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def anonymous() -> Client:
    return Client()


def make_article(
    *,
    slug: str,
    title: str | None = None,
    status: str = Article.Status.PUBLISHED,
    category: str = Category.CAUSES,
    summary: str = "A short summary.",
    body: str = "Some body text.",
    published_at: datetime.datetime | None = None,
    next_review_due: datetime.date | None = None,
    steps: tuple[str, ...] = (),
    starting_position: str = "",
) -> Article:
    today = timezone.localdate()
    if status == Article.Status.PUBLISHED and published_at is None:
        published_at = timezone.now() - datetime.timedelta(days=1)
    article = Article.objects.create(
        slug=slug,
        title=title or slug.replace("-", " ").capitalize(),
        status=status,
        category=category,
        summary=summary,
        body=body,
        published_at=published_at,
        reviewed_by="Test reviewer",
        last_reviewed=today - datetime.timedelta(days=30),
        next_review_due=next_review_due or today + datetime.timedelta(days=300),
        starting_position=starting_position,
    )
    for number, text in enumerate(steps, start=1):
        ExerciseStep.objects.create(article=article, position=number, instruction=text)
    Source.objects.create(article=article, title="A source", publisher="NHS", year=2023)
    return article


def log_in_with_form(
    client: Client,
    username: str,
    password: str = PASSWORD,
    *,
    next_url: str | None = None,
    address: str = "198.51.100.7",
):
    """Log in through the real pages, as a person does: the password form, then, for someone
    with a second factor, the code their authenticator app shows. Returns the last response."""
    data = {"login": username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    response = client.post(reverse("account_login"), data, REMOTE_ADDR=address)
    if response.status_code == 302 and response["Location"].startswith(reverse("mfa_authenticate")):
        secret = give_totp(User.objects.get(username=username))
        response = client.post(
            reverse("mfa_authenticate"), {"code": current_code(secret)}, REMOTE_ADDR=address
        )
    return response
