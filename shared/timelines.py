"""Redis timelines: sorted sets of status ids, written by fanout and read by the gateway.

Ids are 64-bit and exceed float64's exact range, so members are fixed-width decimal strings
(``shared.ids.member``) with score 0: Redis then orders them lexicographically, which for equal
widths is numeric order, and ``BYLEX`` ranges give exact ``max_id``/``since_id``/``min_id``.

Writes go through Lua scripts that take thousands of timelines per call (the measured way to get
near Redis's own rate on this machine: building commands in Python is the cost, not Redis). Home
timelines are written only for active readers: each reader's last-read key (Unix seconds, set by
the gateway on a home read) travels with its timeline key, and a reader whose last read is older
than the cutoff (or missing) is skipped, to be rebuilt from Postgres on the next read.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import time
from collections.abc import Iterable
from typing import Any

import msgspec
import redis.asyncio as redis
from redis.asyncio.connection import Connection
from redis.exceptions import ResponseError

try:
    import hiredis
except ImportError:  # optional: redis-py's own packer then
    hiredis = None

from shared.fastredis import FastRedis
from shared.ids import MEMBER_WIDTH, member
from shared.records import (
    LAST_READ_KEY,
    big_followees_key,
    home_key,
    home_reblogs_key,
    own_key,
    own_reblogs_key,
    rebuilding_key,
)

# Caps are a bound with a little slack, not exact. Checking every timeline's size after every
# add (a ZCARD: each redis.call in a script costs Redis ~2 us) bought nothing but exactness;
# without it Redis spent 5.6-6.9 us a write on the benchmark's raw script calls, not 7.2-7.9
# (loadtests/fanout_bench.py, INFO commandstats). Instead one write in TRIM_EVERY, chosen from
# its member alone (``trims``: a hash of the status id, so that a redelivery chooses the same),
# trims every timeline it enters back to exactly the cap; the others only add. A timeline holds
# at most its cap plus the adds since the last trimming write to reach it: a geometric overrun of
# TRIM_EVERY - 1 entries on average, beyond k with probability (1 - 1/TRIM_EVERY)^k (for 16:
# beyond 72 one time in a hundred, beyond 214 one in a million). Reads are unchanged: a timeline
# may show a few more old entries than the cap. Removals of an author's statuses by its newest
# ``cap`` (unfollow, mute, block, leaving a list or a community) trim the timeline first
# (TRIM_AND_REMOVE), so that none of the author's older entries is left in the overrun.
TRIM_EVERY = 16
_FIB64 = 0x9E3779B97F4A7C15  # 2^64 / golden ratio: every bit of the id stirs the top bits
_MASK64 = (1 << 64) - 1
_TRIM_BELOW = (1 << 64) // TRIM_EVERY


def trims(status_id: int | str) -> int:
    """1 when the writes of this status (or its member) trim the timelines they enter, else 0.
    A hash, not the id's low bits: those are a sequence that is mostly 0 at low rates."""
    return int((int(status_id) * _FIB64) & _MASK64 < _TRIM_BELOW)


# Add one member to many timelines, trimming them when ``trims`` says so. Returns how many
# entries are new (a redelivery writes none). Fanout sends ADD_GROUPS (below), the same for
# many members; the benchmark keeps this one as its reference for the bare cost of the writes.
# ARGV: member, cap, trim flag.
ADD_AND_TRIM = """
local m = ARGV[1]
local cap = tonumber(ARGV[2])
local written = 0
if ARGV[3] == '1' then
  for i, key in ipairs(KEYS) do
    if redis.call('ZADD', key, 0, m) == 1 then
      written = written + 1
      redis.call('ZREMRANGEBYRANK', key, 0, -(cap + 1))
    end
  end
else
  for i, key in ipairs(KEYS) do
    written = written + redis.call('ZADD', key, 0, m)
  end
end
return written
"""

