"""The scheduler's tasks for the tracker (settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task
from django.utils import timezone

from tracker import reminders


@shared_task(name="tracker.tasks.send_due_reminders", ignore_result=True)
def send_due_reminders() -> str:
    """Run one pass: queue the reminders and summaries due now (`manage.py send_due_reminders`
    runs the same pass by hand)."""
    return str(reminders.send_due_reminders(now=timezone.now()))
