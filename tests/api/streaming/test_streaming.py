"""WebSocket streaming: subscribe by message, receive updates and notifications live."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.helpers import Api, User
from tests.helpers.streaming import events_until, next_event, subscribe, ws_url


async def test_user_stream_gets_update_and_notification(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    await api.idle()
    async with connect(ws_url(api), additional_headers=reader.headers, proxy=None) as ws:
        await subscribe(ws, "user")
        status = await api.post(author, f"live to @{reader.username}")
        got = await events_until(ws, 2)
        by_event = {e["event"]: e for e in got}
        assert set(by_event) == {"update", "notification"}
        assert by_event["update"]["stream"] == ["user"]
        update = json.loads(by_event["update"]["payload"])  # payload is a JSON string
        assert update["id"] == status["id"]
        assert update["account"]["id"] == author.id
        note = json.loads(by_event["notification"]["payload"])
        assert note["type"] == "mention" and note["status"]["id"] == status["id"]


@pytest.mark.parametrize("how", ["query", "protocol", "initial-stream"])
async def test_token_by_query_or_protocol(api: Api, how: str) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    await api.idle()
    kwargs = {"proxy": None}
    url = ws_url(api)
    if how == "query":
        url = ws_url(api, f"?access_token={reader.token}")
    elif how == "protocol":
        kwargs["subprotocols"] = [reader.token]
    else:
        url = ws_url(api, f"?access_token={reader.token}&stream=user")
    async with connect(url, **kwargs) as ws:
        if how != "initial-stream":
            await subscribe(ws, "user")
        else:
            await asyncio.sleep(0.2)
        status = await api.post(author, "hello stream")
        event = await next_event(ws)
        assert event["event"] == "update"
        assert json.loads(event["payload"])["id"] == status["id"]


async def test_notification_stream_skips_updates(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    await api.idle()
    async with connect(ws_url(api), additional_headers=reader.headers, proxy=None) as ws:
        await subscribe(ws, "user:notification")
        await api.post(author, "not a notification")
        await api.follow(author, reader)
        event = await next_event(ws)
        assert event["event"] == "notification"
        assert json.loads(event["payload"])["type"] == "follow"


async def test_public_stream_gets_public_posts_not_private(api: Api) -> None:
    author = await api.user()
    watcher: User = await api.user()
    async with connect(ws_url(api), additional_headers=watcher.headers, proxy=None) as ws:
        await subscribe(ws, "public")
        await api.post(author, "followers only", visibility="private")
        public = await api.post(author, "for everyone here")
        event = await next_event(ws)
        assert event["stream"] == ["public"]
        assert json.loads(event["payload"])["id"] == public["id"]


async def test_bad_token_is_refused(api: Api) -> None:
    with pytest.raises((InvalidStatus, ConnectionClosed)):
        async with connect(ws_url(api, "?access_token=nope"), proxy=None) as ws:
            await ws.recv()


async def test_unknown_stream_and_bad_message_get_errors(api: Api) -> None:
    user = await api.user()
    async with connect(ws_url(api), additional_headers=user.headers, proxy=None) as ws:
        await ws.send("not json")
        assert "error" in await next_event(ws)
        await ws.send(json.dumps({"type": "subscribe", "stream": "nonsense"}))
        assert "Unknown stream" in (await next_event(ws))["error"]


async def test_streaming_health(api: Api) -> None:
    r = await api.client.get("/api/v1/streaming/health")
    assert r.status_code == 200 and r.text == "OK"
