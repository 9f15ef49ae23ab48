"""Live delivery benchmark: memory per idle streaming connection, and delivery latency from a
post's HTTP response to each follower's WebSocket event.

    hubbub bench live [--idle 10000] [--users 1000] [--rate 50] [--seconds 30] [--trace]
                      [--profile DIR] [--cluster]

Runs its own stack (embedded servers, every service as its own process, one gateway process).
1. Idle: opens ``--idle`` authenticated WebSocket connections (distinct accounts, each watching
   its ``user`` stream) on the gateway and reports the gateway's resident memory per connection
   (RSS after minus RSS before, divided by the count). Goal: 10,000 under 150 KB each.
2. Live: ``--users`` accounts follow each other on a Zipf-like graph, all connected; posts go out
   at ``--rate`` per second for ``--seconds``; every follower's ``update`` event is timed against
   the post's HTTP response. Reports p50, p99, max, deliveries per second, and missed deliveries
   counted against the follower lists. Goals: p50 under 20 ms, p99 under 100 ms, none missed.
The load generator runs on the same machine (2 cores), which the figures include; it posts over
raw keep-alive sockets and listens with msgspec on uvloop to stay cheap (see StatusPoster).
Each live run also reports CPU milliseconds per post by process (steadier than latency on a
shared machine), and with ``--trace`` the latency of each hop: relay, fanout, gateway.

``--cluster`` runs it on the servers' cluster modes (loadtests/stack.py: 3 NATS nodes with R3
streams, a PostgreSQL primary and streaming standby, a Valkey Cluster); the JSON records
``"mode"`` (``"single"`` or ``"cluster"``) and goes by default to loadtests/results/live.json or
live_cluster.json, both modes' figures side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import psutil
import uvloop
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from loadtests.cpu_split import CpuMeter
from loadtests.httpload import read_response, request_bytes
from loadtests.profiling import Profilers
from loadtests.seed import SeededUser, seed
from loadtests.stack import BenchStack, add_mode_options, results_path
from shared.nats_users import operator_url

PROFILED = ("gateway", "fanout", "graph", "posts", "notify")  # with --profile DIR


class PostFailed(Exception):
    pass


class StatusPoster:
    """POST /api/v1/statuses over a pool of keep-alive HTTP/1.1 connections on raw asyncio
    streams. httpx spent ~9 ms of CPU per request here (its pool scans every connection on each
    request), which made the load generator, on the same 2 cores, the largest CPU user of the
    run and slowed the very system it measures."""

    KEEP_IDLE_S = 3.0

    def __init__(self, base_url: str, max_connections: int = 64) -> None:
        host_port = base_url.split("://", 1)[1].rstrip("/")
        self.host, _, port = host_port.partition(":")
        self.port = int(port or 80)
        self.max_connections = max_connections
        self.opened = 0
        # (reader, writer, when it went idle): the server closes a connection idle for 5 s
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self.freed = asyncio.Condition()
        self.writers: list[asyncio.StreamWriter] = []

    async def _acquire(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        async with self.freed:
            while not self.idle and self.opened >= self.max_connections:
                await self.freed.wait()
            while self.idle:
                reader, writer, since = self.idle.pop()
                if time.monotonic() - since < self.KEEP_IDLE_S:
                    return reader, writer
                writer.close()  # about to be closed by the server: do not race it
                self.opened -= 1
            self.opened += 1
        try:
            pair = await asyncio.open_connection(self.host, self.port)
        except OSError:
            await self._discard()
            raise
        self.writers.append(pair[1])
        return pair

    async def _release(self, pair) -> None:
        async with self.freed:
            self.idle.append((*pair, time.monotonic()))
            self.freed.notify()

    async def _discard(self) -> None:
        async with self.freed:
            self.opened -= 1
            self.freed.notify()

    async def post(self, token: str, body: bytes) -> bytes:
        """The response body of a 200, else PostFailed."""
        request = request_bytes("POST", self.host, self.port, "/api/v1/statuses",
                                {"Authorization": f"Bearer {token}"}, body)
        pair = await self._acquire()
        try:
            pair[1].write(request)
            status, payload = await asyncio.wait_for(read_response(pair[0]), 30)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
            pair[1].close()
            await self._discard()
            raise PostFailed(str(exc)) from exc
        await self._release(pair)
        if status != 200:
            raise PostFailed(f"HTTP {status}")
        return payload

    async def close(self) -> None:
        for writer in self.writers:
            writer.close()


class PostedId(msgspec.Struct):
    id: str


def rss(pid: int) -> int:
    return psutil.Process(pid).memory_info().rss


async def open_connections(ws_url: str, users: list[SeededUser], batch: int = 250,
                           refused: list[int] | None = None) -> list:
    """A WebSocket per user, ``batch`` opening at once. A handshake refused (the gateway's
    account lookup timed out: seen in the cluster mode on a loaded 2-core box, 38 of 250 at
    once) is tried again after the batch, up to 3 times; ``refused`` counts them."""
    sockets = []

    def one(u: SeededUser) -> Any:
        return connect(f"{ws_url}?stream=user", additional_headers=u.headers, proxy=None,
                       max_queue=16, ping_interval=None, open_timeout=60)

    for start in range(0, len(users), batch):
        chunk = users[start:start + batch]
        for attempt in range(3):
            opened = await asyncio.gather(*map(one, chunk), return_exceptions=True)
            sockets.extend(s for s in opened if not isinstance(s, BaseException))
            failed = [(u, s) for u, s in zip(chunk, opened, strict=True)
                      if isinstance(s, BaseException)]
            if not failed:
                break
            if refused is not None:
                refused.append(len(failed))
            if attempt == 2 or not all(isinstance(s, InvalidStatus) for _, s in failed):
                raise failed[0][1]
            chunk = [u for u, _ in failed]
            await asyncio.sleep(1)
    return sockets


async def idle_memory(stack: BenchStack, users: list[SeededUser]) -> dict:
    gateway_pid = stack.procs["gateway"].pid
    ws_url = stack.base_url.replace("http://", "ws://") + "/api/v1/streaming"
    warm = await open_connections(ws_url, users[:50])  # first-use allocations out of the way
    await asyncio.sleep(1)
    before = rss(gateway_pid)
    started = time.perf_counter()
    refused: list[int] = []
    sockets = await open_connections(ws_url, users[50:], refused=refused)
    opened_s = time.perf_counter() - started
    await asyncio.sleep(3)
    after = rss(gateway_pid)
    count = len(sockets)
    alive = sum(1 for s in sockets if s.close_code is None)
    for s in sockets + warm:
        await s.close()
    return {"connections": count, "alive": alive, "rss_before_mb": before / 2**20,
            "rss_after_mb": after / 2**20,
            "kb_per_connection": (after - before) / max(1, count) / 1024,
            "open_seconds": opened_s, "refused_then_retried": sum(refused)}


class Listener:
    """loadtests/live_listener.py in a process of its own, listening on the ``user`` stream of
    each of ``users`` from ``start()`` (connected: the clock may start) to ``finish()`` (then
    for ``tail_s`` more): each side timestamps with time.time(), so a busy event loop on one
    side cannot skew the other."""

    def __init__(self, stack: BenchStack, users: list[SeededUser], tail_s: float,
                 traced: bool = False) -> None:
        self.stack = stack
        self.folder = Path(tempfile.mkdtemp(prefix="hubbub-live-"))
        self.spec: dict[str, Any] = {
            "ws_url": stack.base_url.replace("http://", "ws://") + "/api/v1/streaming",
            "tail_seconds": tail_s, "ready_file": str(self.folder / "ready"),
            "done_file": str(self.folder / "done"),
            "users": [{"id": u.id, "token": u.token} for u in users]}
        if traced:
            self.spec["nats_url"] = operator_url(stack.settings)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self) -> None:
        (self.folder / "in.json").write_text(json.dumps(self.spec))  # noqa: ASYNC240
        self.process = subprocess.Popen(  # noqa: ASYNC220
            [sys.executable, "-m", "loadtests.live_listener", str(self.folder / "in.json"),
             str(self.folder / "out.json")])
        while not (self.folder / "ready").exists():  # noqa: ASYNC240
            if self.process.poll() is not None:
                raise RuntimeError("the listener process failed; the gateway's log ends:\n"
                                   + self.stack.log_tail("gateway", 40))
            await asyncio.sleep(0.2)
        await asyncio.sleep(2)

    async def finish(self) -> dict[str, Any]:
        """Its result: ``arrivals`` (status id -> reader id -> time), ``closed_early``,
        ``trace``."""
        assert self.process is not None
        (self.folder / "done").write_text("done")  # noqa: ASYNC240
        await asyncio.to_thread(self.process.wait, 300)
        result: dict[str, Any] = json.loads((self.folder / "out.json").read_text())  # noqa: ASYNC240
        shutil.rmtree(self.folder, ignore_errors=True)
        return result

    def stop(self) -> None:
        """On the way out after a failure: the process goes too."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Deliveries:
    latencies_ms: list[float]  # sorted
    expected: int
    missed: int
    timeline: list[tuple[float, float]]  # (responded, arrived) per delivery, sorted

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        return self.latencies_ms[min(len(self.latencies_ms) - 1,
                                     int(p / 100 * len(self.latencies_ms)))]


