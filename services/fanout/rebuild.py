"""Rebuild home timelines (and authors' own timelines) from Postgres, through their owners:
the graph says whom a reader follows and which communities it is in, posts gives the newest
statuses of those, and the result is merged into whatever the timeline holds (so entries that
fanout writes meanwhile stay).

Two callers: a home read that finds the reader inactive (``RebuildOnRead``, served over NATS as
``hubbub.svc.fanout.home.rebuild``), and ``hubbub rebuild timelines`` after Redis lost its data
(``rebuild_timelines``, which tests call directly)."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

import redis.asyncio as redis
from nats.aio.client import Client as NATS

from shared import bus, metrics
from shared.contracts import fanout as fanout_api
from shared.contracts import graph as graph_api
from shared.contracts import posts as posts_api
from shared.ids import member
from shared.records import (
    LAST_READ_KEY,
    home_key,
    home_reblogs_key,
    own_complete_key,
    own_key,
    own_reblogs_key,
    rebuilding_key,
)
from shared.settings import Settings
from shared.timelines.activity import DAY_S, mark_read
from shared.timelines.writes import REBLOG_FALLOFF, TimelineWriter

log = logging.getLogger(__name__)

# While a rebuild runs, the reader counts as active for PROVISIONAL_S past each renewal of its
# record (its recorded read is set that far inside the inactivity window, and renewed every
# HEARTBEAT_S while the rebuild runs: fanout delivers to it, so nothing posted meanwhile is
# missed); the marker that makes reads answer 206 is renewed with it and lives a little longer,
# so that a reader is never "active" and unmarked before its rebuild ends. A rebuild whose
# process dies (or that hangs) stops renewing both: within PROVISIONAL_S the reader is stale
# again and, once the marker is gone, its next read rebuilds. (They were fixed, 120 and 150 s:
# a fanout replica killed mid-rebuild left its reader a timeline without the statuses from
# before the rebuild for two minutes; found by the chaos benchmark.) A rebuild whose record
# went unrenewed for PROVISIONAL_S less CLOCK_SLACK_S (fanout replicas judge it by their own
# clocks) is not recorded: fanout may have skipped the reader after the rebuild read Postgres.
PROVISIONAL_S = 20
HEARTBEAT_S = 3
MARKER_S = 25
CLOCK_SLACK_S = 10
# Mentions have no index in the posts schema: a one-reader rebuild finds the direct messages to
# it by walking this far back through the newest statuses; a rebuild of everyone makes one pass
# over all direct messages instead.
DIRECT_DAYS = 90


def deduplicate(ids: list[int], reblogs: dict[int, int]) -> tuple[list[int], dict[int, int]]:
    """Replay fanout's reblog rule over a rebuilt timeline (``ids`` newest first): a reblog is
    left out when its original, or another reblog of it, is among the REBLOG_FALLOFF newer
    entries. Returns the kept ids (newest first) and the tracker (original -> reblog) of the
    reblogs that stay within the newest REBLOG_FALLOFF."""
    kept: list[int] = []  # ascending, as fanout would have added them
    tracker: dict[int, int] = {}

    def rank(entry: int) -> int:  # how many kept entries are newer
        return len(kept) - bisect.bisect_right(kept, entry)

    for status_id in reversed(ids):
        original = reblogs.get(status_id)
        if original is not None:
            pos = bisect.bisect_left(kept, original)
            if pos < len(kept) and kept[pos] == original and rank(original) < REBLOG_FALLOFF:
                continue
            earlier = tracker.get(original)
            if earlier is not None and rank(earlier) < REBLOG_FALLOFF:
                continue
            tracker[original] = status_id
        kept.append(status_id)
    recent = {o: r for o, r in tracker.items() if rank(r) < REBLOG_FALLOFF}
    return kept[::-1], recent


class Rebuilder:
    def __init__(self, nc: NATS, r: redis.Redis, writer: TimelineWriter, settings: Settings
                 ) -> None:
        self.nc = nc
        self.r = r
        self.writer = writer
        self.settings = settings

    async def home(self, account_id: int, *, direct_days: int = DIRECT_DAYS) -> int:
        """Merge the reader's home timeline from Postgres; returns how many entries it has."""
        sources = await bus.call(
            self.nc, graph_api.TIMELINE_HOME_SOURCES,
            graph_api.HomeSources(account_id=account_id,
                                  threshold=self.settings.fanout_follower_threshold))
        # Followees above the threshold stay out, as fanout leaves them out: the read merges
        # their own timelines (restored below if missing).
        above = set(sources.above)
        entries = await bus.call(
            self.nc, posts_api.STATUS_HOME_REBUILD,
            posts_api.HomeRebuild(account_id=account_id,
                                  followees=[f for f in sources.followees if f not in above],
                                  no_reblogs=sources.no_reblogs,
                                  communities=sources.communities, tags=sources.tags,
                                  network_id=sources.network_id, limit=self.writer.cap,
                                  direct_days=direct_days), timeout=30)
        kept, tracker = deduplicate(entries.ids, entries.reblogs)
        await self.writer.merge(home_key(account_id), kept)
        if tracker:
            await self.r.zadd(home_reblogs_key(account_id),
                              {member(o): float(member(r)) for o, r in tracker.items()})
        # Followees above the threshold are read from their own timelines: after a loss of
        # Redis those must come back too, or the reader's next posts from them would be alone.
        # (Not by their existence: live fanout makes one again with the author's next status.)
        if sources.above:
            pipe = self.r.pipeline(transaction=False)
            for author_id in sources.above:
                pipe.exists(own_complete_key(author_id))
            missing = [a for a, found in zip(sources.above, await pipe.execute(), strict=True)
                       if not found]
            for author_id in missing:
                await self.own(author_id)
        return len(kept)

    async def own(self, author_id: int) -> None:
        found = await bus.call(
            self.nc, posts_api.STATUS_AUTHOR_TIMELINE,
            posts_api.AuthorTimeline(account_id=author_id, limit=self.writer.cap), timeout=30)
        await self.writer.merge(own_key(author_id), found.statuses)
        await self.writer.merge(own_reblogs_key(author_id), found.reblogs)
        # Complete from here on: fanout adds every later status (merged, never replaced).
        await self.r.set(own_complete_key(author_id), b"1")

    async def direct_messages(self) -> int:
        """Every direct message back into its mentioned readers' homes, in one pass."""
        after = 0
        count = 0
        while True:
            page = await bus.call(self.nc, posts_api.STATUS_DIRECT_PAGE,
                                  posts_api.DirectPage(after_id=after, limit=1000), timeout=30)
            for message in page.messages:
                if message.mentions:
                    await self.writer.add([home_key(i) for i in message.mentions], message.id)
            count += len(page.messages)
            if len(page.messages) < 1000:
                return count
            after = page.messages[-1].id


