import base64

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.management.base import BaseCommand


def b64url(data: bytes) -> str:
    """Encode without padding, as browsers and pywebpush write keys."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_key_pair() -> tuple[str, str]:
    """Return a new VAPID key pair (P-256) as (public, private), both base64url.

    The public key is the uncompressed point (65 bytes, 0x04 first), the form a browser's
    pushManager.subscribe takes as applicationServerKey. The private key is the raw 32-byte
    secret, which pywebpush reads from a string (py_vapid's Vapid.from_string).
    """
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    # Fixed width: a secret with leading zero bytes would otherwise come out shorter, and
    # py_vapid takes anything but 32 bytes for a DER key.
    secret = private.private_numbers().private_value.to_bytes(32, "big")
    return b64url(public), b64url(secret)


class Command(BaseCommand):
    help = (
        "Print a new VAPID key pair for Web Push as the two environment lines the portal reads. "
        "Keep the private key secret. Devices subscribed under one pair stop receiving "
        "notifications when it changes, until they subscribe again."
    )

    def handle(self, *args: object, **options: object) -> None:
        public, private = make_key_pair()
        self.stdout.write(f"PORTAL_VAPID_PUBLIC_KEY={public}")
        self.stdout.write(f"PORTAL_VAPID_PRIVATE_KEY={private}")
