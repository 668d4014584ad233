"""The background worker (Celery, Redis as the broker) and its scheduler (celery beat).

Run as their own processes: `celery -A portal worker` and `celery -A portal beat`; `make run`
starts both beside the web server. The settings are Django's, under the CELERY_ prefix, and the
schedule is settings.CELERY_BEAT_SCHEDULE. Tasks live in each app's tasks.py.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
