"""The scheduler's tasks for clinicians (settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task
from django.utils import timezone

from clinic import notices


@shared_task(name="clinic.tasks.send_clinician_notices", ignore_result=True)
def send_clinician_notices() -> int:
    return notices.send_clinician_notices(now=timezone.now())
