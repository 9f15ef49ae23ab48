"""Mixed workload: latency against throughput under a social network's mix of requests
(DeathStarBench's social-network mix: 60% home timeline reads, 30% account and thread reads,
10% writes), open loop at increasing rates until p99 passes 100 ms.

    hubbub bench mixed [--accounts 1000] [--follows 10] [--statuses 3] [--replies 1]
                       [--start 50] [--factor 1.5 | --step N] [--max 2000] [--seconds 5]
                       [--repeats 3] [--p99-limit-ms 100] [--home 60] [--account 10]
                       [--account-statuses 10] [--context 10] [--post 8] [--favourite 2]

Runs its own stack (embedded servers, every service its own process). Seeds ``--accounts``
accounts that each follow ``--follows`` others drawn from a Zipf-like distribution (written
straight into the schemas: loadtests/seed.py), then fills it through the API as clients would:
each account posts ``--statuses`` statuses, then ``--replies`` replies, each to a status drawn by
its author's popularity (so popular accounts' statuses become threads, replies to replies
included); fanout delivers them, and every home timeline is read once (built) before anything is
timed.

Then, open loop, at ``--start`` requests/s and ``--factor`` times more each step (or ``--step``
more), up to ``--max``: each step sends ``--warmup`` + ``--seconds`` seconds of requests (the
warm-up not counted) from a process of its own (loadtests/paced_reads.py), each request's latency
counted from when it was due, so that a stall counts for every request it held up (no
coordinated omission). The mix, by weight (each an option):

    home              GET  /api/v1/timelines/home?limit=20          (a random account's token)
    account           GET  /api/v1/accounts/:id
    account_statuses  GET  /api/v1/accounts/:id/statuses?limit=20
    context           GET  /api/v1/statuses/:id/context              (a status in a thread)
    post              POST /api/v1/statuses
    favourite         POST /api/v1/statuses/:id/favourite

The accounts and statuses asked for are drawn by the same Zipf-like popularity as the follows.
Each step runs ``--repeats`` times (the consumers caught up in between) and reports medians:
offered rate, achieved rate (successful answers/s, from the first due request to the last
answer), p50/p99/max overall and per kind, and errors (anything but a 2xx, or no answer). The
ramp stops after the first step whose p99 passes ``--p99-limit-ms`` or whose errors pass
``--max-errors`` of its requests. The headline: the highest rate with p99 under the limit.

Prints a table, writes JSON to loadtests/results/mixed.json and a plot of p50/p99 latency
against achieved throughput, the limit marked, to loadtests/results/mixed.png. The load
generator shares the machine (2 cores) with the stack: the figures include it.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec
import nats

from loadtests.httpload import request_bytes
from loadtests.live_bench import PostedId, StatusPoster
from loadtests.paced_reads import PacedReads, Sample, get_request, percentile
from loadtests.results import write_results
from loadtests.seed import SeededGraph, SeededUser, seed
from loadtests.stack import SEEDING_CONSUMERS, BenchStack, wait_consumers
from shared import db
from shared.nats_users import operator_url

# kind -> (default weight, what it asks)
KINDS: dict[str, tuple[float, str]] = {
    "home": (60, "GET /api/v1/timelines/home?limit=20"),
    "account": (10, "GET /api/v1/accounts/:id"),
    "account_statuses": (10, "GET /api/v1/accounts/:id/statuses?limit=20"),
    "context": (10, "GET /api/v1/statuses/:id/context"),
    "post": (8, "POST /api/v1/statuses"),
    "favourite": (2, "POST /api/v1/statuses/:id/favourite"),
}
ZIPF_EXPONENT = 1.1  # seed()'s default: popularity falls off as 1/rank^1.1
WARM_RATE = 200.0  # home reads/s while every timeline is built once
SETTLE_TIMEOUT_S = 300.0


# --- filling the network ---------------------------------------------------------------------

@dataclass
class Status:
    id: str
    author: int  # index in the seeded users: its popularity rank
    reply: bool


@dataclass
class Network:
    users: list[SeededUser]
    statuses: list[Status]

    def popularity(self, statuses: list[Status]) -> list[float]:
        return [1.0 / (s.author + 1) ** ZIPF_EXPONENT for s in statuses]

    def threads(self) -> list[Status]:
        """Statuses in a thread: the replies, and the statuses replied to."""
        replied = {s.id for s in self.statuses if s.reply}
        return [s for s in self.statuses if s.reply or s.id in replied] or self.statuses


async def fill(stack: BenchStack, graph: SeededGraph, statuses: int, replies: int,
               rng: random.Random) -> Network:
    """Statuses and replies through the API, fanned out, and every home timeline built."""
    network = Network(graph.users, [])
    poster = StatusPoster(stack.base_url, max_connections=16)
    decode = msgspec.json.Decoder(PostedId).decode
    encode = msgspec.json.encode

    async def post(author: int, body: dict[str, str], reply: bool) -> None:
        answer = await poster.post(graph.users[author].token, encode(body))
        network.statuses.append(Status(decode(answer).id, author, reply))

    try:
        for n in range(statuses):
            await asyncio.gather(*(post(a, {"status": f"status {n} of {u.username}"}, False)
                                   for a, u in enumerate(graph.users)))
        for n in range(replies):  # a round at a time: later rounds may reply to replies
            targets = rng.choices(network.statuses, network.popularity(network.statuses),
                                  k=len(graph.users))
            await asyncio.gather(*(
                post(a, {"status": f"reply {n} of {u.username}", "in_reply_to_id": t.id}, True)
                for (a, u), t in zip(enumerate(graph.users), targets, strict=True)))
    finally:
        await poster.close()
    nc = await nats.connect(operator_url(stack.settings))
    try:
        await wait_consumers(nc.jetstream(), SEEDING_CONSUMERS, SETTLE_TIMEOUT_S)
    finally:
        await nc.close()
    return network


async def content(stack: BenchStack, network: Network, sample: int = 20) -> dict[str, float]:
    """What the reads will find, on average over ``sample`` accounts and threads: statuses in
    a home page, and in a thread's context (ancestors and descendants)."""
    users, threads = network.users[:sample], network.threads()[:sample]
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http:
        pages = [(await http.get(HOME, headers=u.headers)).json() for u in users]
        contexts = [(await http.get(f"/api/v1/statuses/{t.id}/context",
                                    headers=users[0].headers)).json() for t in threads]
    return {"home_statuses_per_page": statistics.fmean(len(page) for page in pages),
            "statuses_per_context": statistics.fmean(
                len(c["ancestors"]) + len(c["descendants"]) for c in contexts)}


