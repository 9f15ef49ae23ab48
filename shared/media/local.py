"""The local back end: files under ``<data_dir>/media-files/``, served by the gateway's
``/files/<key>`` route (services/gateway/routes/files.py), which checks the signatures made here.

For one machine: every process that stores or serves media must share the data folder (and so
the generated signing key). Replicas on several machines use S3 instead.

A key becomes a path only through ``path_of``: checked (``valid_key``), joined under the root,
resolved (symlinks followed) and refused unless it is still inside the root. Writes go to a
temporary file beside the target and are renamed over it, so a reader sees the old file or the
new one, never half of one; temporary names start with a dot, which no key can name.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from pathlib import Path

from shared.media import signing
from shared.media.storage import (
    StorageUnavailable,
    StoredFileMissing,
    check_content_type,
    check_key,
    is_public,
)
from shared.settings import Settings

ROOT_FOLDER = "media-files"


class LocalStorage:
    def __init__(self, settings: Settings) -> None:
        self.root = (Path(settings.data_dir) / ROOT_FOLDER).resolve()
        self.base_url = settings.base_url.rstrip("/")
        self._secret = signing.signing_key(settings)

    # --- keys and paths ---------------------------------------------------------------------

    def path_of(self, key: str) -> Path:
        """The file of ``key``: ValueError for an invalid key or one that resolves outside the
        root (a symlink planted inside it)."""
        check_key(key)
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise ValueError(f"storage key outside the media folder: {key[:60]!r}")
        return path

    def signature_valid(self, key: str, exp: str | None, sig: str | None) -> bool:
        return signing.local_signature_valid(self._secret, key, exp, sig)

    def url(self, key: str, *, expires_at: int | None = None) -> str:
        check_key(key)
        plain = f"{self.base_url}/files/{key}"
        if expires_at is None:
            if not is_public(key):
                raise ValueError(f"{key[:60]!r} is served only with a signed URL: give "
                                 "expires_at")
            return plain
        return (f"{plain}?exp={expires_at}"
                f"&sig={signing.local_signature(self._secret, key, expires_at)}")

    # --- files ------------------------------------------------------------------------------

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        check_content_type(key, content_type)
        path = self.path_of(key)
        try:
            await asyncio.to_thread(self._write, key, path, data)
        except OSError as error:
            raise StorageUnavailable(f"cannot write {key}: {error.strerror}") from error

    def _write(self, key: str, path: Path, data: bytes) -> None:
        for attempt in range(3):
            path.parent.mkdir(parents=True, exist_ok=True)
            # Again after mkdir: a folder on the way may be a symlink made meanwhile.
            if self.path_of(key) != path:
                raise ValueError(f"storage key outside the media folder: {key[:60]!r}")
            try:
                fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            except FileNotFoundError:
                if attempt == 2:
                    raise
                continue  # a delete removed the emptied folder between mkdir and here
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
            return

    async def get(self, key: str) -> bytes:
        path = self.path_of(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as error:
            raise StoredFileMissing(key) from error
        except OSError as error:
            raise StorageUnavailable(f"cannot read {key}: {error.strerror}") from error

    async def delete(self, key: str) -> None:
        path = self.path_of(key)
        try:
            await asyncio.to_thread(self._remove, path)
        except OSError as error:
            raise StorageUnavailable(f"cannot delete {key}: {error.strerror}") from error

    def _remove(self, path: Path) -> None:
        # Missing is fine; so is a key that names a folder (it holds no file of its own).
        with contextlib.suppress(FileNotFoundError, NotADirectoryError, IsADirectoryError):
            path.unlink()
        # Tidy the folders the key made (media/<id>/<token>/) once they are empty.
        folder = path.parent
        while folder != self.root and folder.is_relative_to(self.root):
            try:
                folder.rmdir()
            except OSError:
                break  # not empty (or gone): leave it and those above
            folder = folder.parent

    async def check(self) -> None:
        try:
            await asyncio.to_thread(self._probe)
        except OSError as error:
            raise StorageUnavailable(f"media folder {self.root}: {error.strerror}") from error

    def _probe(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise PermissionError(13, "not writable")

    async def close(self) -> None:
        return None
