"""Where media files live: one interface, two back ends (``local.py``: a folder the gateway
serves, ``s3.py``: an S3-compatible bucket that serves them itself).

Keys are made by Hubbub, never taken from outside unchecked: ``valid_key`` is checked by every
method (ValueError otherwise), so a key can never name a path outside the storage's folder nor
an unexpected bucket key. The layout:

- ``media/<id>/<random token>/original.<ext>``, ``.../small.<ext>``: attachments, served only
  with a signed URL that expires (``url(key, expires_at=...)``);
- ``avatars/<account>/<token>.<ext>``, ``headers/<account>/<token>.<ext>``: public, at a plain
  URL (the token makes them unguessable, and a new picture gets a new key, so they are cached
  for good).

What a browser is given is decided here too: only the types in ``INLINE_TYPES`` are ever served
as themselves, picked by the key's extension; anything else goes out as a download
(``application/octet-stream``), so an uploaded HTML page or SVG can never run as a document of
Hubbub's (or the bucket's) origin.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from shared.settings import Settings


class StorageUnavailable(Exception):
    """The back end cannot be reached (or refuses us): callers answer 503."""


class StoredFileMissing(Exception):
    """No file under that key."""


_KEY = re.compile(r"[a-z0-9][a-z0-9/_.-]{0,200}")
PUBLIC_PREFIXES = ("avatars/", "headers/")

# The types a browser may render as themselves, by extension: images, video and audio that no
# browser executes. Everything else (SVG, HTML, PDF, ...) is sent as a download.
INLINE_TYPES = {
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
    "webp": "image/webp", "avif": "image/avif",
    "mp4": "video/mp4", "webm": "video/webm",
    "mp3": "audio/mpeg", "ogg": "audio/ogg", "oga": "audio/ogg", "m4a": "audio/mp4",
}
DOWNLOAD_TYPE = "application/octet-stream"
DAY_S = 86_400


def valid_key(key: str) -> bool:
    """``^[a-z0-9][a-z0-9/_.-]{0,200}$`` with no ``..`` and no ``//``; also no segment that
    starts with a dot (``a/./b`` would name the same file as ``a/b``, and the local back end's
    temporary files start with one) and no trailing ``/`` (a folder, not a file)."""
    return (isinstance(key, str) and _KEY.fullmatch(key) is not None and ".." not in key
            and "//" not in key and "/." not in key and not key.endswith("/"))


def check_key(key: str) -> str:
    if not valid_key(key):
        raise ValueError(f"not a valid storage key: {key[:60]!r}")
    return key


def is_public(key: str) -> bool:
    """Keys served at a plain URL (avatars, headers); every other key needs a signed one."""
    return key.startswith(PUBLIC_PREFIXES)


def served_type(key: str) -> str:
    """The content type the file is served with, from its key's extension: an inline type, or
    ``application/octet-stream`` (then always with ``Content-Disposition: attachment``)."""
    _, dot, extension = key.rpartition(".")
    return INLINE_TYPES.get(extension, DOWNLOAD_TYPE) if dot else DOWNLOAD_TYPE


def check_content_type(key: str, content_type: str) -> str:
    """What ``put`` stores: the key's served type. A caller's type that contradicts an inline
    extension is a bug (the file would be served as something it is not): ValueError."""
    given = content_type.split(";", 1)[0].strip().lower()
    expected = served_type(key)
    if expected != DOWNLOAD_TYPE and given != expected:
        raise ValueError(f"content type {given!r} does not match the key's extension "
                         f"({expected})")
    return expected


def signed_window_end(now: float | None = None) -> int:
    """The expiry to give signed URLs rendered now: the end of tomorrow (UTC). A URL rendered
    (and cached) any time today stays valid at least 24 h, and every URL rendered today is the
    same, so browsers and caches reuse it; callers cache rendered JSON no longer than the end
    of today."""
    moment = time.time() if now is None else now
    return (int(moment) // DAY_S + 2) * DAY_S


class MediaStorage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes:
        """The file's bytes; StoredFileMissing, StorageUnavailable."""
        ...

    async def delete(self, key: str) -> None:
        """Idempotent: a missing file is fine."""
        ...

    def url(self, key: str, *, expires_at: int | None = None) -> str:
        """``expires_at`` None: the plain public URL (avatars and headers only; other keys
        raise ValueError). Otherwise a URL signed to work until ``expires_at`` (unix seconds)."""
        ...

    async def check(self) -> None:
        """Raises StorageUnavailable when the back end cannot be used (readiness)."""
        ...

    async def close(self) -> None: ...


def open_storage(settings: Settings) -> MediaStorage:
    """The configured back end. Nothing is connected yet (S3 connects on first use), so this
    is cheap and never blocks on the network."""
    if settings.media_storage == "s3":
        from shared.media.s3 import S3Storage  # aiobotocore is loaded only where used

        return S3Storage(settings)
    if settings.media_storage == "local":
        from shared.media.local import LocalStorage

        return LocalStorage(settings)
    raise ValueError(f"unknown media storage {settings.media_storage!r}")
