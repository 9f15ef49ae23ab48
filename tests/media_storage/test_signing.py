"""Signed URLs without servers: the window they are valid in, the local HMAC and its key, and
S3's SigV4 presigning checked against botocore's own signer."""

from __future__ import annotations

import datetime
import stat
from pathlib import Path

import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from shared.media import signed_window_end
from shared.media.local import LocalStorage
from shared.media.signing import (
    SIGNING_KEY_SECRET,
    local_signature,
    local_signature_valid,
    presigned_get,
    signing_key,
)
from shared.settings import Settings, from_env

DAY = 86_400
MIDNIGHT = 1_800_000_000 - 1_800_000_000 % DAY  # some UTC midnight


@pytest.mark.parametrize("now", [MIDNIGHT, MIDNIGHT + 1, MIDNIGHT + 43_200,
                                 MIDNIGHT + DAY - 1, MIDNIGHT + DAY - 0.001])
def test_the_window_ends_at_the_end_of_tomorrow(now: float) -> None:
    assert signed_window_end(now) == MIDNIGHT + 2 * DAY
    assert signed_window_end(now) - now > DAY  # a URL rendered today lives at least 24 h


def test_the_window_moves_at_midnight() -> None:
    assert signed_window_end(MIDNIGHT + DAY) == MIDNIGHT + 3 * DAY


def test_local_signatures() -> None:
    secret = b"s" * 32
    exp = MIDNIGHT + DAY
    sig = local_signature(secret, "media/1/a/original.png", exp)
    check = local_signature_valid
    assert check(secret, "media/1/a/original.png", str(exp), sig, now=MIDNIGHT)
    assert not check(secret, "media/1/a/original.png", str(exp), sig, now=exp)  # expired
    assert not check(secret, "media/1/b/original.png", str(exp), sig, now=MIDNIGHT)
    assert not check(secret, "media/1/a/original.png", str(exp + 1), sig, now=MIDNIGHT)
    assert not check(b"t" * 32, "media/1/a/original.png", str(exp), sig, now=MIDNIGHT)
    for bad_exp, bad_sig in [(None, sig), (str(exp), None), ("", sig), (str(exp), ""),
                             ("-1", sig), (" 1", sig), ("1" * 13, sig), (str(exp), sig + "0"),
                             (str(exp), "é" * 64), (f"0{exp}", sig)]:
        assert not check(secret, "media/1/a/original.png", bad_exp, bad_sig, now=MIDNIGHT)


def test_the_key_is_generated_once_into_the_secrets_folder(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path))
    first = signing_key(settings)
    assert len(first) >= 32
    path = tmp_path / "secrets" / SIGNING_KEY_SECRET
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert signing_key(settings) == first
    # Two processes of one data folder sign alike.
    one, two = LocalStorage(settings), LocalStorage(settings)
    assert one.url("media/1/a/x.png", expires_at=MIDNIGHT) == two.url(
        "media/1/a/x.png", expires_at=MIDNIGHT)


def test_a_configured_key_wins(tmp_path: Path) -> None:
    generated = LocalStorage(Settings(data_dir=str(tmp_path)))
    configured = LocalStorage(Settings(data_dir=str(tmp_path), media_signing_key="k" * 40))
    assert signing_key(Settings(data_dir=str(tmp_path), media_signing_key="k" * 40)) == b"k" * 40
    assert generated.url("media/1/a/x.png", expires_at=MIDNIGHT) != configured.url(
        "media/1/a/x.png", expires_at=MIDNIGHT)


def test_local_urls(tmp_path: Path) -> None:
    storage = LocalStorage(Settings(data_dir=str(tmp_path), public_url="https://hub.example/"))
    assert storage.url("avatars/1/abc.png") == "https://hub.example/files/avatars/1/abc.png"
    signed = storage.url("media/1/a/x.png", expires_at=MIDNIGHT)
    assert signed.startswith(f"https://hub.example/files/media/1/a/x.png?exp={MIDNIGHT}&sig=")


@pytest.mark.parametrize(("endpoint", "key"), [
    ("http://127.0.0.1:9000", "media/1/abc/original.png"),
    ("https://s3.eu-central-1.amazonaws.com", "avatars/7/t_k-n.webp"),
    ("https://minio.example:8443/storage", "media/2/x/small.jpg"),
])
def test_s3_presigning_matches_botocore(monkeypatch: pytest.MonkeyPatch, endpoint: str,
                                        key: str) -> None:
    """Our presigned URL is the one botocore's own SigV4 query signer makes at the same time
    (ours is synchronous and takes its time from the day, not the clock)."""
    now = MIDNIGHT + 5_000
    expires_at = signed_window_end(now)
    ours = presigned_get(endpoint=endpoint, bucket="hub-media", key=key, region="eu-central-1",
                         access_key="AKIDEXAMPLE", secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCY",
                         expires_at=expires_at, now=now)
    monkeypatch.setattr(botocore.auth, "get_current_datetime",
                        lambda: datetime.datetime.fromtimestamp(MIDNIGHT, datetime.UTC)
                        .replace(tzinfo=None))
    signer = botocore.auth.S3SigV4QueryAuth(
        Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCY"), "s3", "eu-central-1",
        expires=expires_at - MIDNIGHT)
    request = AWSRequest(method="GET", url=f"{endpoint}/hub-media/{key}")
    signer.add_auth(request)
    assert ours == request.url


def test_s3_presigning_limits() -> None:
    with pytest.raises(ValueError):
        presigned_get(endpoint="http://h", bucket="b", key="k", region="r", access_key="a",
                      secret_key="s", expires_at=MIDNIGHT + 9 * DAY, now=MIDNIGHT)
    # Already expired: still a URL (the server refuses it), signed just before its end.
    late = presigned_get(endpoint="http://h", bucket="b", key="k", region="r",
                         access_key="a", secret_key="s", expires_at=MIDNIGHT + 10,
                         now=MIDNIGHT + DAY)
    assert "X-Amz-Expires=1&" in late


def test_media_settings_from_the_environment() -> None:
    settings = from_env({
        "HUBBUB_MEDIA_STORAGE": "S3", "HUBBUB_S3_ENDPOINT": "https://s3.example/",
        "HUBBUB_S3_BUCKET": "media", "HUBBUB_S3_REGION": "eu-west-1",
        "HUBBUB_S3_ACCESS_KEY": "ak", "HUBBUB_S3_SECRET_KEY": "sk",
        "HUBBUB_S3_PUBLIC_URL": "https://cdn.example/media/",
        "HUBBUB_MEDIA_SIGNING_KEY": "x" * 32})
    assert (settings.media_storage, settings.s3_endpoint, settings.s3_bucket,
            settings.s3_region, settings.s3_access_key, settings.s3_secret_key,
            settings.s3_public_url, settings.media_signing_key) == (
        "s3", "https://s3.example", "media", "eu-west-1", "ak", "sk",
        "https://cdn.example/media", "x" * 32)
    assert from_env({}).media_storage == "local"
    with pytest.raises(ValueError, match="HUBBUB_MEDIA_STORAGE"):
        from_env({"HUBBUB_MEDIA_STORAGE": "ftp"})
    with pytest.raises(ValueError, match="HUBBUB_MEDIA_SIGNING_KEY"):
        from_env({"HUBBUB_MEDIA_SIGNING_KEY": "short"})
