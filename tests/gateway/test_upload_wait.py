"""POST /api/v2/media's wait for a picture (services/gateway/routes/media.py): answered 200
once processed, as Mastodon answers a picture (tests/api/media/test_uploads.py), unless the
media worker has not finished within HUBBUB_MEDIA_UPLOAD_WAIT_S, the request is a large one, the
file is no picture, or posts cannot be asked meanwhile: then 202 with ``url: null``, as for a
video, and GET /api/v1/media/:id says 206 until done."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from services.gateway.application import uploads
from shared import bus, errors
from shared.contracts import posts as posts_api
from tests.helpers import Api
from tests.helpers.media import picture, upload, upload_wait


def never_waited(monkeypatch: pytest.MonkeyPatch) -> None:
    async def waited(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the upload waited for processing")

    monkeypatch.setattr(uploads, "processed", waited)


async def test_a_picture_not_processed_within_the_wait_is_answered_202_then_206_until_done(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """A busy media worker: the upload is answered 202 with ``url: null`` after the wait, and
    GET /api/v1/media/:id says 206 until the picture is done."""
    worker = api.stack.posts.media_worker
    release = asyncio.Event()
    outcome = worker._outcome

    async def held(row: Any) -> Any:
        await release.wait()
        return await outcome(row)

    monkeypatch.setattr(worker, "_outcome", held)
    upload_wait(monkeypatch, api, 0.2)
    try:
        me = await api.user()
        r = await upload(api.client, me.headers, picture())
        assert r.status_code == 202, r.text
        assert r.json()["type"] == "image" and r.json()["url"] is None
        path = f"/api/v1/media/{r.json()['id']}"
        r = await api.client.get(path, headers=me.headers)
        assert r.status_code == 206, r.text
        assert r.json()["url"] is None
    finally:
        release.set()
    await api.idle()
    r = await api.client.get(path, headers=me.headers)
    assert r.status_code == 200, r.text
    assert r.json()["url"] and r.json()["preview_url"]


async def test_posts_not_answering_during_the_wait_leaves_the_upload_accepted(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The upload's row is written before the wait: a 503 then would have the client send the
    file again (a second row and file). The upload is answered 202, as created."""
    real_call = bus.call

    async def posts_away(nc: Any, verb: Any, payload: Any, **kwargs: Any) -> Any:
        if verb is posts_api.MEDIA_GET:
            raise errors.Unavailable("posts did not answer in time")
        return await real_call(nc, verb, payload, **kwargs)

    monkeypatch.setattr(uploads.bus, "call", posts_away)
    me = await api.user()
    r = await upload(api.client, me.headers, picture())
    assert r.status_code == 202, r.text
    assert r.json()["type"] == "image" and r.json()["url"] is None


async def test_a_large_picture_is_answered_202_at_once(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """A request over the size that waits (a full-size photo): 202, not processed yet."""
    data = picture(256, 192)
    monkeypatch.setattr(uploads, "V2_PICTURE_WAIT_MAX_BYTES", len(data) // 2)
    never_waited(monkeypatch)
    me = await api.user()
    r = await upload(api.client, me.headers, data)
    assert r.status_code == 202, r.text
    assert r.json()["type"] == "image" and r.json()["url"] is None


async def test_a_file_that_is_no_picture_is_answered_202_at_once(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only pictures are processed in the request, as Mastodon's; the rest (here a file of
    unknown type) is answered at once."""
    never_waited(monkeypatch)
    me = await api.user()
    r = await upload(api.client, me.headers, b"just some words\n", name="notes.txt",
                     content_type="text/plain")
    assert r.status_code == 202, r.text
    assert r.json()["type"] == "unknown" and r.json()["url"] is None


async def test_no_wait_configured_answers_202_at_once(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """HUBBUB_MEDIA_UPLOAD_WAIT_S=0 (the media benchmark's): every upload 202 at once."""
    upload_wait(monkeypatch, api, 0.0)
    never_waited(monkeypatch)
    me = await api.user()
    r = await upload(api.client, me.headers, picture())
    assert r.status_code == 202, r.text
    assert r.json()["url"] is None
