"""Real parts for Web Push tests: the site's VAPID keys, a browser's subscription, a push service.

Nothing here is a mock of pywebpush: the keys are real P-256 keys, the message is really encrypted
(RFC 8291) and really posted over HTTP, to a small server on 127.0.0.1 that plays the push
service. The tests decrypt what it received with the browser's private key, as a phone would.
"""

import base64
import json
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid

SUBJECT = "mailto:no-reply@portal.example.org"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_bytes(key: ec.EllipticCurvePrivateKey) -> bytes:
    """Return the public half as browsers and VAPID give it: an uncompressed P-256 point."""
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


@dataclass(frozen=True)
class VapidKeys:
    public: str  # base64url, what the page gives the browser (applicationServerKey)
    private: str  # base64url of the 32-byte secret, as `manage.py make_vapid_keys` prints it


def make_vapid_keys() -> VapidKeys:
    vapid = Vapid()
    vapid.generate_keys()
    secret = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    return VapidKeys(public=b64url(public_bytes(vapid.private_key)), private=b64url(secret))


@pytest.fixture
def vapid_keys(settings) -> VapidKeys:
    """Give the site a fresh VAPID key pair, as production's settings would."""
    keys = make_vapid_keys()
    settings.PORTAL_VAPID_PUBLIC_KEY = keys.public
    settings.PORTAL_VAPID_PRIVATE_KEY = keys.private
    settings.PORTAL_VAPID_SUBJECT = SUBJECT
    return keys


class FakeBrowser:
    """A browser's side of a push subscription: its own P-256 key pair and 16-byte auth secret,
    which the push service never sees; only this browser can read what is sent to it."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = secrets.token_bytes(16)

    def subscription(self, endpoint: str) -> dict[str, object]:
        """Return what PushSubscription.toJSON() gives the page's script."""
        return {
            "endpoint": endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(public_bytes(self.key)), "auth": b64url(self.auth)},
        }

    def read(self, body: bytes) -> dict[str, object]:
        """Decrypt a message (aes128gcm, RFC 8188/8291) and return its JSON."""
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


@pytest.fixture
def browser() -> FakeBrowser:
    return FakeBrowser()


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushService:
    """What the local push service received, and the answers it is told to give."""

    base_url: str
    received: list[Received] = field(default_factory=list)
    # The status to answer for an endpoint's path; 201 Created (the services' yes) otherwise.
    answers: dict[str, int] = field(default_factory=dict)

    def endpoint(self, name: str) -> str:
        return f"{self.base_url}{self.path(name)}"

    def path(self, name: str) -> str:
        return f"/push/{name}"

    def answer(self, name: str, status: int) -> None:
        self.answers[self.path(name)] = status


@pytest.fixture
def push_service(settings) -> Iterator[PushService]:
    """Run a push service on 127.0.0.1 (a thread) and allow its address for subscriptions."""
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                service.received.append(
                    Received(
                        "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
                    )
                )
                status = service.answers.get(self.path, 201)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    host, port = server.server_address[:2]
    service = PushService(base_url=f"http://{host}:{port}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.PORTAL_PUSH_SERVICE_HOSTS = ["127.0.0.1"]
    settings.PORTAL_PUSH_SERVICE_SCHEMES = ["http", "https"]
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
