"""The gateway's ``/files/<key>`` route (services/gateway/routes/files.py), serving the local back
end's files: what a browser is told about each file, and every refusal."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.gateway.app import create_app
from shared.media import open_storage, signed_window_end
from shared.media.local import LocalStorage
from shared.media.storage import MediaStorage
from shared.settings import Settings
from tests.helpers import Api
from tests.helpers.s3_server import S3Server

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML = b"<!doctype html><script>alert(document.cookie)</script>"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"


@pytest.fixture
async def local(api: Api) -> AsyncIterator[MediaStorage]:
    """The storage the test stack's gateway serves from (its data folder)."""
    storage = open_storage(api.stack.settings)
    try:
        yield storage
    finally:
        await storage.close()


def media_key(name: str = "original.png") -> str:
    return f"media/{secrets.randbelow(10**9)}/{secrets.token_hex(8)}/{name}"


def path_of(url: str) -> str:
    """The URL's path and query, for the api client (which knows the gateway's address)."""
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


async def signed(storage: MediaStorage, data: bytes, content_type: str,
                 name: str = "original.png") -> str:
    key = media_key(name)
    await storage.put(key, data, content_type)
    return path_of(storage.url(key, expires_at=signed_window_end()))


SAFE_HEADERS = {
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; sandbox",
    "cross-origin-resource-policy": "cross-origin",
}


async def test_an_image_is_served_inline_with_its_safety_headers(
        api: Api, local: MediaStorage) -> None:
    r = await api.client.get(await signed(local, PNG, "image/png"))
    assert r.status_code == 200, r.text
    assert r.content == PNG
    assert r.headers["content-type"] == "image/png"
    assert r.headers["content-length"] == str(len(PNG))
    for name, value in SAFE_HEADERS.items():
        assert r.headers[name] == value
    assert "attachment" not in r.headers.get("content-disposition", "")
    assert r.headers["etag"]
    assert r.headers["accept-ranges"] == "bytes"
    cache = r.headers["cache-control"]
    assert cache.startswith("private, max-age=")
    left = signed_window_end() - time.time()
    assert left - 5 <= int(cache.rsplit("=", 1)[1]) <= left + 5


async def test_avatars_are_public_and_cached_for_good(api: Api, local: MediaStorage) -> None:
    key = f"avatars/{secrets.randbelow(10**9)}/{secrets.token_hex(16)}.png"
    await local.put(key, PNG, "image/png")
    r = await api.client.get(f"/files/{key}")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    for name, value in SAFE_HEADERS.items():
        assert r.headers[name] == value


@pytest.mark.parametrize(("name", "data", "claimed"), [
    ("image.svg", SVG, "image/svg+xml"),
    ("page.html", HTML, "text/html"),
    ("page.htm", HTML, "text/html; charset=utf-8"),
    ("doc.pdf", PDF, "application/pdf"),
    ("noextension", HTML, "text/html"),
    ("script.js", b"alert(1)", "text/javascript"),
])
async def test_anything_else_is_a_download_never_a_document(
        api: Api, local: MediaStorage, name: str, data: bytes, claimed: str) -> None:
    r = await api.client.get(await signed(local, data, claimed, name))
    assert r.status_code == 200
    assert r.content == data
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"].startswith("attachment")
    for name_, value in SAFE_HEADERS.items():
        assert r.headers[name_] == value


async def test_html_in_an_image_key_stays_an_image(api: Api, local: MediaStorage) -> None:
    """Bytes that look like a page, under a .png key: served as image/png with nosniff, which a
    browser will not render as a document."""
    r = await api.client.get(await signed(local, HTML, "image/png"))
    assert r.headers["content-type"] == "image/png"
    assert r.headers["x-content-type-options"] == "nosniff"


# --- refusals -----------------------------------------------------------------------------------

async def test_a_media_file_needs_a_valid_unexpired_signature(
        api: Api, local: MediaStorage) -> None:
    key = media_key()
    await local.put(key, PNG, "image/png")
    good = path_of(local.url(key, expires_at=signed_window_end()))
    base, query = good.split("?")
    exp, sig = (part.split("=")[1] for part in query.split("&"))
    expired = path_of(local.url(key, expires_at=int(time.time()) - 1))
    refused = [
        base,  # no signature
        f"{base}?exp={exp}",  # no sig
        f"{base}?sig={sig}",  # no exp
        f"{base}?exp={exp}&sig={sig[:-1]}{'0' if sig[-1] != '0' else '1'}",  # tampered
        f"{base}?exp={int(exp) + 86_400}&sig={sig}",  # lengthened
        f"{base}?exp=abc&sig={sig}",
        f"{base}?exp={exp}&sig=",
        f"{base}?exp={'9' * 40}&sig={sig}",
        f"{base}?exp={exp}&sig={sig.upper()}",
        expired,
    ]
    for url in refused:
        r = await api.client.get(url)
        assert r.status_code == 403, url
        assert PNG not in r.content
        head = await api.client.head(url)
        assert head.status_code == 403, url
    assert (await api.client.get(good)).status_code == 200