# The same for many members at once, a group of timelines per member: fanout sends the writes
# of many events (and the tails of their follower lists) in calls of thousands of timelines
# (``TimelineWrites``). KEYS: the timelines, group after group. ARGV: cap, then per group its
# member, how many of the KEYS (in order) take it, and its trim flag. Returns each group's
# count of new entries.
# Home timelines are checked beforehand (``write_batch``: one plain ZMSCORE on the last-read set
# for the whole call; measured: passing the readers' ids into the script and asking there cost
# Redis as much again as the writes, each id becoming a Lua string).
ADD_GROUPS = """
local cap = tonumber(ARGV[1])
local written = {}
local last = 0
for g = 2, #ARGV, 3 do
  local m = ARGV[g]
  local first = last + 1
  last = last + tonumber(ARGV[g + 1])
  local w = 0
  if ARGV[g + 2] == '1' then
    for i = first, last do
      if redis.call('ZADD', KEYS[i], 0, m) == 1 then
        w = w + 1
        redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -(cap + 1))
      end
    end
  else
    for i = first, last do
      w = w + redis.call('ZADD', KEYS[i], 0, m)
    end
  end
  written[#written + 1] = w
end
return written
"""

# A reblog, deduplicated as Mastodon does: not added when its original is among the `falloff`
# newest entries, nor when another reblog of the same original is (the per-timeline tracker
# maps original -> reblog id, and forgets what falls below the `falloff`-th entry).
# KEYS: n homes, n trackers, the last-read set. ARGV: reblog member, original member, cap,
# cutoff, unchecked, falloff, trim flag (``trims`` of the reblog), then the n readers' ids.
# Returns the 1-based positions of the timelines that got it.
DELIVER_REBLOG = """
local rb = ARGV[1]
local orig = ARGV[2]
local cap = tonumber(ARGV[3])
local cutoff = tonumber(ARGV[4])
local unchecked = tonumber(ARGV[5])
local falloff = tonumber(ARGV[6])
local trim = ARGV[7] == '1'
local n = (#KEYS - 1) / 2
local seen = redis.call('ZMSCORE', KEYS[#KEYS], unpack(ARGV, 8, 7 + n))
local written = {}
for i = 1, n do
  local home = KEYS[i]
  local tracker = KEYS[n + i]
  if i <= unchecked or (seen[i] and tonumber(seen[i]) >= cutoff) then
    local rank = redis.call('ZREVRANK', home, orig)
    if (not rank or rank >= falloff) and redis.call('ZADD', tracker, 'NX', rb, orig) == 1 then
      if redis.call('ZADD', home, 0, rb) == 1 then
        written[#written + 1] = i
        if trim then
          redis.call('ZREMRANGEBYRANK', home, 0, -(cap + 1))
        end
      end
      local edge = redis.call('ZREVRANGE', home, falloff - 1, falloff - 1)
      if edge[1] then
        redis.call('ZREMRANGEBYSCORE', tracker, '-inf', '(' .. edge[1])
      end
    end
  end
end
return written
"""

# Merge many members into one timeline and trim it (once a call: exactly to the cap).
MERGE_AND_TRIM = """
local keep = tonumber(ARGV[1])
local written = 0
for i = 2, #ARGV do
  written = written + redis.call('ZADD', KEYS[1], 0, ARGV[i])
end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(keep + 1))
return written
"""

# Remove members from many timelines.
REMOVE = """
local removed = 0
for i, key in ipairs(KEYS) do
  removed = removed + redis.call('ZREM', key, unpack(ARGV))
end
return removed
"""

# An author's statuses (its newest ``cap``) leave one timeline: trimmed to the cap first, so
# that the author's entries left are all among those (none older waits in the overrun).
# ARGV: cap, then the members.
TRIM_AND_REMOVE = """
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[1]) + 1))
return redis.call('ZREM', KEYS[1], unpack(ARGV, 2))
"""

