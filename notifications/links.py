"""Signed links that stop a kind of message, used from an e-mail without signing in.

Each link names one person and one topic, and is signed with a salt of its own per topic, so a
link that stops the weekly summary cannot stop anything else, and no link can do anything but
stop. It expires after STOP_LINK_MAX_AGE; using it twice is harmless (already stopped).
"""

import datetime

from django.core import signing

STOP_LINK_MAX_AGE = datetime.timedelta(days=60)


class BadStopLink(Exception):
    """The link was altered, is for another topic, or is too old."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("expired" if expired else "bad signature")
        self.expired = expired


def _signer(topic: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"notifications.stop.{topic}")


def stop_token(*, person_id: int, topic: str) -> str:
    """Return the token of a link that stops `topic` for this person."""
    return _signer(topic).sign(str(person_id))


def read_stop_token(token: str, *, topic: str) -> int:
    """Return the person's id from a token for `topic`. Raises BadStopLink."""
    try:
        value = _signer(topic).unsign(token, max_age=STOP_LINK_MAX_AGE)
    except signing.SignatureExpired as error:
        raise BadStopLink(expired=True) from error
    except signing.BadSignature as error:
        raise BadStopLink(expired=False) from error
    try:
        return int(value)
    except ValueError as error:  # only a key holder could sign something else
        raise BadStopLink(expired=False) from error