def build_timelines(stack: BenchStack, users: list[SeededUser]) -> Counter[int]:
    """Every account's home timeline read once, so that it is built (fanout skips readers who
    never read; their first read rebuilds from PostgreSQL): the answers' HTTP statuses."""
    host, port = address(stack)
    reads = PacedReads(host, port, [get_request(host, port, HOME, u.headers) for u in users],
                       rate=WARM_RATE, connections=8, seconds=len(users) / WARM_RATE)
    reads.start()
    return Counter(status for _, _, status, _ in reads.wait(SETTLE_TIMEOUT_S))


HOME = "/api/v1/timelines/home?limit=20"


def address(stack: BenchStack) -> tuple[str, int]:
    url = urlsplit(stack.base_url)
    return url.hostname or "127.0.0.1", url.port or 80


# --- the mix ---------------------------------------------------------------------------------

def interleave(weights: dict[str, float], count: int) -> list[str]:
    """``count`` kinds in the proportions of ``weights``, spread evenly (smooth weighted round
    robin, as nginx balances): any run of consecutive requests holds the mix, however short,
    so that a step's few seconds and its warm-up cut do not skew it."""
    current = {kind: 0.0 for kind, weight in weights.items() if weight > 0}
    total = sum(weights[kind] for kind in current)
    kinds = []
    for _ in range(count):
        for kind in current:
            current[kind] += weights[kind]
        chosen = max(current, key=current.__getitem__)
        current[chosen] -= total
        kinds.append(chosen)
    return kinds


