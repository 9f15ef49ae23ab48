"""POST /api/v2/media and /api/v1/media, GET, PUT and DELETE /api/v1/media/:id: uploads are
processed by posts' media worker (a picture within the upload's request, as Mastodon does),
their owner alone sees them, and every refusal says why."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from tests.helpers import Api
from tests.helpers.media import SVG, picture, refused_picture, upload, uploaded


async def test_a_png_is_processed_into_a_picture_with_preview_meta_and_blurhash(api: Api) -> None:
    """Answered as Mastodon answers a picture (processed in the request): 200, with its URLs.
    Mastodon.py's ``media_post(synchronous=True)`` sleeps 5 s after a 202."""
    me = await api.user()
    c = api.client
    r = await upload(c, me.headers, picture(64, 48), description="a red square",
                     focus="0.5,-0.25")
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["type"] == "image" and first["url"] and first["preview_url"]
    assert first["description"] == "a red square"
    r = await c.get(f"/api/v1/media/{first['id']}", headers=me.headers)
    assert r.status_code == 200, r.text
    media = r.json()
    assert media == first
    assert media["url"] != media["preview_url"]
    assert media["remote_url"] is None
    assert media["meta"]["original"]["width"] == 64
    assert media["meta"]["original"]["height"] == 48
    assert media["meta"]["small"]["width"] <= 64
    assert media["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    assert media["blurhash"]


async def test_v1_answers_once_processed(api: Api) -> None:
    me = await api.user()
    r = await upload(api.client, me.headers, picture(), version=1)
    assert r.status_code == 200, r.text
    assert r.json()["url"] and r.json()["preview_url"]


async def test_an_upload_without_a_file_is_refused(api: Api) -> None:
    me = await api.user()
    r = await api.client.post("/api/v2/media", headers=me.headers,
                              data={"description": "nothing here"})
    assert r.status_code == 422, r.text
    assert "File" in r.json()["error"]
    r = await api.client.post("/api/v2/media", headers=me.headers,
                              files={"file": ("empty.png", b"", "image/png")})
    assert r.status_code == 422, r.text


async def test_a_body_declared_larger_than_any_file_is_refused_before_it_is_read(
        api: Api) -> None:
    me = await api.user()
    base = urlsplit(str(api.client.base_url))
    reader, writer = await asyncio.open_connection(base.hostname, base.port)
    try:
        boundary = "hubbubboundary"
        writer.write((
            "POST /api/v2/media HTTP/1.1\r\n"
            f"Host: {base.hostname}\r\n"
            f"Authorization: Bearer {me.token}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {200 * 1024 * 1024}\r\n\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            "filename=\"big.png\"\r\nContent-Type: image/png\r\n\r\n").encode())
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
        assert b" 413 " in status_line, status_line
    finally:
        writer.close()


async def test_a_text_file_claiming_to_be_a_png_is_a_file_of_unknown_type(api: Api) -> None:
    """Never served as a picture: its type is what its content says (a download)."""
    me = await api.user()
    media = await uploaded(api.client, me.headers, b"just some words, not a picture\n",
                           name="notes.png")
    assert media["type"] == "unknown"
    await api.idle()
    r = await api.client.get(f"/api/v1/media/{media['id']}", headers=me.headers)
    assert r.status_code == 200, r.text
    assert r.json()["type"] == "unknown" and r.json()["preview_url"] is None
    assert not urlsplit(r.json()["url"]).path.endswith(".png")


async def test_an_svg_never_becomes_an_image(api: Api) -> None:
    me = await api.user()
    media = await uploaded(api.client, me.headers, SVG, name="cat.svg",
                           content_type="image/svg+xml")
    assert media["type"] == "unknown"
    await api.idle()
    r = await api.client.get(f"/api/v1/media/{media['id']}", headers=me.headers)
    assert r.status_code == 200, r.text
    assert r.json()["type"] == "unknown"
    assert not urlsplit(r.json()["url"]).path.endswith(".svg")


async def test_a_corrupt_png_fails_and_says_why(api: Api) -> None:
    """Refused by processing within the upload's wait: the upload itself is answered 422 with
    the reason (as Mastodon refuses a picture it cannot process), and so is a later GET."""
    me = await api.user()
    media_id = await refused_picture(api, me.headers, int(me.id))
    r = await api.client.get(f"/api/v1/media/{media_id}", headers=me.headers)
    assert r.status_code == 422, r.text
    assert "could not be read" in r.json()["error"]


async def test_someone_elses_media_is_not_found(api: Api) -> None:
    owner, other = await api.user(), await api.user()
    media = await uploaded(api.client, owner.headers)
    path = f"/api/v1/media/{media['id']}"
    assert (await api.client.get(path, headers=other.headers)).status_code == 404
    assert (await api.client.put(path, headers=other.headers,
                                 json={"description": "mine now"})).status_code == 404
    assert (await api.client.delete(path, headers=other.headers)).status_code == 404
    assert (await api.client.get("/api/v1/media/12345", headers=owner.headers)).status_code == 404
    assert (await api.client.get("/api/v1/media/nope", headers=owner.headers)).status_code == 404
    r = await api.client.get(path, headers=owner.headers)
    assert r.status_code in (200, 206) and r.json().get("description") is None


async def test_description_and_focus_are_checked_and_changed(api: Api) -> None:
    me = await api.user()
    r = await upload(api.client, me.headers, picture(), description="x" * 1501)
    assert r.status_code == 422 and "description" in r.json()["details"], r.text
    r = await upload(api.client, me.headers, picture(), focus="2,0")
    assert r.status_code == 422 and "focus" in r.json()["details"], r.text
    media = await uploaded(api.client, me.headers)
    await api.idle()
    path = f"/api/v1/media/{media['id']}"
    r = await api.client.put(path, headers=me.headers,
                             json={"description": "alt text", "focus": "-1,1"})
    assert r.status_code == 200, r.text
    assert r.json()["description"] == "alt text"
    assert r.json()["meta"]["focus"] == {"x": -1.0, "y": 1.0}
    r = await api.client.put(path, headers=me.headers, json={"focus": "0.5"})
    assert r.status_code == 422, r.text


async def test_an_unattached_upload_is_deleted(api: Api) -> None:
    me = await api.user()
    media = await uploaded(api.client, me.headers)
    await api.idle()
    path = f"/api/v1/media/{media['id']}"
    r = await api.client.delete(path, headers=me.headers)
    assert r.status_code == 200, r.text
    assert (await api.client.get(path, headers=me.headers)).status_code == 404
    assert (await api.client.delete(path, headers=me.headers)).status_code == 404


async def test_media_routes_need_write_media(api: Api) -> None:
    r = await api.client.post("/api/v2/media", files={"file": ("a.png", picture(), "image/png")})
    assert r.status_code == 401


async def test_a_thumbnail_makes_the_preview_and_can_be_replaced(api: Api) -> None:
    me = await api.user()
    r = await api.client.post("/api/v2/media", headers=me.headers, files={
        "file": ("a.png", picture(64, 48), "image/png"),
        "thumbnail": ("t.png", picture(30, 20, color=(0, 0, 255)), "image/png")})
    assert r.status_code == 200, r.text  # a picture, processed in the request
    path = f"/api/v1/media/{r.json()['id']}"
    first = (await api.client.get(path, headers=me.headers)).json()
    assert first["meta"]["original"]["width"] == 64 and first["meta"]["small"]["width"] == 30
    r = await api.client.put(path, headers=me.headers, data={"description": "new thumb"},
                             files={"thumbnail": ("t2.png", picture(40, 10), "image/png")})
    assert r.status_code in (200, 206), r.text
    await api.idle()
    again = (await api.client.get(path, headers=me.headers)).json()
    assert again["meta"]["small"]["width"] == 40 and again["description"] == "new thumb"
    assert again["url"] == first["url"]  # the original stays as it was made
    served = await api.client.get(again["preview_url"])
    assert served.status_code == 200
    r = await api.client.put(path, headers=me.headers,
                             files={"thumbnail": ("t.txt", b"no picture", "image/png")})
    assert r.status_code == 422, r.text
