"""``GET``/``HEAD /files/<key>``: the local media back end's files (shared/media/local.py). With
the S3 back end the bucket serves them and this route answers 404.

No token: browsers load ``<img>`` and ``<video>`` without one. What stands in for it:
- ``avatars/`` and ``headers/`` keys are public (their random token is the secret), cached for
  good since a new picture gets a new key;
- every other key (``media/``) needs the ``?exp=&sig=`` its signed URL carries, unexpired
  (403 otherwise: tampered, expired or missing), and is cached privately until it expires.

Never executable: only the whitelisted image, video and audio types go out as themselves (by
the key's extension, shared/media/storage.py); anything else is ``application/octet-stream``
with ``Content-Disposition: attachment``. Every file also carries ``nosniff`` and a sandboxing
CSP, so even a file opened directly is an inert document.

Range requests (one range, as browsers send for video and audio seeking) answer 206; several
ranges in one request get the whole file (RFC 9110 lets a server ignore Range).
"""

from __future__ import annotations

import asyncio
import os
import re
import stat
import time
from collections.abc import AsyncIterator
from typing import IO, Any

from litestar import Request, Response, route
from litestar.params import FromPath
from litestar.response import Stream

from services.gateway.context import Gateway
from services.gateway.scopes import PUBLIC
from shared import errors
from shared.media.local import LocalStorage
from shared.media.storage import DOWNLOAD_TYPE, is_public, open_storage, served_type, valid_key
from shared.settings import Settings

CHUNK = 256 * 1024
PUBLIC_CACHE = "public, max-age=31536000, immutable"
_RANGE = re.compile(r"bytes=(\d{0,18})-(\d{0,18})")
# One local storage per configuration: it holds the signing key (read once from the data
# folder), nothing that needs closing.
_local: dict[tuple[str, str, str], LocalStorage] = {}


def local_storage(settings: Settings) -> LocalStorage | None:
    if settings.media_storage != "local":
        return None
    config = (settings.data_dir, settings.media_signing_key, settings.base_url)
    found = _local.get(config)
    if found is None:
        storage = open_storage(settings)
        assert isinstance(storage, LocalStorage)
        found = _local[config] = storage
    return found


@route("/files/{key:path}", http_method=["GET", "HEAD"], opt=PUBLIC)
async def media_file(request: Request[Any, Any, Any], key: FromPath[str]) -> Response[Any]:
    gw: Gateway = request.app.state.gateway  # the settings only: no connection is needed
    storage = local_storage(gw.settings)
    key = key.lstrip("/")
    if storage is None or not valid_key(key):
        raise errors.NotFound("Not found")
    if not is_public(key) and not storage.signature_valid(
            key, request.query_params.get("exp"), request.query_params.get("sig")):
        raise errors.Forbidden("This link is not valid or has expired")
    try:
        opened = await asyncio.to_thread(_open, storage, key)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, ValueError):
        raise errors.NotFound("Not found") from None
    except OSError as error:  # the disk, not the request: try again (logged as a 503)
        raise errors.Unavailable(f"media folder: {error.strerror}") from error
    return _answer(request, key, *opened)


def _open(storage: LocalStorage, key: str) -> tuple[IO[bytes], os.stat_result]:
    path = storage.path_of(key)  # ValueError: resolves outside the media folder
    handle = path.open("rb")
    info = os.fstat(handle.fileno())  # the opened file's, even if it is replaced meanwhile
    if not stat.S_ISREG(info.st_mode):
        handle.close()
        raise IsADirectoryError(key)
    return handle, info


def _answer(request: Request[Any, Any, Any], key: str, handle: IO[bytes],
            info: os.stat_result) -> Response[Any]:
    size = info.st_size
    etag = f'"{size:x}-{info.st_mtime_ns:x}"'
    headers = _headers(request, key, etag)
    if etag in _tags(request.headers.get("if-none-match", "")):
        handle.close()
        return Response(content=b"", status_code=304, headers=headers)
    try:
        wanted = _range(request, etag, size)
    except _Unsatisfiable:
        handle.close()
        return Response(content=b"", status_code=416,
                        headers={**headers, "Content-Range": f"bytes */{size}"})
    start, end = wanted or (0, size - 1)
    length = max(0, end - start + 1)
    headers["Content-Length"] = str(length)
    status = 200
    if wanted:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    if request.method == "HEAD":
        handle.close()
        body: AsyncIterator[bytes] = _nothing()
    else:
        body = _chunks(handle, start, length)
    return Stream(body, status_code=status, headers=headers, media_type=served_type(key))


def _headers(request: Request[Any, Any, Any], key: str, etag: str) -> dict[str, str]:
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if is_public(key):
        headers["Cache-Control"] = PUBLIC_CACHE
    else:
        left = int(request.query_params.get("exp", "0")) - int(time.time())
        headers["Cache-Control"] = f"private, max-age={max(0, left)}"
    if served_type(key) == DOWNLOAD_TYPE:
        headers["Content-Disposition"] = f'attachment; filename="{key.rsplit("/", 1)[-1]}"'
    return headers


def _tags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


class _Unsatisfiable(Exception):
    """A range that starts past the end (416)."""


def _range(request: Request[Any, Any, Any], etag: str, size: int) -> tuple[int, int] | None:
    """The one byte range asked for (first, last), or None for the whole file."""
    header = request.headers.get("range", "")
    if not header:
        return None
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() != etag:
        return None  # the file changed since the client's copy: all of it
    found = _RANGE.fullmatch(header.strip())
    if found is None or (not found[1] and not found[2]):
        return None  # several ranges, or not bytes: the whole file
    if not found[1]:  # the last N bytes
        suffix = int(found[2])
        if suffix == 0 or size == 0:
            raise _Unsatisfiable
        return max(0, size - suffix), size - 1
    first = int(found[1])
    last = min(int(found[2]), size - 1) if found[2] else size - 1
    if found[2] and int(found[2]) < first:
        return None  # not a range at all (RFC 9110: ignore the header)
    if first >= size:
        raise _Unsatisfiable
    return first, last


async def _chunks(handle: IO[bytes], start: int, length: int) -> AsyncIterator[bytes]:
    try:
        await asyncio.to_thread(handle.seek, start)
        while length > 0:
            chunk = await asyncio.to_thread(handle.read, min(CHUNK, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
    finally:
        handle.close()


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield b""  # pragma: no cover (makes this an async generator)


ROUTES = [media_file]