def mixed_requests(network: Network, weights: dict[str, float], count: int, host: str,
                   port: int, rng: random.Random) -> tuple[list[bytes], list[str]]:
    """``count`` requests in the mix of ``weights`` (kind -> weight), and each one's kind: the
    paced process sends them in turn (slot k: request k % count)."""
    users = network.users
    by_author = [1.0 / (rank + 1) ** ZIPF_EXPONENT for rank in range(len(users))]
    threads = network.threads()
    thread_weights = network.popularity(threads)
    status_weights = network.popularity(network.statuses)
    kinds = interleave(weights, count)
    requests = []
    for n, kind in enumerate(kinds):
        reader = rng.choice(users).headers
        if kind == "home":
            path = HOME
        elif kind in ("account", "account_statuses"):
            [target] = rng.choices(users, by_author)
            path = f"/api/v1/accounts/{target.id}"
            path += "/statuses?limit=20" if kind == "account_statuses" else ""
        elif kind == "context":
            path = f"/api/v1/statuses/{rng.choices(threads, thread_weights)[0].id}/context"
        elif kind == "favourite":
            favourite = rng.choices(network.statuses, status_weights)[0].id
            requests.append(request_bytes("POST", host, port,
                                          f"/api/v1/statuses/{favourite}/favourite", reader))
            continue
        else:  # post
            body = msgspec.json.encode({"status": f"mixed bench {n}"})
            requests.append(request_bytes("POST", host, port, "/api/v1/statuses", reader, body))
            continue
        requests.append(get_request(host, port, path, reader))
    return requests, kinds


# --- one step --------------------------------------------------------------------------------

def latency_figures(latencies: list[float]) -> dict[str, float]:
    return {"p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99),
            "max_ms": max(latencies, default=float("nan"))}


def summarise(samples: list[Sample], kinds: list[str], rate: float, warmup: float
              ) -> dict[str, Any]:
    """One run of a step: the samples due after the warm-up, overall and per kind. The
    achieved rate: successful answers over the time from the first such request's due time
    to the last one's answer (past the schedule when the server falls behind)."""
    if not samples:
        raise RuntimeError("the paced process sent no request")
    # Slot k was due at the run's start + k/rate: the start, on the samples' clock.
    start = min(due - slot / rate for due, _, _, slot in samples)
    counted = [s for s in samples if s[0] >= start + warmup]
    ok = [s for s in counted if 200 <= s[2] < 300]
    finished = max((due + ms / 1000 for due, ms, _, _ in ok), default=start + warmup)
    per_kind: dict[str, dict[str, Any]] = {}
    for kind in sorted(set(kinds)):
        mine = [s for s in counted if kinds[s[3] % len(kinds)] == kind]
        good = [ms for _, ms, status, _ in mine if 200 <= status < 300]
        per_kind[kind] = {"requests": len(mine), "errors": len(mine) - len(good),
                          "http": dict(Counter(str(status) for _, _, status, _ in mine)),
                          **latency_figures(good)}
    return {"requests": len(counted), "errors": len(counted) - len(ok),
            "achieved_rps": len(ok) / max(1e-9, finished - (start + warmup)),
            **latency_figures([ms for _, ms, _, _ in ok]), "kinds": per_kind}


def connections_for(rate: float, least: int) -> int:
    """Keep-alive connections: each sends every n-th request, one at a time, so n must cover
    the requests in flight at the latencies of interest (0.25 s of them), or the client itself
    would queue them."""
    return min(512, max(least, math.ceil(rate * 0.25)))


def run_step(stack: BenchStack, requests: list[bytes], kinds: list[str], rate: float,
             args: argparse.Namespace) -> dict[str, Any]:
    host, port = address(stack)
    reads = PacedReads(host, port, requests, rate=rate,
                       connections=connections_for(rate, args.connections),
                       seconds=args.warmup + args.seconds)
    reads.start()
    # An overloaded server answers late, and every request due is sent: allow for the lag.
    samples = reads.wait(timeout=10 * (args.warmup + args.seconds) + 60)
    return summarise(samples, kinds, rate, args.warmup)


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The runs' medians, field by field (per kind too); counts of HTTP statuses summed."""
    step: dict[str, Any] = {}
    for key, value in runs[0].items():
        if key == "kinds":
            step[key] = {kind: median_of([r["kinds"][kind] for r in runs if kind in r["kinds"]])
                         for kind in value}
        elif key == "http":
            step[key] = dict(sum((Counter(r[key]) for r in runs), Counter()))
        else:
            step[key] = statistics.median(r[key] for r in runs)
    return step


def settle(stack: BenchStack) -> None:
    """The writes of the last run fanned out before the next run starts."""
    async def wait() -> None:
        nc = await nats.connect(operator_url(stack.settings))
        try:
            await wait_consumers(nc.jetstream(), SEEDING_CONSUMERS, SETTLE_TIMEOUT_S)
        finally:
            await nc.close()

    asyncio.run(wait())


