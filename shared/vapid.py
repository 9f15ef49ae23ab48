"""The instance's VAPID key pair (RFC 8292): browsers bind each Web Push subscription to its
public key (``applicationServerKey``), and push services accept a message only with a JWT that
the private key signed (``Authorization: vapid t=<jwt>, k=<public key>``).

The pair comes from the settings (``HUBBUB_VAPID_PUBLIC_KEY``/``HUBBUB_VAPID_PRIVATE_KEY``,
base64url as web-push tools print them) or is generated once into ``<data_dir>/secrets/``, as
the media signing key is, so that every process sharing the data folder signs alike. Changing
the pair breaks every subscription: browsers refuse messages signed by another key.

The private key also seals what notify keeps that must not be readable from a copy of the
database alone: the access token each push message carries (Mastodon's payload has it, for the
client's service worker to fetch the notification).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared import credentials
from shared.settings import Settings

PRIVATE_KEY_SECRET = "vapid-private-key"  # under <data_dir>/secrets/
JWT_TTL_S = 12 * 3600  # push services refuse a JWT valid for more than 24 hours
_SEAL_INFO = b"hubbub web push token seal"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    """base64url with or without padding; plain base64 (``+/``) too, as some clients send it.
    ValueError when it is not base64 at all."""
    cleaned = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    if not cleaned.isascii():
        raise ValueError("not base64")
    try:
        return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64") from exc


def public_point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962,
                            serialization.PublicFormat.UncompressedPoint)


class VapidKeys:
    def __init__(self, private: ec.EllipticCurvePrivateKey) -> None:
        self.private = private
        self.public_key = b64url(public_point(private.public_key()))
        scalar = private.private_numbers().private_value.to_bytes(32, "big")
        seal_key = HKDF(hashes.SHA256(), 16, salt=None, info=_SEAL_INFO).derive(scalar)
        self._seal = AESGCM(seal_key)

    @classmethod
    def from_private(cls, encoded: str) -> VapidKeys:
        raw = unb64url(encoded)
        if len(raw) != 32:
            raise ValueError("a VAPID private key is 32 bytes, base64url")
        return cls(ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1()))

    @classmethod
    def generate(cls) -> VapidKeys:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    def private_text(self) -> str:
        return b64url(self.private.private_numbers().private_value.to_bytes(32, "big"))

    def authorization(self, endpoint: str, subject: str, now: float | None = None) -> str:
        """The ``Authorization`` header for a message to ``endpoint`` (RFC 8292 section 3)."""
        parts = urlsplit(endpoint)
        claims = {"aud": f"{parts.scheme}://{parts.netloc}",
                  "exp": int(now if now is not None else time.time()) + JWT_TTL_S,
                  "sub": subject}
        header = {"typ": "JWT", "alg": "ES256"}
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "."
                         + b64url(json.dumps(claims, separators=(",", ":")).encode()))
        der = self.private.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)  # JWS wants r || s, 32 bytes each (RFC 7518 3.4)
        jwt = f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
        return f"vapid t={jwt}, k={self.public_key}"

    def seal(self, data: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._seal.encrypt(nonce, data, None)

    def unseal(self, sealed: bytes) -> bytes | None:
        """None when another key sealed it (the pair was changed)."""
        try:
            return self._seal.decrypt(sealed[:12], sealed[12:], None)
        except (InvalidTag, ValueError):
            return None


def keys(settings: Settings) -> VapidKeys:
    """The settings' pair (checked: the public key must be the private key's), or the one
    generated into ``<data_dir>/secrets/``."""
    if settings.vapid_private_key:
        try:
            found = VapidKeys.from_private(settings.vapid_private_key)
        except ValueError as exc:
            raise ValueError(f"HUBBUB_VAPID_PRIVATE_KEY: {exc}") from None
        if settings.vapid_public_key and unb64url(settings.vapid_public_key) != unb64url(
                found.public_key):
            raise ValueError("HUBBUB_VAPID_PUBLIC_KEY is not HUBBUB_VAPID_PRIVATE_KEY's")
        return found
    if settings.vapid_public_key:
        raise ValueError("HUBBUB_VAPID_PUBLIC_KEY needs HUBBUB_VAPID_PRIVATE_KEY")
    data_dir = Path(settings.data_dir)
    for _ in range(50):
        try:
            value = credentials.stored(data_dir, PRIVATE_KEY_SECRET,
                                       lambda: VapidKeys.generate().private_text())
        except FileExistsError:
            value = ""  # another process of this data folder is writing it right now
        if value:
            return VapidKeys.from_private(value)
        time.sleep(0.01)
    raise RuntimeError(f"{data_dir / 'secrets' / PRIVATE_KEY_SECRET} is empty")


def public_key(settings: Settings) -> str:
    """The public key alone, for those who show it and sign nothing (the gateway): given by
    itself in ``HUBBUB_VAPID_PUBLIC_KEY`` (checked: a P-256 point), so the signing key need
    not be where it is not used; else the pair's (``keys``)."""
    if settings.vapid_public_key and not settings.vapid_private_key:
        try:
            raw = unb64url(settings.vapid_public_key)
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        except ValueError:
            raise ValueError("HUBBUB_VAPID_PUBLIC_KEY is not a P-256 public key (65 bytes, "
                             "base64url)") from None
        if len(raw) != 65:
            raise ValueError("HUBBUB_VAPID_PUBLIC_KEY is not an uncompressed P-256 point")
        return b64url(raw)
    return keys(settings).public_key


def env_lines() -> str:
    """A fresh pair as ``HUBBUB_VAPID_*=...`` lines (``hubbub secrets vapid-env``)."""
    made = VapidKeys.generate()
    return (f"HUBBUB_VAPID_PUBLIC_KEY={made.public_key}\n"
            f"HUBBUB_VAPID_PRIVATE_KEY={made.private_text()}\n")


def subject(settings: Settings) -> str:
    """The JWT's ``sub``: how a push service reaches the operator (RFC 8292 section 2.1), an
    https URL or a mailto: address."""
    if settings.base_url.startswith("https://"):
        return settings.base_url
    return f"mailto:noreply@{settings.instance_domain}"
