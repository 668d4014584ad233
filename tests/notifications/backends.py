"""E-mail backends for the outbox's tests: a mail server that is down, or refuses an address."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class DownBackend(BaseEmailBackend):
    def send_messages(self, email_messages):  # noqa: ANN001, ANN201
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):  # noqa: ANN001, ANN201
        raise smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"No such user")})


class RecordingBackend(BaseEmailBackend):
    """Append a line per message sent (process id, recipients, subject) to the file named by
    PORTAL_TEST_MAIL_LOG: several worker processes can write it, and a test can count them."""

    def send_messages(self, email_messages):  # noqa: ANN001, ANN201
        import json
        import os

        with open(os.environ["PORTAL_TEST_MAIL_LOG"], "a", encoding="utf-8") as log:
            for message in email_messages:
                line = [os.getpid(), sorted(message.recipients()), message.subject]
                # One write of one short line in append mode: lines of several processes
                # do not interleave.
                log.write(json.dumps(line) + "\n")
                log.flush()
        return len(email_messages)
