"""Reads from a read replica, writes to the primary (issue 21).

Set `DATABASE_REPLICA_URL` and settings.py adds the "replica" database, this router and
`ReplicaReadsMiddleware`; without it nothing here runs. The rules, safest first:

- Every write goes to the primary, and so does every read outside a web request (the worker,
  the scheduler, management commands): a task that reads and then writes must see the truth.
- A request may read from the replica only if its method is safe (GET, HEAD, OPTIONS), it
  carries no pin cookie, and it has not written yet: its first write (an audit row, a refreshed
  status) turns the rest of it over to the primary. A request that may write what the person
  then looks for (POST, PUT, PATCH, DELETE: every form) sets the pin cookie, so the same
  browser reads from the primary for `DATABASE_REPLICA_PIN_SECONDS` after it: a patient always
  sees the episode they just logged. (A GET's own writes do not pin the next pages: else every
  clinician, whose every page adds to the audit trail, would never read from the replica.)
- Sessions are always read from the primary: a sign-out takes effect on every server at once.
- Inside a transaction (`transaction.atomic()`), reads go to the primary too: a transaction
  reads what it and the primary hold. (Cached public pages do not wait on the replica either:
  for its lag after an editor's change they are served but not kept, education.pages.)
- The replica is used only while it answers and is no more than `DATABASE_REPLICA_MAX_LAG`
  seconds behind (measured on the replica at most every `DATABASE_REPLICA_CHECK_SECONDS`, per
  process). Down, lagging, cut off from its primary, or not a standby at all (a promoted one
  goes its own way): reads fall back to the primary until a later check finds it well again.
  The pin is longer than the lag allowed plus the time between checks, so a person's write is
  on the replica, or the replica is out of use, before their pin ends (checks.py says so).
"""

import dataclasses
import logging
import math
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)

PRIMARY = DEFAULT_DB_ALIAS
REPLICA = "replica"
PIN_COOKIE = "primary_reads"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Models whose staleness would matter for safety: a session ended on one server must be ended
# on all of them at once.
PRIMARY_ONLY = frozenset({"sessions.session"})

# On the replica: how far behind it is. Equal positions mean it has replayed all it received
# (an idle primary sends nothing, and that is not lag); otherwise the time since the last
# transaction it replayed, an upper bound on the true lag. No WAL receiver (or one not
# streaming): it is cut off from its primary and cannot know what it is missing. (A role
# without pg_read_all_stats sees the receiver's row with its status hidden: then its being
# there is all we know, and is enough, since it goes away when its primary does.)
LAG_SQL = """
SELECT
    pg_is_in_recovery(),
    EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status IS NULL OR status = 'streaming'),
    CASE
        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
        ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
    END
"""


@dataclasses.dataclass
class Reads:
    """Where this request's reads may go."""

    replica_allowed: bool = False
    replica_ready: bool | None = None  # decided on the first read routed, then kept


_reads: ContextVar[Reads | None] = ContextVar("portal_reads", default=None)


@dataclasses.dataclass
class Health:
    """One process's view of the replica, shared by its threads."""

    usable: bool = False
    reason: str = "not checked"
    lag: float | None = None
    checked_at: float = float("-inf")  # time.monotonic()
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)


health = Health()


def measure(alias: str = REPLICA) -> tuple[bool, str, float | None]:
    """Ask the replica how it is: (usable, reason, lag in seconds)."""
    replica = connections[alias]
    try:
        replica.close_if_health_check_failed()
        with replica.cursor() as cursor:
            cursor.execute(LAG_SQL)
            in_recovery, streaming, lag = cursor.fetchone()
    except DatabaseError as error:
        forget(replica)
        return False, f"down: {error.__class__.__name__}", None
    lag = float(lag)
    if not in_recovery:
        return False, "not a standby", None
    if not streaming:
        return False, "not streaming from its primary", lag
    if lag > settings.DATABASE_REPLICA_MAX_LAG:
        return False, f"{lag:.1f} s behind", lag
    return True, "ok", lag


def forget(replica: BaseDatabaseWrapper) -> None:
    """Drop a broken connection (a new one is made on the next check)."""
    try:
        replica.close()
    except DatabaseError:
        pass


def replica_usable(*, now: Callable[[], float] = time.monotonic) -> bool:
    """Whether reads may go to the replica now (checked at most every CHECK_SECONDS)."""
    with health.lock:
        if now() - health.checked_at >= settings.DATABASE_REPLICA_CHECK_SECONDS:
            was = health.usable
            health.usable, health.reason, health.lag = measure()
            health.checked_at = now()
            if health.usable != was:
                log_change = log.info if health.usable else log.warning
                log_change(
                    "Read replica %s: %s",
                    "in use" if health.usable else "out of use",
                    health.reason,
                )
        return health.usable


def connects(*, now: Callable[[], float] = time.monotonic) -> bool:
    """Open (or check) this thread's connection to the replica; if that fails, leave the
    replica out of use until the next check instead of failing the request."""
    replica = connections[REPLICA]
    try:
        replica.close_if_health_check_failed()
        replica.ensure_connection()
    except DatabaseError as error:
        forget(replica)
        with health.lock:
            if health.usable:
                log.warning("Read replica out of use: down: %s", error.__class__.__name__)
            health.usable, health.reason, health.lag = False, "down", None
            health.checked_at = now()
        return False
    return True


def check_again() -> None:
    """Measure the replica on the next read (after an error that may have been its doing)."""
    with health.lock:
        health.checked_at = float("-inf")


class PrimaryReplicaRouter:
    """settings.DATABASE_ROUTERS, with the "replica" database (see the module's docstring)."""

    def db_for_read(self, model: type[Model], **hints: object) -> str:
        reads = _reads.get()
        if reads is None or not reads.replica_allowed or model._meta.label_lower in PRIMARY_ONLY:
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY  # a transaction reads what it and the primary hold
        if reads.replica_ready is None:
            reads.replica_ready = replica_usable() and connects()
        return REPLICA if reads.replica_ready else PRIMARY

    def db_for_write(self, model: type[Model], **hints: object) -> str:
        reads = _reads.get()
        if reads is not None:
            reads.replica_allowed = False
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: object) -> bool | None:
        # The replica holds the primary's rows: an object read from one may refer to the other.
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool:
        return db == PRIMARY  # the replica gets its tables from the primary's WAL


def pinned(request: HttpRequest, *, now: Callable[[], float] = time.time) -> bool:
    """Whether the person wrote recently (the pin cookie holds until when, in Unix seconds)."""
    value = request.COOKIES.get(PIN_COOKIE)
    if not value:
        return False
    try:
        return float(value) > now()
    except ValueError:
        return True  # unreadable: the safe side (a forged cookie only slows its own reads)


class ReplicaReadsMiddleware:
    """Decide, per request, whether its reads may go to the replica, and pin after a write."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reads = Reads(replica_allowed=request.method in SAFE_METHODS and not pinned(request))
        token = _reads.set(reads)
        try:
            response = self.get_response(request)
        finally:
            _reads.reset(token)
        if request.method not in SAFE_METHODS:
            seconds = settings.DATABASE_REPLICA_PIN_SECONDS
            response.set_cookie(
                PIN_COOKIE,
                str(math.ceil(time.time() + seconds)),
                max_age=seconds,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        reads = _reads.get()
        if isinstance(exception, DatabaseError) and reads is not None and reads.replica_ready:
            check_again()  # perhaps the replica went away since the last check
