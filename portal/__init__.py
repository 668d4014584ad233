# The Celery app is loaded with Django, so tasks queued by the web process use its settings.
from portal.celery import app as celery_app

__all__ = ["celery_app"]
