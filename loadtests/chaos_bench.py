"""Fault injection under a steady load, on the cluster mode (`hubbub up --cluster`'s servers).

    hubbub bench chaos [--users 30] [--window 16] [--rate 12] [--short] [--out PATH]

Starts ``BenchStack(cluster=True)``: 3 NATS nodes with R3 streams, a PostgreSQL primary with a
streaming standby, a Valkey Cluster (3 primaries with a replica each), and 2 processes of every
service, the gateway included (each gateway on its own port). Registers ``--users`` users
through the API (invitations) with a follow graph (each follows ``--follows`` others), then runs
a steady open-loop load over both gateways: posts (``--rate`` a second, one in four mentions
someone), favourites of acknowledged posts, new follows and home-timeline reads.

Faults, in turn, each followed by a quiet interval (a window is ``--window`` seconds from the
kill to the next fault):
- kill -9 of one replica of posts, graph, fanout, notify and gateway, restarted after
  ``--down`` seconds;
- kill -9 of one NATS node, restarted after ``--down`` seconds;
- kill -9 of one Valkey primary (not the seed node the services were given): its replica takes
  over after the node timeout; the killed node is restarted once it has, and rejoins as a
  replica;
- kill -9 of the PostgreSQL primary, then a RESTART IN PLACE (same data folder, crash
  recovery), not a promotion of the standby.

The clients' policy: every write carries an ``Idempotency-Key`` (the same on its retries); a
connection error or timeout switches the client to the other gateway and retries (a
*failover*); a 502/503/504 is retried after its Retry-After (at most 1 s); any other non-2xx,
or still no 2xx after 30 s, is a *failed* request. Requests answered after a failover or a retry
are counted as such, not as failures.

After the load and a settle period it checks, by paging every user's GET /api/v1/timelines/home
and GET /api/v1/notifications:
- every acknowledged post is exactly once in the home timeline of every user whose follow of
  its author was acknowledged before the post was sent (each post's text has a token of its
  own, so that a post made twice under two ids also counts as doubled);
- every acknowledged follow, favourite and mention gave its target exactly one notification.
Missing and doubled entries are attributed to the window in which the post (follow,
favourite) was sent.

Prints a table per fault: failed requests, failovers and retried ones, p99 latency over the
window (requests counted in the window they ended in), seconds from the kill to the last
request that needed a retry/failover or failed (``errors s``) and to the killed process being
back and ready (``back s``), and the missing / doubled counts. Writes JSON to
loadtests/results/chaos.json. Exits 1 if anything is missing or doubled, or a request failed
during a service replica's death.

``--short`` (the test suite's version, about a minute): fewer users, short windows, and only
one posts replica, one fanout replica and one NATS node killed (graph and notify run one
process each there).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import secrets
import shutil
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import redis

from loadtests.stack import BenchStack, Seeder

SERVICES = ("graph", "posts", "fanout", "notify", "gateway")
REPLICA_FAULTS = {"posts", "graph", "fanout", "notify", "gateway"}
TOKEN = re.compile(r"chaos-([0-9a-f]{16})")
REQUEST_DEADLINE_S = 30.0
RETRY_STATUSES = {502, 503, 504}


# --- recorded data ----------------------------------------------------------------------------

@dataclass
class Op:
    """One client request (with its own retries)."""
    kind: str  # post, favourite, follow, read
    start: float
    end: float = 0.0
    outcome: str = ""  # ok, failover, retried, failed
    status: int = 0
    attempts: int = 0


@dataclass
class Post:
    id: str
    author: str
    token: str
    start: float
    end: float
    mention: str | None = None  # the account id mentioned


@dataclass
class Follow:
    follower: str
    followee: str
    start: float
    end: float


@dataclass
class Favourite:
    account: str
    status: str
    author: str
    start: float
    end: float


@dataclass
class Window:
    name: str
    start: float
    end: float = float("inf")
    kill_at: float | None = None
    back_at: float | None = None
    note: str = ""


@dataclass
class Counts:
    posts_checked: int = 0
    posts_missing: int = 0
    posts_doubled: int = 0
    notifications_checked: int = 0
    notifications_missing: int = 0
    notifications_doubled: int = 0
    examples: list[str] = field(default_factory=list)


def window_of(windows: list[Window], t: float) -> str:
    for window in windows:
        if window.start <= t < window.end:
            return window.name
    return windows[-1].name if t >= windows[-1].start else windows[0].name


def check(windows: list[Window], posts: list[Post], follows: list[Follow],
          favourites: list[Favourite], attempted_tokens: dict[str, float],
          homes: dict[str, list[tuple[str, str]]],
          notifications: dict[str, list[tuple[str, str, str | None]]]) -> dict[str, Counts]:
    """Missing and doubled entries per window (pure: over what was recorded and read back).

    ``homes``: reader -> its home timeline as (status id, text token); ``notifications``:
    recipient -> (type, from account, status id or None). ``attempted_tokens``: every post's
    token (acknowledged or not) -> when it was sent, to attribute a double of an unacknowledged
    one too."""
    counts = {window.name: Counts() for window in windows}

    def note(window: str, what: str, example: str) -> None:
        c = counts[window]
        setattr(c, what, getattr(c, what) + 1)
        if len(c.examples) < 10:
            c.examples.append(example)

    # Who follows whom from when: the first acknowledged follow.
    since: dict[tuple[str, str], float] = {}
    for f in follows:
        key = (f.follower, f.followee)
        since[key] = min(since.get(key, f.end), f.end)
    followers: dict[str, list[tuple[str, float]]] = {}
    for (follower, followee), t in since.items():
        followers.setdefault(followee, []).append((follower, t))

    by_reader: dict[str, dict[str, int]] = {}  # reader -> token -> occurrences
    ids_by_reader: dict[str, dict[str, int]] = {}
    for reader, entries in homes.items():
        tokens: dict[str, int] = {}
        ids: dict[str, int] = {}
        for status_id, token in entries:
            tokens[token] = tokens.get(token, 0) + 1
            ids[status_id] = ids.get(status_id, 0) + 1
        by_reader[reader], ids_by_reader[reader] = tokens, ids

    for post in posts:
        window = window_of(windows, post.start)
        for reader, t in followers.get(post.author, []):
            if t >= post.start:
                continue  # followed after (or while) it was sent: not required
            counts[window].posts_checked += 1
            seen = max(by_reader.get(reader, {}).get(post.token, 0),
                       ids_by_reader.get(reader, {}).get(post.id, 0))
            if seen == 0:
                note(window, "posts_missing", f"post {post.id} of {post.author} not in "
                                              f"{reader}'s home")
            elif seen > 1:
                note(window, "posts_doubled", f"post {post.id} of {post.author} {seen}x in "
                                              f"{reader}'s home")
    # Doubles anywhere (any reader, acknowledged or not).
    acked = {post.token for post in posts}
    checked_pairs = {(reader, post.token) for post in posts
                     for reader, t in followers.get(post.author, []) if t < post.start}
    for reader, tokens in by_reader.items():
        for token, n in tokens.items():
            if n > 1 and (reader, token) not in checked_pairs:
                when = attempted_tokens.get(token)
                window = window_of(windows, when) if when is not None else windows[-1].name
                note(window, "posts_doubled", f"token {token} {n}x in {reader}'s home"
                     + ("" if token in acked else " (unacknowledged post)"))

    expected: list[tuple[float, str, tuple[str, str, str | None]]] = []
    for f in follows:
        expected.append((f.start, f.followee, ("follow", f.follower, None)))
    for fav in favourites:
        if fav.account != fav.author:
            expected.append((fav.start, fav.author, ("favourite", fav.account, fav.status)))
    for post in posts:
        if post.mention and post.mention != post.author:
            expected.append((post.start, post.mention, ("mention", post.author, post.id)))
    received: dict[str, dict[tuple[str, str, str | None], int]] = {}
    for recipient, notes in notifications.items():
        tally: dict[tuple[str, str, str | None], int] = {}
        for item in notes:
            tally[item] = tally.get(item, 0) + 1
        received[recipient] = tally
    seen_expected: set[tuple[str, tuple[str, str, str | None]]] = set()
    for t, recipient, item in expected:
        if (recipient, item) in seen_expected:
            continue  # the same follow acknowledged twice: one notification
        seen_expected.add((recipient, item))
        window = window_of(windows, t)
        counts[window].notifications_checked += 1
        n = received.get(recipient, {}).get(item, 0)
        if n == 0:
            note(window, "notifications_missing", f"{item} for {recipient} missing")
        elif n > 1:
            note(window, "notifications_doubled", f"{item} for {recipient} {n}x")
    return counts


# --- the load ---------------------------------------------------------------------------------

class Client:
    """Requests with the bench clients' policy (see the module's docstring)."""

    def __init__(self, gateways: list[str]) -> None:
        self.gateways = gateways
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0),
                                      limits=httpx.Limits(max_connections=200))
        self.ops: list[Op] = []
        # Gateways found unreachable, left out until their /readyz answers 200 again (as a load
        # balancer's health check would: a gateway just restarted is not sent requests while
        # it is still starting).
        self.down: set[int] = set()
        self.probes: dict[int, asyncio.Task[None]] = {}

    def pick(self, gateway: int) -> int:
        for step in range(len(self.gateways)):
            index = (gateway + step) % len(self.gateways)
            if index not in self.down:
                return index
        return gateway % len(self.gateways)

    def mark_down(self, index: int) -> None:
        if index in self.down:
            return
        self.down.add(index)
        self.probes[index] = asyncio.create_task(self._probe(index))

    async def _probe(self, index: int) -> None:
        while True:
            await asyncio.sleep(0.5)
            try:
                answer = await self.http.get(self.gateways[index] + "/readyz", timeout=2)
                if answer.status_code == 200:
                    self.down.discard(index)
                    return
            except httpx.TransportError:
                pass

    async def aclose(self) -> None:
        for task in self.probes.values():
            task.cancel()
        await self.http.aclose()

    async def request(self, kind: str, method: str, path: str, headers: dict[str, str], *,
                      gateway: int, json_body: dict[str, Any] | None = None,
                      params: dict[str, Any] | None = None, record: bool = True
                      ) -> tuple[Op, httpx.Response | None]:
        op = Op(kind=kind, start=time.monotonic())
        if record:
            self.ops.append(op)
        headers = dict(headers)
        if method != "GET":
            headers["Idempotency-Key"] = secrets.token_hex(16)
        failover = retried = False
        answer: httpx.Response | None = None
        deadline = op.start + REQUEST_DEADLINE_S
        while True:
            op.attempts += 1
            index = self.pick(gateway)
            url = self.gateways[index] + path
            try:
                answer = await self.http.request(method, url, headers=headers, json=json_body,
                                                 params=params)
            except httpx.TransportError:
                answer = None
            if answer is not None and answer.status_code < 300:
                op.status = answer.status_code
                op.outcome = "failover" if failover else "retried" if retried else "ok"
                break
            if answer is not None:
                op.status = answer.status_code
            if time.monotonic() > deadline or (answer is not None
                                               and answer.status_code not in RETRY_STATUSES):
                op.outcome = "failed"
                break
            if answer is None:
                failover = True
                self.mark_down(index)
                gateway = index + 1
                await asyncio.sleep(0.05 if op.attempts < 3 else 0.5)
            else:
                retried = True
                try:
                    wait = float(answer.headers.get("Retry-After", "1"))
                except ValueError:
                    wait = 1.0
                await asyncio.sleep(min(max(wait, 0.05), 1.0))
        op.end = time.monotonic()
        return op, (answer if op.outcome != "failed" else None)


@dataclass
class User:
    id: str
    name: str
    headers: dict[str, str]


class Load:
    def __init__(self, client: Client, users: list[User], rate: float, rng: random.Random,
                 follows: list[Follow]) -> None:
        self.client = client
        self.users = users
        self.rate = rate
        self.rng = rng
        self.posts: list[Post] = []
        self.follows = follows
        self.favourites: list[Favourite] = []
        self.attempted: dict[str, float] = {}
        self.following = {(f.follower, f.followee) for f in follows}
        self.favourited: set[tuple[str, str]] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.n = 0
        self.failures: list[str] = []
        self.in_flight_cap = 0  # set by run(); 0: no cap
        self.shed: list[float] = []  # ticks not sent: in_flight_cap requests were in flight

    def gateway(self) -> int:
        self.n += 1
        return self.n

    async def post(self) -> None:
        author = self.rng.choice(self.users)
        token = secrets.token_hex(8)
        mention = None
        text = f"chaos-{token} under load"
        if self.rng.random() < 0.25:
            mention = self.rng.choice([u for u in self.users if u.id != author.id])
            text = f"@{mention.name} " + text
        start = time.monotonic()
        self.attempted[token] = start
        op, answer = await self.client.request("post", "POST", "/api/v1/statuses",
                                               author.headers, gateway=self.gateway(),
                                               json_body={"status": text})
        if answer is not None:
            self.posts.append(Post(id=str(answer.json()["id"]), author=author.id, token=token,
                                   start=op.start, end=op.end,
                                   mention=mention.id if mention else None))
        else:
            self.failures.append(f"post {op.status}")

    async def favourite(self) -> None:
        if not self.posts:
            return
        post = self.rng.choice(self.posts[-200:])
        candidates = [u for u in self.users if u.id != post.author
                      and (u.id, post.id) not in self.favourited]
        if not candidates:
            return
        user = self.rng.choice(candidates)
        self.favourited.add((user.id, post.id))
        op, answer = await self.client.request(
            "favourite", "POST", f"/api/v1/statuses/{post.id}/favourite", user.headers,
            gateway=self.gateway())
        if answer is not None:
            self.favourites.append(Favourite(account=user.id, status=post.id, author=post.author,
                                             start=op.start, end=op.end))
        else:
            self.failures.append(f"favourite {op.status}")

    async def follow(self) -> None:
        pairs = [(a, b) for a in self.users for b in self.users
                 if a.id != b.id and (a.id, b.id) not in self.following]
        if not pairs:
            return
        a, b = self.rng.choice(pairs)
        self.following.add((a.id, b.id))
        op, answer = await self.client.request(
            "follow", "POST", f"/api/v1/accounts/{b.id}/follow", a.headers,
            gateway=self.gateway())
        if answer is not None:
            self.follows.append(Follow(follower=a.id, followee=b.id, start=op.start,
                                       end=op.end))
        else:
            self.failures.append(f"follow {op.status}")

    async def read(self) -> None:
        user = self.rng.choice(self.users)
        op, answer = await self.client.request("read", "GET", "/api/v1/timelines/home",
                                               user.headers, gateway=self.gateway(),
                                               params={"limit": 20})
        if answer is None:
            self.failures.append(f"read {op.status}")

    async def run(self, stop: asyncio.Event) -> None:
        """Open loop: each tick (1/rate s) sends a post, and by turns a read, a favourite
        (every 3rd) and a follow (every 20th)."""
        tick = 0
        started = time.monotonic()
        while not stop.is_set():
            tick += 1
            jobs = [self.post(), self.read()]
            if tick % 3 == 0:
                jobs.append(self.favourite())
            if tick % 20 == 0:
                jobs.append(self.follow())
            if self.in_flight_cap and len(self.tasks) >= self.in_flight_cap:
                # Overloaded (a 2-core box shared with other work): a backlog growing without
                # bound would measure the queue, not the fault. The tick is shed and counted.
                self.shed.append(time.monotonic())
                for job in jobs:
                    job.close()
                jobs = []
            for job in jobs:
                task = asyncio.create_task(job)
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
            delay = started + tick / self.rate - time.monotonic()
            if delay > 0:
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                except TimeoutError:
                    pass
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)


# --- faults -----------------------------------------------------------------------------------

def _tcp_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _valkey_admin(stack: BenchStack, port: int | None = None) -> redis.Redis:
    parts = urlsplit(stack.settings.redis_url)
    return redis.Redis(host=parts.hostname or "127.0.0.1", port=port or parts.port or 6379,
                       username=parts.username, password=parts.password,
                       decode_responses=True, socket_timeout=3)


def _valkey_nodes(stack: BenchStack) -> dict[str, dict[str, Any]]:
    with _valkey_admin(stack) as r:
        nodes: dict[str, dict[str, Any]] = r.execute_command("CLUSTER NODES")
        return nodes


def _flags(node: dict[str, Any]) -> set[str]:
    flags = node["flags"]
    return set(flags.split(",") if isinstance(flags, str) else flags)


def valkey_primary_to_kill(stack: BenchStack) -> tuple[str, str]:
    """(server name, node id of its replica) for a primary with slots that is not the seed
    node the services were given."""
    seed = urlsplit(stack.settings.redis_url).port
    ports = {stack.server_port(name): name for name in stack.server_names()
             if name.startswith("valkey-cluster")}
    nodes = _valkey_nodes(stack)
    for address, node in sorted(nodes.items()):
        port = int(address.split(":")[1].split("@")[0])
        if "master" in _flags(node) and node["slots"] and port != seed:
            replicas = [n["node_id"] for n in nodes.values()
                        if n.get("master_id") == node["node_id"]]
            if replicas:
                return ports[port], replicas[0]
    raise RuntimeError("no Valkey primary with a replica to kill")


def valkey_taken_over(stack: BenchStack, replica_id: str) -> bool:
    """The killed primary's replica is a primary now, with slots, and the cluster is ok.
    (Not just the old primary flagged "fail?": restarted before its replica is elected, a node
    without persistence comes back as the primary of its slots, empty, and its replica then
    syncs the empty data set: every timeline entry of that shard lost.)"""
    try:
        nodes = _valkey_nodes(stack)
        with _valkey_admin(stack) as r:
            info = r.execute_command("CLUSTER INFO")
    except redis.RedisError:
        return False
    promoted = [n for n in nodes.values() if n["node_id"] == replica_id
                and "master" in _flags(n) and n["slots"]]
    return bool(promoted and info.get("cluster_state") == "ok")


async def inject(stack: BenchStack, fault: str, down_s: float, window: Window) -> None:
    """Kill (and bring back) what ``fault`` names; sets the window's kill_at and back_at."""
    loop = asyncio.get_running_loop()

    def blocking() -> None:
        if fault in REPLICA_FAULTS:
            label = fault  # the first replica; its twin "<name>-2" keeps serving
            window.kill_at = time.monotonic()
            stack.kill(label)
            time.sleep(down_s)
            stack.restart(label)
            stack.wait_service(label, timeout=90)
            window.back_at = time.monotonic()
            window.note = f"kill -9 {label}, restarted after {down_s:.0f} s"
        elif fault == "nats":
            name = "nats-1"
            window.kill_at = time.monotonic()
            stack.kill_server(name)
            time.sleep(down_s)
            stack.restart_server(name)
            _wait(lambda: _tcp_open(stack.server_port(name)), 60, name)
            window.back_at = time.monotonic()
            window.note = f"kill -9 {name}, restarted after {down_s:.0f} s"
        elif fault == "valkey":
            name, replica_id = valkey_primary_to_kill(stack)
            window.kill_at = time.monotonic()
            stack.kill_server(name)
            _wait(lambda: valkey_taken_over(stack, replica_id), 60, "Valkey failover")
            window.back_at = time.monotonic()
            took = window.back_at - window.kill_at
            stack.restart_server(name)
            _wait(lambda: _tcp_open(stack.server_port(name)), 60, name)
            window.note = (f"kill -9 {name} (a primary), its replica took over after "
                           f"{took:.1f} s; {name} restarted (rejoins as a replica)")
        elif fault == "postgres":
            name = "postgres-primary"
            window.kill_at = time.monotonic()
            stack.kill_server(name)
            stack.restart_server(name)
            _wait(lambda: _tcp_open(stack.server_port(name)), 90, name)
            window.back_at = time.monotonic()
            window.note = f"kill -9 {name}, RESTARTED in place (crash recovery, no promotion)"
        else:
            raise ValueError(fault)

    await loop.run_in_executor(None, blocking)


