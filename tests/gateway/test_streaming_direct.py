"""Streamed events are written straight onto the socket under the gateway's own server
(streaming/direct.py), and take the ASGI path, in order, when the socket cannot take more."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.frames import Frame, Opcode

from services.gateway.streaming.frames import ws_frame
from tests.helpers import Api
from tests.helpers.streaming import next_event, subscribe, ws_url


async def author_and_follower(api: Api):
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    await api.idle()
    return author, reader


async def test_events_are_written_directly_under_the_gateways_server(
        api: Api, direct_sends) -> None:
    made, results = direct_sends
    author, reader = await author_and_follower(api)
    async with connect(ws_url(api), additional_headers=reader.headers, proxy=None) as ws:
        await subscribe(ws, "user")
        assert len(made) == 1  # uvicorn's protocol was recognised
        status = await api.post(author, "straight to the socket")
        event = await next_event(ws)
        assert json.loads(event["payload"])["id"] == status["id"]
        assert results == [True]


async def test_a_socket_that_cannot_take_more_gets_its_events_the_asgi_way_in_order(
        api: Api, direct_sends) -> None:
    made, results = direct_sends
    author, reader = await author_and_follower(api)
    async with connect(ws_url(api), additional_headers=reader.headers, proxy=None) as ws:
        await subscribe(ws, "user")
        [direct] = made
        direct.writable.clear()  # as uvicorn does when the socket's buffer is full
        first = await api.post(author, "first")
        second = await api.post(author, "second")
        await api.idle()
        await asyncio.sleep(0.2)
        assert results == [False]  # tried once; the second queued behind the first
        direct.writable.set()  # drained: the queued events go out, in order
        got = [json.loads((await next_event(ws))["payload"])["id"] for _ in range(2)]
        assert got == [first["id"], second["id"]]
        third = await api.post(author, "third")
        assert json.loads((await next_event(ws))["payload"])["id"] == third["id"]
        assert results[-1] is True  # nothing pending any more: direct again


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_a_shared_frame_is_the_frame_websockets_would_send(size: int) -> None:
    text = "é" * (size // 2) + "x" * (size % 2)  # multi-byte: the length is of the bytes
    expected = Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[])
    assert ws_frame(text) == expected
