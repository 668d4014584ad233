"""The worker's tasks for the outbox: send, retry with a growing wait, and sweep."""

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from notifications import services


# A database that stumbles (a lock, a failover) is tried again within seconds (1, 2, 4, 8 s...):
# a row not yet claimed is still waiting; one claimed when it failed is the sweep's.
@shared_task(
    name="notifications.tasks.deliver",
    ignore_result=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=1,
    retry_backoff_max=60,
    max_retries=6,
)
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