def deliveries(posts: list[tuple[int, str, float]], followers: dict[int, list[int]],
               arrivals: dict[str, dict[str, float]],
               listening: set[int] | None = None) -> Deliveries:
    """Each post's (author id, status id, response time) against the arrivals: the author and
    every follower (those in ``listening`` only, when given) should have had it."""
    latencies, timeline = [], []
    expected = missed = 0
    for author_id, status_id, responded in posts:
        audience = {author_id, *followers.get(author_id, [])}
        if listening is not None:
            audience &= listening
        got = arrivals.get(status_id, {})
        expected += len(audience)
        for reader in audience:
            if str(reader) in got:
                latencies.append((got[str(reader)] - responded) * 1000)
                timeline.append((responded, got[str(reader)]))
            else:
                missed += 1
    latencies.sort()
    return Deliveries(latencies, expected, missed, sorted(timeline))


async def live_latency(stack: BenchStack, graph, rate: float, seconds: float,
                       traced: bool = False, deliveries_out: Path | None = None,
                       profilers: Profilers | None = None, tail_s: float = 10.0) -> dict:
    """Posts from this process, listens from another (loadtests/live_listener.py): each side
    timestamps with time.time(), so a busy event loop on one side cannot skew the other."""
    users = graph.users
    listener = Listener(stack, users, tail_s, traced)
    await listener.start()
    posted_at: dict[str, float] = {}
    authors: list[tuple[SeededUser, str]] = []
    errors = 0
    error_kinds: Counter[str] = Counter()
    rng = random.Random(11)
    poster = StatusPoster(stack.base_url)
    decode_id = msgspec.json.Decoder(PostedId).decode

    async def post(author: SeededUser, n: int) -> None:
        nonlocal errors
        try:
            body = await poster.post(author.token, b'{"status":"live bench %d"}' % n)
        except PostFailed as exc:
            errors += 1  # counted and reported, not fatal: the run goes on
            error_kinds[str(exc)[:80]] += 1
            return
        responded = time.time()
        status_id = decode_id(body).id
        posted_at[status_id] = responded
        authors.append((author, status_id))

    tasks = []
    interval = 1.0 / rate
    # CPU per process (with its descendants: Postgres's backends), from /proc.
    cpu = CpuMeter({**stack.process_roots(), "listener": listener.pid, "poster": os.getpid()})
    cpu_before = cpu.sample()
    if profilers is not None:
        profilers.start("live", {name: stack.procs[name].pid for name in PROFILED})
    began = time.perf_counter()
    for n in range(int(rate * seconds)):
        delay = began + n * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(post(rng.choice(users), n)))
    await asyncio.gather(*tasks)
    posting_s = time.perf_counter() - began
    await asyncio.sleep(3)  # the last deliveries (a loaded machine lags by a second or more)
    cpu_after = cpu.sample()
    if profilers is not None:
        profilers.stop()
    # CPU milliseconds per post, by process: what each post costs the machine, whatever else
    # runs on it (latency depends on the neighbours; this far less).
    cpu_ms_per_post = {label: round((cpu_after[label] - cpu_before.get(label, 0.0)) * 1000
                                    / max(1, len(authors)), 2)
                       for label in sorted(cpu_after)}
    await poster.close()
    result = await listener.finish()
    arrivals = result["arrivals"]
    got = deliveries([(author.id, status_id, posted_at[status_id])
                      for author, status_id in authors], graph.followers, arrivals)
    latencies = got.latencies_ms
    if deliveries_out is not None:
        deliveries_out.write_text(json.dumps(got.timeline))  # noqa: ASYNC240 (after the run)

    hops = hop_latencies(result.get("trace", {}), posted_at, arrivals) if traced else {}
    return {"hops": hops, "cpu_ms_per_post": cpu_ms_per_post,
            "posts": len(authors), "post_errors": errors,
            "post_error_kinds": dict(error_kinds),
            "posting_seconds": posting_s,
            "closed_early": result["closed_early"],
            "deliveries": len(latencies), "expected": got.expected, "missed": got.missed,
            "deliveries_per_s": len(latencies) / posting_s,
            "p50_ms": got.percentile(50), "p99_ms": got.percentile(99),
            "max_ms": latencies[-1],
            "mean_ms": statistics.fmean(latencies)}


