"""Message encryption for Web Push (RFC 8291) in the ``aes128gcm`` content coding (RFC 8188):
what a browser's push subscription (its P-256 key ``p256dh`` and ``auth`` secret) can decrypt,
and nobody between. One record: a push message is at most 4096 bytes in all."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.vapid import public_point

RECORD_SIZE = 4096
HEADER_BYTES = 16 + 4 + 1 + 65  # salt, record size, key id length, key id (our public key)
TAG_BYTES = 16
MAX_PLAINTEXT = RECORD_SIZE - HEADER_BYTES - TAG_BYTES - 1  # - the last record's delimiter
P256DH_BYTES = 65
AUTH_BYTES = 16


def browser_key(p256dh: bytes) -> ec.EllipticCurvePublicKey:
    """The subscription's public key; ValueError unless a point on P-256 (65 bytes,
    uncompressed)."""
    if len(p256dh) != P256DH_BYTES or p256dh[0] != 4:
        raise ValueError("must be an uncompressed P-256 point (65 bytes)")
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)


def _hkdf(salt: bytes, info: bytes, length: int, ikm: bytes) -> bytes:
    return HKDF(hashes.SHA256(), length, salt=salt, info=info).derive(ikm)


def encrypt(plaintext: bytes, p256dh: bytes, auth: bytes) -> bytes:
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError(f"a push message holds at most {MAX_PLAINTEXT} bytes")
    ua_key = browser_key(p256dh)
    ours = ec.generate_private_key(ec.SECP256R1())  # a new key per message (RFC 8291 3.1)
    our_public = public_point(ours.public_key())
    shared = ours.exchange(ec.ECDH(), ua_key)
    ikm = _hkdf(auth, b"WebPush: info\x00" + p256dh + our_public, 32, shared)
    salt = os.urandom(16)
    cek = _hkdf(salt, b"Content-Encoding: aes128gcm\x00", 16, ikm)
    nonce = _hkdf(salt, b"Content-Encoding: nonce\x00", 12, ikm)
    record = AESGCM(cek).encrypt(nonce, plaintext + b"\x02", None)
    header = salt + RECORD_SIZE.to_bytes(4, "big") + bytes([len(our_public)]) + our_public
    return header + record