def _wait(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not back after {timeout:.0f} s")
        time.sleep(0.2)


# --- reading back -----------------------------------------------------------------------------

async def read_home(client: Client, user: User) -> list[tuple[str, str]]:
    entries: list[tuple[str, str]] = []
    max_id: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 40}
        if max_id:
            params["max_id"] = max_id
        op, answer = await client.request("check", "GET", "/api/v1/timelines/home",
                                          user.headers, gateway=0, params=params, record=False)
        if answer is None:
            raise RuntimeError(f"reading {user.name}'s home: {op.status}")
        page = answer.json()
        if not page:
            return entries
        for status in page:
            found = TOKEN.search(status.get("content") or "")
            entries.append((str(status["id"]), found.group(1) if found else ""))
        max_id = str(page[-1]["id"])


async def read_notifications(client: Client, user: User) -> list[tuple[str, str, str | None]]:
    notes: list[tuple[str, str, str | None]] = []
    max_id: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 80}
        if max_id:
            params["max_id"] = max_id
        op, answer = await client.request("check", "GET", "/api/v1/notifications",
                                          user.headers, gateway=0, params=params, record=False)
        if answer is None:
            raise RuntimeError(f"reading {user.name}'s notifications: {op.status}")
        page = answer.json()
        if not page:
            return notes
        for note in page:
            status = note.get("status")
            notes.append((note["type"], str(note["account"]["id"]),
                          str(status["id"]) if status else None))
        max_id = str(page[-1]["id"])