# An undone reblog leaves the trackers too, where it is the one recorded for its original.
# KEYS: n trackers. ARGV: reblog member, original member.
FORGET_REBLOG = """
for i, key in ipairs(KEYS) do
  local score = redis.call('ZSCORE', key, ARGV[2])
  if score and tonumber(score) == tonumber(ARGV[1]) then
    redis.call('ZREM', key, ARGV[2])
  end
end
return #KEYS
"""

BATCH = 2000  # timelines per script call: big enough to amortize, small enough not to stall Redis
IN_FLIGHT = 3  # script calls of one event sent at once: Python builds one while Redis runs one
LANES = 4  # TimelineWrites' calls in flight: Redis always has the next call queued
REBLOG_FALLOFF = 40  # Mastodon's window for reblog deduplication
DAY_S = 86400


class HiredisPackedConnection(Connection):
    """redis-py's asyncio connection packs every command in Python, argument by argument (its
    sync client uses hiredis): for a script call with 4,000 keys that was most of fanout's CPU
    (7 ms a call). The same bytes, packed by hiredis in C (under 1 ms)."""

    def pack_command(self, *args):
        if isinstance(args[0], str):
            args = tuple(args[0].encode().split()) + args[1:]
        elif b" " in args[0]:
            args = tuple(args[0].split()) + args[1:]
        try:
            return [hiredis.pack_command(args)]
        except TypeError:  # a memoryview or bytearray: hiredis takes bytes
            return [hiredis.pack_command(tuple(
                bytes(a) if isinstance(a, (bytearray, memoryview)) else a for a in args))]


WRITER_CONNECTIONS = 16  # Redis runs one command at a time: more only queue there


def writer_client(url: str, max_connections: int = WRITER_CONNECTIONS) -> redis.Redis:
    """A client for bulk timeline writes, packing in C over plain TCP. Its pool waits for a
    free connection: redis-py's default pool raises past 100 in use, which a burst of events
    with script calls in flight reached (each failure a redelivery later)."""
    options: dict = {"max_connections": max_connections, "timeout": None,
                     "decode_responses": False}
    if hiredis is not None and url.startswith("redis://"):
        options.update(socket_timeout=30.0, connection_class=HiredisPackedConnection)
    pool = redis.BlockingConnectionPool.from_url(url, **options)
    return redis.Redis.from_pool(pool)  # closing the client closes its pool


class LeanScript:
    """A script called on the lean client (shared/fastredis) as redis-py's register_script
    calls it: EVALSHA, and after a NOSCRIPT (a restarted Redis) SCRIPT LOAD and again.
    redis-py's own overhead was ~0.2 ms of fanout's CPU a call, and there is one a 2,000
    timelines."""

    def __init__(self, client: FastRedis, text: str) -> None:
        self.client = client
        self.text = text
        self.sha = hashlib.sha1(text.encode()).hexdigest()

    async def __call__(self, keys: list[str], args: list) -> Any:
        try:
            return await self.client.execute_command("EVALSHA", self.sha, len(keys), *keys,
                                                     *args)
        except ResponseError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
        await self.client.execute_command("SCRIPT", "LOAD", self.text)
        return await self.client.execute_command("EVALSHA", self.sha, len(keys), *keys, *args)


def chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


class Piece(msgspec.Struct, array_like=True):
    """A share of one call of ``write_batch``: ``value`` enters the timelines ``keys`` whatever,
    and the home timelines of ``readers`` whose last read is at or after the cutoff."""

    value: str
    keys: list[str]
    readers: list[int]

    def __len__(self) -> int:
        return len(self.keys) + len(self.readers)


