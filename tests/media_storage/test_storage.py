"""The storage contract (shared/media/storage.py), held by both back ends alike: the local
folder and a real S3 server (SeaweedFS)."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.media import StorageUnavailable, StoredFileMissing, open_storage, valid_key
from shared.media.local import LocalStorage
from shared.media.s3 import S3Storage
from shared.media.storage import MediaStorage
from shared.settings import Settings
from tests.helpers.s3_server import S3Server, running

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def media_key(name: str = "original.png") -> str:
    return f"media/{secrets.randbelow(10**12)}/{secrets.token_hex(8)}/{name}"


def stored(settings: Settings, s3_server: S3Server | None) -> list[str]:
    """Everything the back end holds, seen from outside it."""
    if settings.media_storage == "s3":
        assert s3_server is not None
        return s3_server.keys()
    folder = Path(settings.data_dir)
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def server_if_s3(request: pytest.FixtureRequest, backend: Settings) -> S3Server | None:
    return request.getfixturevalue("s3_server") if backend.media_storage == "s3" else None


async def test_put_get_delete_round_trip(storage: MediaStorage) -> None:
    key = media_key()
    await storage.put(key, PNG, "image/png")
    assert await storage.get(key) == PNG
    await storage.put(key, PNG + b"2", "image/png")  # replaced whole
    assert await storage.get(key) == PNG + b"2"
    await storage.delete(key)
    with pytest.raises(StoredFileMissing):
        await storage.get(key)
    await storage.delete(key)  # again: idempotent


async def test_a_missing_key(storage: MediaStorage) -> None:
    with pytest.raises(StoredFileMissing):
        await storage.get(media_key())
    with pytest.raises(StoredFileMissing):
        await storage.get("media")  # a folder (local), a prefix (S3): no file
    await storage.delete(media_key())


async def test_files_of_any_size_and_kind(storage: MediaStorage) -> None:
    big = os.urandom(3 * 1024 * 1024 + 17)
    key = media_key("original.mp4")
    await storage.put(key, big, "video/mp4")
    assert await storage.get(key) == big
    empty = media_key("empty.pdf")
    await storage.put(empty, b"", "application/pdf")
    assert await storage.get(empty) == b""


INVALID_KEYS = ["../x", "/abs", "a//b", "Media/1/x.png", "media/1/X.png", "x" * 300, "",
                "media/../avatars/x.png", "media/1/x.png/", "media/./x.png", "media/.x.png",
                "-x", "media/1/x y.png", "media/1/x%2e.png", "media\\x.png", "médias/x.png",
                "media/1/x.png\x00", "media/1/x.png\n"]


@pytest.mark.parametrize("key", INVALID_KEYS)
async def test_invalid_keys_raise_and_touch_nothing(
        storage: MediaStorage, backend: Settings, server_if_s3: S3Server | None,
        key: str) -> None:
    assert not valid_key(key)
    before = stored(backend, server_if_s3)
    with pytest.raises(ValueError):
        await storage.put(key, PNG, "image/png")
    with pytest.raises(ValueError):
        await storage.get(key)
    with pytest.raises(ValueError):
        await storage.delete(key)
    with pytest.raises(ValueError):
        storage.url(key, expires_at=int(time.time()) + 60)
    with pytest.raises(ValueError):
        storage.url(key)
    assert stored(backend, server_if_s3) == before


def test_valid_keys() -> None:
    for key in ("media/123/abc_DEF".lower() + "/original.png", "avatars/1/t0k-en.webp",
                "headers/9/x.avif", "a", "x" * 201):
        assert valid_key(key), key
    assert not valid_key("x" * 202)


async def test_the_content_type_must_match_an_inline_extension(storage: MediaStorage) -> None:
    """The served type follows the key's extension on both back ends: a caller saying
    otherwise has a bug, which would serve a file as what it is not."""
    with pytest.raises(ValueError):
        await storage.put(media_key("original.png"), b"<html>", "text/html")
    with pytest.raises(ValueError):
        await storage.put(media_key("original.jpg"), PNG, "image/png")
    # Types outside the whitelist are kept, and served as downloads.
    await storage.put(media_key("doc.html"), b"<html>", "text/html")
    await storage.put(media_key("x.png"), PNG, "image/png; charset=binary")


async def test_media_keys_have_no_plain_url(storage: MediaStorage) -> None:
    with pytest.raises(ValueError):
        storage.url(media_key())
    assert storage.url("avatars/1/abc.png").endswith("/avatars/1/abc.png")


async def test_check_answers_for_a_working_back_end(storage: MediaStorage) -> None:
    await storage.check()


# --- unavailable ---------------------------------------------------------------------------------

async def test_local_folder_unusable(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.mkdir()
    storage = LocalStorage(Settings(data_dir=str(blocker)))
    (blocker / "media-files").write_text("a file where the folder should be")
    with pytest.raises(StorageUnavailable):
        await storage.check()
    with pytest.raises(StorageUnavailable):
        await storage.put(media_key(), PNG, "image/png")


def s3_at(settings: Settings, port: int, **timeouts: float) -> S3Storage:
    import msgspec

    return S3Storage(msgspec.structs.replace(settings, s3_endpoint=f"http://127.0.0.1:{port}"),
                     **timeouts)


async def test_s3_nothing_listening(s3_server: S3Server, tmp_path: Path) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # a port where nothing listens: connection refused
    storage = s3_at(s3_server.settings(Settings(data_dir=str(tmp_path))), port)
    started = time.monotonic()
    for attempt in (storage.check(), storage.get(media_key()),
                    storage.put(media_key(), PNG, "image/png"), storage.delete(media_key())):
        with pytest.raises(StorageUnavailable):
            await attempt
    assert time.monotonic() - started < 20
    await storage.close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


async def test_s3_a_server_that_never_answers_times_out(
        s3_server: S3Server, tmp_path: Path, silent_port: int) -> None:
    storage = s3_at(s3_server.settings(Settings(data_dir=str(tmp_path))), silent_port,
                    read_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        await storage.get(media_key())
    assert time.monotonic() - started < 10  # two tries of 0.5 s and a backoff, not a hang
    await storage.close()


async def test_s3_server_stopped_while_in_use(tmp_path: Path) -> None:
    """Connections pooled to a server that then dies: refused or reset, never a hang."""
    with running(tmp_path / "s3") as server:
        storage = open_storage(server.settings(Settings(data_dir=str(tmp_path))))
        key = media_key()
        await storage.put(key, PNG, "image/png")
        assert await storage.get(key) == PNG
        server.stop()
        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            await asyncio.wait_for(storage.get(key), 30)
        with pytest.raises(StorageUnavailable):
            await asyncio.wait_for(storage.check(), 30)
        assert time.monotonic() - started < 20
        await storage.close()


def test_s3_needs_its_settings() -> None:
    with pytest.raises(ValueError, match="HUBBUB_S3_BUCKET"):
        open_storage(Settings(media_storage="s3", s3_endpoint="http://127.0.0.1:1",
                              s3_access_key="a", s3_secret_key="b"))


def test_s3_storage_shows_no_secret(s3_server: S3Server) -> None:
    storage = open_storage(s3_server.settings(Settings()))
    assert s3_server.secret_key not in repr(storage)
    assert s3_server.secret_key not in str(vars(storage).get("_config"))