async def rebuilding_home(r: redis.Redis, settings: Settings, account_id: int,
                          rebuild: Callable[[], Awaitable[int]],
                          gate: asyncio.Semaphore | None = None) -> int | None:
    """Run ``rebuild`` (of the reader's home timeline) so that no status is lost to fanout
    meanwhile; its result, or None when a rebuild of this reader is running already. Both
    rebuilds go through here: a read's, and ``hubbub rebuild timelines``.

    Why nothing is lost: the rebuild merges into the live timeline (never replaces it), and
    the reader is recorded as active *before* the rebuild reads Postgres. A status is fanned
    out only after its commit (the outbox), and fanout checks the reader's record after that:
    either the check came before the record, and then the commit came before the rebuild's
    read, which has the status; or it came after, and fanout wrote it. (Recording the reader
    only once the rebuild was done, as the command did, skipped everything posted between its
    read and its end: fanout saw no record, the rebuild had read too early, and the record
    then said the timeline was current. Issue #19 item 7.) The reader counts as read now
    only once the rebuild is complete; a failed one takes the record away, so that the next
    read rebuilds again (shared/timelines/activity.py states the invariant).

    ``gate`` bounds how many rebuilds read the owners at once: a reader waiting for it is
    marked (reads answer 206) but recorded only when its turn comes, so that the provisional
    record covers the rebuild itself, not the wait."""
    marker = rebuilding_key(account_id)
    if not await r.set(marker, b"1", nx=True, ex=MARKER_S):
        return None
    window = settings.inactive_days * DAY_S
    recording = False  # the provisional record is on (and renewed): set once the gate lets us
    renewed = time.time()  # when the record was last set

    async def keep_alive() -> None:
        nonlocal renewed
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            await r.expire(marker, MARKER_S)
            if recording:
                now = time.time()
                await mark_read(r, account_id, now - window + PROVISIONAL_S)
                renewed = now

    heartbeat = asyncio.create_task(keep_alive())
    try:
        async with gate or contextlib.nullcontext():
            started = renewed = time.time()
            await mark_read(r, account_id, started - window + PROVISIONAL_S)
            recording = True
            entries = await rebuild()
        heartbeat.cancel()
        if time.time() - renewed > PROVISIONAL_S - CLOCK_SLACK_S:
            log.warning("home rebuild of %d: its record went unrenewed for %.0fs (%.0fs in "
                        "all): left for the next read", account_id, time.time() - renewed,
                        time.time() - started)
            await r.zrem(LAST_READ_KEY, account_id)
        else:
            await mark_read(r, account_id)
    except BaseException:
        # Back to "needs a rebuild": the next read tries again.
        await r.zrem(LAST_READ_KEY, account_id)
        raise
    finally:
        heartbeat.cancel()
        await asyncio.gather(heartbeat, return_exceptions=True)  # (its failure: noted above)
        await r.delete(marker)
    return entries