class ActiveReaders:
    """Readers known to have read recently: the activity check asks Redis only about the others.
    (Measured in the fanout benchmark: the check cost Redis ~0.9 us a write of its ~12, and
    fanout the packing of every id and the parsing of every score.)

    Safe to trust: a home read sets the last read to now, so a reader seen reading at L is
    active until L + the window. One kept here read at least ``margin_s`` before the end of the
    window, and all are forgotten every ``margin_s``: none is kept past its window. Only
    activity is kept, never inactivity: an inactive reader may read at any moment, and skipping
    one who did would leave a hole in a timeline that no rebuild fills. (A failed rebuild drops
    the reader's last read to force another: until forgotten here, such a reader still gets
    writes, which the next rebuild keeps anyway.)"""

    def __init__(self, margin_s: float = 3600.0, limit: int = 300_000) -> None:
        self.margin_s = margin_s
        self.limit = limit  # ~150 bytes each; past it, all are forgotten and asked for again
        # Reader -> its home key (built once: formatting keys was a tenth of fanout's time).
        # Replaced, never emptied in place: a call in flight keeps the one it looked at.
        self.keys: dict[int, str] = {}
        self._since = time.time()

    def known(self) -> dict[int, str]:
        if time.time() - self._since > self.margin_s or len(self.keys) > self.limit:
            self.keys = {}
            self._since = time.time()
        return self.keys

    def learn(self, readers: list[int], seen: list[float | None], cutoff: int
              ) -> dict[int, str]:
        """The home keys of those of ``readers`` active now (their last reads ``seen``); keeps
        those that stay active past the margin."""
        active = {i: f"tl:{{u{i}}}:home"  # home_key, inlined: the hot loop
                  for i, when in zip(readers, seen, strict=True)
                  if when is not None and when >= cutoff}
        lasting = cutoff + self.margin_s
        self.keys.update((i, active[i]) for i, when in zip(readers, seen, strict=True)
                         if when is not None and when >= lasting)
        return active


async def write_batch(r: redis.Redis, script, pieces: list[Piece], cap: int, cutoff: int,
                      active: ActiveReaders | None = None) -> list[int]:
    """One round of timeline writes: the activity check of the pieces' readers (one ZMSCORE,
    for those not known to be ``active``), then one ADD_GROUPS call for all the pieces; the
    count of new entries per piece. The benchmark's raw loop sends exactly these commands."""
    if active is None:
        active = ActiveReaders()  # this call's answers only
    known = active.known()
    # Each reader's home key if known to be active, else None (map: the loop runs in C, and
    # this is fanout's work per write).
    homes = [list(map(known.get, piece.readers)) for piece in pieces]
    unknown = [i for piece, found in zip(pieces, homes, strict=True) if None in found
               for i, home in zip(piece.readers, found, strict=True) if home is None]
    if unknown:
        checked = active.learn(unknown, await r.zmscore(LAST_READ_KEY, unknown), cutoff)
        homes = [found if None not in found else
                 [h for i, home in zip(piece.readers, found, strict=True)
                  if (h := home or checked.get(i))]
                 for piece, found in zip(pieces, homes, strict=True)]
    keys: list[str] = []
    args: list = [cap]
    for piece, found in zip(pieces, homes, strict=True):
        start = len(keys)
        keys += piece.keys
        keys += found
        args += (piece.value, len(keys) - start, trims(piece.value))
    if not keys:
        return [0] * len(pieces)
    return await script(keys=keys, args=args)


class _Job:
    """One caller's pieces, waiting their turn, and their outcomes."""

    __slots__ = ("pieces", "futures")

    def __init__(self, pieces: list[Piece]) -> None:
        loop = asyncio.get_running_loop()
        self.pieces = collections.deque(pieces)
        self.futures = collections.deque(loop.create_future() for _ in pieces)


