"""The worker's tasks for the outbox: send, retry with a growing wait, and sweep."""

from celery import shared_task
from django.utils import timezone

from notifications import services


@shared_task(name="notifications.tasks.deliver", ignore_result=True)
def deliver(ids: list[int]) -> None:
    """Send these queued rows; each one that failed for now is tried again after its wait."""
    for pk, seconds in services.send_deliveries(ids, now=timezone.now()):
        try:
            deliver.apply_async(([pk],), countdown=seconds)
        except Exception:  # the broker went away: the sweep finds the row when it is due
            services.log.warning("Could not schedule another try of delivery %d", pk)


@shared_task(name="notifications.tasks.sweep", ignore_result=True)
def sweep() -> int:
    return services.sweep(now=timezone.now())
