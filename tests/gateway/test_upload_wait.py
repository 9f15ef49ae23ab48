"""POST /api/v2/media's wait for a picture (services/gateway/routes/media.py): answered 200
once processed, as Mastodon answers a picture (tests/api/media/test_uploads.py), unless the
media worker has not finished within HUBBUB_MEDIA_UPLOAD_WAIT_S or the request is a large one:
then 202 with ``url: null``, as for a video, and GET /api/v1/media/:id says 206 until done."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest

from services.gateway.application import uploads
from tests.helpers import Api
from tests.helpers.media import picture, upload


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
    gateway = api.stack.gateway
    monkeypatch.setattr(gateway, "settings",
                        msgspec.structs.replace(gateway.settings, media_upload_wait_s=0.2))
    me = await api.user()
    r = await upload(api.client, me.headers, picture())
    assert r.status_code == 202, r.text
    assert r.json()["type"] == "image" and r.json()["url"] is None
    path = f"/api/v1/media/{r.json()['id']}"
    r = await api.client.get(path, headers=me.headers)
    assert r.status_code == 206, r.text
    assert r.json()["url"] is None
    release.set()
    await api.idle()
    r = await api.client.get(path, headers=me.headers)
    assert r.status_code == 200, r.text
    assert r.json()["url"] and r.json()["preview_url"]


async def test_a_large_picture_is_answered_202_at_once(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """A request over the size that waits (a full-size photo): 202, not processed yet."""
    data = picture(256, 192)
    monkeypatch.setattr(uploads, "V2_PICTURE_WAIT_MAX_BYTES", len(data) // 2)
    me = await api.user()
    r = await upload(api.client, me.headers, data)
    assert r.status_code == 202, r.text
    assert r.json()["type"] == "image" and r.json()["url"] is None


async def test_no_wait_configured_answers_202_at_once(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """HUBBUB_MEDIA_UPLOAD_WAIT_S=0 (the media benchmark's): every upload 202 at once."""
    gateway = api.stack.gateway
    monkeypatch.setattr(gateway, "settings",
                        msgspec.structs.replace(gateway.settings, media_upload_wait_s=0.0))
    me = await api.user()
    r = await upload(api.client, me.headers, picture())
    assert r.status_code == 202, r.text
    assert r.json()["url"] is None