class TimelineWrites:
    """Timeline writes of every event in flight, sent to Redis by a few lanes in calls of about
    ``batch`` timelines. Each call takes pieces from the waiting callers in turn (a follower
    list of 40,000 does not hold up a post to 40 behind it) and packs the small ones together
    (most statuses reach a few hundred timelines: one call each was most of Redis's work on
    them). Under light load a caller's writes go at once, alone."""

    def __init__(self, r: redis.Redis, cap: int, inactive_s: float, *, batch: int = BATCH,
                 lanes: int = LANES, lean: FastRedis | None = None) -> None:
        self.r = r
        self.cap = cap
        self.inactive_s = inactive_s
        self.batch = batch
        self.lanes = lanes
        # The script calls on the lean client when given one; the activity check stays on r.
        self._script = (LeanScript(lean, ADD_GROUPS) if lean is not None
                        else r.register_script(ADD_GROUPS))
        self.active = ActiveReaders()
        self._waiting: collections.deque[_Job] = collections.deque()
        self._lanes: set[asyncio.Task[None]] = set()  # held: the loop keeps only weak refs

    async def write(self, value: str, keys: list[str], readers: list[int]) -> int:
        """Add ``value`` to the timelines ``keys``, and to the home timelines of ``readers``
        who read recently; how many entries are new."""
        pieces = [Piece(value, part, []) for part in chunks(keys, self.batch)]
        pieces += [Piece(value, [], part) for part in chunks(readers, self.batch)]
        if not pieces:
            return 0
        job = _Job(pieces)
        futures = list(job.futures)
        self._waiting.append(job)
        while len(self._lanes) < self.lanes and self._waiting:
            self._lanes.add(asyncio.create_task(self._lane()))
        results = await asyncio.gather(*futures, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return sum(results)

    def _next_call(self) -> tuple[list[Piece], list[asyncio.Future[int]]]:
        """Pieces for one call, one from each waiting job in turn, up to ``batch`` timelines."""
        pieces: list[Piece] = []
        futures: list[asyncio.Future[int]] = []
        size = 0
        while self._waiting:
            job = self._waiting[0]
            if pieces and size + len(job.pieces[0]) > self.batch:
                break
            self._waiting.popleft()
            piece, future = job.pieces.popleft(), job.futures.popleft()
            if job.pieces:
                self._waiting.append(job)
            if future.done():  # its caller is gone (cancelled)
                continue
            pieces.append(piece)
            futures.append(future)
            size += len(piece)
        return pieces, futures

    async def _lane(self) -> None:
        try:
            while self._waiting:
                pieces, futures = self._next_call()
                if not pieces:
                    continue
                try:
                    written = await write_batch(self.r, self._script, pieces, self.cap,
                                                int(time.time() - self.inactive_s), self.active)
                except Exception as exc:
                    for future in futures:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for future, count in zip(futures, written, strict=True):
                    if not future.done():
                        future.set_result(count)
        finally:
            # At once, not in a done callback: a writer arriving meanwhile must see the lane
            # gone and start one, or its pieces would wait for no lane.
            self._lanes.discard(asyncio.current_task())  # type: ignore[arg-type]


class TimelineWriter:
    def __init__(self, r: redis.Redis, cap: int, inactive_days: float = 14.0, *,
                 lean: FastRedis | None = None) -> None:
        self.r = r
        self.cap = cap
        self.inactive_s = inactive_days * DAY_S
        self.writes = TimelineWrites(r, cap, self.inactive_s, lean=lean)
        self._deliver_reblog = r.register_script(DELIVER_REBLOG)
        self._merge = r.register_script(MERGE_AND_TRIM)
        self._remove = r.register_script(REMOVE)
        self._trim_and_remove = r.register_script(TRIM_AND_REMOVE)
        self._forget = r.register_script(FORGET_REBLOG)

    def cutoff(self) -> int:
        return int(time.time() - self.inactive_s)

    @staticmethod
    async def _batched(calls: Iterable) -> list:
        """Run script calls a few at a time (Python builds the next while Redis runs one);
        results in order of submission."""
        window = asyncio.Semaphore(IN_FLIGHT)

        async def one(call):
            async with window:
                return await call()

        return list(await asyncio.gather(*(one(call) for call in calls)))

    async def add(self, keys: list[str], status_id: int) -> int:
        """Timelines that take every entry (public, tag, community, list, own): no reader check."""
        return await self.writes.write(member(status_id), keys, [])

    async def deliver(self, readers: list[int], status_id: int, *, unchecked: int = 0) -> int:
        """Home timelines of the readers who read recently; the first ``unchecked`` readers get
        it whatever their activity (the author's own home)."""
        return await self.writes.write(member(status_id),
                                       [home_key(i) for i in readers[:unchecked]],
                                       readers[unchecked:])

    async def deliver_reblog(self, readers: list[int], reblog_id: int, original_id: int, *,
                             unchecked: int = 0) -> list[int]:
        """Like ``deliver``, deduplicated; returns the readers whose timeline got it."""
        args_tail = [self.cap, self.cutoff()]

        def call(batch: list[int], before: int):
            keys = [home_key(i) for i in batch] + [home_reblogs_key(i) for i in batch]
            keys.append(LAST_READ_KEY)
            args = [member(reblog_id), member(original_id), *args_tail,
                    max(0, unchecked - before), REBLOG_FALLOFF, trims(reblog_id), *batch]
            return lambda: self._deliver_reblog(keys=keys, args=args)

        batches = chunks(readers, BATCH)
        results = await self._batched(call(batch, n * BATCH) for n, batch in enumerate(batches))
        return [batch[i - 1] for batch, positions in zip(batches, results, strict=True)
                for i in positions]

    async def merge(self, key: str, status_ids: list[int]) -> int:
        if not status_ids:
            return 0
        written = 0
        for batch in chunks(status_ids, 1000):
            written += await self._merge(keys=[key], args=[self.cap, *map(member, batch)])
        return written

    async def remove(self, keys: list[str], status_ids: list[int]) -> int:
        if not status_ids or not keys:
            return 0
        values = [member(i) for i in status_ids]
        return sum(await self._batched(
            (lambda batch=batch: self._remove(keys=batch, args=values))
            for batch in chunks(keys, BATCH)))

    async def remove_recent(self, key: str, status_ids: list[int]) -> int:
        """Remove an author's newest ``cap`` statuses (``status_ids``) from one timeline, which
        is first trimmed to the cap: then none of the author's entries is left behind."""
        removed = 0
        for batch in chunks(status_ids, 1000):
            removed += await self._trim_and_remove(keys=[key],
                                                   args=[self.cap, *map(member, batch)])
        return removed

    async def forget_reblog(self, readers: list[int], reblog_id: int, original_id: int) -> None:
        await self._batched(
            (lambda batch=batch: self._forget(keys=[home_reblogs_key(i) for i in batch],
                                              args=[member(reblog_id), member(original_id)]))
            for batch in chunks(readers, BATCH))


# --- reading ------------------------------------------------------------------------------------

class Bounds(msgspec.Struct, frozen=True, kw_only=True):
    """A page request, Mastodon's semantics: ``max_id`` and ``since_id`` are exclusive bounds;
    ``min_id`` asks for the ``limit`` entries just above it (for paging forward)."""

    limit: int
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None


def _range(b: Bounds) -> tuple[tuple[str, str], dict]:
    """ZRANGE arguments for a page, newest first unless ``min_id`` (then oldest first)."""
    top = f"({member(b.max_id)}" if b.max_id is not None else "+"
    if b.min_id is not None:
        return (f"({member(b.min_id)}", top), {"bylex": True, "offset": 0, "num": b.limit}
    bottom = f"({member(b.since_id)}" if b.since_id is not None else "-"
    return (top, bottom), {"desc": True, "bylex": True, "offset": 0, "num": b.limit}


def _queue_range(pipe, key: str, b: Bounds) -> None:
    args, kwargs = _range(b)
    pipe.zrange(key, *args, **kwargs)


def _ids(found: list[bytes]) -> list[int]:
    return [int(m) for m in found if len(m) == MEMBER_WIDTH]


def combine(pages: list[list[int]], b: Bounds) -> list[int]:
    """The page of the union of several timelines: each page holds that timeline's ``limit``
    entries nearest the bound, so the union's ``limit`` nearest are among them. Newest first."""
    union = set().union(*pages) if pages else set()
    if b.min_id is not None:
        return sorted(union)[:b.limit][::-1]
    return sorted(union, reverse=True)[:b.limit]


async def page(
    r: redis.Redis, key: str, *, limit: int, max_id: int | None = None,
    since_id: int | None = None, min_id: int | None = None,
) -> list[int]:
    """One timeline's page, newest first."""
    b = Bounds(limit=limit, max_id=max_id, since_id=since_id, min_id=min_id)
    args, kwargs = _range(b)
    return combine([_ids(await r.zrange(key, *args, **kwargs))], b)


class Followee(msgspec.Struct, array_like=True, frozen=True):
    id: int
    reblogs: bool = True


_followees_encoder = msgspec.json.Encoder()
_followees_decoder = msgspec.json.Decoder(list[Followee])


class HomeState(msgspec.Struct, frozen=True, kw_only=True):
    ids: list[int]  # the page of the home timeline itself
    last_read: int | None  # Unix seconds
    rebuilding: bool
    big_followees: list[Followee] | None  # None: not cached, ask the graph


async def home_state(r: redis.Redis, account_id: int, b: Bounds) -> HomeState:
    """Everything a home read needs from Redis before hydration, in one round trip."""
    pipe = r.pipeline(transaction=False)
    queue_home_state(pipe, account_id, b)
    return parse_home_state(await pipe.execute(), b)


HOME_STATE_REPLIES = 4  # how many replies queue_home_state adds to a pipeline


def queue_home_state(pipe, account_id: int, b: Bounds) -> None:
    """home_state's commands, on a pipeline that may carry others (the reader's own)."""
    _queue_range(pipe, home_key(account_id), b)
    pipe.zscore(LAST_READ_KEY, account_id)
    pipe.exists(rebuilding_key(account_id))
    pipe.get(big_followees_key(account_id))


def parse_home_state(replies: list, b: Bounds) -> HomeState:
    found, last_read, rebuilding, big = replies
    return HomeState(
        ids=combine([_ids(found)], b),
        last_read=int(last_read) if last_read is not None else None,
        rebuilding=bool(rebuilding),
        big_followees=_followees_decoder.decode(big) if big is not None else None)


async def cache_big_followees(r: redis.Redis, account_id: int, followees: list[Followee],
                              ttl_s: int) -> None:
    await r.set(big_followees_key(account_id), _followees_encoder.encode(followees), ex=ttl_s)


def queue_author_pages(pipe, authors: list[Followee], b: Bounds) -> None:
    """Queue the reads of these authors' own timelines (with their reblogs where the reader
    wants them); ``author_pages_from`` turns their replies into pages."""
    for author in authors:
        _queue_range(pipe, own_key(author.id), b)
        if author.reblogs:
            _queue_range(pipe, own_reblogs_key(author.id), b)


def author_pages_from(replies: list[list[bytes]]) -> list[list[int]]:
    return [_ids(found) for found in replies]


async def author_pages(r: redis.Redis, authors: list[Followee], b: Bounds) -> list[list[int]]:
    """Pages of these authors' own timelines (with their reblogs where the reader wants them)."""
    pipe = r.pipeline(transaction=False)
    queue_author_pages(pipe, authors, b)
    return author_pages_from(await pipe.execute())


async def mark_read(r: redis.Redis, account_id: int, at: float | None = None, *,
                    only_new: bool = False) -> None:
    """Record a home read (at ``at``, Unix seconds; now by default)."""
    at = time.time() if at is None else at
    await r.zadd(LAST_READ_KEY, {account_id: int(at)}, nx=only_new)


async def forget_stale_reads(r: redis.Redis, inactive_days: float) -> int:
    """Drop reads older than the window from the set (they count as none: keeps it small)."""
    return await r.zremrangebyscore(LAST_READ_KEY, "-inf",
                                    f"({int(time.time() - inactive_days * DAY_S)}")


def needs_rebuild(last_read: int | None, inactive_days: float, now: float | None = None) -> bool:
    """A reader with no recent read has been skipped by fanout: the timeline is incomplete."""
    now = time.time() if now is None else now
    return last_read is None or last_read < now - inactive_days * DAY_S
