"""Standard Webhooks signatures (https://www.standardwebhooks.com/): what a partner's receiver
checks before trusting a delivery.

Each request carries ``webhook-id`` (the delivery: the same across retries and replays, so a
receiver drops a second copy), ``webhook-timestamp`` (seconds, of this attempt: a receiver
refuses stale ones, which bounds replays by whoever captured a request) and
``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``, keyed with the
secret's bytes (``whsec_<base64>``). During a rotation's grace period two signatures, space
separated: the new secret's and the old one's; a receiver accepts either."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
SECRET_BYTES = 32  # the spec asks for 24 to 64


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def key_of(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key_of(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets_: list[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers, signed with each of ``secrets_`` (the current one first)."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, msg_id, timestamp, body) for s in secrets_),
    }
