"""Inactive readers: fanout skips a reader whose last home read is old (or unknown); the next
read rebuilds the timeline from Postgres, answering 206 with what is there while it runs."""

from __future__ import annotations

import asyncio
import time

import msgspec
import pytest

from services.fanout import rebuild
from services.gateway.application import home as home_read
from shared.records import LAST_READ_KEY, home_key, rebuilding_key
from shared.timelines import reads
from shared.timelines.batching import ActiveReaders
from tests.helpers import Api
from tests.helpers.timelines import home_ids, home_zset


async def test_stale_reader_is_skipped_then_rebuilt_on_read(api: Api) -> None:
    author, reader, newcomer = await api.user(), await api.user(), await api.user()
    await api.follow(reader, author)
    await api.follow(newcomer, author)
    await api.idle()
    seen = await api.post(author, "while you were here")
    await api.idle()
    assert (await api.home(reader)).status_code == 200  # the first read makes it current
    r = api.stack.fanout.redis.main
    assert await r.zscore(LAST_READ_KEY, reader.id) >= time.time() - 5
    stale = int(time.time() - 15 * 86400)  # HUBBUB_INACTIVE_DAYS is 14
    await r.zadd(LAST_READ_KEY, {reader.id: stale})

    missed = await api.post(author, "while you were away")
    await api.idle()
    assert await home_zset(api, reader) == [seen["id"]]  # skipped
    assert await home_zset(api, newcomer) == []  # never read: no timeline made for nobody
    assert await home_zset(api, author) == [missed["id"], seen["id"]]  # the author's own: always

    for user in (reader, newcomer):
        r_home = await api.home(user)
        assert r_home.status_code == 200
        assert [s["id"] for s in r_home.json()] == [missed["id"], seen["id"]]
    assert await r.zscore(LAST_READ_KEY, reader.id) > stale
    # Current again: the next post is written, no rebuild needed.
    later = await api.post(author, "back again")
    await api.idle()
    assert (await home_zset(api, reader))[0] == later["id"]


async def test_reader_whose_activity_was_lost_gets_everything_on_its_next_read(
        api: Api) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    await api.idle()
    assert (await api.home(reader)).status_code == 200
    seen = await api.post(author, "before the loss")
    await api.idle()
    r = api.stack.admin_redis
    # Redis lost the reader's activity (a flush, an eviction, a replica that missed it), and
    # fanout restarted meanwhile (what it remembered of active readers is gone too).
    await r.zrem(LAST_READ_KEY, reader.id)
    api.stack.fanout.statuses.writer.writes.active = ActiveReaders()
    missed = await api.post(author, "after the loss")
    await api.idle()
    # Unknown counts as "rebuild on the next read" (Mastodon's regeneration on the next visit):
    # fanout may skip the reader, the read brings everything back.
    page = await api.home(reader)
    assert page.status_code == 200
    assert [s["id"] for s in page.json()] == [missed["id"], seen["id"]]
    assert await r.zscore(LAST_READ_KEY, reader.id)
    later = await api.post(author, "current again")
    await api.idle()
    assert await home_zset(api, reader) == [later["id"], missed["id"], seen["id"]]


async def test_a_read_does_not_revive_activity_lost_under_it(api: Api) -> None:
    """A home read found the reader active, then Redis lost the reader's activity and timeline
    (a flush) before the read was recorded: recording it must not make the reader active
    again, or fanout would go on writing a wiped timeline that no rebuild fills."""
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    await api.idle()
    assert (await api.home(reader)).status_code == 200
    seen = await api.post(author, "before the loss")
    await api.idle()
    gw = api.stack.gateway
    bounds = reads.Bounds(limit=20)
    state = await reads.home_state(gw.redis.lean, int(reader.id), bounds)
    # As read a while ago (a read is recorded at most once a minute).
    state = msgspec.structs.replace(state, last_read=int(time.time()) - 600)
    r = api.stack.admin_redis
    # Lost under the read (this reader's share of a flush: other tests' readers stay).
    await r.zrem(LAST_READ_KEY, reader.id)
    await r.delete(home_key(int(reader.id)))
    await home_read.home_page(gw, int(reader.id), bounds, state)
    assert await r.zscore(LAST_READ_KEY, reader.id) is None
    missed = await api.post(author, "after the loss")
    await api.idle()
    page = await api.home(reader)  # rebuilt: nothing lost
    assert page.status_code == 200
    assert [s["id"] for s in page.json()] == [missed["id"], seen["id"]]


