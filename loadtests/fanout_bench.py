"""Fanout at scale, on the running stack (embedded servers, every service its own process).

    hubbub bench fanout [--accounts 100000] [--repeats 5] [--seconds 4] [--connections 32]
                        [--fill 400] [--profile DIR] [--cluster]

Sets up a synthetic graph written straight into the graph schema (COPY: registering 100,000
accounts through the API would spend hours in argon2): ``--accounts`` accounts that each follow
``--follows`` others drawn from a Zipf-like distribution, one author ("big") with 100,000
followers, above the hybrid threshold (``HUBBUB_FANOUT_FOLLOWER_THRESHOLD``, set to 50,000 here),
and one ("mid") with 10,000, below it. Every synthetic reader counts as active (a recent home
read), and a simulated gateway tracks 1% of them as online (shared/presence).

Then, ``--repeats`` times, alternating, it measures:
- raw: the fastest plain client loop sending fanout's own commands for home timelines (the
  ADD_GROUPS script, 2,000 timelines a call, after the activity check of the readers not yet
  known to be active: none, as in fanout once it has seen them)
  straight to Redis over the same 100,000 timelines, sequentially and with calls in flight (the
  best of 1, 4 and 8); and the bare ZADD+trim script for reference. Both trim as fanout's writes
  trim: a member per call, one in TRIM_EVERY of the writes trimming (shared/timelines/scripts.py;
  the burst's status ids are chosen the same way);
- fanout: timeline writes per second through the fanout service: a burst of StatusCreated events
  from the Zipf authors is published on JetStream, timed until the consumer is idle (every write
  is a new entry in an active reader's timeline); again with no gateway tracking presence (one
  live publish per recipient, the fallback);
- delivery: POST /api/v1/statuses by "mid" until the status is in its last follower's timeline
  in Redis (delivery) and in that follower's GET /api/v1/timelines/home (readable); by "big"
  until readable by a follower (hybrid: merged at read time); and "mid" again while "big" posts;
- reads: GET /api/v1/timelines/home (20 statuses, hydrated, one of its sources merged at read
  time) by closed-loop connections, beside a bare endpoint on the same ASGI server, settings and
  framework returning a static body of the same size (loadtests/bare_app.py), and beside the
  gateway's /api/v1/instance.

Before each raw run and each burst, every synthetic home timeline is brought back to --fill
entries (Redis's cost per write grows with a timeline's size), so that every repeat measures the
same state. After each burst, Valkey's memory per timeline entry (MEMORY USAGE SAMPLES 0 over a
sample of the synthetic home timelines, divided by their ZCARD) and their encodings (OBJECT
ENCODING: listpack while within zset-max-listpack-entries, shared/timelines/compact.py).
Each raw run and burst also counts the CPU seconds every process spent (services,
NATS, Postgres with its backends, Valkey, the benchmark itself; from /proc) and Redis's own time
per command (INFO commandstats), printed per write at the end: on two cores, the rate is bounded
by whichever core fills first. ``--profile DIR`` has py-spy sample fanout and graph during the
bursts.

``--cluster`` runs all of it on the servers' cluster modes (loadtests/stack.py: 3 NATS nodes
with R3 streams, a PostgreSQL primary and streaming standby, a Valkey Cluster of 3 primaries
with a replica each). The bench's own Redis commands then go through the cluster-aware clients
the services use (shared/cache.py): the raw loop is the same loop on the lean cluster client,
its script calls split per hash slot and sent per node as fanout's are (``write_batch`` with
``cluster=True``), so fanout/raw compares like with like; INFO commandstats is summed over the
primaries. Below 100,000 accounts (the cluster is slow to seed; tests use 1,000) "big"'s and
"mid"'s follower counts and the hybrid threshold shrink in proportion (``Sizes``).

Prints medians with min and max, and ratios; writes JSON (``"mode"``: ``"single"`` or
``"cluster"``) to loadtests/results/fanout_bench.json, or fanout_bench_cluster.json with
``--cluster``: both modes' figures side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import nats
import redis.asyncio as redis

from loadtests.cpu_split import CpuMeter, per_write
from loadtests.httpload import run_load
from loadtests.profiling import Profilers
from loadtests.stack import BenchStack, Seeder, add_mode_options, results_path
from services.fanout.use_cases.deliver_status import done_key
from shared import cache, credentials, events, infra, presence, subjects, worker_lease
from shared.compat.redis_py import WRITER_CONNECTIONS, writer_client
from shared.fastredis import FastRedis, LeanScript
from shared.fastredis_cluster import ClusterFastRedis
from shared.ids import id_at, member
from shared.nats_users import operator_url
from shared.records import (
    LAST_READ_KEY,
    ONLINE_USERS_KEY,
    PRESENCE_TRACKED_KEY,
    account_key,
    home_key,
    own_key,
)
from shared.timelines.batching import BATCH, LANES, ActiveReaders, Piece, chunks, write_batch
from shared.timelines.scripts import ADD_AND_TRIM, ADD_GROUPS, TRIM_EVERY, trims

THRESHOLD = 50_000
BIG_FOLLOWERS = 100_000
MID_FOLLOWERS = 10_000
MIN_ACCOUNTS = 1_000
DAY_S = 86_400
RAW_IN_FLIGHT = (1, LANES, 8)  # the raw rate is the best of these

# Before each measurement every synthetic home timeline is brought back to the same size:
# Redis's cost per write grows with it (while a timeline is a listpack, below
# zset-max-listpack-entries = 128, each ZADD scans it), and it used to grow by ~12 entries a
# repeat, so that the raw rate fell from ~220,000 to ~95,000 writes/s over five repeats and
# the figures depended on --repeats. Same state for raw and fanout, every repeat.
# The fillers go in with one ZADD, largest member (oldest id) first: into a listpack each lands
# at its head at once (one at a time, smallest first, each scanned the whole set: 100,000
# timelines of 800 took minutes). The oldest entries are at the tail (reversed members).
FILL_TO = """
local keep = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYRANK', key, keep, -1)
  local short = keep - redis.call('ZCARD', key)
  if short > 0 then
    local pairs = {}
    for n = 1, short do
      pairs[#pairs + 1] = 0
      pairs[#pairs + 1] = ARGV[1 + n]
    end
    redis.call('ZADD', key, unpack(pairs))
  end
end
return #KEYS
"""


@dataclass(frozen=True)
class Sizes:
    """"big"'s and "mid"'s follower counts and the hybrid threshold: the full figures from
    100,000 accounts up, else scaled down with --accounts (same proportions: big above the
    threshold, mid a tenth of big)."""

    big: int = BIG_FOLLOWERS
    mid: int = MID_FOLLOWERS
    threshold: int = THRESHOLD

    @classmethod
    def for_accounts(cls, accounts: int) -> Sizes:
        if accounts >= BIG_FOLLOWERS:
            return cls()
        scale = accounts / BIG_FOLLOWERS
        return cls(big=accounts, mid=max(10, round(MID_FOLLOWERS * scale)),
                   threshold=round(THRESHOLD * scale))


# --- setting up -----------------------------------------------------------------------------

def register(stack: BenchStack) -> dict[str, tuple[int, dict[str, str]]]:
    with httpx.Client(base_url=stack.base_url, timeout=60) as client:
        seeder = Seeder(client, stack)
        users = {}
        for name in ("big", "mid", "reader", "lastfan", "bigfan"):
            account_id, headers = seeder.user(name)
            users[name] = (int(account_id), headers)
        return users


def zipf_followees(count: int, per_user: int, exponent: float, rng: random.Random
                   ) -> list[tuple[int, int]]:
    """(follower index, followee index) pairs: popularity falls off as 1/rank^exponent."""
    cumulative = []
    total = 0.0
    for rank in range(count):
        total += 1.0 / (rank + 1) ** exponent
        cumulative.append(total)
    population = range(count)
    pairs = []
    for follower in range(count):
        chosen = set(rng.choices(population, cum_weights=cumulative, k=per_user * 2))
        chosen.discard(follower)
        pairs.extend((follower, followee) for followee in list(chosen)[:per_user])
    return pairs


async def seed_graph(database_url: str, users: dict, accounts: int, per_user: int,
                     sizes: Sizes = Sizes()) -> tuple[list[int], dict[int, int]]:
    """Synthetic accounts (ids from a day ago: below every registered user's, so a registered
    follower comes last in follower order) and their follows. Returns the synthetic ids and
    the follower counts of the synthetic authors."""
    big, mid = users["big"][0], users["mid"][0]
    base = id_at(int(time.time() * 1000) - DAY_S * 1000)
    ids = [base + i for i in range(accounts)]
    rng = random.Random(5)
    conn = await asyncpg.connect(database_url)
    try:
        network_id = await conn.fetchval("SELECT network_id FROM graph.accounts WHERE id = $1",
                                         big)
        await conn.execute("SET session_replication_role = replica")  # no FK checks in COPY
        joined = datetime.now(UTC)
        await conn.copy_records_to_table(
            "accounts", schema_name="graph",
            # Members, as the registered users are: confirmed and approved.
            columns=["id", "network_id", "username", "email", "password_hash", "confirmed_at",
                     "approved_at"],
            records=[(i, network_id, f"syn{n}", f"syn{n}@bench.test", "!", joined, joined)
                     for n, i in enumerate(ids)])
        follows = [(ids[a], ids[b]) for a, b in zipf_followees(accounts, per_user, 1.0, rng)]
        # "big": every synthetic account but two (the reader and "bigfan" make 100,000);
        # "mid": the first 9,998 (the reader and "lastfan", registered last, make 10,000).
        # (Scaled down below 100,000 accounts: ``Sizes``.)
        follows += [(i, big) for i in ids[:sizes.big - 2]]
        follows += [(i, mid) for i in ids[:sizes.mid - 2]]
        await conn.copy_records_to_table("follows", schema_name="graph",
                                         columns=["follower_id", "followee_id"],
                                         records=follows)
        await conn.execute("""
            UPDATE graph.accounts a SET followers_count = c.n
            FROM (SELECT followee_id, count(*) AS n FROM graph.follows GROUP BY followee_id) c
            WHERE a.id = c.followee_id""")
        await conn.execute("""
            UPDATE graph.accounts a SET following_count = c.n
            FROM (SELECT follower_id, count(*) AS n FROM graph.follows GROUP BY follower_id) c
            WHERE a.id = c.follower_id""")
        # As autovacuum would, soon after a bulk load: statistics, and the visibility map
        # that lets follower pages come from the index alone.
        await conn.execute("VACUUM ANALYZE graph.follows")
        await conn.execute("VACUUM ANALYZE graph.accounts")
        rows = await conn.fetch("SELECT id, followers_count FROM graph.accounts "
                                "WHERE id >= $1 AND id < $2 AND followers_count > 0",
                                base, base + accounts)
    finally:
        await conn.close()
    return ids, {row["id"]: row["followers_count"] for row in rows}


async def primary_clients(r: Any, url: str, cluster: bool) -> list[Any]:
    """A plain client per primary, for what is asked of every node (INFO): on one server, ``r``
    itself."""
    if not cluster:
        return [r]
    await r.initialize()
    parts = urlsplit(url)
    credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return [redis.Redis.from_url(urlunsplit((parts.scheme, f"{credentials}{node.host}:{node.port}",
                                             parts.path, parts.query, "")))
            for node in r.get_primaries()]


async def mark_active(r: redis.Redis, ids: list[int]) -> None:
    now = int(time.time())
    for batch in chunks(ids, 10_000):
        await r.zadd(LAST_READ_KEY, dict.fromkeys(batch, now))


async def wait_idle(js, timeout: float = 120.0) -> float:
    """Poll the fanout consumer until it has nothing pending; the time it became idle (late by
    up to one poll, against fanout: polling every 5 ms took a fifth of a core from the run)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        info = await js.consumer_info(subjects.EVENTS_STREAM, "fanout-home")
        if info.num_pending == 0 and info.num_ack_pending == 0:
            return time.perf_counter()
        await asyncio.sleep(0.02)
    raise TimeoutError("fanout did not catch up")


async def wait_done(r: redis.Redis, event_ids: list[int], timeout: float = 120.0,
                    lean: ClusterFastRedis | None = None) -> None:
    """Poll until fanout has marked every one of these events done: one EXISTS a poll (a
    JetStream consumer_info, polled as often, cost NATS and the benchmark ~0.7 ms of CPU each,
    ~0.6 us per write of a burst: CPU taken from the run it measures). On a cluster (``lean``:
    the keys are in every slot) an EXISTS per key not yet seen, on the lean client: redis-py's
    cluster client splitting a burst's ~1,000 keys per slot every poll cost the benchmark ~40
    us per write of the burst."""
    keys = [done_key(i) for i in event_ids]
    deadline = time.perf_counter() + timeout
    while True:
        if lean is not None:
            found = await lean.execute_many([("EXISTS", key) for key in keys])
            keys = [key for key, there in zip(keys, found, strict=True) if not there]
            if not keys:
                return
        elif await r.exists(*keys) == len(keys):
            return
        if time.perf_counter() > deadline:
            raise TimeoutError("fanout did not finish the burst")
        await asyncio.sleep(0.02)


async def wait_all_idle(js, timeout: float = 120.0) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        busy = False
        for durable in ("fanout-home", "notify", "notify-conversations", "graph-counters"):
            info = await js.consumer_info(subjects.EVENTS_STREAM, durable)
            busy = busy or bool(info.num_pending or info.num_ack_pending)
        if not busy:
            return
        await asyncio.sleep(0.02)
    raise TimeoutError("consumers did not catch up")


# --- measuring --------------------------------------------------------------------------------

class Bench:
    def __init__(self, stack: BenchStack, users: dict, args: argparse.Namespace) -> None:
        self.stack = stack
        self.users = users
        self.args = args
        self.results: dict[str, list[float]] = {}
        self.serial = 0
        self.cluster = stack.settings.redis_cluster
        self.sizes = Sizes.for_accounts(args.accounts)
        self.encodings: dict[str, int] = {}  # home timelines sampled, by OBJECT ENCODING
        # With --profile DIR: py-spy samples fanout and graph during each burst.
        self.profilers = Profilers(args.profile)

    def record(self, name: str, value: float) -> None:
        self.results.setdefault(name, []).append(value)

    def fresh(self) -> int:
        self.serial += 1
        return 10**18 + self.serial  # junk members for raw runs: never hydrated

    def fresh_trimming(self, trim: int) -> int:
        """A fresh id whose writes trim (1) or not (0): see ``trimming_ids``."""
        while trims(status_id := self.fresh()) != trim:
            pass
        return status_id

    def trimming_ids(self, sizes: list[int]) -> list[int]:
        """Fresh ids for writes of these sizes, so that the trimming ones (``trims`` of
        shared/timelines/scripts.py) carry as near 1 in TRIM_EVERY of the writes as they can:
        their long-run share. A burst is ~200 events, most writes from a few dozen big authors;
        ids left to chance would swing the figures by which of those happen to trim."""
        ids, trimmed, total = [], 0, 0
        for size in sizes:
            total += size
            trim = int(abs(trimmed + size - total / TRIM_EVERY) < abs(trimmed - total / TRIM_EVERY))
            trimmed += size * trim
            ids.append(self.fresh_trimming(trim))
        return ids

    async def setup(self) -> None:
        args = self.args
        settings = self.stack.settings
        self.cpu = CpuMeter({**self.stack.process_roots(), "bench": os.getpid()})
        self.cpu_split: dict[str, dict[str, float]] = {}  # CPU s per process, summed by phase
        self.redis_usec: dict[str, dict[str, int]] = {}  # Redis's usec per command, by phase
        # Script calls as fanout makes them (LeanScript, shared/timelines/scripts.py): the fastest
        # client.
        self.lean: FastRedis
        if self.cluster:
            # fanout's own clients on a cluster (shared/cache.py: connect_clients)
            self.r = cache.cluster_client(settings, max_connections=WRITER_CONNECTIONS,
                                          socket_timeout=30.0)
            self.lean = ClusterFastRedis(settings.redis_url)  # type: ignore[assignment]
        else:
            self.r = writer_client(settings.redis_url)  # packs in C
            self.lean = FastRedis(settings.redis_url)
        self.primaries = await primary_clients(self.r, settings.redis_url, self.cluster)
        # Loaded beforehand (on every primary of a cluster): else the first raw run's first
        # calls, a NOSCRIPT each on a cluster (a call per slot), would load them.
        for text in (ADD_GROUPS, ADD_AND_TRIM):
            await self.lean.execute_command("SCRIPT", "LOAD", text)
        self.nc = await nats.connect(operator_url(settings))
        self.js = self.nc.jetstream()
        self.http = httpx.AsyncClient(base_url=self.stack.base_url, timeout=60)
        started = time.perf_counter()
        self.synthetic, self.author_followers = await seed_graph(
            # COPY without FK checks (session_replication_role) takes the superuser.
            credentials.embedded_superuser_url(settings.database_url, Path(settings.data_dir)),
            self.users, args.accounts, args.follows, self.sizes)
        print(f"seeded {args.accounts:,} accounts and their follows in "
              f"{time.perf_counter() - started:.1f}s", flush=True)
        await self.r.delete(*[account_key(i) for i, _ in self.users.values()])
        for follower, followee in (("reader", "big"), ("reader", "mid"), ("lastfan", "mid"),
                                   ("bigfan", "big")):
            r = await self.http.post(f"/api/v1/accounts/{self.users[followee][0]}/follow",
                                     headers=self.users[follower][1])
            r.raise_for_status()
        await mark_active(self.r, self.synthetic)
        # The raw loop sends what fanout's writer sends once it has seen these readers read:
        # no activity check for readers known to be active (ActiveReaders,
        # shared/timelines/batching.py).
        self.active = ActiveReaders()
        for batch in chunks(self.synthetic, BATCH):
            self.active.learn(batch, await self.r.zmscore(LAST_READ_KEY, batch),
                              int(time.time()) - 14 * DAY_S)
        for name in ("reader", "lastfan", "bigfan", "mid", "big"):
            (await self.http.get("/api/v1/timelines/home", headers=self.users[name][1])
             ).raise_for_status()  # their first read (an empty rebuild) makes them active
        # A gateway tracking presence, with 1% of the readers online.
        self.online = random.Random(3).sample(self.synthetic, len(self.synthetic) // 100)
        await self.track_presence(True)
        for i in range(20):
            await self.post("mid", f"seed status {i} from mid, with some words to carry")
        for i in range(3):
            await self.post("big", f"seed status {i} from big")
        await wait_all_idle(self.js)
        page = await self.http.get("/api/v1/timelines/home", headers=self.users["reader"][1])
        self.home_size = len(page.content)
        print(f"reader's home page: {len(page.json())} statuses, {self.home_size:,} bytes",
              flush=True)
        # Burst events: the Zipf authors, most followed first, until ~--burst writes.
        authors = sorted(self.author_followers.items(), key=lambda kv: -kv[1])
        authors = [(a, n) for a, n in authors if n <= self.sizes.threshold][:200]
        self.burst, total = [], 0
        while total < args.burst:
            for author, followers in authors:
                self.burst.append(author)
                total += followers + 1  # its followers and its own home
                if total >= args.burst:
                    break
        self.burst_writes = total
        self.network_id = await self.network_of(self.users["mid"][0])

    async def network_of(self, account_id: int) -> int:
        conn = await asyncpg.connect(self.stack.settings.database_url)
        try:
            return await conn.fetchval("SELECT network_id FROM graph.accounts WHERE id = $1",
                                       account_id)
        finally:
            await conn.close()

    async def track_presence(self, on: bool) -> None:
        if on:
            await presence.mark_online(self.r, self.online)
        else:
            await self.r.delete(PRESENCE_TRACKED_KEY, ONLINE_USERS_KEY)

    async def post(self, name: str, text: str) -> int:
        r = await self.http.post("/api/v1/statuses", headers=self.users[name][1],
                                 json={"status": text})
        r.raise_for_status()
        return int(r.json()["id"])

    async def close(self) -> None:
        await self.http.aclose()
        await self.nc.close()
        await self.r.aclose()
        await self.lean.aclose()
        for primary in self.primaries:
            if primary is not self.r:
                await primary.aclose()

    # raw: the same Redis work from a tight client loop
    async def raw(self, in_flight: int, checked: bool) -> float:
        """Writes/s of one new entry in 100,000 home timelines (big's followers), sent in batches
        of BATCH with
        ``in_flight`` batches at once: ``checked``, exactly the commands fanout sends for home
        timelines (write_batch: the activity check of readers not yet known to be active, none
        here as in fanout once warm, then the ADD_GROUPS script, with one full group a call,
        fanout's best case); else the bare ADD_AND_TRIM script. On a cluster each batch is one
        call per hash slot, sent together (as fanout sends them: ``write_batch``'s
        ``cluster``)."""
        script = LeanScript(self.lean, ADD_GROUPS if checked else ADD_AND_TRIM)
        cutoff = int(time.time()) - 14 * DAY_S
        batches = chunks(self.synthetic[:self.sizes.big], BATCH)
        # A member per call, trimming as fanout's writes trim (1 call in TRIM_EVERY).
        values = [member(i) for i in self.trimming_ids([len(batch) for batch in batches])]
        window = asyncio.Semaphore(in_flight)
        await self.reset_timelines()

        async def one(batch: list[int], value: str) -> int:
            async with window:
                if checked:
                    return sum(await write_batch(self.r, script, [Piece(value, [], batch)], 800,
                                                 cutoff, self.active, cluster=self.cluster))
                keys = [home_key(i) for i in batch]
                if not self.cluster:
                    return await script(keys=keys, args=[value, 800, trims(value)])
                return sum(await asyncio.gather(*(
                    script(keys=[keys[i] for i in group], args=[value, 800, trims(value)])
                    for group in cache.by_slot(keys))))

        before = await self.snapshot()
        started = time.perf_counter()
        calls = zip(batches, values, strict=True)
        written = sum(await asyncio.gather(*(one(batch, value) for batch, value in calls)))
        elapsed = time.perf_counter() - started
        await self.account("raw" if checked else "raw_zadd_trim", before, written)
        assert written == min(self.sizes.big, len(self.synthetic)), written
        return written / elapsed

    async def commandstats(self) -> dict[str, dict]:
        """INFO commandstats, summed over the primaries on a cluster."""
        summed: dict[str, dict] = {}
        for stats in await asyncio.gather(*(p.info("commandstats") for p in self.primaries)):
            for name, figures in stats.items():
                into = summed.setdefault(name, {})
                for key, value in figures.items():
                    if isinstance(value, (int, float)):
                        into[key] = into.get(key, 0) + value
        return summed

    async def snapshot(self) -> tuple[dict[str, float], dict[str, dict]]:
        return self.cpu.sample(), await self.commandstats()

    async def account(self, phase: str, before: tuple[dict[str, float], dict[str, dict]],
                      writes: int) -> None:
        """Adds the CPU each process spent since ``before``, and Redis's own time per command
        (microseconds, from INFO commandstats: a script's commands count in the script's time
        and again under their own names)."""
        cpu, commands = before
        spent = CpuMeter.spent(cpu, self.cpu.sample())
        totals = self.cpu_split.setdefault(phase, {"writes": 0})
        totals["writes"] += writes
        for name, seconds in spent.items():
            totals[name] = totals.get(name, 0.0) + seconds
        usec = self.redis_usec.setdefault(phase, {})
        for name, stats in (await self.commandstats()).items():
            used = stats["usec"] - commands.get(name, {}).get("usec", 0)
            if used:
                name = name.removeprefix("cmdstat_")
                usec[name] = usec.get(name, 0) + used

    async def fanout_burst(self, phase: str) -> float:
        await self.reset_timelines()
        prepared, done = [], []
        ids = self.trimming_ids([self.author_followers[a] + 1 for a in self.burst])
        for author, status_id in zip(self.burst, ids, strict=True):
            event = events.StatusCreated(status_id=status_id, account_id=author,
                                         network_id=self.network_id, visibility="public")
            done.append(event.id)
            prepared.append((subjects.event(event.type, event.facets()), events.encode(event),
                             {"Nats-Msg-Id": f"bench-{event.status_id}"}))
        before = await self.snapshot()
        self.profilers.start(phase, {name: self.stack.procs[name].pid
                                     for name in ("fanout", "graph")})
        started = time.perf_counter()
        await asyncio.gather(*(self.js.publish(s, d, headers=h) for s, d, h in prepared))
        await wait_done(self.r, done, lean=self.lean if self.cluster else None)  # type: ignore[arg-type]
        ended = await wait_idle(self.js)  # and acknowledged
        await asyncio.to_thread(self.profilers.stop)
        await self.account(phase, before, self.burst_writes)
        return self.burst_writes / (ended - started)

    async def delivery(self, author: str, reader: str, *, redis_key: str | None,
                       alongside: str | None = None) -> tuple[float, float]:
        """Seconds from sending POST /api/v1/statuses to the status being in ``redis_key``
        (delivery) and first in ``reader``'s home timeline through the API (readable)."""
        headers = self.users[reader][1]
        found: dict[str, float] = {}
        status: dict[str, int] = {}
        started = time.perf_counter()

        async def poll_redis() -> None:
            while "id" not in status:
                await asyncio.sleep(0.001)
            value = member(status["id"])
            while await self.r.zscore(redis_key, value) is None:
                await asyncio.sleep(0.001)
            found["delivered"] = time.perf_counter() - started

        async def poll_api() -> None:
            while True:
                r = await self.http.get("/api/v1/timelines/home", headers=headers,
                                        params={"limit": 1})
                page = r.json()
                if "id" in status and page and int(page[0]["id"]) == status["id"]:
                    found["readable"] = time.perf_counter() - started
                    return
                await asyncio.sleep(0.003)

        async def send() -> None:
            posts = [self.post(author, "measured")]
            if alongside:
                posts.append(self.post(alongside, "posted alongside"))
            status["id"] = (await asyncio.gather(*posts))[0]

        pollers = [poll_api()] + ([poll_redis()] if redis_key else [])
        await asyncio.wait_for(asyncio.gather(send(), *pollers), 30)
        return found.get("delivered", float("nan")), found["readable"]

    async def reads(self) -> None:
        url = urlsplit(self.stack.base_url)
        seconds, connections = self.args.seconds, self.args.connections
        home = await run_load(url.hostname, url.port, "/api/v1/timelines/home?limit=20",
                              seconds=seconds, connections=connections,
                              headers=self.users["reader"][1])
        bare = await run_load("127.0.0.1", self.bare_port, "/bare", seconds=seconds,
                              connections=connections)
        instance = await run_load(url.hostname, url.port, "/api/v1/instance",
                                  seconds=seconds / 2, connections=connections)
        self.record("home_rps", home.rate)
        self.record("home_p50_ms", home.percentile(50))
        self.record("home_p99_ms", home.percentile(99))
        self.record("home_errors", home.errors)
        self.record("bare_rps", bare.rate)
        self.record("bare_p50_ms", bare.percentile(50))
        self.record("instance_rps", instance.rate)

    async def reset_timelines(self) -> None:
        """Every synthetic reader's home timeline to exactly --fill entries: trimmed to its
        newest, or topped up with old fillers (ids below any status's, never hydrated)."""
        fillers = [member(n) for n in range(1, self.args.fill + 1)]
        if self.cluster:
            # A call per hash slot (a script's keys share one), each node's sent at once.
            await self.lean.execute_command("SCRIPT", "LOAD", FILL_TO)  # on every primary
            sha = LeanScript(self.lean, FILL_TO).sha
            for batch in chunks(self.synthetic, BATCH):
                keys = [home_key(i) for i in batch]
                await self.lean.execute_many([
                    ("EVALSHA", sha, len(group), *(keys[i] for i in group), self.args.fill,
                     *fillers) for group in cache.by_slot(keys)])
            return
        fill = self.r.register_script(FILL_TO)
        for batch in chunks(self.synthetic, BATCH):
            await fill(keys=[home_key(i) for i in batch], args=[self.args.fill, *fillers])

    async def timeline_size(self) -> float:
        """The mean size of the synthetic readers' home timelines (a sample): Redis's cost per
        write grows with it (a linear scan while a timeline is a listpack)."""
        sample = random.Random(n := len(self.synthetic)).sample(self.synthetic, min(500, n))
        return statistics.mean(await self.lean.execute_many([("ZCARD", home_key(i))
                                                             for i in sample]))

    async def timeline_memory(self) -> float:
        """Valkey's bytes per entry over a sample of the synthetic home timelines (MEMORY USAGE
        SAMPLES 0: the whole set, key and object included), and their encodings counted."""
        sample = random.Random(7).sample(self.synthetic, min(200, len(self.synthetic)))
        used = entries = 0
        for i in sample:
            key = home_key(i)
            used += await self.r.memory_usage(key, samples=0) or 0
            entries += await self.r.zcard(key)
            encoding = (await self.r.object("encoding", key)).decode()
            self.encodings[encoding] = self.encodings.get(encoding, 0) + 1
        return used / entries

    async def repeat(self, n: int) -> None:
        self.record("home_size_before", await self.timeline_size())
        raw_checked = max([await self.raw(k, True) for k in RAW_IN_FLIGHT])
        raw_plain = max([await self.raw(k, False) for k in RAW_IN_FLIGHT])
        self.record("raw_script_wps", raw_checked)
        self.record("raw_zadd_trim_wps", raw_plain)
        await wait_all_idle(self.js)
        fanout = await self.fanout_burst("fanout")
        self.record("fanout_wps", fanout)
        self.record("home_bytes_per_entry", await self.timeline_memory())
        await wait_all_idle(self.js)
        await self.track_presence(False)
        untracked = await self.fanout_burst("fanout_untracked")
        self.record("fanout_untracked_wps", untracked)
        await wait_all_idle(self.js)
        mid_untracked = await self.delivery("mid", "lastfan", redis_key=self.lastfan_key)
        self.record("mid_untracked_delivered_s", mid_untracked[0])
        self.record("mid_untracked_readable_s", mid_untracked[1])
        await wait_all_idle(self.js)
        await self.track_presence(True)
        mid = await self.delivery("mid", "lastfan", redis_key=self.lastfan_key)
        self.record("mid_delivered_s", mid[0])
        self.record("mid_readable_s", mid[1])
        await wait_all_idle(self.js)
        big = await self.delivery("big", "bigfan", redis_key=own_key(self.users["big"][0]))
        self.record("big_in_own_timeline_s", big[0])
        self.record("big_readable_s", big[1])
        await wait_all_idle(self.js)
        during = await self.delivery("mid", "lastfan", redis_key=self.lastfan_key,
                                     alongside="big")
        self.record("mid_with_big_delivered_s", during[0])
        self.record("mid_with_big_readable_s", during[1])
        await wait_all_idle(self.js)
        await self.reads()
        print(f"run {n + 1}: timelines {self.results['home_size_before'][-1]:.0f} entries, "
              f"{self.results['home_bytes_per_entry'][-1]:.1f} bytes an entry "
              f"({', '.join(sorted(self.encodings))}); "
              f"raw {raw_checked:,.0f} w/s (zadd+trim {raw_plain:,.0f}), fanout "
              f"{fanout:,.0f} w/s ({untracked:,.0f} untracked); mid delivered "
              f"{mid[0] * 1000:.0f} ms, readable {mid[1] * 1000:.0f} ms (with big "
              f"{during[1] * 1000:.0f} ms, untracked {mid_untracked[1] * 1000:.0f} ms); big "
              f"readable {big[1] * 1000:.0f} ms; home {self.results['home_rps'][-1]:,.0f} "
              f"req/s (p50 {self.results['home_p50_ms'][-1]:.1f} ms, p99 "
              f"{self.results['home_p99_ms'][-1]:.1f} ms) vs bare "
              f"{self.results['bare_rps'][-1]:,.0f}", flush=True)

    async def run(self) -> None:
        # The burst's events are made here, and their ids go where the services' ids go.
        async with worker_lease.held(self.stack.settings.database_url):
            await self._run()

    async def _run(self) -> None:
        await self.setup()
        self.lastfan_key = home_key(self.users["lastfan"][0])
        self.bare_port = infra.free_port()
        bare = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "loadtests.bare_app", "--port", str(self.bare_port),
            "--size", str(self.home_size), stdin=asyncio.subprocess.DEVNULL,
            preexec_fn=infra.die_with_parent)
        try:
            for _ in range(100):
                try:
                    await self.http.get(f"http://127.0.0.1:{self.bare_port}/bare", timeout=1)
                    break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
            for n in range(self.args.repeats):
                await self.repeat(n)
        finally:
            bare.terminate()
            await bare.wait()
            await self.close()


# --- reporting --------------------------------------------------------------------------------

def summary(values: list[float], scale: float = 1.0, unit: str = "") -> str:
    med = statistics.median(values) * scale
    return (f"{med:,.0f}{unit} (min {min(values) * scale:,.0f}, "
            f"max {max(values) * scale:,.0f})")


def report(results: dict[str, list[float]], args: argparse.Namespace, home_size: int,
           burst_writes: int, sizes: Sizes = Sizes(), encodings: dict[str, int] | None = None
           ) -> dict:
    med = {k: statistics.median(v) for k, v in results.items()}
    ratios = {
        "fanout_vs_raw_script": med["fanout_wps"] / med["raw_script_wps"],
        "fanout_vs_raw_zadd_trim": med["fanout_wps"] / med["raw_zadd_trim_wps"],
        "mid_readable_with_big_vs_alone": med["mid_with_big_readable_s"] / med["mid_readable_s"],
        "home_vs_bare": med["home_rps"] / med["bare_rps"],
    }
    goals = {
        "fanout >= 100,000 writes/s": med["fanout_wps"] >= 100_000,
        "fanout >= half the raw rate": ratios["fanout_vs_raw_script"] >= 0.5,
        "mid readable by its last follower < 500 ms": med["mid_readable_s"] < 0.5,
        "big readable at once (< 500 ms)": med["big_readable_s"] < 0.5,
        "mid not slowed > 2x while big posts": ratios["mid_readable_with_big_vs_alone"] <= 2,
        "home reads >= 40% of the bare endpoint": ratios["home_vs_bare"] >= 0.4,
        "home timelines <= 24 bytes an entry in Valkey": med["home_bytes_per_entry"] <= 24,
    }
    ms = 1000.0
    print(f"\n{mode(args)} mode: median of {args.repeats} runs (min, max); "
          f"{args.accounts:,} accounts, big {sizes.big:,} followers (threshold "
          f"{sizes.threshold:,}), mid {sizes.mid:,}")
    rows = [
        ("raw: fanout's Lua script, tight client loop", summary(results["raw_script_wps"]),
         "writes/s"),
        ("raw: bare ZADD+trim script, tight loop", summary(results["raw_zadd_trim_wps"]),
         "writes/s"),
        (f"fanout service ({burst_writes:,} writes a burst)", summary(results["fanout_wps"]),
         "writes/s"),
        ("fanout service, presence not tracked", summary(results["fanout_untracked_wps"]),
         "writes/s"),
        ("mid: POST -> in last follower's Redis timeline",
         summary(results["mid_delivered_s"], ms), "ms"),
        ("mid: POST -> readable by last follower (API)",
         summary(results["mid_readable_s"], ms), "ms"),
        ("mid: readable, presence not tracked", summary(results["mid_untracked_readable_s"], ms),
         "ms"),
        ("mid: readable while big posts", summary(results["mid_with_big_readable_s"], ms), "ms"),
        ("big: POST -> in its own timeline", summary(results["big_in_own_timeline_s"], ms),
         "ms"),
        ("big: POST -> readable by a follower (API)", summary(results["big_readable_s"], ms),
         "ms"),
        (f"Valkey per home timeline entry ({args.fill:,} filled; "
         f"{', '.join(f'{k} {v}' for k, v in sorted((encodings or {}).items()))})",
         f"{med['home_bytes_per_entry']:.1f} (min {min(results['home_bytes_per_entry']):.1f}, "
         f"max {max(results['home_bytes_per_entry']):.1f})", "bytes"),
        ("GET home (20 statuses, hydrated)", summary(results["home_rps"]), "req/s"),
        ("  p50 / p99", f"{med['home_p50_ms']:.1f} / {med['home_p99_ms']:.1f}", "ms"),
        (f"GET bare ({home_size:,} static bytes, same server)",
         summary(results["bare_rps"]), "req/s"),
        ("GET /api/v1/instance (gateway, no I/O)", summary(results["instance_rps"]), "req/s"),
    ]
    for label, value, unit in rows:
        print(f"  {label:52} {value:>34} {unit}")
    print("ratios: " + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items()))
    for goal, met in goals.items():
        print(f"  [{'met' if met else 'MISSED'}] {goal}")
    return {"mode": mode(args), "args": vars(args), "threshold": sizes.threshold,
            "sizes": asdict(sizes), "home_page_bytes": home_size,
            "burst_writes": burst_writes, "timeline_encodings": encodings or {},
            "results": results, "medians": med,
            "ratios": ratios, "goals": goals}


def mode(args: argparse.Namespace) -> str:
    return "cluster" if args.cluster else "single"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hubbub bench fanout", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000,
                        help="synthetic accounts (big's followers; below 100,000, big's and "
                             f"mid's followers and the threshold scale down; at least "
                             f"{MIN_ACCOUNTS:,})")
    parser.add_argument("--follows", type=int, default=5,
                        help="Zipf-drawn follows per synthetic account")
    parser.add_argument("--burst", type=int, default=300_000,
                        help="timeline writes in each fanout burst")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--fill", type=int, default=400,
                        help="entries in every synthetic home timeline before each measurement "
                             "(real ones hold up to HUBBUB_HOME_TIMELINE_MAX, 800)")
    parser.add_argument("--seconds", type=float, default=4.0, help="per read measurement")
    parser.add_argument("--connections", type=int, default=32)
    add_mode_options(parser, "fanout_bench", "the fanout process during each burst")
    args = parser.parse_args(argv)
    if args.accounts < MIN_ACCOUNTS:
        parser.error(f"--accounts must be at least {MIN_ACCOUNTS:,}")
    args.out = results_path(args, "fanout_bench")
    sizes = Sizes.for_accounts(args.accounts)
    print(f"fanout bench, {mode(args)} mode", flush=True)

    began = time.perf_counter()
    load_before = os.getloadavg()
    stack = BenchStack(cluster=args.cluster)
    env = {"HUBBUB_FANOUT_FOLLOWER_THRESHOLD": str(sizes.threshold)}
    try:
        for name in ("graph", "posts", "fanout", "notify", "gateway"):
            stack.start_service(name, env)
        stack.wait_gateway()
        users = register(stack)
        bench = Bench(stack, users, args)
        asyncio.run(bench.run())
    finally:
        stack.close()
    out = report(bench.results, args, bench.home_size, bench.burst_writes, sizes,
                 bench.encodings)
    print("CPU us per write, by process (all repeats):")
    for phase, totals in bench.cpu_split.items():
        spent = {k: v for k, v in totals.items() if k != "writes"}
        print(f"  {phase:18} {per_write(spent, int(totals['writes']))}")
    out["cpu_seconds_by_phase"] = bench.cpu_split
    print("Redis us per write, by command (INFO commandstats; script commands count twice):")
    for phase, usec in bench.redis_usec.items():
        writes = bench.cpu_split[phase]["writes"]
        print(f"  {phase:18} " + " ".join(
            f"{name} {used / writes:.2f}" for name, used in sorted(usec.items(),
                                                                     key=lambda kv: -kv[1])
            if used / writes >= 0.01))
    out["redis_usec_by_phase"] = bench.redis_usec
    out["seconds"] = time.perf_counter() - began
    # The machine is shared: the load around the run says how much the figures are worth.
    out["load_average_before_after"] = [load_before, os.getloadavg()]
    print(f"load average (1, 5, 15 min) before {load_before[0]:.1f} {load_before[1]:.1f} "
          f"{load_before[2]:.1f}, after {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} "
          f"{os.getloadavg()[2]:.1f} on {os.cpu_count()} CPUs")
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2))
    print(f"wrote {path} ({out['seconds']:.0f}s in all)")
    return 0
