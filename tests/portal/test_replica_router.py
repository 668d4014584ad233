"""The read replica's rules, one by one (portal/replica.py); tests/ops/test_replica.py runs them
on a real primary and replica."""

import logging
import runpy
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.db import OperationalError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings

from accounts.models import User
from portal import replica
from portal.checks import replica_problems
from portal.replica import PIN_COOKIE, PRIMARY, REPLICA, PrimaryReplicaRouter
from tracker.models import Episode

SETTINGS = Path(replica.__file__).with_name("settings.py")
router = PrimaryReplicaRouter()


def settings_with(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict:
    monkeypatch.delenv("DATABASE_REPLICA_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_without_a_replica_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_with(monkeypatch)
    assert set(settings["DATABASES"]) == {"default"}
    assert settings["DATABASE_ROUTERS"] == []
    assert not any("replica" in name for name in settings["MIDDLEWARE"])


def test_a_replica_url_adds_the_database_the_router_and_the_middleware(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings_with(
        monkeypatch,
        DATABASE_URL="postgres://portal@primary.internal:5432/portal",
        DATABASE_REPLICA_URL="postgres://portal@replica.internal:5432/portal",
    )
    database = settings["DATABASES"]["replica"]
    assert database["HOST"] == "replica.internal" and database["NAME"] == "portal"
    assert database["OPTIONS"]["connect_timeout"] == 2
    assert database["CONN_HEALTH_CHECKS"] is True
    assert settings["DATABASE_ROUTERS"] == ["portal.replica.PrimaryReplicaRouter"]
    assert settings["MIDDLEWARE"][0] == "portal.replica.ReplicaReadsMiddleware"


@pytest.fixture
def replica_well(monkeypatch: pytest.MonkeyPatch) -> Callable[[bool], None]:
    """Say whether the replica answers and is close enough behind (no real replica here)."""

    def well(answer: bool) -> None:
        monkeypatch.setattr(replica, "replica_usable", lambda: answer)
        monkeypatch.setattr(replica, "connects", lambda: True)

    well(True)
    return well


def serve(request: HttpRequest, view: Callable[[], object]) -> tuple[HttpResponse, object]:
    """Run the view through the middleware; return the response and what the view returned."""
    seen: list[object] = []

    def get_response(request: HttpRequest) -> HttpResponse:
        seen.append(view())
        return HttpResponse("ok")

    response = replica.ReplicaReadsMiddleware(get_response)(request)
    return response, seen[0]


def read_from() -> str:
    return router.db_for_read(Episode)


def test_outside_a_request_everything_reads_the_primary(replica_well: object) -> None:
    assert router.db_for_read(Episode) == PRIMARY
    assert router.db_for_write(Episode) == PRIMARY


def test_a_get_reads_the_replica(rf: RequestFactory, replica_well: object) -> None:
    response, where = serve(rf.get("/tracker/"), read_from)
    assert where == REPLICA
    assert PIN_COOKIE not in response.cookies


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_request_that_may_write_reads_the_primary_and_pins(
    rf: RequestFactory, replica_well: object, method: str
) -> None:
    response, where = serve(getattr(rf, method)("/tracker/drinks/add/"), read_from)
    assert where == PRIMARY
    cookie = response.cookies[PIN_COOKIE]
    assert cookie["max-age"] == 10 and cookie["httponly"] and cookie["samesite"] == "Lax"


def test_a_get_that_writes_reads_the_primary_from_then_on(
    rf: RequestFactory, replica_well: object
) -> None:
    def view() -> tuple[str, str, str]:
        before = read_from()
        router.db_for_write(Episode)  # an audit row, say
        return before, read_from(), read_from()

    response, where = serve(rf.get("/clinic/patients/1/"), view)
    assert where == (REPLICA, PRIMARY, PRIMARY)
    # Only forms pin the next pages: a clinician's every page writes to the audit trail.
    assert PIN_COOKIE not in response.cookies


def test_a_pinned_person_reads_the_primary_until_the_pin_ends(
    rf: RequestFactory, replica_well: object
) -> None:
    request = rf.get("/tracker/")
    request.COOKIES[PIN_COOKIE] = str(time.time() + 5)
    assert serve(request, read_from)[1] == PRIMARY
    request.COOKIES[PIN_COOKIE] = str(time.time() - 1)  # ended
    assert serve(request, read_from)[1] == REPLICA
    request.COOKIES[PIN_COOKIE] = "soon"  # not ours: the safe side
    assert serve(request, read_from)[1] == PRIMARY


def test_sessions_always_read_the_primary(rf: RequestFactory, replica_well: object) -> None:
    assert serve(rf.get("/"), lambda: router.db_for_read(Session))[1] == PRIMARY
    assert serve(rf.get("/"), lambda: router.db_for_read(User))[1] == REPLICA


def test_a_transaction_reads_the_primary(
    rf: RequestFactory, replica_well: object, django_db_blocker: Any
) -> None:
    def view() -> tuple[str, str, str]:
        before = read_from()
        with transaction.atomic():
            inside = read_from()
        return before, inside, read_from()

    # Outside any test transaction (nothing is written): outside a block, reads go to the replica.
    with django_db_blocker.unblock():
        assert serve(rf.get("/articles/"), view)[1] == (REPLICA, PRIMARY, REPLICA)


def test_a_replica_out_of_use_sends_reads_to_the_primary(
    rf: RequestFactory, replica_well: Callable[[bool], None]
) -> None:
    replica_well(False)
    assert serve(rf.get("/tracker/"), read_from)[1] == PRIMARY


def test_the_decision_is_made_once_a_request(
    rf: RequestFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []
    monkeypatch.setattr(replica, "replica_usable", lambda: asked.append(1) or True)
    monkeypatch.setattr(replica, "connects", lambda: True)
    serve(rf.get("/tracker/"), lambda: [read_from() for _ in range(5)])
    assert len(asked) == 1


@pytest.fixture
def fresh_health(monkeypatch: pytest.MonkeyPatch) -> Iterator[replica.Health]:
    health = replica.Health()
    monkeypatch.setattr(replica, "health", health)
    yield health


def test_the_replica_is_measured_at_most_every_check_seconds(
    monkeypatch: pytest.MonkeyPatch, fresh_health: replica.Health, caplog: pytest.LogCaptureFixture
) -> None:
    answers = iter([(True, "ok", 0.2), (False, "7.0 s behind", 7.0), (True, "ok", 0.0)])
    monkeypatch.setattr(replica, "measure", lambda: next(answers))
    clock = [100.0]
    with caplog.at_level(logging.INFO, logger="portal.replica"):
        assert replica.replica_usable(now=lambda: clock[0])
        clock[0] += 0.5
        assert replica.replica_usable(now=lambda: clock[0])  # not measured again yet
        clock[0] += 0.6
        assert not replica.replica_usable(now=lambda: clock[0])
        assert fresh_health.reason == "7.0 s behind" and fresh_health.lag == 7.0
        replica.check_again()
        assert replica.replica_usable(now=lambda: clock[0])
    assert [r.getMessage() for r in caplog.records] == [
        "Read replica in use: ok",
        "Read replica out of use: 7.0 s behind",
        "Read replica in use: ok",
    ]


def test_a_replica_that_does_not_connect_is_left_alone_until_the_next_check(
    monkeypatch: pytest.MonkeyPatch, fresh_health: replica.Health
) -> None:
    class Refusing:
        closed = False

        def close_if_health_check_failed(self) -> None:
            pass

        def ensure_connection(self) -> None:
            raise OperationalError("connection refused")

        def close(self) -> None:
            self.closed = True

    refusing = Refusing()
    monkeypatch.setattr(replica, "connections", {REPLICA: refusing, PRIMARY: connection})
    fresh_health.usable = True
    assert not replica.connects(now=lambda: 50.0)
    assert refusing.closed
    assert (fresh_health.usable, fresh_health.reason, fresh_health.checked_at) == (
        False,
        "down",
        50.0,
    )


def test_a_database_error_on_the_replica_has_it_measured_again(
    rf: RequestFactory, replica_well: object, fresh_health: replica.Health
) -> None:
    fresh_health.checked_at = 10.0
    middleware = replica.ReplicaReadsMiddleware(lambda request: HttpResponse())

    def view(request: HttpRequest) -> HttpResponse:
        read_from()
        middleware.process_exception(request, OperationalError("server closed the connection"))
        return HttpResponse()

    middleware.get_response = view
    middleware(rf.get("/tracker/"))
    assert fresh_health.checked_at == float("-inf")


@pytest.mark.postgresql
@pytest.mark.django_db
def test_a_server_that_is_not_a_standby_is_not_used_as_one() -> None:
    # The test database is a primary: a promoted replica, or a wrong URL, looks like this.
    assert replica.measure(PRIMARY) == (False, "not a standby", None)


def test_the_router_relates_rows_of_either_database_and_migrates_only_the_primary() -> None:
    on_primary, on_replica = Episode(), Episode()
    on_replica._state.db = REPLICA
    on_primary._state.db = PRIMARY
    assert router.allow_relation(on_primary, on_replica) is True
    assert router.allow_migrate(PRIMARY, "tracker") is True
    assert router.allow_migrate(REPLICA, "tracker") is False


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_settings_that_could_hide_a_write_are_refused() -> None:
    with override_settings(DATABASE_REPLICA_URL=""):
        assert replica_problems() == []
    databases = {
        "default": {"ENGINE": "django.db.backends.postgresql"},
        "replica": {"ENGINE": "django.db.backends.postgresql"},
    }
    with override_settings(
        DATABASE_REPLICA_URL="postgres://replica/portal",
        DATABASES=databases,
        DATABASE_REPLICA_PIN_SECONDS=10,
        DATABASE_REPLICA_MAX_LAG=5,
        DATABASE_REPLICA_CHECK_SECONDS=1,
    ):
        assert replica_problems() == []
    with override_settings(
        DATABASE_REPLICA_URL="postgres://replica/portal",
        DATABASES={**databases, "replica": {"ENGINE": "django.db.backends.sqlite3"}},
        DATABASE_REPLICA_PIN_SECONDS=3,
        DATABASE_REPLICA_MAX_LAG=5,
        DATABASE_REPLICA_CHECK_SECONDS=1,
    ):
        problems = replica_problems()
    assert len(problems) == 2
    assert "the replica database is not" in problems[0]
    assert "PIN_SECONDS (3) is shorter" in problems[1]


@pytest.mark.django_db
def test_an_existing_clinicians_profile_is_read_as_a_read_not_a_write(
    bob: User, replica_well: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """get_or_create reads as a write does, which would send the rest of the clinician's
    page to the primary; a profile that exists is read with a plain read."""
    from clinic.access import clinician_profile

    made = clinician_profile(clinician=bob)
    monkeypatch.setattr(replica, "REPLICA", PRIMARY)  # the tests have one database
    reads = replica.Reads(replica_allowed=True)
    token = replica._reads.set(reads)
    try:
        with override_settings(DATABASE_ROUTERS=["portal.replica.PrimaryReplicaRouter"]):
            assert clinician_profile(clinician=bob) == made
    finally:
        replica._reads.reset(token)
    assert reads.replica_allowed
