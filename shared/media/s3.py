"""The S3 back end: an S3-compatible bucket (AWS S3, MinIO, SeaweedFS, Ceph, R2, ...) through
aiobotocore, path-style addressing. The bucket serves the files itself: public keys (avatars,
headers) at a plain URL, which needs the bucket's policy to allow anonymous GetObject on
``avatars/*`` and ``headers/*`` (README), and every other key at a presigned GET that expires.

Failures callers can act on, and nothing else: a missing key is ``StoredFileMissing``; a server
that cannot be reached, times out (connect 3 s, read 30 s, one retry), answers 5xx or refuses
us (wrong credentials, no such bucket) is ``StorageUnavailable`` (503). Messages name the
operation and the error code, never a credential.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import aiohttp
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from shared.media import signing
from shared.media.storage import (
    DOWNLOAD_TYPE,
    StorageUnavailable,
    StoredFileMissing,
    check_content_type,
    check_key,
    is_public,
)
from shared.settings import Settings

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 30.0
MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
PUBLIC_CACHE = "public, max-age=31536000, immutable"  # a new picture gets a new key
SIGNED_CACHE = "private, max-age=86400"
# Any of these while talking to the server: it is away, or the connection broke.
UNREACHABLE = (BotoCoreError, aiohttp.ClientError, asyncio.TimeoutError, OSError)


class S3Storage:
    def __init__(self, settings: Settings, *, connect_timeout: float = CONNECT_TIMEOUT_S,
                 read_timeout: float = READ_TIMEOUT_S) -> None:
        missing = [name for name, value in (
            ("HUBBUB_S3_ENDPOINT", settings.s3_endpoint), ("HUBBUB_S3_BUCKET", settings.s3_bucket),
            ("HUBBUB_S3_ACCESS_KEY", settings.s3_access_key),
            ("HUBBUB_S3_SECRET_KEY", settings.s3_secret_key)) if not value]
        if missing:
            raise ValueError(f"HUBBUB_MEDIA_STORAGE=s3 needs {', '.join(missing)}")
        self.endpoint = settings.s3_endpoint.rstrip("/")
        self.bucket = settings.s3_bucket
        self.region = settings.s3_region
        self.public_base = (settings.s3_public_url.rstrip("/")
                            or f"{self.endpoint}/{self.bucket}")
        self._access_key = settings.s3_access_key
        self._secret_key = settings.s3_secret_key
        self._config = AioConfig(
            connect_timeout=connect_timeout, read_timeout=read_timeout,
            retries={"max_attempts": 2, "mode": "standard"},
            s3={"addressing_style": "path"}, signature_version="s3v4")
        self._client: S3Client | None = None
        self._exits = contextlib.AsyncExitStack()
        self._opening = asyncio.Lock()

    def __repr__(self) -> str:  # never the keys
        return f"S3Storage(endpoint={self.endpoint!r}, bucket={self.bucket!r})"

    async def _s3(self) -> S3Client:
        """The client, made on first use (open_storage never touches the network)."""
        if self._client is None:
            async with self._opening:
                if self._client is None:
                    self._client = await self._exits.enter_async_context(
                        get_session().create_client(
                            "s3", endpoint_url=self.endpoint, region_name=self.region,
                            aws_access_key_id=self._access_key,
                            aws_secret_access_key=self._secret_key, config=self._config))
        return self._client

    def url(self, key: str, *, expires_at: int | None = None) -> str:
        check_key(key)
        if expires_at is None:
            if not is_public(key):
                raise ValueError(f"{key[:60]!r} is served only with a signed URL: give "
                                 "expires_at")
            return f"{self.public_base}/{key}"
        return signing.presigned_get(
            endpoint=self.endpoint, bucket=self.bucket, key=key, region=self.region,
            access_key=self._access_key, secret_key=self._secret_key, expires_at=expires_at)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        served = check_content_type(check_key(key), content_type)
        try:
            client = await self._s3()
            await client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=served,
                CacheControl=PUBLIC_CACHE if is_public(key) else SIGNED_CACHE,
                # An S3 server can add no nosniff nor sandbox header: what is not an inline
                # type at least never renders (storage.py's whitelist).
                ContentDisposition="attachment" if served == DOWNLOAD_TYPE else "inline")
        except ClientError as error:
            raise _failure("put", key, error) from error
        except UNREACHABLE as error:
            raise StorageUnavailable(f"S3 put {key}: {type(error).__name__}") from error

    async def get(self, key: str) -> bytes:
        check_key(key)
        try:
            client = await self._s3()
            answer = await client.get_object(Bucket=self.bucket, Key=key)
            async with answer["Body"] as body:
                return await body.read()
        except ClientError as error:
            raise _failure("get", key, error) from error
        except UNREACHABLE as error:
            raise StorageUnavailable(f"S3 get {key}: {type(error).__name__}") from error

    async def delete(self, key: str) -> None:
        check_key(key)
        try:
            client = await self._s3()
            await client.delete_object(Bucket=self.bucket, Key=key)  # missing: S3 says 204
        except ClientError as error:
            failure = _failure("delete", key, error)
            if not isinstance(failure, StoredFileMissing):
                raise failure from error
        except UNREACHABLE as error:
            raise StorageUnavailable(f"S3 delete {key}: {type(error).__name__}") from error

    async def check(self) -> None:
        try:
            client = await self._s3()
            await client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            raise StorageUnavailable(f"S3 bucket {self.bucket}: {_code(error)}") from error
        except UNREACHABLE as error:
            raise StorageUnavailable(f"S3 at {self.endpoint}: {type(error).__name__}") from error

    async def close(self) -> None:
        self._client = None
        await self._exits.aclose()


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "unknown"))


def _failure(operation: str, key: str, error: ClientError
             ) -> StoredFileMissing | StorageUnavailable:
    code = _code(error)
    if code in MISSING_CODES:
        return StoredFileMissing(key)
    # 5xx: the server is in trouble; 4xx other than a missing key (AccessDenied, NoSuchBucket,
    # a wrong clock): a setting is wrong. Either way nothing the caller can fix: 503, logged.
    return StorageUnavailable(f"S3 {operation} {key}: {code}")
