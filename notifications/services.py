"""Queue messages in the outbox and send them: the only code that sends e-mail or notifications.

Callers write Delivery rows inside their own transaction (queue_email, queue_scheduled); once
it commits, the ids go to the worker (enqueue). The worker claims each row before sending it
(send_deliveries), so two workers, or a retry racing the sweep, never send one row twice. A
broker that is down loses nothing: the rows wait, and the sweep hands them over again.
"""

import datetime
import json
import logging
import smtplib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from pywebpush import WebPushException, webpush

from accounts.models import User
from notifications.models import Delivery, PushSubscription

log = logging.getLogger(__name__)

# A message is tried this many times in all, the waits between tries doubling from 30 seconds
# (30 s, 1, 2, 4, 8, 16, 32 minutes: about an hour in all); then it shows as failed in the admin.
MAX_ATTEMPTS = 8
FIRST_WAIT = datetime.timedelta(seconds=30)
LONGEST_WAIT = datetime.timedelta(hours=1)
# A row a worker claimed and never finished (the worker died) is tried again after this long.
CLAIM_TIMEOUT = datetime.timedelta(minutes=10)
# Sent and unsent rows are kept this long for staff to look back on, then deleted (sweep); the
# keys of days this old can never be queued again. Failed rows stay until staff act on them.
KEEP = datetime.timedelta(days=90)
# Ids handed to the worker per task: one SMTP connection serves a batch.
BATCH = 100
# Mail servers' answers that will not change on a retry (a refused address).
PERMANENT_SMTP_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused)
# Push services answer these for a subscription that no longer exists.
GONE = {404, 410}


def backoff(attempts: int) -> datetime.timedelta:
    """Return the wait before the next try, after this many tries."""
    wait: datetime.timedelta = FIRST_WAIT * (2 ** max(attempts - 1, 0))
    return min(wait, LONGEST_WAIT)


