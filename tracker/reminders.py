"""Daily reminders and the weekly summary: when they are due, and one pass that sends them.

A patient's choices live in tracker.models.Reminder, with the next instant each is due. One pass
(send_due_reminders: the scheduler's task every minute, or `manage.py send_due_reminders`) takes
the rows due now, queues a message for each (notifications), and moves each row on to its next
day. What makes it safe to run twice, or twice at once: rows are taken with SKIP LOCKED, and each
message's key (patient, kind, channel, local day) is unique in the outbox.

Reminders say nothing of health: a phone's lock screen shows them to anyone nearby.
"""

import datetime
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from notifications import services as notifications
from notifications.links import stop_token
from notifications.models import Delivery
from tracker import dates, scores
from tracker.models import CheckIn, Drink, Episode, PatientStatus, Reminder

# A reminder is sent within this long after its local time, or not at all that day: one that
# arrives long after the chosen time (the scheduler was down) is more bother than help.
LATE = datetime.timedelta(minutes=5)
# Rows taken per transaction by a pass.
BATCH = 500
DAYS_OF_THE_WEEK = 7


class Topic:
    """What a stop link stops (notifications.links)."""

    DAILY = "daily"
    DIGEST = "digest"


# Scheduling


def schedule(reminder: Reminder, *, now: datetime.datetime) -> None:
    """Work out (without saving) when the daily reminder and the summary are next due."""
    zone = reminder.patient.zone
    today = dates.local_day(now, zone)
    daily = None
    if reminder.daily:
        daily = dates.next_occurrence(
            time=reminder.at,
            weekdays=reminder.weekday_set,
            zone=zone,
            first_day=today,
            not_before=now,
        )
    reminder.next_daily_day, reminder.next_daily_at = daily or (None, None)
    digest = None
    if reminder.weekly_digest:
        digest = dates.next_occurrence(
            time=reminder.at,
            weekdays=frozenset({reminder.digest_weekday}),
            zone=zone,
            first_day=today,
            not_before=now,
        )
    reminder.next_digest_day, reminder.next_digest_at = digest or (None, None)


def reminder_for(patient: User) -> Reminder:
    """Return the patient's reminder choices (not saved when they never chose any)."""
    try:
        return patient.reminder
    except Reminder.DoesNotExist:
        return Reminder(patient=patient)


@transaction.atomic
def save_choices(*, reminder: Reminder, now: datetime.datetime) -> None:
    """Save the patient's choices with their next due times."""
    schedule(reminder, now=now)
    reminder.save()


@transaction.atomic
def reschedule(*, patient: User, now: datetime.datetime) -> None:
    """Move the next due times to the patient's zone (called when the zone changes)."""
    reminder = Reminder.objects.select_for_update().filter(patient=patient).first()
    if reminder is not None:
        reminder.patient = patient
        schedule(reminder, now=now)
        reminder.save()


@transaction.atomic
def stop(*, patient_id: int, topic: str, now: datetime.datetime) -> bool:
    """Turn off the daily reminder or the summary (a stop link); return whether it was on."""
    reminder = (
        Reminder.objects.select_for_update().select_related("patient").filter(pk=patient_id).first()
    )
    if reminder is None:
        return False
    field = "daily" if topic == Topic.DAILY else "weekly_digest"
    if not getattr(reminder, field):
        return False
    setattr(reminder, field, False)
    schedule(reminder, now=now)
    reminder.save()
    return True


# The pass


@dataclass(frozen=True)
class PassResult:
    queued: int
    skipped_logged: int
    missed: int
    digests: int

    def __str__(self) -> str:
        return (
            f"{self.queued} reminder(s) queued, {self.skipped_logged} skipped (already logged "
            f"that day), {self.missed} missed (more than {LATE.seconds // 60} minutes late), "
            f"{self.digests} weekly summary(ies) queued"
        )


def send_due_reminders(*, now: datetime.datetime) -> PassResult:
    """Queue every reminder and summary due at `now`, and move each row to its next day."""
    counts: Counter[str] = Counter()
    for field, handle in (("next_daily_at", _daily), ("next_digest_at", _digests)):
        while True:
            with transaction.atomic():
                rows = list(
                    Reminder.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("patient")
                    .filter(**{f"{field}__lte": now})
                    .order_by(field, "pk")[:BATCH]
                )
                if not rows:
                    break
                handle(rows, now=now, counts=counts)
    return PassResult(
        queued=counts["queued"],
        skipped_logged=counts["skipped"],
        missed=counts["missed"],
        digests=counts["digests"],
    )


