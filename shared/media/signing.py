"""Signed URLs: the local back end's own (an HMAC the gateway checks) and S3's presigned GET
(AWS Signature Version 4 in the query string, checked by the bucket's server).

Both are pure functions of the key, the expiry and a secret, and both take the signing time
from the expiry's day rather than the clock, so that one file's URL is the same all day: the
rendered JSON, the browser's cache and a CDN's all see one URL.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from shared import credentials
from shared.settings import Settings

SIGNING_KEY_SECRET = "media-signing-key"  # under <data_dir>/secrets/
MAX_EXP_DIGITS = 12  # an ``exp`` longer than this is not a time we ever signed


# --- the local back end's URLs ------------------------------------------------------------------

def signing_key(settings: Settings) -> bytes:
    """HUBBUB_MEDIA_SIGNING_KEY, or the one generated once into ``<data_dir>/secrets/``
    (shared/credentials.py, as the embedded servers' passwords are)."""
    if settings.media_signing_key:
        return settings.media_signing_key.encode()
    data_dir = Path(settings.data_dir)
    for _ in range(50):
        try:
            value = credentials.password(data_dir, SIGNING_KEY_SECRET)
        except FileExistsError:
            value = ""  # another process of this data folder is writing it right now
        if value:
            return value.encode()
        time.sleep(0.01)  # created but not written yet: read again
    raise RuntimeError(f"{data_dir / 'secrets' / SIGNING_KEY_SECRET} is empty")


def local_signature(secret: bytes, key: str, expires_at: int) -> str:
    message = f"{key}\n{expires_at}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def local_signature_valid(secret: bytes, key: str, exp: str | None, sig: str | None,
                          now: float | None = None) -> bool:
    """Whether ``?exp=&sig=`` sign ``key`` and have not expired (constant-time compare)."""
    if not exp or not sig or not (exp.isascii() and exp.isdigit()) or len(exp) > MAX_EXP_DIGITS:
        return False
    # Over the text as given: "0123" is not the "123" that was signed.
    expected = hmac.new(secret, f"{key}\n{exp}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), sig.encode("utf-8", "replace")):
        return False
    return int(exp) > (time.time() if now is None else now)


# --- S3 presigned GET (SigV4, query string) -----------------------------------------------------

MAX_PRESIGN_S = 7 * 86_400  # SigV4's limit on X-Amz-Expires
_UNRESERVED = "-_.~"


def _encode(value: str) -> str:
    """SigV4's URI encoding: everything but A-Z a-z 0-9 - _ . ~ percent-encoded."""
    return quote(value, safe=_UNRESERVED)


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def presigned_get(*, endpoint: str, bucket: str, key: str, region: str, access_key: str,
                  secret_key: str, expires_at: int, now: float | None = None) -> str:
    """A path-style presigned GET of ``key`` valid until ``expires_at``.

    Signed as of the start of the current UTC day (or just before ``expires_at`` when that is
    earlier), so the URL stays the same all day; X-Amz-Expires covers the rest of the window.
    """
    moment = int(time.time() if now is None else now)
    signed_at = min(moment - moment % 86_400, expires_at - 1)
    expires = expires_at - signed_at
    if expires > MAX_PRESIGN_S:
        raise ValueError("S3 presigned URLs last at most 7 days")
    stamp = datetime.fromtimestamp(signed_at, UTC).strftime("%Y%m%dT%H%M%SZ")
    day = stamp[:8]
    scheme, _, rest = endpoint.partition("://")
    host, _, base_path = rest.partition("/")
    # The Host a client sends: no default port (a signature over "host:443" would not match).
    host = host.lower()
    default_port = {"https": ":443", "http": ":80"}.get(scheme.lower())
    if default_port:
        host = host.removesuffix(default_port)
    segments = [*base_path.split("/"), bucket, *key.split("/")]
    path = "/" + "/".join(_encode(segment) for segment in segments if segment)
    scope = f"{day}/{region}/s3/aws4_request"
    query = {
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": f"{access_key}/{scope}",
        "X-Amz-Date": stamp,
        "X-Amz-Expires": str(expires),
        "X-Amz-SignedHeaders": "host",
    }
    canonical_query = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(query.items()))
    canonical_request = "\n".join(
        ["GET", path, canonical_query, f"host:{host}", "", "host", "UNSIGNED-PAYLOAD"])
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope,
                                hashlib.sha256(canonical_request.encode()).hexdigest()])
    signing = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), day), region), "s3"),
                    "aws4_request")
    signature = hmac.new(signing, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{scheme}://{host}{path}?{canonical_query}&X-Amz-Signature={signature}"