def hop_latencies(trace: dict[str, list[float]], posted_at: dict[str, float],
                  arrivals: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """p50/p99 ms of each hop, counted per delivery (as the headline figures are): response ->
    the event in JetStream (negative: the relay beat the response), event -> fanout's first
    live message for the status, first -> last live message, first live message -> this
    reader's WebSocket arrival."""
    spans: dict[str, list[float]] = {"response_to_event": [], "event_to_first_live": [],
                                     "first_to_last_live": [], "first_live_to_arrival": []}
    for status_id, (event_t, first_t, last_t) in trace.items():
        got = arrivals.get(status_id)
        if status_id not in posted_at or not (event_t and first_t and got):
            continue
        for arrived in got.values():
            spans["response_to_event"].append(event_t - posted_at[status_id])
            spans["event_to_first_live"].append(first_t - event_t)
            spans["first_to_last_live"].append(last_t - first_t)
            spans["first_live_to_arrival"].append(arrived - first_t)
    summary = {}
    for name, values in spans.items():
        if values:
            values.sort()
            summary[name] = {"p50_ms": values[len(values) // 2] * 1000,
                             "p99_ms": values[min(len(values) - 1,
                                                  int(0.99 * len(values)))] * 1000}
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hubbub bench live", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--idle", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--follows", type=int, default=10, help="follows per user")
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=3, help="live runs (each is reported)")
    parser.add_argument("--tail", type=float, default=10.0,
                        help="seconds the listener waits for late deliveries after the posts")
    parser.add_argument("--server", default="", help="HUBBUB_ASGI_SERVER for the gateway")
    add_mode_options(parser, "live", "each service process during each live run")
    parser.add_argument("--deliveries", default="",
                        help="write each delivery's (response time, arrival time) here, one "
                             "file per run (PATH.1, PATH.2...), to line slow ones up with logs")
    parser.add_argument("--trace", action="store_true",
                        help="also time each hop (relay, fanout, gateway) by listening on NATS "
                             "from the listener process (adds a little load)")
    args = parser.parse_args(argv)
    mode = "cluster" if args.cluster else "single"
    args.out = results_path(args, "live")
    print(f"live bench, {mode} mode", flush=True)

    stack = BenchStack(cluster=args.cluster)
    profilers = Profilers(args.profile)
    results: dict = {"mode": mode, "args": vars(args)}
    try:
        stack.start_streaming(args.idle + args.users, args.server)
        if args.idle:
            idle_graph = asyncio.run(seed(stack.settings.database_url, settings=stack.settings,
                                          users=args.idle, follows_per_user=0, prefix="idle"))
            try:
                idle = asyncio.run(idle_memory(stack, idle_graph.users))
            except Exception:
                print("the idle connections failed; the gateway's log ends:\n"
                      + stack.log_tail("gateway", 60), flush=True)
                raise
            results["idle"] = idle
            print(f"idle: {idle['connections']} connections ({idle['alive']} alive), gateway RSS "
                  f"{idle['rss_before_mb']:.0f} -> {idle['rss_after_mb']:.0f} MB: "
                  f"{idle['kb_per_connection']:.1f} KB per connection "
                  f"(opened in {idle['open_seconds']:.1f} s, "
                  f"{idle['refused_then_retried']} refused and tried again)", flush=True)
        graph = asyncio.run(seed(stack.settings.database_url, settings=stack.settings,
                                 users=args.users, follows_per_user=args.follows, prefix="live"))
        runs = []
        for repeat in range(args.repeats):
            dump = Path(f"{args.deliveries}.{repeat + 1}") if args.deliveries else None
            run = uvloop.run(live_latency(stack, graph, args.rate, args.seconds, args.trace,
                                          dump, profilers, args.tail))
            runs.append(run)
            if run["closed_early"]:
                print(stack.log_tail("gateway"), flush=True)
            print(f"live run {repeat + 1}: {run['posts']} posts, {run['deliveries']} deliveries "
                  f"({run['deliveries_per_s']:.0f}/s), missed {run['missed']}, "
                  f"p50 {run['p50_ms']:.1f} ms, p99 {run['p99_ms']:.1f} ms, "
                  f"max {run['max_ms']:.1f} ms, connections cut {run['closed_early']}", flush=True)
            print("  CPU ms per post: " + ", ".join(
                f"{label} {ms:.1f}" for label, ms in sorted(
                    run["cpu_ms_per_post"].items(), key=lambda item: -item[1]) if ms >= 0.05)
                  + f" (total {sum(run['cpu_ms_per_post'].values()):.1f})", flush=True)
            for hop, figures in run["hops"].items():
                print(f"  {hop:22} p50 {figures['p50_ms']:7.1f} ms, "
                      f"p99 {figures['p99_ms']:7.1f} ms", flush=True)
        results["live"] = runs
    finally:
        stack.close()

    if results.get("live"):
        runs = results["live"]

        def med(key: str) -> str:
            values = [r[key] for r in runs]
            return (f"{statistics.median(values):.1f} (min {min(values):.1f}, "
                    f"max {max(values):.1f})")

        print(f"\nlive ({mode} mode), median of {len(runs)} runs ({args.users} users, "
              f"{args.rate:.0f} posts/s for {args.seconds:.0f} s):")
        for key, label in (("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"), ("max_ms", "max ms"),
                           ("deliveries_per_s", "deliveries/s"), ("missed", "missed")):
            print(f"  {label:14} {med(key)}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out}")
    return 0