def _next(
    reminder: Reminder, *, weekdays: frozenset[int], after: datetime.date, now: datetime.datetime
) -> tuple[datetime.date, datetime.datetime] | tuple[None, None]:
    """Return the next due day and instant after the day just handled (never that day again,
    even when the clocks go back and its time comes round twice)."""
    zone = reminder.patient.zone
    first_day = max(after + datetime.timedelta(days=1), dates.local_day(now, zone))
    found = dates.next_occurrence(
        time=reminder.at, weekdays=weekdays, zone=zone, first_day=first_day, not_before=now - LATE
    )
    return found or (None, None)


def _logged_on(rows: Sequence[Reminder]) -> set[tuple[int, datetime.date]]:
    """Return (patient, day) for each due day the patient already logged or checked in on: their
    latest write (an episode, check-in or drink) falls on it, or a check-in is dated it."""
    ids = [r.pk for r in rows]
    zones = {r.pk: r.patient.zone for r in rows}
    logged = {
        (pk, dates.local_day(moment, zones[pk]))
        for pk, moment in PatientStatus.objects.filter(patient_id__in=ids).values_list(
            "patient_id", "last_logged_at"
        )
        if moment is not None
    }
    days = {r.next_daily_day for r in rows}
    logged |= set(
        CheckIn.objects.filter(patient_id__in=ids, day__in=days).values_list("patient_id", "day")
    )
    return logged


@dataclass(frozen=True)
class _Links:
    """The links every message of a pass shares, looked up once."""

    log: str
    settings: str
    # The weekly questions (tracker.scores), mentioned while this week's are unanswered.
    weekly_questions: str = ""

    @classmethod
    def make(cls) -> "_Links":
        return cls(
            log=notifications.site_url(reverse("tracker:dashboard")),
            settings=notifications.site_url(reverse("tracker:reminders")),
            weekly_questions=notifications.site_url(reverse("tracker:function_score")),
        )


def _daily(rows: Sequence[Reminder], *, now: datetime.datetime, counts: Counter[str]) -> None:
    logged = _logged_on(rows)
    links = _Links.make()
    answered = _answered_this_week(rows, field="next_daily_day")
    messages: list[notifications.Message] = []
    local_dates: dict[int, datetime.date] = {}
    for row in rows:
        day, due_at = row.next_daily_day, row.next_daily_at
        assert day is not None and due_at is not None
        if not row.patient.is_active:
            pass  # an account switched off by staff hears nothing, and its days move on
        elif now - due_at > LATE:
            counts["missed"] += 1
        elif (row.pk, day) in logged:
            counts["skipped"] += 1
        else:
            made = daily_messages(row, links=links, questions_due=row.pk not in answered)
            if made:
                counts["queued"] += 1
                local_dates[row.pk] = day
                messages += made
        row.next_daily_day, row.next_daily_at = _next(
            row, weekdays=row.weekday_set, after=day, now=now
        )
    Reminder.objects.bulk_update(rows, ["next_daily_day", "next_daily_at"])
    for channel in Delivery.Channel:
        notifications.queue_scheduled(
            [m for m in messages if m.channel == channel],
            kind=Delivery.Kind.REMINDER,
            local_dates=local_dates,
            from_email=notifications.discreet_from_email(),
        )


def _digests(rows: Sequence[Reminder], *, now: datetime.datetime, counts: Counter[str]) -> None:
    days_logged = _days_logged_in_week(rows)
    links = _Links.make()
    answered = _answered_this_week(rows, field="next_digest_day")
    messages: list[notifications.Message] = []
    local_dates: dict[int, datetime.date] = {}
    for row in rows:
        day, due_at = row.next_digest_day, row.next_digest_at
        assert day is not None and due_at is not None
        if not row.patient.is_active:
            pass
        elif now - due_at > LATE:
            counts["missed"] += 1
        elif row.patient.email:
            counts["digests"] += 1
            local_dates[row.pk] = day
            messages.append(
                digest_message(
                    row,
                    days_logged=days_logged.get(row.pk, 0),
                    links=links,
                    questions_due=row.pk not in answered,
                )
            )
        row.next_digest_day, row.next_digest_at = _next(
            row, weekdays=frozenset({row.digest_weekday}), after=day, now=now
        )
    Reminder.objects.bulk_update(rows, ["next_digest_day", "next_digest_at"])
    notifications.queue_scheduled(
        messages,
        kind=Delivery.Kind.DIGEST,
        local_dates=local_dates,
        from_email=notifications.discreet_from_email(),
    )


