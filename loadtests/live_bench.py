"""Live delivery benchmark: memory per idle streaming connection, and delivery latency from a
post's HTTP response to each follower's WebSocket event.

    hubbub bench live [--idle 10000] [--users 1000] [--rate 50] [--seconds 30]

Runs its own stack (embedded servers, every service as its own process, one gateway process).
1. Idle: opens ``--idle`` authenticated WebSocket connections (distinct accounts, each watching
   its ``user`` stream) on the gateway and reports the gateway's resident memory per connection
   (RSS after minus RSS before, divided by the count). Goal: 10,000 under 150 KB each.
2. Live: ``--users`` accounts follow each other on a Zipf-like graph, all connected; posts go out
   at ``--rate`` per second for ``--seconds``; every follower's ``update`` event is timed against
   the post's HTTP response. Reports p50, p99, max, deliveries per second, and missed deliveries
   counted against the follower lists. Goals: p50 under 20 ms, p99 under 100 ms, none missed.
The load generator runs on the same machine (2 cores), which the figures include.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
from websockets.asyncio.client import connect

from loadtests.seed import SeededUser, seed
from loadtests.stack import BenchStack
from shared import db


def rss(pid: int) -> int:
    return psutil.Process(pid).memory_info().rss


async def open_connections(ws_url: str, users: list[SeededUser], batch: int = 250) -> list:
    sockets = []
    for start in range(0, len(users), batch):
        chunk = users[start:start + batch]
        opened = await asyncio.gather(*(connect(
            f"{ws_url}?stream=user", additional_headers=u.headers, proxy=None, max_queue=16,
            ping_interval=None, open_timeout=60) for u in chunk))
        sockets.extend(opened)
    return sockets


async def idle_memory(stack: BenchStack, users: list[SeededUser]) -> dict:
    gateway_pid = stack.procs["gateway"].pid
    ws_url = stack.base_url.replace("http://", "ws://") + "/api/v1/streaming"
    warm = await open_connections(ws_url, users[:50])  # first-use allocations out of the way
    await asyncio.sleep(1)
    before = rss(gateway_pid)
    started = time.perf_counter()
    sockets = await open_connections(ws_url, users[50:])
    opened_s = time.perf_counter() - started
    await asyncio.sleep(3)
    after = rss(gateway_pid)
    count = len(sockets)
    alive = sum(1 for s in sockets if s.close_code is None)
    for s in sockets + warm:
        await s.close()
    return {"connections": count, "alive": alive, "rss_before_mb": before / 2**20,
            "rss_after_mb": after / 2**20, "kb_per_connection": (after - before) / count / 1024,
            "open_seconds": opened_s}


async def live_latency(stack: BenchStack, graph, rate: float, seconds: float) -> dict:
    """Posts from this process, listens from another (loadtests/live_listener.py): each side
    timestamps with time.time(), so a busy event loop on one side cannot skew the other."""
    ws_url = stack.base_url.replace("http://", "ws://") + "/api/v1/streaming"
    users = graph.users
    folder = Path(tempfile.mkdtemp(prefix="hubbub-live-"))
    spec = {"ws_url": ws_url, "tail_seconds": 10, "ready_file": str(folder / "ready"),
            "done_file": str(folder / "done"),
            "users": [{"id": u.id, "token": u.token} for u in users]}
    (folder / "in.json").write_text(json.dumps(spec))
    listener = subprocess.Popen([sys.executable, "-m", "loadtests.live_listener",  # noqa: ASYNC220
                                 str(folder / "in.json"), str(folder / "out.json")])
    while not (folder / "ready").exists():
        if listener.poll() is not None:
            raise RuntimeError("the listener process failed")
        await asyncio.sleep(0.2)
    await asyncio.sleep(2)
    posted_at: dict[str, float] = {}
    authors: list[tuple[SeededUser, str]] = []
    errors = 0
    rng = random.Random(11)
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30,
                                 limits=httpx.Limits(max_connections=64)) as client:
        async def post(author: SeededUser, n: int) -> None:
            nonlocal errors
            try:
                r = await client.post("/api/v1/statuses", headers=author.headers,
                                      json={"status": f"live bench {n}"})
            except httpx.HTTPError:
                errors += 1  # counted and reported, not fatal: the run goes on
                return
            if r.status_code != 200:
                errors += 1
                return
            status_id = r.json()["id"]
            posted_at[status_id] = time.time()
            authors.append((author, status_id))

        tasks = []
        interval = 1.0 / rate
        began = time.perf_counter()
        for n in range(int(rate * seconds)):
            delay = began + n * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(rng.choice(users), n)))
        await asyncio.gather(*tasks)
        posting_s = time.perf_counter() - began
    (folder / "done").write_text("done")  # noqa: ASYNC240
    await asyncio.to_thread(listener.wait, 300)
    result = json.loads((folder / "out.json").read_text())
    shutil.rmtree(folder, ignore_errors=True)
    arrivals = result["arrivals"]

    latencies = []
    expected = missed = 0
    for author, status_id in authors:
        audience = {author.id, *graph.followers.get(author.id, [])}
        got = arrivals.get(status_id, {})
        expected += len(audience)
        for reader in audience:
            if str(reader) in got:
                latencies.append((got[str(reader)] - posted_at[status_id]) * 1000)
            else:
                missed += 1
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    return {"posts": len(authors), "post_errors": errors, "posting_seconds": posting_s,
            "closed_early": result["closed_early"],
            "deliveries": len(latencies), "expected": expected, "missed": missed,
            "deliveries_per_s": len(latencies) / posting_s,
            "p50_ms": pct(50), "p99_ms": pct(99), "max_ms": latencies[-1],
            "mean_ms": statistics.fmean(latencies)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hubbub bench live", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--idle", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--follows", type=int, default=10, help="follows per user")
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=3, help="live runs (each is reported)")
    parser.add_argument("--server", default="", help="HUBBUB_ASGI_SERVER for the gateway")
    parser.add_argument("--out", default="loadtests/results/live.json")
    args = parser.parse_args(argv)

    stack = BenchStack()
    results: dict = {"args": vars(args)}
    try:
        env = {"HUBBUB_STREAM_MAX_CONNECTIONS": str(args.idle + args.users + 1000)}
        if args.server:
            env["HUBBUB_ASGI_SERVER"] = args.server
        for name in ("graph", "posts", "fanout", "notify"):
            stack.start_service(name)
        stack.start_service("gateway", env)
        stack.wait_gateway()
        asyncio.run(db.migrate_all(stack.settings))
        if args.idle:
            idle_graph = asyncio.run(seed(stack.settings.database_url, users=args.idle,
                                          follows_per_user=0, prefix="idle"))
            idle = asyncio.run(idle_memory(stack, idle_graph.users))
            results["idle"] = idle
            print(f"idle: {idle['connections']} connections ({idle['alive']} alive), gateway RSS "
                  f"{idle['rss_before_mb']:.0f} -> {idle['rss_after_mb']:.0f} MB: "
                  f"{idle['kb_per_connection']:.1f} KB per connection "
                  f"(opened in {idle['open_seconds']:.1f} s)", flush=True)
        graph = asyncio.run(seed(stack.settings.database_url, users=args.users,
                                 follows_per_user=args.follows, prefix="live"))
        runs = []
        for repeat in range(args.repeats):
            run = asyncio.run(live_latency(stack, graph, args.rate, args.seconds))
            runs.append(run)
            if run["closed_early"]:
                print(stack.log_tail("gateway"), flush=True)
            print(f"live run {repeat + 1}: {run['posts']} posts, {run['deliveries']} deliveries "
                  f"({run['deliveries_per_s']:.0f}/s), missed {run['missed']}, "
                  f"p50 {run['p50_ms']:.1f} ms, p99 {run['p99_ms']:.1f} ms, "
                  f"max {run['max_ms']:.1f} ms, connections cut {run['closed_early']}", flush=True)
        results["live"] = runs
    finally:
        stack.close()

    if results.get("live"):
        runs = results["live"]

        def med(key: str) -> str:
            values = [r[key] for r in runs]
            return (f"{statistics.median(values):.1f} (min {min(values):.1f}, "
                    f"max {max(values):.1f})")

        print(f"\nlive, median of {len(runs)} runs ({args.users} users, {args.rate:.0f} posts/s "
              f"for {args.seconds:.0f} s):")
        for key, label in (("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"), ("max_ms", "max ms"),
                           ("deliveries_per_s", "deliveries/s"), ("missed", "missed")):
            print(f"  {label:14} {med(key)}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out}")
    return 0
