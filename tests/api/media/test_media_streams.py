"""Statuses with attachments on the streams that take only those (public:media,
public:local:media; SSE /public?only_media=true), and what the instance tells clients about
uploads."""

from __future__ import annotations

import json

from websockets.asyncio.client import connect

from tests.helpers import Api, other_domain
from tests.helpers.media import uploaded
from tests.helpers.streaming import SSEReader, next_event, subscribe, ws_url


async def test_media_streams_carry_statuses_with_attachments_only(api: Api) -> None:
    domain = other_domain()
    author, watcher = await api.user(domain=domain), await api.user(domain=domain)
    media = await uploaded(api.client, author.headers)
    await api.idle()
    async with connect(ws_url(api), additional_headers=watcher.headers, proxy=None) as ws:
        await subscribe(ws, "public:media")
        await subscribe(ws, "public:local:media")
        await api.post(author, "words only, for everyone")
        pictured = await api.post(author, "a picture for everyone", media_ids=[media["id"]])
        got = [await next_event(ws), await next_event(ws)]
    assert sorted(e["stream"][0] for e in got) == ["public:local:media", "public:media"]
    for event in got:
        assert event["event"] == "update"
        payload = json.loads(event["payload"])
        assert payload["id"] == pictured["id"] and payload["media_attachments"]


async def test_server_sent_public_stream_with_only_media(api: Api) -> None:
    domain = other_domain()
    author, watcher = await api.user(domain=domain), await api.user(domain=domain)
    media = await uploaded(api.client, author.headers)
    await api.idle()
    async with api.client.stream("GET", "/api/v1/streaming/public", headers=watcher.headers,
                                 params={"only_media": "true"}) as response:
        assert response.status_code == 200
        reader = SSEReader(response)
        await api.post(author, "words only")
        pictured = await api.post(author, "with a picture", media_ids=[media["id"]])
        for _ in range(10):
            [block] = await reader.next(1)
            if block.startswith("event: update"):
                data = block.split("data: ", 1)[1]
                assert json.loads(data)["id"] == pictured["id"]
                break
        else:
            raise AssertionError("no update came")


async def test_the_instance_announces_upload_limits(api: Api) -> None:
    for path in ("/api/v1/instance", "/api/v2/instance"):
        config = (await api.client.get(path)).json()["configuration"]
        assert config["statuses"]["max_media_attachments"] == 4
        media = config["media_attachments"]
        assert "image/png" in media["supported_mime_types"]
        assert media["image_size_limit"] > 1_000_000
        assert media["video_size_limit"] >= media["image_size_limit"]
        assert media["image_matrix_limit"] > 0