async def test_a_signature_from_another_key_is_refused(tmp_path: Path, api: Api,
                                                       local: MediaStorage) -> None:
    key = media_key()
    await local.put(key, PNG, "image/png")
    other = LocalStorage(Settings(data_dir=str(tmp_path), public_url=api.stack.base_url,
                                  media_signing_key="k" * 40))
    r = await api.client.get(path_of(other.url(key, expires_at=signed_window_end())))
    assert r.status_code == 403


@pytest.mark.parametrize("path", [
    "/files/Media/1/x.png", "/files/media/%2e%2e/secrets/media-signing-key",
    "/files/media/..%2f..%2fsecrets/media-signing-key",
    "/files/" + "x" * 300, "/files/", "/files/.tmp-x", "/files/media/1/.tmp-x",
    "/files/avatars/1/..%2f..%2f..%2fsecrets%2fmedia-signing-key",
])
async def test_invalid_keys_are_not_found(api: Api, path: str) -> None:
    # ("a//b" never gets here: the router folds the slashes, and the key then needs a signature.)
    r = await api.client.get(path)
    assert r.status_code == 404, r.text


async def test_a_missing_file_is_not_found(api: Api, local: MediaStorage) -> None:
    r = await api.client.get(path_of(local.url(media_key(), expires_at=signed_window_end())))
    assert r.status_code == 404
    assert (await api.client.get(f"/files/avatars/1/{secrets.token_hex(8)}.png")
            ).status_code == 404


async def test_a_folder_is_not_a_file(api: Api, local: MediaStorage) -> None:
    key = media_key()
    await local.put(key, PNG, "image/png")
    folder = key.rsplit("/", 1)[0]
    r = await api.client.get(path_of(local.url(folder, expires_at=signed_window_end())))
    assert r.status_code == 404


async def test_a_symlink_out_of_the_media_folder_is_not_followed(
        api: Api, local: MediaStorage) -> None:
    """Someone with a shell on the host planted a link to the secrets: the route still serves
    nothing outside the media folder, even under a valid signature."""
    assert isinstance(local, LocalStorage)
    data = Path(api.stack.settings.data_dir)
    link = local.root / "media" / f"evil{secrets.token_hex(4)}"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(data / "secrets")
    try:
        key = f"media/{link.name}/media-signing-key"
        url = path_of(local.url(key, expires_at=signed_window_end()))
        r = await api.client.get(url)
        assert r.status_code == 404
        with pytest.raises(ValueError):
            await local.get(key)
    finally:
        link.unlink()


# --- HEAD, ranges, conditional requests ---------------------------------------------------------

async def test_head_tells_the_size_and_sends_no_body(api: Api, local: MediaStorage) -> None:
    r = await api.client.head(await signed(local, PNG, "image/png"))
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-length"] == str(len(PNG))
    assert r.headers["content-type"] == "image/png"
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_ranges_for_seeking_in_video(api: Api, local: MediaStorage) -> None:
    video = bytes(range(256)) * 1000
    url = await signed(local, video, "video/mp4", "original.mp4")
    r = await api.client.get(url, headers={"Range": "bytes=100-199"})
    assert r.status_code == 206
    assert r.content == video[100:200]
    assert r.headers["content-range"] == f"bytes 100-199/{len(video)}"
    assert r.headers["content-length"] == "100"
    r = await api.client.get(url, headers={"Range": "bytes=255000-"})
    assert (r.status_code, r.content) == (206, video[255000:])
    r = await api.client.get(url, headers={"Range": "bytes=-10"})
    assert (r.status_code, r.content) == (206, video[-10:])
    r = await api.client.get(url, headers={"Range": "bytes=0-999999999"})
    assert (r.status_code, r.content) == (206, video)
    r = await api.client.get(url, headers={"Range": f"bytes={len(video)}-"})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(video)}"
    for whole in ("bytes=0-1,5-6", "items=0-5", "bytes=9-2"):
        r = await api.client.get(url, headers={"Range": whole})
        assert (r.status_code, r.content) == (200, video), whole
    etag = r.headers["etag"]
    r = await api.client.get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert r.status_code == 206
    r = await api.client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert (r.status_code, r.content) == (200, video)


async def test_if_none_match_answers_304(api: Api, local: MediaStorage) -> None:
    url = await signed(local, PNG, "image/png")
    etag = (await api.client.get(url)).headers["etag"]
    r = await api.client.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers["etag"] == etag
    assert (await api.client.get(url, headers={"If-None-Match": '"other"'})).status_code == 200


# --- the S3 back end ----------------------------------------------------------------------------

async def test_with_s3_the_route_serves_nothing(s3_server: S3Server, tmp_path: Path) -> None:
    """The bucket serves its files: the gateway's route is not a way around its signatures,
    even for a file that happens to sit in the data folder."""
    settings = s3_server.settings(Settings(data_dir=str(tmp_path)))
    stray = LocalStorage(settings)
    key = f"avatars/1/{secrets.token_hex(8)}.png"
    await stray.put(key, PNG, "image/png")
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://gateway.test") as client:
        r = await client.get(f"/files/{key}")
        assert r.status_code == 404
