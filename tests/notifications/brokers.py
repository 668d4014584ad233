"""Point the Celery app at another broker for one test, and back."""

from collections.abc import Iterator
from contextlib import contextmanager

from kombu import pools

from portal import celery_app


def _forget_connections() -> None:
    # The app (and kombu, for every app) keeps pools of broker connections and producers made
    # for the broker first used: drop them, or tasks would still go where a last test sent them.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    pools.reset()


@contextmanager
def broker_at(url: str, *, eager: bool = False) -> Iterator[None]:
    before = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = url, eager
    _forget_connections()
    try:
        yield
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = before
        _forget_connections()