# --- the run ----------------------------------------------------------------------------------

def p99(values: list[float]) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(0.99 * len(values)))]


def summarize(windows: list[Window], ops: list[Op], counts: dict[str, Counts]
              ) -> list[dict[str, Any]]:
    rows = []
    for window in windows:
        # Requests by when they ended: one in flight at a kill is that fault's (posts and
        # notifications are counted by when they were sent).
        mine = [op for op in ops if window.start <= op.end < window.end]
        troubled = [op.end for op in mine if op.outcome != "ok"]
        c = counts[window.name]
        kill = window.kill_at or window.start
        rows.append({
            "fault": window.name, "note": window.note, "requests": len(mine),
            "failed": sum(op.outcome == "failed" for op in mine),
            "failover": sum(op.outcome == "failover" for op in mine),
            "retried": sum(op.outcome == "retried" for op in mine),
            "p99_ms": round(p99([op.end - op.start for op in mine]) * 1000, 1),
            "errors_s": round(max(troubled) - kill, 1) if troubled else 0.0,
            "back_s": round(window.back_at - kill, 1) if window.back_at else None,
            "failed_statuses": sorted({op.status for op in mine if op.outcome == "failed"}),
            **{k: v for k, v in asdict(c).items()},
        })
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    head = (f"{'fault':12} {'reqs':>5} {'failed':>6} {'failover':>8} {'retried':>7} "
            f"{'p99 ms':>8} {'errors s':>8} {'back s':>6} {'posts chk':>9} {'missing':>7} "
            f"{'doubled':>7} {'notes chk':>9} {'n missing':>9} {'n doubled':>9} {'shed':>4}")
    print(head)
    print("-" * len(head))
    for r in rows:
        back = "-" if r["back_s"] is None else f"{r['back_s']:.1f}"
        print(f"{r['fault']:12} {r['requests']:5d} {r['failed']:6d} {r['failover']:8d} "
              f"{r['retried']:7d} {r['p99_ms']:8.0f} {r['errors_s']:8.1f} {back:>6} "
              f"{r['posts_checked']:9d} {r['posts_missing']:7d} {r['posts_doubled']:7d} "
              f"{r['notifications_checked']:9d} {r['notifications_missing']:9d} "
              f"{r['notifications_doubled']:9d} {r['shed_ticks']:4d}")
    for r in rows:
        if r["note"]:
            print(f"  {r['fault']}: {r['note']}")
        for example in r["examples"]:
            print(f"    {example}")


