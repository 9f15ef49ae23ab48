"""Web Push's pure parts: the aes128gcm encryption (services/notify/push/ece.py) decrypted by
http_ece as a browser would; the VAPID keys (shared/vapid.py) from the settings or generated
once, their JWT verifiable, the token seal; the SSRF guard's verdicts on addresses
(shared/endpoint.py, no lookups: literal addresses only)."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from services.notify.push import ece, endpoint
from services.notify.push.jobs import policy_lets_through
from shared import vapid
from shared.settings import Settings, from_env
from tests.helpers.push_receiver import Browser, unb64url


def test_a_browser_decrypts_what_is_encrypted_for_it() -> None:
    browser = Browser()
    message = json.dumps({"title": "caf\u00e9", "body": "x" * 3000}).encode()
    sealed = ece.encrypt(message, unb64url(browser.p256dh), browser.auth)
    assert browser.decrypt(sealed) == message
    # Each message has its own salt and key: the same text never looks the same twice.
    assert ece.encrypt(message, unb64url(browser.p256dh), browser.auth)[:16] != sealed[:16]
    with pytest.raises(Exception):  # noqa: B017 - another browser cannot read it
        Browser().decrypt(sealed)


def test_one_record_at_most() -> None:
    browser = Browser()
    ece.encrypt(b"x" * ece.MAX_PLAINTEXT, unb64url(browser.p256dh), browser.auth)
    with pytest.raises(ValueError):
        ece.encrypt(b"x" * (ece.MAX_PLAINTEXT + 1), unb64url(browser.p256dh), browser.auth)


@pytest.mark.parametrize("key", [b"\x04" + b"\x00" * 64, b"\x02" + b"\x01" * 32, b"\x04" * 10])
def test_keys_that_are_not_p256_points_are_refused(key: bytes) -> None:
    with pytest.raises(ValueError):
        ece.browser_key(key)


def test_vapid_keys_are_generated_once_into_the_secrets(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path))
    first, again = vapid.keys(settings), vapid.keys(settings)
    assert first.public_key == again.public_key and len(unb64url(first.public_key)) == 65
    path = tmp_path / "secrets" / vapid.PRIVATE_KEY_SECRET
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_vapid_keys_from_the_settings(tmp_path: Path) -> None:
    made = vapid.VapidKeys.generate()
    settings = from_env({"HUBBUB_VAPID_PRIVATE_KEY": made.private_text(),
                         "HUBBUB_VAPID_PUBLIC_KEY": made.public_key,
                         "HUBBUB_DATA_DIR": str(tmp_path)})
    assert vapid.keys(settings).public_key == made.public_key
    assert not (tmp_path / "secrets").exists()
    other = vapid.VapidKeys.generate().public_key
    for bad in ({"vapid_private_key": made.private_text(), "vapid_public_key": other},
                {"vapid_public_key": made.public_key},
                {"vapid_private_key": "short"}):
        with pytest.raises(ValueError, match="HUBBUB_VAPID"):
            vapid.keys(Settings(data_dir=str(tmp_path), **bad))


def test_the_vapid_jwt_verifies_with_the_public_key() -> None:
    keys = vapid.VapidKeys.generate()
    header = keys.authorization("https://push.example.com/send/abc?x=1", "mailto:a@b.test",
                                now=1_000_000)
    assert header.startswith("vapid t=") and header.endswith(f", k={keys.public_key}")
    token = header[len("vapid t="):].split(",")[0]
    head, claims, signature = token.split(".")
    raw = unb64url(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                          unb64url(keys.public_key))
    public.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                       int.from_bytes(raw[32:], "big")),
                  f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    assert json.loads(unb64url(claims)) == {"aud": "https://push.example.com",
                                            "exp": 1_000_000 + vapid.JWT_TTL_S,
                                            "sub": "mailto:a@b.test"}


def test_the_token_seal_opens_with_its_key_only() -> None:
    keys, other = vapid.VapidKeys.generate(), vapid.VapidKeys.generate()
    sealed = keys.seal(b"the token")
    assert b"the token" not in sealed
    assert keys.unseal(sealed) == b"the token"
    assert other.unseal(sealed) is None and keys.unseal(b"short") is None


@pytest.mark.parametrize(("url", "loopback", "allowed"), [
    ("https://8.8.8.8/push", False, True),
    ("https://[2001:4860:4860::8888]/push", False, True),
    ("http://8.8.8.8/push", False, False),
    ("http://8.8.8.8/push", True, False),  # plain http to loopback only
    ("https://127.0.0.1/push", False, False),
    ("https://127.0.0.1/push", True, True),
    ("http://127.0.0.1:9/push", True, True),
    ("http://[::1]:9/push", True, True),
    ("https://[::ffff:10.0.0.1]/push", True, False),
    ("https://10.0.0.1/push", True, False),
    ("https://172.16.5.4/push", True, False),
    ("https://192.168.1.1/push", True, False),
    ("https://169.254.169.254/latest", True, False),
    ("https://[fe80::1]/push", True, False),
    ("https://[fc00::1]/push", True, False),
    ("https://0.0.0.0/push", True, False),
    ("https://224.0.0.1/push", True, False),
    ("https://100.64.0.1/push", True, False),  # carrier-grade NAT: not global
    ("https://u:p@8.8.8.8/push", False, False),
    ("ftp://8.8.8.8/push", False, False),
    ("https:///push", False, False),
    ("https://8.8.8.8:99999/push", False, False),
    ("https://8.8.8.8/" + "x" * 3000, False, False),
])
def test_the_ssrf_guard(url: str, loopback: bool, allowed: bool) -> None:
    async def verdict() -> bool:
        try:
            await endpoint.check(url, allow_loopback=loopback)
        except endpoint.UnsafeUrl:
            return False
        return True
    assert asyncio.run(verdict()) is allowed


@pytest.mark.parametrize(("policy", "follows", "follower", "lets"), [
    ("all", False, False, True), ("none", True, True, False),
    ("followed", True, False, True), ("followed", False, True, False),
    ("follower", False, True, True), ("follower", True, False, False),
])
def test_the_push_policy(policy: str, follows: bool, follower: bool, lets: bool) -> None:
    assert policy_lets_through(policy, recipient_follows=follows,  # type: ignore[arg-type]
                               sender_follows=follower) is lets


def test_a_pinned_target_keeps_the_name_for_host_and_tls() -> None:
    pinned = asyncio.run(endpoint.pin("https://8.8.8.8:8443/send/x?y=1"))
    assert pinned == endpoint.Pinned(url="https://8.8.8.8:8443/send/x?y=1", host="8.8.8.8:8443",
                                 server_name="8.8.8.8")
    pinned = asyncio.run(endpoint.pin("http://localhost:9/push/a", allow_loopback=True))
    assert pinned.url in ("http://127.0.0.1:9/push/a", "http://[::1]:9/push/a")
    assert pinned.host == "localhost:9" and pinned.server_name == "localhost"
    pinned = asyncio.run(endpoint.pin("https://[2001:4860:4860::8888]/p"))
    assert pinned.url == "https://[2001:4860:4860::8888]/p"


def test_the_public_key_alone(tmp_path: Path) -> None:
    made = vapid.VapidKeys.generate()
    alone = Settings(data_dir=str(tmp_path), vapid_public_key=made.public_key)
    assert vapid.public_key(alone) == made.public_key
    assert not (tmp_path / "secrets").exists()  # nothing generated beside it
    with pytest.raises(ValueError, match="HUBBUB_VAPID_PUBLIC_KEY"):
        vapid.public_key(Settings(data_dir=str(tmp_path), vapid_public_key="BAAA"))
    lines = dict(line.split("=", 1) for line in vapid.env_lines().splitlines())
    pair = vapid.keys(Settings(vapid_private_key=lines["HUBBUB_VAPID_PRIVATE_KEY"],
                               vapid_public_key=lines["HUBBUB_VAPID_PUBLIC_KEY"]))
    assert pair.public_key == lines["HUBBUB_VAPID_PUBLIC_KEY"]
