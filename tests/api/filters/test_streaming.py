"""Filters on open streams: ``update`` and ``status.update`` carry the reader's FilterResults
(home context on the user stream, public on the public and hashtag streams), a ``hide`` filter
keeps the status off the stream, and a change to the reader's filters is told on the user
stream (``filters_changed``) and applies to what comes next at once."""

from __future__ import annotations

import asyncio
import contextlib
import json

from websockets.asyncio.client import connect

from tests.helpers import Api, other_domain, unique
from tests.helpers.filters import make_filter, titles
from tests.helpers.streaming import SSEReader, next_event, subscribe, ws_url


async def _nothing(ws, timeout: float = 0.6) -> bool:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(ws.recv(), timeout)
        return False
    return True


async def test_user_stream_filters_updates_and_tells_of_changes(api: Api) -> None:
    domain = other_domain()
    author, reader = await api.user(domain=domain), await api.user(domain=domain)
    await api.follow(reader, author)
    async with connect(ws_url(api), additional_headers=reader.headers, proxy=None) as ws:
        await subscribe(ws, stream="user")
        made = await make_filter(api, reader, "Spoilers", ["finale"], context=["home"])
        event = await next_event(ws)
        assert event == {"stream": ["user"], "event": "filters_changed"}  # no payload
        await make_filter(api, reader, "Noise", ["noise"], context=["home"],
                          filter_action="hide")
        assert (await next_event(ws))["event"] == "filters_changed"

        await api.post(author, "pure noise")  # hidden: never streamed
        warned = await api.post(author, "the finale tonight")
        event = await next_event(ws)
        status = json.loads(event["payload"])
        assert (event["event"], status["id"]) == ("update", warned["id"])
        [result] = status["filtered"]
        assert result["filter"]["id"] == made["id"]
        assert result["keyword_matches"] == ["finale"]
        plain = await api.post(author, "plain words")
        assert json.loads((await next_event(ws))["payload"])["filtered"] == []

        # An edit streams as status.update, filtered as it now reads.
        r = await api.client.put(f"/api/v1/statuses/{plain['id']}", headers=author.headers,
                                 json={"status": "plain words, and the finale"})
        assert r.status_code == 200, r.text
        event = await next_event(ws)
        assert event["event"] == "status.update"
        assert titles(json.loads(event["payload"])) == ["Spoilers"]

        # A filter deleted applies to the next status at once.
        r = await api.client.delete(f"/api/v2/filters/{made['id']}", headers=reader.headers)
        assert r.status_code == 200
        assert (await next_event(ws))["event"] == "filters_changed"
        again = await api.post(author, "another finale")
        status = json.loads((await next_event(ws))["payload"])
        assert (status["id"], status["filtered"]) == (again["id"], [])
        assert await _nothing(ws)


async def test_public_and_hashtag_streams_use_the_public_context(api: Api) -> None:
    domain = other_domain()
    author, reader = await api.user(domain=domain), await api.user(domain=domain)
    tag = unique("t")
    await make_filter(api, reader, "Public warn", ["warn"], context=["public"])
    await make_filter(api, reader, "Public hide", ["hide"], context=["public"],
                      filter_action="hide")
    await make_filter(api, reader, "Home only", ["plain"], context=["home"])
    async with connect(ws_url(api), additional_headers=reader.headers, proxy=None) as ws:
        await subscribe(ws, stream="public")
        await subscribe(ws, stream="hashtag", tag=tag)
        await api.post(author, f"hide me #{tag}")
        warned = await api.post(author, f"warn me #{tag}")
        events = [await next_event(ws), await next_event(ws)]
        assert sorted(e["stream"][0] for e in events) == ["hashtag", "public"]
        for event in events:
            status = json.loads(event["payload"])
            assert status["id"] == warned["id"] and titles(status) == ["Public warn"]
        plain = await api.post(author, f"plain #{tag}")
        for _ in range(2):
            status = json.loads((await next_event(ws))["payload"])
            assert status["id"] == plain["id"] and status["filtered"] == []
        assert await _nothing(ws)


async def test_server_sent_events_say_filters_changed(api: Api) -> None:
    reader = await api.user()
    async with api.client.stream("GET", "/api/v1/streaming/user",
                                 headers=reader.headers) as response:
        assert response.status_code == 200
        events = SSEReader(response)
        assert await events.next(1) == [":)"]
        await make_filter(api, reader, "Any", ["word"])
        [block] = await events.next(1)
        assert block == "event: filters_changed\ndata: undefined"


async def test_streamed_notifications_apply_the_notifications_context(api: Api) -> None:
    domain = other_domain()
    author, reader = await api.user(domain=domain), await api.user(domain=domain)
    await make_filter(api, reader, "Launch", ["launch"], context=["notifications"])
    await make_filter(api, reader, "Spam", ["spam"], context=["notifications"],
                      filter_action="hide")
    async with connect(ws_url(api), additional_headers=reader.headers, proxy=None) as ws:
        await subscribe(ws, stream="user:notification")
        await api.post(author, f"@{reader.username} spam spam")  # its notification: hidden
        warned = await api.post(author, f"@{reader.username} about the launch")
        event = await next_event(ws)
        note = json.loads(event["payload"])
        assert (event["event"], note["status"]["id"]) == ("notification", warned["id"])
        assert titles(note["status"]) == ["Launch"]
        assert await _nothing(ws)
