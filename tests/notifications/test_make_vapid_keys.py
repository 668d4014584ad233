import base64
import io
import os
from types import SimpleNamespace

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.management import call_command
from py_vapid import Vapid
from pywebpush import webpush


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_keys() -> dict[str, str]:
    out = io.StringIO()
    call_command("make_vapid_keys", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split("=", 1)[0] for line in lines] == [
        "PORTAL_VAPID_PUBLIC_KEY",
        "PORTAL_VAPID_PRIVATE_KEY",
    ]
    return dict(line.split("=", 1) for line in lines)


def test_public_key_is_the_uncompressed_p256_point_browsers_take() -> None:
    public = make_keys()["PORTAL_VAPID_PUBLIC_KEY"]

    raw = b64url_decode(public)
    assert len(raw) == 65 and raw[0] == 0x04
    # Base64url without padding, the alphabet applicationServerKey is written in.
    assert "=" not in public and "+" not in public and "/" not in public
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)


def test_private_key_signs_what_pywebpush_sends_and_the_public_key_verifies_it() -> None:
    keys = make_keys()
    assert len(b64url_decode(keys["PORTAL_VAPID_PRIVATE_KEY"])) == 32
    device = ec.generate_private_key(ec.SECP256R1()).public_key()
    sent: dict[str, dict[str, str]] = {}

    class PushService:
        def post(self, endpoint: str, *, headers: dict[str, str], **kwargs: object) -> object:
            sent["headers"] = headers
            return SimpleNamespace(status_code=201, text="", headers={})

    # The call notifications.services makes: the private key as the string from the settings.
    webpush(
        subscription_info={
            "endpoint": "https://fcm.googleapis.com/fcm/send/device-1",
            "keys": {
                "p256dh": b64url_encode(
                    device.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
                ),
                "auth": b64url_encode(os.urandom(16)),
            },
        },
        data='{"title": "Reminder"}',
        vapid_private_key=keys["PORTAL_VAPID_PRIVATE_KEY"],
        vapid_claims={"sub": "mailto:no-reply@portal.example.org"},
        requests_session=PushService(),
    )

    authorization = sent["headers"]["Authorization"]
    assert f"k={keys['PORTAL_VAPID_PUBLIC_KEY']}" in authorization
    assert Vapid.verify(authorization)


def test_each_run_makes_a_new_pair() -> None:
    assert make_keys() != make_keys()
