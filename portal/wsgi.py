"""WSGI entry point: `gunicorn portal.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_wsgi_application()

# After Django is set up: production refuses to start if e-mail would be printed or lost.
from portal.checks import refuse_to_start_without_mail  # noqa: E402

refuse_to_start_without_mail()