def rates(args: argparse.Namespace) -> list[float]:
    out, rate = [], args.start
    while rate <= args.max * (1 + 1e-9):
        out.append(rate)
        rate = rate + args.step if args.step > 0 else rate * args.factor
    return out


def ramp(args: argparse.Namespace, measure: Callable[[float], dict[str, Any]],
         shown: list[str]) -> tuple[list[dict[str, Any]], str]:
    """Each rate ``--repeats`` times (``measure``: one run at that rate), printed as it comes;
    it stops after the first step out of bounds. The steps, and why it stopped."""
    steps: list[dict[str, Any]] = []
    for rate in rates(args):
        runs = [measure(rate) for _ in range(args.repeats)]
        step = {"offered_rps": rate, **median_of(runs), "runs": runs}
        steps.append(step)
        print_step(step, shown, first=len(steps) == 1)
        if not within(step, args):
            return steps, (f"p99 {step['p99_ms']:.1f} ms, {step['errors']:.0f} errors at "
                           f"{rate:.0f}/s")
    return steps, "reached --max"


def within(step: dict[str, Any], args: argparse.Namespace) -> bool:
    p99, limit = float(step["p99_ms"]), float(args.p99_limit_ms)  # NaN (no answer): not within
    return p99 < limit and step["errors"] <= args.max_errors * max(1, step["requests"])


# --- reporting -------------------------------------------------------------------------------

def print_step(step: dict[str, Any], kinds: list[str], first: bool) -> None:
    """A row of the table: requests/s, overall latency and errors, then each kind's p99."""
    width = {k: max(len(k), 7) for k in kinds}
    if first:
        print(f"{'offered/s':>9} {'achieved/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>8} "
              f"{'errors':>6} | p99 ms of " + " ".join(f"{k:>{width[k]}}" for k in kinds))
    cells = [f"{step['kinds'][k]['p99_ms']:>{width[k]}.1f}" if k in step["kinds"]
             else f"{'-':>{width[k]}}" for k in kinds]
    print(f"{step['offered_rps']:9.0f} {step['achieved_rps']:10.1f} {step['p50_ms']:7.1f} "
          f"{step['p99_ms']:7.1f} {step['max_ms']:8.1f} {step['errors']:6.0f} | "
          f"{'':10}" + " ".join(cells), flush=True)