def discreet_from_email() -> str:
    """Return the sender of reminders and notices: our address under a name that says nothing
    of health, since a phone's lock screen shows it to anyone nearby."""
    if settings.PORTAL_DISCREET_FROM_EMAIL:
        return settings.PORTAL_DISCREET_FROM_EMAIL
    return formataddr(("Care portal", parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def site_url(path: str) -> str:
    """Return an absolute link for a message: the worker has no request to take a host from."""
    return f"{settings.PORTAL_SITE_URL}{path}"


# Handing ids to the worker


def after_commit(callback: Callable[[], None]) -> None:
    """Run the callback once the current transaction commits (at once outside one).

    The one seam the tests replace: their transactions never commit (tests/conftest.py).
    """
    transaction.on_commit(callback, robust=True)


def enqueue(ids: Sequence[int]) -> None:
    """Give the worker these rows to send, in batches. A broker that cannot be reached is
    logged and otherwise ignored: the rows stay queued and the sweep hands them over later."""
    from notifications.tasks import deliver

    for start in range(0, len(ids), BATCH):
        chunk = list(ids[start : start + BATCH])
        try:
            deliver.delay(chunk)
        except Exception:  # the broker's errors (kombu, redis, sockets) are many
            log.warning(
                "Could not hand %d message(s) to the worker; the sweep will",
                len(chunk),
                exc_info=True,
            )
            return


def enqueue_after_commit(ids: Sequence[int]) -> None:
    if ids:
        ids = list(ids)
        after_commit(lambda: enqueue(ids))


# Queueing


def queue_email(
    *,
    to: str,
    subject: str,
    body: str,
    kind: Delivery.Kind,
    recipient: User | None,
    local_date: datetime.date,
    window: int | None = None,
    from_email: str = "",
    headers: dict[str, str] | None = None,
) -> Delivery | None:
    """Queue one e-mail; return it, or None when its key was already queued (nothing new)."""
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                recipient=recipient,
                kind=kind,
                channel=Delivery.Channel.EMAIL,
                local_date=local_date,
                window=window,
                to=to,
                subject=subject,
                body=body,
                from_email=from_email,
                headers=headers or {},
            )
    except IntegrityError:
        return None
    enqueue_after_commit([delivery.pk])
    return delivery


@dataclass(frozen=True)
class Message:
    """One scheduled message for queue_scheduled: to a person, by e-mail or push."""

    recipient: User
    channel: Delivery.Channel
    subject: str
    body: str
    to: str = ""
    headers: dict[str, str] | None = None


def queue_scheduled(
    messages: Iterable[Message],
    *,
    kind: Delivery.Kind,
    local_dates: dict[int, datetime.date],
    window: int = 0,
    from_email: str = "",
) -> list[int]:
    """Queue many scheduled messages at once; return the ids of the rows waiting for the worker.

    `local_dates` gives each recipient's local day (the key). A message whose key exists (an
    earlier or concurrent pass queued it) is left alone: the database refuses the duplicate.
    """
    rows = [
        Delivery(
            recipient=m.recipient,
            kind=kind,
            channel=m.channel,
            local_date=local_dates[m.recipient.pk],
            window=window,
            to=m.to,
            subject=m.subject,
            body=m.body,
            from_email=from_email,
            headers=m.headers or {},
        )
        for m in messages
    ]
    if not rows:
        return []
    Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    # Ids are not returned for rows inserted with ignore_conflicts: read back what waits.
    ids = list(
        Delivery.objects.filter(
            _keys(rows, kind=kind, window=window), status=Delivery.Status.QUEUED
        )
        .values_list("pk", flat=True)
        .order_by("pk")
    )
    enqueue_after_commit(ids)
    return ids


def _keys(rows: Sequence[Delivery], *, kind: str, window: int) -> Q:
    by_day: dict[tuple[datetime.date, str], list[int]] = {}
    for row in rows:
        assert row.recipient_id is not None
        by_day.setdefault((row.local_date, row.channel), []).append(row.recipient_id)
    condition = Q(pk__in=[])
    for (day, channel), people in by_day.items():
        condition |= Q(local_date=day, channel=channel, recipient_id__in=people)
    return Q(kind=kind, window=window) & condition


# Sending (in the worker)


class Transient(Exception):
    """A failure worth another try later (a mail server or push service that did not answer)."""


def send_deliveries(ids: Sequence[int], *, now: datetime.datetime) -> list[tuple[int, int]]:
    """Send the queued rows among these ids; return (id, seconds) for each to try again later.

    Each row is claimed first (queued -> sending in one UPDATE), so a row another worker holds,
    or one already sent, is skipped.
    """
    retries: list[tuple[int, int]] = []
    connection: BaseEmailBackend | None = None
    try:
        for pk in ids:
            claimed = Delivery.objects.filter(pk=pk, status=Delivery.Status.QUEUED).update(
                status=Delivery.Status.SENDING, attempts=F("attempts") + 1, claimed_at=now
            )
            if not claimed:
                continue
            delivery = Delivery.objects.get(pk=pk)
            try:
                if delivery.channel == Delivery.Channel.EMAIL:
                    if connection is None:
                        connection = get_connection(fail_silently=False)
                    _send_email(delivery, connection)
                    _finish(delivery, Delivery.Status.SENT, now=now)
                else:
                    sent = _send_push(delivery)
                    status = Delivery.Status.SENT if sent else Delivery.Status.DROPPED
                    _finish(delivery, status, now=now, error="" if sent else "no device")
            except Transient as error:
                if delivery.attempts >= MAX_ATTEMPTS:
                    _finish(delivery, Delivery.Status.FAILED, now=now, error=str(error))
                    log.error("Gave up on delivery %d: %s", pk, error)
                    continue
                wait = backoff(delivery.attempts)
                Delivery.objects.filter(pk=pk).update(
                    status=Delivery.Status.QUEUED,
                    next_attempt_at=now + wait,
                    last_error=str(error)[:500],
                    claimed_at=None,
                )
                retries.append((pk, int(wait.total_seconds())))
                connection = None  # a new connection for the next message
            except PERMANENT_SMTP_ERRORS as error:
                _finish(delivery, Delivery.Status.FAILED, now=now, error=repr(error))
    finally:
        if connection is not None:
            try:
                connection.close()
            except Exception:  # closing a broken connection must not undo what was sent
                log.debug("Closing the mail connection failed", exc_info=True)
    return retries


def _finish(
    delivery: Delivery, status: Delivery.Status, *, now: datetime.datetime, error: str = ""
) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status,
        sent_at=now if status == Delivery.Status.SENT else None,
        last_error=error[:500],
        claimed_at=None,
        # The body is not kept once it has gone (or never will): it may hold a code.
        body="" if status != Delivery.Status.FAILED else F("body"),
    )