async def test_a_rebuild_that_outlasts_its_provisional_record_is_not_trusted(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """While a rebuild runs, the reader counts as active only provisionally: one that ran
    past that may have missed what fanout skipped after its reads, so the reader is left to
    the next read's rebuild rather than recorded as current."""
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    await api.idle()
    first = await api.post(author, "rebuild me")
    await api.idle()
    monkeypatch.setattr(rebuild, "CLOCK_SLACK_S", rebuild.PROVISIONAL_S)  # every one is late
    page = await api.home(reader)
    assert [s["id"] for s in page.json()] == [first["id"]]
    r = api.stack.admin_redis
    assert await r.zscore(LAST_READ_KEY, reader.id) is None
    monkeypatch.undo()
    assert (await api.home(reader)).status_code == 200  # rebuilt again, in time
    assert await r.zscore(LAST_READ_KEY, reader.id) >= time.time() - 5


async def test_read_answers_206_while_a_rebuild_runs(api: Api,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    await api.idle()
    first = await api.post(author, "rebuild me")
    await api.idle()
    rebuilder = api.stack.fanout.rebuilder
    real_home = rebuilder.home
    release = asyncio.Event()

    async def slow_home(account_id: int, **kwargs) -> int:
        await release.wait()
        return await real_home(account_id, **kwargs)

    monkeypatch.setattr(rebuilder, "home", slow_home)
    monkeypatch.setattr(home_read, "REBUILD_WAIT_S", 0.2)
    try:
        during = await _while_rebuilding(api, reader, author)
    finally:
        release.set()
    for _ in range(100):
        if not await api.stack.fanout.redis.main.exists(rebuilding_key(int(reader.id))):
            break
        await asyncio.sleep(0.02)
    r = await api.home(reader)
    assert r.status_code == 200
    assert [s["id"] for s in r.json()] == [during, first["id"]]


async def _while_rebuilding(api: Api, reader, author) -> str:
    r = await api.home(reader)
    assert r.status_code == 206 and r.json() == []  # nothing there yet, more to come
    assert await api.stack.fanout.redis.main.exists(rebuilding_key(int(reader.id)))
    # Posted during the rebuild: fanout writes it (the reader counts as active meanwhile).
    during = await api.post(author, "posted during the rebuild")
    await api.idle()
    r = await api.home(reader)
    assert r.status_code == 206 and [s["id"] for s in r.json()] == [during["id"]]
    return during["id"]


async def test_fanout_down_means_206_not_an_error(api: Api,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    reader = await api.user()

    async def away(*args, **kwargs):
        from shared import errors
        raise errors.Unavailable("fanout is not running")

    monkeypatch.setattr(home_read.bus, "call", _only_fanout(away))
    r = await api.home(reader)
    assert r.status_code == 206 and r.json() == []
    monkeypatch.undo()
    assert (await api.home(reader)).status_code == 200
    assert await home_ids(api, reader) == []


def _only_fanout(replacement):
    from shared import bus

    real = bus.call

    async def call(nc, verb, *args, **kwargs):
        if verb.service == "fanout":
            return await replacement(nc, verb, *args, **kwargs)
        return await real(nc, verb, *args, **kwargs)

    return call


async def test_a_running_rebuild_renews_its_record_and_marker_and_a_dead_one_lapses(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebuild keeps its reader active and its marker on only by renewing them: a rebuild
    whose process died stops renewing, and its reader is stale again within PROVISIONAL_S, to
    be rebuilt on its next read (a fixed two minutes left the reader of a fanout replica killed
    mid-rebuild a timeline without its older statuses that long: the chaos benchmark)."""
    reader = await api.user()
    r = api.stack.admin_redis
    settings = api.stack.fanout.settings
    window = settings.inactive_days * 86400
    # Short lives, each well above the renewal period: a recorded read is whole seconds
    # (truncated), so a one-second life could lapse between two renewals on a loaded box.
    monkeypatch.setattr(rebuild, "HEARTBEAT_S", 0.1)
    monkeypatch.setattr(rebuild, "PROVISIONAL_S", 3)
    monkeypatch.setattr(rebuild, "MARKER_S", 3)
    monkeypatch.setattr(rebuild, "CLOCK_SLACK_S", 0)
    release = asyncio.Event()

    async def hanging() -> int:
        await release.wait()
        return 0

    running = asyncio.create_task(rebuild.rebuilding_home(
        api.stack.fanout.redis.main, settings, int(reader.id), hanging))
    await asyncio.sleep(4)  # past a provisional record's life and the marker's
    score = await r.zscore(LAST_READ_KEY, reader.id)
    assert score is not None and score >= time.time() - window  # active still: renewed
    assert await r.exists(rebuilding_key(int(reader.id)))
    # As if its process died: nothing renews them any more.
    monkeypatch.setattr(rebuild, "HEARTBEAT_S", 3600)
    await asyncio.sleep(4)
    score = await r.zscore(LAST_READ_KEY, reader.id)
    assert score is not None and score < time.time() - window  # stale: the next read rebuilds
    assert not await r.exists(rebuilding_key(int(reader.id)))
    release.set()
    assert await running == 0
    assert await r.zscore(LAST_READ_KEY, reader.id) is None  # unrenewed: not trusted
