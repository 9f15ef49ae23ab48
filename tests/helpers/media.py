"""Media for the tests: pictures made here (with the metadata a phone leaves in them), and
uploads through the API."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import msgspec
from PIL import Image

GPS_IFD = 0x8825
# A position an uploader would not want published: Latitude 48°51'30" N.
GPS = {1: "N", 2: (48.0, 51.0, 30.0), 3: "E", 4: (2.0, 17.0, 40.0)}


def picture(width: int = 64, height: int = 48, *, fmt: str = "PNG", gps: bool = True,
            color: tuple[int, int, int] = (200, 40, 90)) -> bytes:
    """An image with EXIF (a camera's make and a GPS position) unless ``gps`` is False."""
    image = Image.new("RGB", (width, height), color)
    for x in range(0, width, 4):  # something for the blurhash to see
        image.putpixel((x, x * height // max(width, 1)), (10, 200, 30))
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"
        exif.get_ifd(GPS_IFD).update(GPS)
        image.save(out, fmt, exif=exif.tobytes())
    else:
        image.save(out, fmt)
    return out.getvalue()


def has_gps(data: bytes) -> bool:
    """Whether the picture still says where it was taken (or who made the camera)."""
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    return bool(exif.get_ifd(GPS_IFD)) or 0x010F in exif or b"PhoneMaker" in data


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(document.domain)</script><rect width="10" height="10"/></svg>')


async def upload(client: httpx.AsyncClient, headers: dict[str, str], data: bytes, *,
                 name: str = "picture.png", content_type: str = "image/png", version: int = 2,
                 **fields: Any) -> httpx.Response:
    return await client.post(f"/api/v{version}/media", headers=headers,
                             files={"file": (name, data, content_type)},
                             data={k: str(v) for k, v in fields.items()})


async def uploaded(client: httpx.AsyncClient, headers: dict[str, str], data: bytes | None = None,
                   **fields: Any) -> dict[str, Any]:
    """A file uploaded (v2): its MediaAttachment as first answered (200 for a picture processed
    in the request, 202 for the rest, not processed yet)."""
    r = await upload(client, headers, data if data is not None else picture(), **fields)
    assert r.status_code in (200, 202), r.text
    found: dict[str, Any] = r.json()
    return found


def damaged_png(**kwargs: Any) -> bytes:
    """A PNG's head, then nothing a decoder can read (``picture``'s arguments)."""
    return picture(**kwargs)[:60] + b"\x00" * 40


def upload_wait(monkeypatch: Any, api: Any, seconds: float) -> None:
    """The stack's gateway waiting ``seconds`` for a picture's processing in POST
    /api/v2/media (HUBBUB_MEDIA_UPLOAD_WAIT_S; 0: every upload answered 202 at once)."""
    gateway = api.stack.gateway
    monkeypatch.setattr(gateway, "settings",
                        msgspec.structs.replace(gateway.settings, media_upload_wait_s=seconds))


async def refused_picture(api: Any, headers: dict[str, str], account_id: int) -> str:
    """A damaged picture uploaded (v2): refused by processing within the request (422). Its
    row stays, failed: the id a client that held it would send (a 404 to anyone else)."""
    r = await upload(api.client, headers, damaged_png())
    assert r.status_code == 422, r.text
    assert "could not be read" in r.json()["error"]
    media_id = await api.stack.posts.pool.fetchval(
        "SELECT max(id) FROM media WHERE account_id = $1 AND state = 'failed'", account_id)
    assert media_id is not None
    return str(media_id)


def unsigned(url: str) -> str:
    """A signed file URL with its query (the signature) cut off: the file's plain address."""
    return url.split("?", 1)[0]


def tampered(url: str) -> str:
    """A signed file URL with one hex digit of its signature changed (the local back end's
    ``sig``, S3's ``X-Amz-Signature``)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    names = [name for name, _ in query]
    signature = "X-Amz-Signature" if "X-Amz-Signature" in names else "sig"
    assert signature in names, url
    changed = [(name, value[:-1] + ("0" if value[-1] != "0" else "1")
                if name == signature else value) for name, value in query]
    return urlunsplit(parts._replace(query=urlencode(changed)))