def plot(steps: list[dict[str, Any]], limit_ms: float, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [s["achieved_rps"] for s in steps]
    fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
    ax.plot(x, [s["p50_ms"] for s in steps], "o-", label="p50")
    ax.plot(x, [s["p99_ms"] for s in steps], "s-", label="p99")
    for s, at in zip(steps, x, strict=True):
        ax.annotate(f"{s['offered_rps']:.0f}/s", (at, s["p99_ms"]), textcoords="offset points",
                    xytext=(0, 6), ha="center", fontsize=7)
    ax.axhline(limit_ms, color="red", linestyle="--", label=f"p99 limit {limit_ms:g} ms")
    ax.set_yscale("log")
    ax.set_xlabel("achieved throughput (answers/s); labels: offered rate")
    ax.set_ylabel("latency (ms)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    plt.close(fig)


# --- the command -----------------------------------------------------------------------------

def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="hubbub bench mixed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--follows", type=int, default=10, help="Zipf-drawn follows per account")
    parser.add_argument("--statuses", type=int, default=3, help="statuses each account posts")
    parser.add_argument("--replies", type=int, default=1,
                        help="replies each account posts (rounds: later ones reply to replies)")
    parser.add_argument("--start", type=float, default=50.0, help="first rate, requests/s")
    parser.add_argument("--factor", type=float, default=1.5, help="rate multiplied each step")
    parser.add_argument("--step", type=float, default=0.0,
                        help="rate added each step (instead of --factor when above 0)")
    parser.add_argument("--max", type=float, default=2000.0, help="highest rate tried")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured, per run of a step")
    parser.add_argument("--warmup", type=float, default=1.0,
                        help="seconds of requests at the step's rate before the measured ones")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each step (medians)")
    parser.add_argument("--p99-limit-ms", type=float, default=100.0)
    parser.add_argument("--max-errors", type=float, default=0.01,
                        help="share of a step's requests that may fail before the ramp stops")
    parser.add_argument("--connections", type=int, default=16,
                        help="keep-alive connections at least (more at high rates)")
    parser.add_argument("--pool", type=int, default=5000,
                        help="distinct requests made for the mix, sent in turn")
    for kind, (weight, what) in KINDS.items():
        parser.add_argument(f"--{kind.replace('_', '-')}", type=float, default=weight,
                            help=f"weight of {what}")
    parser.add_argument("--out", default="loadtests/results/mixed.json")
    parser.add_argument("--plot", default="loadtests/results/mixed.png")
    args = parser.parse_args(argv)
    if args.accounts < 2 or args.statuses < 1 or args.repeats < 1 or args.start <= 0:
        parser.error("--accounts must be at least 2, --statuses and --repeats at least 1, "
                     "--start above 0")
    if args.step <= 0 and args.factor <= 1:
        parser.error("--factor must be above 1 (or give --step)")
    if sum(weights(args).values()) <= 0:
        parser.error("give at least one kind of request a weight")
    return args


def weights(args: argparse.Namespace) -> dict[str, float]:
    return {kind: float(getattr(args, kind)) for kind in KINDS}


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    began = time.perf_counter()
    load_before = os.getloadavg()
    rng = random.Random(13)
    mix = weights(args)
    print(f"mixed bench: {args.accounts} accounts, mix "
          + ", ".join(f"{k} {w:g}" for k, w in mix.items()), flush=True)
    stack = BenchStack()
    try:
        for name in ("graph", "posts", "fanout", "notify", "gateway"):
            stack.start_service(name)
        stack.wait_gateway()
        asyncio.run(db.migrate_all(stack.settings))
        graph = asyncio.run(seed(stack.settings.database_url, settings=stack.settings,
                                 users=args.accounts,
                                 follows_per_user=min(args.follows, args.accounts - 1),
                                 prefix="mixed", exponent=ZIPF_EXPONENT))
        network = asyncio.run(fill(stack, graph, args.statuses, args.replies, rng))
        built = build_timelines(stack, graph.users)
        found = asyncio.run(content(stack, network))
        print(f"seeded: {len(network.statuses)} statuses "
              f"({sum(s.reply for s in network.statuses)} replies), home timelines built "
              f"(HTTP {dict(built)}): {found['home_statuses_per_page']:.1f} statuses a home "
              f"page, {found['statuses_per_context']:.1f} a thread's context; "
              f"{time.perf_counter() - began:.0f}s", flush=True)
        requests, kinds = mixed_requests(network, mix, args.pool, *address(stack), rng)

        def measure(rate: float) -> dict[str, Any]:
            run = run_step(stack, requests, kinds, rate, args)
            settle(stack)
            return run

        steps, stopped = ramp(args, measure, [k for k in KINDS if mix[k] > 0])
    except BaseException:
        print("the gateway's log ends:\n" + stack.log_tail("gateway", 20), flush=True)
        raise
    finally:
        stack.close()
    good = [s for s in steps if within(s, args)]
    best = max(good, key=lambda s: s["offered_rps"]) if good else None
    if best:
        print(f"highest rate with p99 < {args.p99_limit_ms:g} ms: {best['offered_rps']:.0f} "
              f"requests/s offered, {best['achieved_rps']:.1f} answered/s (p50 "
              f"{best['p50_ms']:.1f} ms, p99 {best['p99_ms']:.1f} ms); stopped: {stopped}")
    else:
        print(f"no rate had p99 < {args.p99_limit_ms:g} ms (stopped: {stopped})")
    plot(steps, args.p99_limit_ms, Path(args.plot),
         f"Hubbub mixed workload, {args.accounts} accounts (p99 limit {args.p99_limit_ms:g} ms)")
    print(f"wrote {args.plot}")
    out = {"mode": "single", "args": vars(args), "mix": mix,
           "seeded_statuses": len(network.statuses), "seeded_content": found,
           "home_timelines_built": {str(k): v for k, v in built.items()},
           "steps": steps, "stopped": stopped,
           "best": ({"offered_rps": best["offered_rps"], "achieved_rps": best["achieved_rps"],
                     "p50_ms": best["p50_ms"], "p99_ms": best["p99_ms"]} if best else None)}
    write_results(out, args.out, began, load_before)
    return 0
