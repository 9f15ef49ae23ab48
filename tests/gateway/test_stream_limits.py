"""The gateway's streaming under load and in its internals: connection limits per token and per
process, a slow client cut off, the SSE heartbeat (shortened in the test)."""

from __future__ import annotations

import asyncio
import json

import msgspec
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from services.gateway.routes import streaming as streaming_routes
from tests.helpers import Api
from tests.helpers.streaming import SSEReader, next_event, subscribe, ws_url


async def test_server_sent_events_user_stream_with_heartbeat(api: Api, monkeypatch) -> None:
    monkeypatch.setattr(streaming_routes, "HEARTBEAT_S", 0.3)
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    await api.idle()
    async with api.client.stream("GET", "/api/v1/streaming/user",
                                 headers=reader.headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        sse = SSEReader(response)
        assert await sse.next(1) == [":)"]
        post = await api.post(author, "over SSE")
        blocks = await sse.next(3)
        events = [b for b in blocks if b.startswith("event:")]
        assert events, blocks
        kind, data = events[0].split("\n", 1)
        assert kind == "event: update"
        assert json.loads(data.removeprefix("data: "))["id"] == post["id"]
        assert ":thump" in blocks  # heartbeats while nothing happens


async def test_connection_limit_per_token(api: Api) -> None:
    user = await api.user()
    limits = api.stack.gateway.stream_limits
    before = limits.per_token
    limits.per_token = 2
    try:
        url = ws_url(api.stack.base_url)
        async with connect(url, additional_headers=user.headers, proxy=None), \
                connect(url, additional_headers=user.headers, proxy=None):
            async with connect(url, additional_headers=user.headers, proxy=None) as third:
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(third.recv(), 5)
                assert closed.value.rcvd.code == 4029
                assert "at most 2" in closed.value.rcvd.reason
            r = await api.client.get("/api/v1/streaming/user", headers=user.headers)
            assert r.status_code == 429
    finally:
        limits.per_token = before


async def test_slow_client_is_cut_off_without_slowing_others(api: Api, direct_sends) -> None:
    gw = api.stack.gateway
    # Events are written straight to a socket that takes them (streaming/direct.py); a slow
    # client's socket stops taking them once the kernel's and the transport's buffers are
    # full, which uvicorn signals by clearing its ``writable``: the slow connection's is
    # cleared here from the start, as if its buffers were full, and its events queue up.
    made, _ = direct_sends
    author, slow, brisk = await api.user(), await api.user(), await api.user()
    for reader in (slow, brisk):
        await api.follow(reader, author)
    await api.idle()
    settings = gw.settings
    gw.settings = msgspec.structs.replace(settings, stream_queue_size=2)
    try:
        url = ws_url(api.stack.base_url)
        async with connect(url, additional_headers=slow.headers, proxy=None,
                           max_queue=1) as slow_ws:
            gw.settings = settings  # only the slow connection has the tiny queue
            async with connect(url, additional_headers=brisk.headers, proxy=None) as brisk_ws:
                await subscribe(slow_ws, stream="user")
                await subscribe(brisk_ws, stream="user")
                slow_socket = made[0]
                assert slow_socket is not None
                slow_socket.writable.clear()
                posts = await asyncio.gather(*(api.post(author, f"burst {i}")
                                               for i in range(25)))
                got = set()
                while len(got) < len(posts):
                    event = await next_event(brisk_ws)
                    got.add(json.loads(event["payload"])["id"])
                assert got == {p["id"] for p in posts}  # the brisk reader missed nothing
                slow_socket.writable.set()  # the close frame can go out
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        await asyncio.wait_for(slow_ws.recv(), 5)
                assert closed.value.rcvd.code == 1013
    finally:
        gw.settings = settings


async def test_connection_limit_per_process(api: Api) -> None:
    first, second = await api.user(), await api.user()
    limits = api.stack.gateway.stream_limits
    before = limits.per_process
    limits.per_process = limits.total + 1
    try:
        url = ws_url(api.stack.base_url)
        async with connect(url, additional_headers=first.headers, proxy=None):
            async with connect(url, additional_headers=second.headers, proxy=None) as refused:
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(refused.recv(), 5)
                assert closed.value.rcvd.code == 4029
                assert "too many streaming connections" in closed.value.rcvd.reason
    finally:
        limits.per_process = before
