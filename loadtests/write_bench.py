"""Write-path benchmark: how many writes Hubbub takes, how fast it answers them, how soon a post
reaches its followers' screens, and all of it against a bare endpoint doing the irreducible work
of a write, measured in the same run.

    hubbub bench write [--accounts 2000] [--clients 16] [--seconds 10] [--rate 100]
                       [--repeats 3] [--profile DIR] [--cluster]

Runs its own stack (loadtests/stack.py: embedded servers, every service its own process) with
``--accounts`` accounts seeded straight into the database on a Zipf-like follow graph (each
follows ``--follows`` to ``--follows-max`` accounts, log-uniformly; a few are followed by
nearly everyone). The writes are a mix (fractions are options): posts (some with a mention, a
hashtag, a poll, or replying to a recent status), favourites and reblogs of recent statuses,
each by a random account, over raw keep-alive HTTP/1.1 connections (loadtests/httpload.py).

Each repeat, for Hubbub and then for the baseline (the first after ``--warmup`` s of writes
not counted):
1. Closed loop: ``--clients`` connections, each sending the next write as the previous answer
   comes, for ``--seconds``: the most it takes (posts/s, writes/s).
2. Open loop: write k due at k/``--rate`` s whatever happened before, its latency counted from
   when it was due (loadtests/paced_reads.py: no coordinated omission), for ``--seconds``: the
   answer's p50/p99/max at a fixed rate, and CPU milliseconds per post by process.
For Hubbub, a sample of ``--listeners`` accounts listens on its ``user`` stream through both
phases (loadtests/live_listener.py, a process of its own): each post's ``update`` event is timed
against the post's answer, and deliveries missed are counted against the follower lists.
Between the phases the consumers catch up, so the open loop does not inherit a backlog.

The baseline (loadtests/bare_write_app.py) is a bare endpoint on the gateway's ASGI server and
framework taking the same requests: it inserts a status row and its outbox row in one
transaction (scratch tables shaped as posts' own, in a schema of their own) and publishes one
JetStream message. Ratios: Hubbub's posts/s over the baseline's (closed loop), and Hubbub's
open-loop p99 over the baseline's.

Prints medians of ``--repeats`` runs with their spread (min-max) and writes JSON (``"mode"``:
``"single"`` or ``"cluster"``) to loadtests/results/write.json, or write_cluster.json with
``--cluster``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import nats
import uvloop

from loadtests import bare_write_app
from loadtests.cpu_split import CpuMeter
from loadtests.fanout_bench import wait_all_idle
from loadtests.httpload import request_bytes, run_closed
from loadtests.live_bench import PROFILED, Listener, PostedId, deliveries
from loadtests.message_counts import STATEMENT, MessageMeter
from loadtests.paced_reads import paced, percentile
from loadtests.profiling import Profilers
from loadtests.seed import SeededGraph, SeededUser, seed
from loadtests.stack import BenchStack, add_mode_options, results_path
from shared import infra
from shared.nats_users import operator_url

RECENT = 200  # statuses favourites, reblogs and replies pick from (the newest posted)
POLL = {"options": ["yes", "no", "maybe"], "expires_in": 86_400}
KINDS = ("post", "favourite", "reblog")
STATEMENTS_SHOWN = 12
decode_id = msgspec.json.Decoder(PostedId).decode


@dataclass(frozen=True)
class Mix:
    """Fractions of the writes (favourites, reblogs; posts the rest) and of the posts (each
    feature drawn on its own: a post may mention, tag and reply at once)."""

    favourites: float = 0.2
    reblogs: float = 0.1
    mentions: float = 0.2
    hashtags: float = 0.3
    replies: float = 0.2
    polls: float = 0.05


@dataclass
class Target:
    name: str  # "hubbub" or "bare"
    host: str
    port: int


@dataclass
class Writes:
    """One phase's writes against one target: request n's bytes (``request``) and what its
    answer tells (``answered``). ``recent`` carries over from phase to phase."""

    target: Target
    users: list[SeededUser]
    mix: Mix
    rng: random.Random
    recent: deque[str]
    ok: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    posted: list[tuple[int, str, float]] = field(default_factory=list)  # author, id, answered
    _pending: dict[int, tuple[str, int]] = field(default_factory=dict)

    def request(self, n: int) -> bytes:
        user = self.rng.choice(self.users)
        kind, path, body = self._next(n)
        self._pending[n] = (kind, user.id)
        return request_for(self.target, path, user, body)

    def _next(self, n: int) -> tuple[str, str, bytes]:
        draw = self.rng.random()
        if self.recent and draw < self.mix.favourites:
            return "favourite", f"/api/v1/statuses/{self.rng.choice(self.recent)}/favourite", b""
        if self.recent and draw < self.mix.favourites + self.mix.reblogs:
            return "reblog", f"/api/v1/statuses/{self.rng.choice(self.recent)}/reblog", b""
        words = [f"write bench {n}"]
        if self.rng.random() < self.mix.mentions:
            words.insert(0, f"@{self.rng.choice(self.users).username}")
        if self.rng.random() < self.mix.hashtags:
            words.append(f"#bench #topic{self.rng.randrange(20)}")
        status: dict[str, Any] = {"status": " ".join(words)}
        if self.recent and self.rng.random() < self.mix.replies:
            status["in_reply_to_id"] = self.rng.choice(self.recent)
        if self.rng.random() < self.mix.polls:
            status["poll"] = POLL
        return "post", "/api/v1/statuses", msgspec.json.encode(status)

    def answered(self, n: int, status: int, body: bytes) -> None:
        kind, author = self._pending.pop(n)
        if status != 200:
            self.errors[f"{kind} HTTP {status}"] += 1
            return
        self.ok[kind] += 1
        if kind == "post":
            status_id = decode_id(body).id
            self.posted.append((author, status_id, time.time()))
            self.recent.append(status_id)

    def figures(self, seconds: float, latencies_ms: list[float]) -> dict[str, Any]:
        writes = sum(self.ok.values())
        return {"seconds": seconds, "writes": writes, "posts": self.ok["post"],
                "by_kind": dict(self.ok), "errors": sum(self.errors.values()),
                "error_kinds": dict(self.errors),
                "writes_per_s": writes / seconds, "posts_per_s": self.ok["post"] / seconds,
                "http_p50_ms": percentile(latencies_ms, 50),
                "http_p99_ms": percentile(latencies_ms, 99),
                "http_max_ms": max(latencies_ms, default=float("nan"))}


def request_for(target: Target, path: str, user: SeededUser, body: bytes) -> bytes:
    return request_bytes("POST", target.host, target.port, path, user.headers, body)


async def closed_loop(writes: Writes, clients: int, seconds: float) -> dict[str, Any]:
    target = writes.target
    result = await run_closed(target.host, target.port, writes.request, seconds=seconds,
                              connections=clients, answered=writes.answered)
    return writes.figures(result.seconds, result.latencies_ms)


async def open_loop(writes: Writes, clients: int, seconds: float, rate: float
                    ) -> dict[str, Any]:
    target = writes.target
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(seconds, stop.set)
    began = time.perf_counter()
    samples = await paced(target.host, target.port, writes.request, rate=rate,
                          connections=clients, stop=stop, answered=writes.answered)
    return writes.figures(time.perf_counter() - began, [s[1] for s in samples])


async def idle_cpu(cpu: CpuMeter, seconds: float) -> dict[str, float]:
    """CPU ms per second each process spends with no load (the stack idle for ``seconds``)."""
    if seconds <= 0:
        return {}
    before = cpu.sample()
    began = time.perf_counter()
    await asyncio.sleep(seconds)
    spent = CpuMeter.spent(before, cpu.sample())
    took = time.perf_counter() - began
    return {label: round(used * 1000 / took, 2) for label, used in sorted(spent.items())}


def cpu_ms_per(spent: dict[str, float], count: int) -> dict[str, float]:
    return {label: round(seconds * 1000 / max(1, count), 3)
            for label, seconds in sorted(spent.items())}


def delivery_figures(graph: SeededGraph, posted: list[tuple[int, str, float]],
                     arrivals: dict[str, dict[str, float]], listening: set[int]
                     ) -> dict[str, Any]:
    got = deliveries(posted, graph.followers, arrivals, listening)
    return {"deliveries": len(got.latencies_ms), "expected": got.expected, "missed": got.missed,
            "p50_ms": got.percentile(50), "p99_ms": got.percentile(99),
            "max_ms": got.latencies_ms[-1] if got.latencies_ms else float("nan")}


class Run:
    """One repeat: Hubbub's two phases with the listener on, then the baseline's."""

    def __init__(self, stack: BenchStack, graph: SeededGraph, args: argparse.Namespace,
                 bare: Target, bare_pid: int, listening: list[SeededUser],
                 profilers: Profilers, repeat: int) -> None:
        self.stack, self.graph, self.args = stack, graph, args
        host, port = stack.base_url.split("://", 1)[1].rsplit(":", 1)
        self.hubbub = Target("hubbub", host, int(port))
        self.bare, self.bare_pid = bare, bare_pid
        self.listening = listening
        self.profilers = profilers
        self.messages = MessageMeter(stack)
        self.repeat = repeat
        self.mix = Mix(args.favourites, args.reblogs, args.mentions, args.hashtags,
                       args.replies, args.polls)

    def writes(self, target: Target, recent: deque[str], salt: int) -> Writes:
        # The same sequence of writes for both targets (the same seed), phase by phase.
        rng = random.Random(1000 * self.repeat + salt)
        return Writes(target, self.graph.users, self.mix, rng, recent)

    async def measure(self) -> dict[str, Any]:
        nc = await nats.connect(operator_url(self.stack.settings))
        try:
            js = nc.jetstream()
            hubbub = await self.target_phases(self.hubbub, js)
            bare = await self.target_phases(self.bare, js)
        finally:
            await nc.close()
        return {"hubbub": hubbub, "bare": bare}

    async def target_phases(self, target: Target, js: Any) -> dict[str, Any]:
        args = self.args
        recent: deque[str] = deque(maxlen=RECENT)
        listener = None
        roots = {**self.stack.process_roots(), "bare": self.bare_pid, "bench": os.getpid()}
        if target is self.hubbub:
            listener = Listener(self.stack, self.listening, args.tail)
            await listener.start()
            roots["listener"] = listener.pid
        try:
            if self.repeat == 0 and args.warmup > 0:  # first connections, caches, plans
                await closed_loop(self.writes(target, recent, 0), args.clients, args.warmup)
                await wait_all_idle(js)
            closed_writes = self.writes(target, recent, 1)
            closed = await closed_loop(closed_writes, args.clients, args.seconds)
            await wait_all_idle(js)  # the open loop starts without the closed loop's backlog
            open_writes = self.writes(target, recent, 2)
            cpu = CpuMeter(roots)
            idle = await idle_cpu(cpu, args.idle)
            before, began = cpu.sample(), time.perf_counter()
            messages_before = await self.messages.sample() if target is self.hubbub else None
            if target is self.hubbub:
                self.profilers.start("open", {name: self.stack.procs[name].pid
                                              for name in PROFILED})
            opened = await open_loop(open_writes, args.clients, args.seconds, args.rate)
            if target is self.hubbub:
                await wait_all_idle(js)  # the work the writes left behind counts too
            spent = CpuMeter.spent(before, cpu.sample())
            measured_s = time.perf_counter() - began
            self.profilers.stop()
            if messages_before is not None:
                opened["messages_per_write"] = MessageMeter.per_write(
                    messages_before, await self.messages.sample(), opened["writes"])
            opened["cpu_ms_per_post"] = cpu_ms_per(spent, opened["posts"])
            opened["idle_cpu_ms_per_s"] = idle
            # What the posts themselves cost: the CPU spent beyond what the processes spend
            # doing nothing (timers, polls, heartbeats) over the same time.
            opened["cpu_ms_per_post_beyond_idle"] = cpu_ms_per(
                {label: seconds - idle.get(label, 0.0) * measured_s / 1000
                 for label, seconds in spent.items()}, opened["posts"])
            opened["cpu_ms_per_write"] = cpu_ms_per(spent, opened["writes"])
            phases = {"closed": closed, "open": opened}
            if listener is not None:
                result = await listener.finish()
                listener = None
                ids = {u.id for u in self.listening}
                phases["closed"]["delivery"] = delivery_figures(
                    self.graph, closed_writes.posted, result["arrivals"], ids)
                phases["open"]["delivery"] = delivery_figures(
                    self.graph, open_writes.posted, result["arrivals"], ids)
                phases["closed_early"] = result["closed_early"]
            return phases
        finally:
            if listener is not None:
                listener.stop()


def flatten(run: dict[str, Any]) -> dict[str, float]:
    """The figures of one run that get a median and a spread, with the ratios."""
    flat: dict[str, float] = {}
    for target in ("hubbub", "bare"):
        for phase in ("closed", "open"):
            figures = run[target][phase]
            for key in ("posts_per_s", "writes_per_s", "http_p50_ms", "http_p99_ms",
                        "http_max_ms", "errors"):
                flat[f"{target}_{phase}_{key}"] = figures[key]
            flat[f"{target}_{phase}_cpu_ms_per_post"] = sum(
                figures.get("cpu_ms_per_post", {}).values())
            for key, value in figures.get("delivery", {}).items():
                flat[f"{target}_{phase}_delivery_{key}"] = value
    del flat["hubbub_closed_cpu_ms_per_post"], flat["bare_closed_cpu_ms_per_post"]
    flat["posts_per_s_vs_bare"] = (flat["hubbub_closed_posts_per_s"]
                                   / flat["bare_closed_posts_per_s"])
    flat["writes_per_s_vs_bare"] = (flat["hubbub_closed_writes_per_s"]
                                    / flat["bare_closed_writes_per_s"])
    flat["open_p99_vs_bare"] = flat["hubbub_open_http_p99_ms"] / flat["bare_open_http_p99_ms"]
    return flat


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    flats = [flatten(run) for run in runs]
    keys = flats[0].keys()
    figures = {key: [flat[key] for flat in flats] for key in keys}
    return {"figures": figures,
            "medians": {key: statistics.median(values) for key, values in figures.items()},
            "spread": {key: [min(values), max(values)] for key, values in figures.items()}}


def show(summary: dict[str, Any], args: argparse.Namespace, mode: str) -> None:
    med, spread = summary["medians"], summary["spread"]

    def cell(key: str, digits: int = 1) -> str:
        low, high = spread[key]
        return f"{med[key]:,.{digits}f} ({low:,.{digits}f}-{high:,.{digits}f})"

    print(f"\nwrite ({mode} mode), medians of {args.repeats} runs (min-max); "
          f"{args.accounts:,} accounts, {args.clients} clients, {args.seconds:g} s phases, "
          f"open loop at {args.rate:g} writes/s")
    print(f"  {'':34} {'hubbub':>30} {'bare endpoint':>30}")
    rows = [("closed loop: posts/s", "closed_posts_per_s", 0),
            ("closed loop: writes/s", "closed_writes_per_s", 0),
            ("closed loop: HTTP p50 ms", "closed_http_p50_ms", 1),
            ("closed loop: HTTP p99 ms", "closed_http_p99_ms", 1),
            ("open loop: posts/s", "open_posts_per_s", 0),
            ("open loop: writes/s", "open_writes_per_s", 0),
            ("open loop: HTTP p50 ms", "open_http_p50_ms", 1),
            ("open loop: HTTP p99 ms", "open_http_p99_ms", 1),
            ("open loop: HTTP max ms", "open_http_max_ms", 1),
            ("open loop: CPU ms per post", "open_cpu_ms_per_post", 2),
            ("errors (closed, open)", None, 0)]
    for label, key, digits in rows:
        if key is None:
            both = [f"{med[f'{t}_closed_errors']:.0f}, {med[f'{t}_open_errors']:.0f}"
                    for t in ("hubbub", "bare")]
        else:
            both = [cell(f"{t}_{key}", digits) for t in ("hubbub", "bare")]
        print(f"  {label:34} {both[0]:>30} {both[1]:>30}")
    for phase in ("closed", "open"):
        key = f"hubbub_{phase}_delivery"
        print(f"  delivery to followers, {phase} loop: p50 {cell(key + '_p50_ms')} ms, "
              f"p99 {cell(key + '_p99_ms')} ms, max {cell(key + '_max_ms')} ms; "
              f"{med[key + '_deliveries']:,.0f} of {med[key + '_expected']:,.0f} delivered, "
              f"missed {med[key + '_missed']:.0f}")
    print(f"ratios: posts/s {cell('posts_per_s_vs_bare', 2)}x the bare endpoint's, "
          f"writes/s {cell('writes_per_s_vs_bare', 2)}x; open-loop p99 "
          f"{cell('open_p99_vs_bare', 2)}x the bare endpoint's")


def show_run(n: int, run: dict[str, Any]) -> None:
    for target in ("hubbub", "bare"):
        closed, opened = run[target]["closed"], run[target]["open"]
        print(f"run {n} {target:6}: closed {closed['posts_per_s']:,.0f} posts/s "
              f"({closed['writes_per_s']:,.0f} writes/s, p99 {closed['http_p99_ms']:.1f} ms, "
              f"{closed['errors']} errors); open {opened['writes_per_s']:,.0f} writes/s, "
              f"p50 {opened['http_p50_ms']:.1f} ms, p99 {opened['http_p99_ms']:.1f} ms, "
              f"max {opened['http_max_ms']:.1f} ms ({opened['errors']} errors)", flush=True)
        if closed["error_kinds"] or opened["error_kinds"]:
            print(f"  errors: {closed['error_kinds']} / {opened['error_kinds']}", flush=True)
        print("  CPU ms per post, open loop: " + ", ".join(
            f"{label} {ms:.2f}" for label, ms in sorted(opened["cpu_ms_per_post"].items(),
                                                      key=lambda item: -item[1]) if ms >= 0.05)
              + f" (total {sum(opened['cpu_ms_per_post'].values()):.2f})", flush=True)
        if opened.get("idle_cpu_ms_per_s"):
            print("  idle CPU ms per second: " + ", ".join(
                f"{label} {ms:.1f}" for label, ms in sorted(
                    opened["idle_cpu_ms_per_s"].items(), key=lambda item: -item[1])
                if ms >= 0.5) + f" (total {sum(opened['idle_cpu_ms_per_s'].values()):.1f}); "
                f"CPU ms per post beyond idle: total "
                f"{sum(opened['cpu_ms_per_post_beyond_idle'].values()):.2f}", flush=True)
        if "messages_per_write" in opened:
            counts = sorted(opened["messages_per_write"].items(), key=lambda item: -item[1])
            print("  per write, open loop: " + ", ".join(
                f"{key} {count:.2f}" for key, count in counts
                if count >= 0.01 and not key.startswith(STATEMENT)), flush=True)
            statements = [(key, count) for key, count in counts if key.startswith(STATEMENT)]
            if statements:
                print("  PostgreSQL statements per write, open loop (the most run):")
                for key, count in statements[:STATEMENTS_SHOWN]:
                    print(f"    {count:5.2f}  {key.removeprefix(STATEMENT)}", flush=True)
        for phase in ("closed", "open"):
            if "delivery" in run[target][phase]:
                d = run[target][phase]["delivery"]
                print(f"  delivery, {phase}: {d['deliveries']} of {d['expected']} (missed "
                      f"{d['missed']}), p50 {d['p50_ms']:.1f} ms, p99 {d['p99_ms']:.1f} ms, "
                      f"max {d['max_ms']:.1f} ms", flush=True)


def start_bare(stack: BenchStack, server: str) -> tuple[subprocess.Popen[bytes], Target]:
    asyncio.run(bare_write_app.prepare(stack.settings.owner_database_url,
                                       operator_url(stack.settings)))
    port = infra.free_port()
    env = {**os.environ, **({"HUBBUB_ASGI_SERVER": server} if server else {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadtests.bare_write_app", "--port", str(port),
         "--database-url", stack.settings.owner_database_url,
         "--nats-url", ",".join(operator_url(stack.settings))],
        env=env, stdin=subprocess.DEVNULL, preexec_fn=infra.die_with_parent)
    stack.wait_ready(f"http://127.0.0.1:{port}/readyz")
    return proc, Target("bare", "127.0.0.1", port)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="hubbub bench write", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--follows", type=int, default=10, help="fewest follows per account")
    parser.add_argument("--follows-max", type=int, default=100, help="most follows per account")
    parser.add_argument("--listeners", type=int, default=200,
                        help="accounts listening on their user stream (a sample)")
    parser.add_argument("--clients", type=int, default=16,
                        help="connections of the closed loop (and lanes of the open loop)")
    parser.add_argument("--seconds", type=float, default=10.0, help="of each phase")
    parser.add_argument("--rate", type=float, default=100.0, help="open loop's writes/s")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="seconds of closed loop before the first repeat (not counted)")
    parser.add_argument("--favourites", type=float, default=0.2, help="fraction of the writes")
    parser.add_argument("--reblogs", type=float, default=0.1, help="fraction of the writes")
    parser.add_argument("--mentions", type=float, default=0.2, help="fraction of the posts")
    parser.add_argument("--hashtags", type=float, default=0.3, help="fraction of the posts")
    parser.add_argument("--replies", type=float, default=0.2, help="fraction of the posts")
    parser.add_argument("--polls", type=float, default=0.05, help="fraction of the posts")
    parser.add_argument("--idle", type=float, default=3.0,
                        help="seconds the stack is measured idle before each open loop")
    parser.add_argument("--tail", type=float, default=3.0,
                        help="seconds the listener waits for late deliveries")
    parser.add_argument("--server", default="",
                        help="HUBBUB_ASGI_SERVER for the gateway and the bare endpoint")
    add_mode_options(parser, "write", "each service process during each open loop")
    args = parser.parse_args(argv)
    if args.favourites + args.reblogs > 1 or min(args.favourites, args.reblogs) < 0:
        parser.error("--favourites and --reblogs are fractions of the writes (posts the rest)")
    args.out = results_path(args, "write")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    mode = "cluster" if args.cluster else "single"
    print(f"write bench, {mode} mode", flush=True)
    began = time.perf_counter()
    load_before = os.getloadavg()
    stack = BenchStack(cluster=args.cluster, count_statements=True)
    profilers = Profilers(args.profile)
    bare: subprocess.Popen[bytes] | None = None
    runs = []
    try:
        stack.start_streaming(args.listeners, args.server)
        graph = asyncio.run(seed(stack.settings.database_url, settings=stack.settings,
                                 users=args.accounts, follows_per_user=args.follows,
                                 follows_max=args.follows_max, prefix="write"))
        bare, bare_target = start_bare(stack, args.server)
        listening = random.Random(5).sample(graph.users, min(args.listeners, len(graph.users)))
        for repeat in range(args.repeats):
            run = uvloop.run(Run(stack, graph, args, bare_target, bare.pid, listening,
                                 profilers, repeat).measure())
            runs.append(run)
            show_run(repeat + 1, run)
    finally:
        profilers.stop()
        if bare is not None:
            infra.stop_process(bare)
        stack.close()

    summary = summarise(runs)
    show(summary, args, mode)
    out = {"mode": mode, "args": vars(args), "runs": runs, **summary,
           "ratios": {key: summary["medians"][key] for key in
                      ("posts_per_s_vs_bare", "writes_per_s_vs_bare", "open_p99_vs_bare")},
           "seconds": time.perf_counter() - began,
           "load_average_before_after": [load_before, os.getloadavg()]}
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2))
    print(f"wrote {path} ({out['seconds']:.0f} s in all)")
    return 0