def register(stack: BenchStack, count: int, follows_each: int, rng: random.Random
             ) -> tuple[list[User], list[Follow]]:
    users: list[User] = []
    follows: list[Follow] = []
    with httpx.Client(base_url=stack.base_url, timeout=60) as http:
        seeder = Seeder(http, stack)
        for i in range(count):
            name = f"chaos{i}"
            account_id, headers = seeder.user(name)
            users.append(User(id=str(account_id), name=name, headers=headers))
        for user in users:
            for other in rng.sample([u for u in users if u.id != user.id], follows_each):
                start = time.monotonic()
                r = http.post(f"/api/v1/accounts/{other.id}/follow", headers=user.headers)
                r.raise_for_status()
                follows.append(Follow(follower=user.id, followee=other.id, start=start,
                                      end=time.monotonic()))
    return users, follows


async def run(stack: BenchStack, users: list[User], follows: list[Follow],
              faults: list[str], args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    client = Client(stack.gateway_urls)
    load = Load(client, users, args.rate, rng, follows)
    load.in_flight_cap = args.in_flight
    windows = [Window("setup", start=0.0)]
    stop = asyncio.Event()
    try:
        now = time.monotonic()
        windows[0].end = now
        windows.append(Window("baseline", start=now))
        runner = asyncio.create_task(load.run(stop))
        await asyncio.sleep(args.baseline)
        for n, fault in enumerate(faults):
            now = time.monotonic()
            windows[-1].end = now
            # A fault given twice gets a window of each (named "postgres", "postgres#2").
            repeat = faults[:n].count(fault)
            window = Window(fault if not repeat else f"{fault}#{repeat + 1}", start=now)
            windows.append(window)
            print(f"fault: {fault}", flush=True)
            down = args.down
            await inject(stack, fault, down, window)
            rest = window.start + args.window - time.monotonic()
            if rest > 0:
                await asyncio.sleep(rest)
        stop.set()
        await runner
        windows[-1].end = time.monotonic()
        print(f"load stopped: {len(load.posts)} posts, {len(load.favourites)} favourites, "
              f"{len(load.follows)} follows acknowledged; settling", flush=True)
        await asyncio.sleep(args.settle)
        counts: dict[str, Counts] = {}
        deadline = time.monotonic() + args.settle_max
        while True:  # read back until complete, or the settle deadline
            homes = {}
            notes = {}
            for user in users:
                homes[user.id] = await read_home(client, user)
                notes[user.id] = await read_notifications(client, user)
            counts = check(windows, load.posts, load.follows, load.favourites, load.attempted,
                           homes, notes)
            missing = sum(c.posts_missing + c.notifications_missing for c in counts.values())
            if not missing or time.monotonic() > deadline:
                break
            print(f"  {missing} entries still missing; reading again", flush=True)
            await asyncio.sleep(3)
        rows = summarize(windows, client.ops, counts)
        for row in rows:
            window = next(w for w in windows if w.name == row["fault"])
            row["shed_ticks"] = sum(window.start <= t < window.end for t in load.shed)
        t0 = windows[1].start
        return {"rows": rows, "posts": len(load.posts), "favourites": len(load.favourites),
                "follows": len(load.follows), "requests": len(client.ops),
                "longest_home": max(len(h) for h in homes.values()),
                "windows": [{"name": w.name, "start_s": round(w.start - t0, 2),
                             "kill_s": round(w.kill_at - t0, 2) if w.kill_at else None}
                            for w in windows[1:]],
                # Every request: kind, start (s from the load's start), latency ms, outcome,
                # last status (0: no answer).
                "ops": [[op.kind, round(op.start - t0, 3), round((op.end - op.start) * 1000, 1),
                         op.outcome, op.status] for op in client.ops]}
    finally:
        stop.set()
        await client.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hubbub bench chaos", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--follows", type=int, default=6, help="follows per user at the start")
    parser.add_argument("--rate", type=float, default=10.0, help="posts a second")
    parser.add_argument("--window", type=float, default=16.0,
                        help="seconds from one fault's kill to the next's")
    parser.add_argument("--down", type=float, default=3.0,
                        help="seconds a killed replica or NATS node stays down")
    parser.add_argument("--baseline", type=float, default=5.0)
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--settle-max", type=float, default=30.0)
    parser.add_argument("--faults", default="posts,graph,fanout,notify,gateway,nats,valkey,"
                                            "postgres")
    parser.add_argument("--in-flight", type=int, default=48,
                        help="at most this many requests in flight: a tick beyond is shed "
                             "(counted), so that an overloaded box does not snowball")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--short", action="store_true",
                        help="the test suite's version: 12 users, 8 s windows, posts, fanout, "
                             "nats")
    parser.add_argument("--out", default="loadtests/results/chaos.json")
    args = parser.parse_args(argv)
    if args.short:
        args.users, args.follows, args.rate, args.window = 12, 4, 8.0, 7.0
        args.down, args.baseline, args.settle = 2.0, 2.0, 3.0
        args.faults = "posts,fanout,nats"
    faults = [f for f in args.faults.split(",") if f]
    started = time.monotonic()
    stack = BenchStack(cluster=True)
    results: dict[str, Any] = {"args": vars(args)}
    try:
        # Each reader's home must hold the whole run to be checked (800 by default).
        env = {"HUBBUB_HOME_TIMELINE_MAX": "5000"}
        for name in SERVICES:
            # --short starts one process of the services it kills none of (faster to start).
            replicas = 2 if not args.short or name in faults or name == "gateway" else 1
            stack.start_replicas(name, replicas, env)
        stack.wait_gateway(timeout=120)
        for label in stack.procs:
            stack.wait_service(label, timeout=120)
        print(f"stack up in {time.monotonic() - started:.0f} s", flush=True)
        users, follows = register(stack, args.users, args.follows, random.Random(args.seed))
        print(f"{len(users)} users, {len(follows)} follows registered", flush=True)
        results.update(asyncio.run(run(stack, users, follows, faults, args)))
        if any(r["failed"] or r["posts_missing"] or r["posts_doubled"]
               or r["notifications_missing"] or r["notifications_doubled"]
               for r in results["rows"]):
            # The stack's folder goes with it: keep its logs for whoever looks into it.
            logs = Path(f"{args.out}.logs")
            logs.mkdir(parents=True, exist_ok=True)
            for path in [*stack.folder.glob("*.log"), *stack.folder.glob("**/*.log")]:
                shutil.copy(path, logs / path.name)
            results["logs"] = str(logs)
    finally:
        stack.close()
    results["wall_s"] = round(time.monotonic() - started, 1)
    rows = results["rows"]
    print(f"\nhubbub bench chaos: {results['requests']} requests, {results['posts']} posts, "
          f"{results['favourites']} favourites, {results['follows']} follows acknowledged; "
          f"PostgreSQL's fault is a restart in place, not a promotion "
          f"({results['wall_s']:.0f} s wall)")
    print_table(rows)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out}")
    bad = sum(r["posts_missing"] + r["posts_doubled"] + r["notifications_missing"]
              + r["notifications_doubled"] for r in rows)
    bad += sum(r["failed"] for r in rows if r["fault"].split("#")[0] in REPLICA_FAULTS)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