def _answered_this_week(rows: Sequence[Reminder], *, field: str) -> set[int]:
    """Return the patients who answered the weekly questions for the week of their due day."""
    return scores.answered_weeks(
        {row.pk: getattr(row, field) for row in rows if getattr(row, field) is not None}
    )


def _days_logged_in_week(rows: Sequence[Reminder]) -> dict[int, int]:
    """Count, per patient, the local days of the week before the summary with any entry."""
    ids = [r.pk for r in rows]
    first = {
        r.pk: r.next_digest_day - datetime.timedelta(days=DAYS_OF_THE_WEEK)
        for r in rows
        if r.next_digest_day is not None
    }
    earliest = min(first.values())
    days: dict[int, set[datetime.date]] = {pk: set() for pk in ids}
    for model, field in ((Episode, "start_day"), (CheckIn, "day"), (Drink, "day")):
        for pk, day in (
            model.objects.filter(patient_id__in=ids, **{f"{field}__gte": earliest})
            .values_list("patient_id", field)
            .distinct()
        ):
            if first[pk] <= day < first[pk] + datetime.timedelta(days=DAYS_OF_THE_WEEK):
                days[pk].add(day)
    return {pk: len(found) for pk, found in days.items()}


# The messages: no health detail, a link to the log and a one-click stop link.


def stop_url(patient_id: int, topic: str) -> str:
    token = stop_token(person_id=patient_id, topic=topic)
    return notifications.site_url(reverse("tracker:reminder_stop", args=[topic, token]))


def _stop_headers(url: str) -> dict[str, str]:
    # One-click unsubscribe (RFC 8058): mail apps show their own "unsubscribe" button.
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def daily_messages(
    reminder: Reminder, *, links: _Links | None = None, questions_due: bool = False
) -> list[notifications.Message]:
    """Return the daily reminder for each channel the patient chose; with questions_due, it
    also points to the weekly questions (in words that say nothing of health)."""
    links = links or _Links.make()
    patient = reminder.patient
    messages = []
    if reminder.by_email and patient.email:
        url = stop_url(patient.pk, Topic.DAILY)
        context = {
            "name": patient.first_name or patient.username,
            "log_url": links.log,
            "questions_url": links.weekly_questions if questions_due else "",
            "settings_url": links.settings,
            "stop_url": url,
            "at": reminder.at,
        }
        messages.append(
            notifications.Message(
                recipient=patient,
                channel=Delivery.Channel.EMAIL,
                to=patient.email,
                subject=_("Your daily reminder"),
                body=render_to_string("tracker/email/reminder.txt", context),
                headers=_stop_headers(url),
            )
        )
    if reminder.by_push:
        messages.append(
            notifications.Message(
                recipient=patient,
                channel=Delivery.Channel.PUSH,
                subject=_("Your daily reminder"),
                body=(
                    _("A minute to note how today went, and this week's three questions.")
                    if questions_due
                    else _("A minute to note how today went.")
                ),
                headers={"url": reverse("tracker:dashboard")},
            )
        )
    return messages


def digest_message(
    reminder: Reminder,
    *,
    days_logged: int,
    links: _Links | None = None,
    questions_due: bool = False,
) -> notifications.Message:
    links = links or _Links.make()
    patient = reminder.patient
    url = stop_url(patient.pk, Topic.DIGEST)
    context = {
        "name": patient.first_name or patient.username,
        "days_logged": days_logged,
        "log_url": links.log,
        "questions_url": links.weekly_questions if questions_due else "",
        "settings_url": links.settings,
        "stop_url": url,
    }
    return notifications.Message(
        recipient=patient,
        channel=Delivery.Channel.EMAIL,
        to=patient.email,
        subject=_("Your weekly summary"),
        body=render_to_string("tracker/email/digest.txt", context),
        headers=_stop_headers(url),
    )