class RebuildOnRead:
    """``home.rebuild``: one rebuild per reader at a time; reads meanwhile answer 206."""

    def __init__(self, rebuilder: Rebuilder, r: redis.Redis, settings: Settings,
                 concurrency: int = 8) -> None:
        self.rebuilder = rebuilder
        self.r = r
        self.settings = settings
        # After a loss of Redis every reader asks at once: the owners see a few at a time (the
        # others wait behind the marker, their reads answering 206 meanwhile).
        self._running = asyncio.Semaphore(concurrency)

    async def __call__(self, req: fanout_api.RebuildHome) -> fanout_api.RebuildReply:
        account_id = req.account_id
        entries = await rebuilding_home(self.r, self.settings, account_id,
                                        lambda: self.rebuilder.home(account_id), self._running)
        if entries is None:
            return fanout_api.RebuildReply(state=fanout_api.IN_PROGRESS)
        metrics.TIMELINE_REBUILDS.labels("read").inc()
        return fanout_api.RebuildReply(state=fanout_api.DONE, entries=entries)


async def rebuild_timelines(nc: NATS, r: redis.Redis, settings: Settings, *,
                            user: int | None = None, concurrency: int = 8, page: int = 500,
                            progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the home and own timelines of one account, or of every account page by page,
    while fanout goes on (``rebuilding_home``). A rebuilt timeline counts as read now (so that
    fanout keeps it current); a reader whose home is being rebuilt on read meanwhile is left to
    that rebuild. Returns how many accounts were rebuilt."""
    writer = TimelineWriter(r, settings.home_timeline_max, settings.inactive_days)
    rebuilder = Rebuilder(nc, r, writer, settings)
    window = asyncio.Semaphore(concurrency)

    async def one(account_id: int, direct_days: int) -> None:
        async with window:
            await rebuilding_home(r, settings, account_id,
                                  lambda: rebuilder.home(account_id, direct_days=direct_days))
            await rebuilder.own(account_id)
            metrics.TIMELINE_REBUILDS.labels("command").inc()

    if user is not None:
        await one(user, DIRECT_DAYS)
        return 1
    done = 0
    after = 0
    while True:
        ids = (await bus.call(nc, graph_api.ACCOUNT_IDS,
                              graph_api.AccountIdsPage(after_id=after, limit=page))).ids
        if not ids:
            await rebuilder.direct_messages()
            return done
        await asyncio.gather(*(one(i, 0) for i in ids))
        done += len(ids)
        after = ids[-1]
        if progress:
            progress(done)
