"""gunicorn's settings for the portal; gunicorn reads this file when started in this directory.

Every value can be overridden on the command line (the benchmark and the load test do).
"""

import os
import re

from gunicorn.glogging import Logger

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Synchronous workers: each handles one request at a time, so a 2-core server runs about
# 2 x cores + 1 of them to keep both cores busy while some wait on the database.
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1) + 1))
# The app is behind a load balancer or reverse proxy that terminates TLS.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
timeout = 30
graceful_timeout = 30
# Load the app once in the master and fork workers from it: a worker that starts (or restarts)
# then costs a fork rather than 0.7 s of CPU importing Django and the portal. Deploy by
# restarting gunicorn: with preload, a HUP does not load new code.
preload_app = True
# Restart workers now and then so a slow leak cannot grow without bound. At 5,000, a busy
# 2-core server restarted a worker every 4 s or so, and without preload spent about a tenth of
# its CPU importing (docs/performance.md).
max_requests = 20000
max_requests_jitter = 2000

# One line per request on standard output. The path only (%(U)s), never the query string or
# the referrer: no health data or names in logs, even from a search someone typed.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(D)sus'


# A patient's report link carries its secret in the path (/r/<secret>/): the log shows
# /r/…/ instead, so reading the log never opens anyone's report.
SECRET_IN_PATH = re.compile(r"^/r/[^/]+/")


class RedactingLogger(Logger):
    def atoms(self, resp: object, req: object, environ: dict, request_time: object) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = SECRET_IN_PATH.sub("/r/…/", atoms["U"])
        return atoms


logger_class = RedactingLogger