def _send_email(delivery: Delivery, connection: BaseEmailBackend) -> None:
    message = EmailMessage(
        subject=delivery.subject,
        body=delivery.body,
        from_email=delivery.from_email or None,
        to=[delivery.to],
        headers=delivery.headers or None,
        connection=connection,
    )
    try:
        message.send()
    except PERMANENT_SMTP_ERRORS:
        raise
    except (smtplib.SMTPException, OSError) as error:
        raise Transient(f"mail server: {error!r}") from error


def _send_push(delivery: Delivery) -> bool:
    """Send a notification to each of the person's devices; return whether any device got it.

    A device that fails for now fails the whole row, to be tried again: the devices that had it
    already get it twice then (the tag on the phone shows one).
    """
    if not settings.PORTAL_VAPID_PRIVATE_KEY or delivery.recipient_id is None:
        return False
    devices = [
        device
        for device in PushSubscription.objects.filter(person_id=delivery.recipient_id)
        # Checked again at sending: the list of push services may have changed since.
        if push_host_allowed(device.endpoint)
    ]
    payload = json.dumps({"title": delivery.subject, "body": delivery.body, **delivery.headers})
    sent = False
    for device in devices:
        try:
            webpush(
                subscription_info=device.as_webpush(),
                data=payload,
                vapid_private_key=settings.PORTAL_VAPID_PRIVATE_KEY,
                vapid_claims={"sub": settings.PORTAL_VAPID_SUBJECT},
                ttl=4 * 3600,
                timeout=10,
            )
            sent = True
        except WebPushException as error:
            code = getattr(error.response, "status_code", None)
            if code in GONE:
                device.delete()
                continue
            raise Transient(f"push service: {code}") from error
        except OSError as error:
            raise Transient(f"push service: {error!r}") from error
    return sent


def sweep(*, now: datetime.datetime) -> int:
    """Hand the worker every row that waits past its time (the broker was down when it was
    queued, or a worker died holding it); return how many. Delete old rows sent or dropped."""
    stuck = Delivery.objects.filter(
        status=Delivery.Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
    )
    stuck.update(status=Delivery.Status.QUEUED, claimed_at=None)
    # Fresh rows were handed over when their transaction committed: give them a minute.
    waiting = list(
        Delivery.objects.filter(status=Delivery.Status.QUEUED)
        .filter(
            Q(next_attempt_at__lte=now)
            | Q(next_attempt_at__isnull=True, created_at__lte=now - datetime.timedelta(minutes=1))
        )
        .values_list("pk", flat=True)
        .order_by("pk")[:5000]
    )
    enqueue(waiting)
    Delivery.objects.filter(
        status__in=[Delivery.Status.SENT, Delivery.Status.DROPPED], created_at__lt=now - KEEP
    ).delete()
    return len(waiting)


def send_again(deliveries: Iterable[Delivery], *, now: datetime.datetime) -> int:
    """Queue failed rows again (the admin's action); return how many."""
    ids = [d.pk for d in deliveries if d.status == Delivery.Status.FAILED]
    Delivery.objects.filter(pk__in=ids).update(
        status=Delivery.Status.QUEUED, attempts=0, next_attempt_at=now, last_error=""
    )
    enqueue_after_commit(ids)
    return len(ids)


# Devices


def push_host_allowed(endpoint: str) -> bool:
    """Only push services' addresses: the worker posts to this address, so anything else would
    let a person make our server call into its own network."""
    parts = urlsplit(endpoint)
    # Plain addresses only, which every parser reads alike: requests posts
    # "https://10.0.0.1\@fcm.googleapis.com/" to 10.0.0.1, where urlsplit reads the push service.
    if parts.username is not None or not endpoint.isascii() or not endpoint.isprintable():
        return False
    if "\\" in endpoint or " " in endpoint:
        return False
    host = (parts.hostname or "").lower()
    allowed = settings.PORTAL_PUSH_SERVICE_HOSTS
    return parts.scheme in settings.PORTAL_PUSH_SERVICE_SCHEMES and any(
        host == suffix or host.endswith("." + suffix) for suffix in allowed
    )


def add_device(*, person: User, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Remember a device for the person's notifications (the same device again replaces it)."""
    device, _ = PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"person": person, "p256dh": p256dh, "auth": auth}
    )
    return device


def remove_device(*, person: User, endpoint: str) -> bool:
    deleted, _ = PushSubscription.objects.filter(person=person, endpoint=endpoint).delete()
    return bool(deleted)
