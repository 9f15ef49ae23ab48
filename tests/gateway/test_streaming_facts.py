"""A streaming session's reader facts (follows, blocks, mutes, communities): changed at once by
graph's events on an open stream, refreshed in the background before they expire, so that a
delivery waits for graph only when they changed or a session was idle past FACTS_TTL_S, and
readers who connected together do not all ask graph in the same second."""

from __future__ import annotations

import asyncio
import json
import time

from websockets.asyncio.client import connect

from services.gateway.streaming import reader_facts
from services.gateway.streaming.session import StreamSession
from tests.helpers import Api
from tests.helpers.streaming import next_event, subscribe, ws_url


async def test_facts_are_refreshed_in_the_background_before_they_expire(api: Api) -> None:
    reader, author = await api.user(), await api.user()
    gw = api.stack.gateway
    account = await gw.hydrator.account(int(reader.id))
    session = StreamSession(gw, account, 8)
    try:
        viewer, _ = await session.facts.get()
        assert int(author.id) not in viewer.following
        await api.follow(reader, author)
        await api.idle()

        # Old enough to refresh, young enough to trust: the delivery goes on with what it
        # knows, and the refresh happens beside it.
        session.facts.learned_at = time.monotonic() - reader_facts.FACTS_REFRESH_FROM_S[1] - 1
        viewer, _ = await session.facts.get()
        assert int(author.id) not in viewer.following
        refreshing = session.facts.refreshing
        assert refreshing is not None
        await refreshing
        viewer, _ = await session.facts.get()
        assert int(author.id) in viewer.following
        assert session.facts.refreshing is None  # fresh again: nothing more to ask

        # Past the TTL (an idle session), the delivery waits for fresh facts.
        await api.client.post(f"/api/v1/accounts/{author.id}/unfollow", headers=reader.headers)
        await api.idle()
        session.facts.learned_at = time.monotonic() - reader_facts.FACTS_TTL_S - 1
        viewer, _ = await session.facts.get()
        assert int(author.id) not in viewer.following
    finally:
        await session.close()



async def test_a_mute_made_while_streaming_applies_to_the_next_event(api: Api) -> None:
    domain = f"facts{time.monotonic_ns()}.test"
    me, noisy, fine = [await api.user(domain=domain) for _ in range(3)]
    async with connect(ws_url(api), additional_headers=me.headers, proxy=None) as ws:
        await subscribe(ws, "public")  # facts learned now: nobody muted
        r = await api.client.post(f"/api/v1/accounts/{noisy.id}/mute", headers=me.headers)
        assert r.status_code == 200
        await api.idle()  # graph's MuteCreated is out
        await api.post(noisy, "you muted me a moment ago")
        shown = await api.post(fine, "still here")
        event = await next_event(ws)
        assert json.loads(event["payload"])["id"] == shown["id"]


async def test_a_timed_mute_ends_on_an_open_stream_when_it_ends(api: Api) -> None:
    # No event marks a mute's end: graph's facts say when the first timed mute ends, and the
    # session trusts them only until then (before, up to FACTS_TTL_S: five minutes).
    domain = f"facts{time.monotonic_ns()}.test"
    me, noisy, fine = [await api.user(domain=domain) for _ in range(3)]
    r = await api.client.post(f"/api/v1/accounts/{noisy.id}/mute", headers=me.headers,
                              json={"duration": 2})
    assert r.status_code == 200
    async with connect(ws_url(api), additional_headers=me.headers, proxy=None) as ws:
        await subscribe(ws, "public")  # facts learned now: noisy muted for two seconds
        await api.post(noisy, "muted for now")
        shown = await api.post(fine, "still here")
        assert json.loads((await next_event(ws))["payload"])["id"] == shown["id"]
        await asyncio.sleep(2.2)
        back = await api.post(noisy, "the mute has ended")
        assert json.loads((await next_event(ws))["payload"])["id"] == back["id"]


async def test_a_block_by_the_author_applies_to_the_watchers_open_stream(api: Api) -> None:
    domain = f"facts{time.monotonic_ns()}.test"
    watcher, blocker, other = [await api.user(domain=domain) for _ in range(3)]
    async with connect(ws_url(api), additional_headers=watcher.headers, proxy=None) as ws:
        await subscribe(ws, "public")
        r = await api.client.post(f"/api/v1/accounts/{watcher.id}/block",
                                  headers=blocker.headers)
        assert r.status_code == 200
        await api.idle()
        await api.post(blocker, "not for the one I blocked")
        shown = await api.post(other, "for everyone")
        event = await next_event(ws)
        assert json.loads(event["payload"])["id"] == shown["id"]


async def test_a_follow_made_while_streaming_lets_followers_only_posts_through(
        api: Api) -> None:
    reader, author = await api.user(), await api.user()
    async with connect(ws_url(api), additional_headers=reader.headers, proxy=None) as ws:
        await subscribe(ws, "user")  # facts learned now: follows nobody
        await api.follow(reader, author)
        await api.idle()
        private = await api.post(author, "for my followers", visibility="private")
        event = await next_event(ws)
        assert event["event"] == "update"
        assert json.loads(event["payload"])["id"] == private["id"]
