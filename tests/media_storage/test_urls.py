"""The URLs each back end hands out, fetched as a browser would: signed ones work until they
expire and not after, nor when tampered with (refused by S3 itself for the S3 back end, by the
gateway's /files route for the local one); public ones need nothing."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from shared.media import open_storage, signed_window_end
from shared.media.storage import MediaStorage
from shared.settings import Settings
from tests.helpers.s3_server import S3Server

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 32


@pytest.fixture(params=["local", "s3"])
def served_settings(request: pytest.FixtureRequest) -> Settings:
    """The local back end as the running test stack's gateway serves it, or the S3 server."""
    if request.param == "local":
        settings: Settings = request.getfixturevalue("api").stack.settings
        return settings
    server: S3Server = request.getfixturevalue("s3_server")
    return server.settings(Settings())


@pytest.fixture
async def served(served_settings: Settings) -> AsyncIterator[MediaStorage]:
    storage = open_storage(served_settings)
    try:
        yield storage
    finally:
        await storage.close()


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def key(kind: str = "media", name: str = "original.png") -> str:
    return f"{kind}/{secrets.randbelow(10**9)}/{secrets.token_hex(8)}/{name}"


def with_query(url: str, **changes: str | None) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def signature_param(url: str) -> str:
    return "X-Amz-Signature" if "X-Amz-Signature" in url else "sig"


def flipped(value: str) -> str:
    return value[:-1] + ("0" if value[-1] != "0" else "1")


async def test_a_signed_url_fetches_the_file(served: MediaStorage,
                                             browser: httpx.AsyncClient) -> None:
    stored = key()
    await served.put(stored, PNG, "image/png")
    r = await browser.get(served.url(stored, expires_at=signed_window_end()))
    assert r.status_code == 200, r.text
    assert r.content == PNG
    assert r.headers["content-type"] == "image/png"


async def test_a_tampered_signature_is_refused(served: MediaStorage,
                                               browser: httpx.AsyncClient) -> None:
    stored = key()
    await served.put(stored, PNG, "image/png")
    url = served.url(stored, expires_at=signed_window_end())
    name = signature_param(url)
    signature = dict(parse_qsl(urlsplit(url).query))[name]
    r = await browser.get(with_query(url, **{name: flipped(signature)}))
    assert r.status_code == 403
    assert PNG not in r.content


async def test_a_signature_for_another_file_is_refused(served: MediaStorage,
                                                       browser: httpx.AsyncClient) -> None:
    mine, other = key(), key()
    await served.put(mine, PNG, "image/png")
    await served.put(other, PNG + b"other", "image/png")
    url = served.url(mine, expires_at=signed_window_end())
    r = await browser.get(url.replace(mine, other))
    assert r.status_code == 403


async def test_a_lengthened_expiry_is_refused(served: MediaStorage,
                                              browser: httpx.AsyncClient) -> None:
    stored = key()
    await served.put(stored, PNG, "image/png")
    url = served.url(stored, expires_at=int(time.time()) + 60)
    if "X-Amz-Expires" in url:
        longer = with_query(url, **{"X-Amz-Expires": "604800"})
    else:
        longer = with_query(url, exp=str(int(time.time()) + 86_400))
    assert (await browser.get(longer)).status_code == 403


async def test_an_expired_url_is_refused(served: MediaStorage,
                                         browser: httpx.AsyncClient) -> None:
    stored = key()
    await served.put(stored, PNG, "image/png")
    r = await browser.get(served.url(stored, expires_at=int(time.time()) - 2))
    assert r.status_code == 403
    assert PNG not in r.content


async def test_a_media_file_without_a_signature_is_refused(
        served: MediaStorage, browser: httpx.AsyncClient) -> None:
    stored = key()
    await served.put(stored, PNG, "image/png")
    signed = served.url(stored, expires_at=signed_window_end())
    r = await browser.get(signed.split("?", 1)[0])
    assert r.status_code == 403
    assert PNG not in r.content


async def test_public_avatars_and_headers_need_nothing(served: MediaStorage,
                                                       browser: httpx.AsyncClient) -> None:
    for kind in ("avatars", "headers"):
        stored = f"{kind}/{secrets.randbelow(10**9)}/{secrets.token_hex(16)}.png"
        await served.put(stored, PNG, "image/png")
        url = served.url(stored)
        assert "?" not in url
        r = await browser.get(url)
        assert r.status_code == 200, r.text
        assert r.content == PNG
        assert r.headers["content-type"] == "image/png"


async def test_one_url_all_day(served: MediaStorage) -> None:
    """Rendered twice today, a file's signed URL is the same: caches and browsers reuse it."""
    stored = key()
    first = served.url(stored, expires_at=signed_window_end())
    assert served.url(stored, expires_at=signed_window_end()) == first
    assert re.search(r"(exp=|X-Amz-Expires=)\d+", first)
