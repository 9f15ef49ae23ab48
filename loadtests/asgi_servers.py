"""Which ASGI server should run the gateway? Measure both on the same stack, alternating.

    hubbub bench asgi [--seconds 5] [--repeats 3] [--connections 32]

For each server (uvicorn, granian) it starts the gateway process, then measures two endpoints
with the closed-loop load generator: ``/api/v1/instance`` (no I/O: the server's own cost) and
``/api/v1/timelines/home`` (20 hydrated statuses: the hottest real path). Runs alternate between
servers so that background noise falls on both; the report gives the median, min and max of the
requests per second, p50/p99 latency, and granian's ratio to uvicorn.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from loadtests.httpload import run_load
from loadtests.stack import BenchStack, Seeder

SERVERS = ("uvicorn", "granian")


def seed_home(stack: BenchStack) -> dict[str, str]:
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        seeder = Seeder(client, stack)
        author_id, author = seeder.user("author")
        _, reader = seeder.user("reader")
        client.post(f"/api/v1/accounts/{author_id}/follow", headers=reader).raise_for_status()
        for i in range(20):
            client.post("/api/v1/statuses", headers=author,
                        json={"status": f"status number {i} with #bench"}).raise_for_status()
        for _ in range(100):
            if len(client.get("/api/v1/timelines/home", headers=reader).json()) == 20:
                return reader
            time.sleep(0.1)
    raise RuntimeError("home timeline never filled")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hubbub bench asgi", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--out", default="loadtests/results/asgi_servers.json")
    args = parser.parse_args(argv)

    stack = BenchStack()
    results: dict[str, dict[str, list]] = {s: {"instance": [], "home": [], "home_p50": [],
                                               "home_p99": []} for s in SERVERS}
    try:
        for name in ("graph", "posts", "fanout", "notify"):
            stack.start_service(name)
        stack.start_service("gateway", {"HUBBUB_ASGI_SERVER": "uvicorn"})
        stack.wait_gateway()
        reader = seed_home(stack)
        stack.stop_service("gateway")
        url = urlsplit(stack.base_url)
        for repeat in range(args.repeats):
            for server in SERVERS:
                stack.start_service("gateway", {"HUBBUB_ASGI_SERVER": server})
                stack.wait_gateway()
                asyncio.run(run_load(url.hostname, url.port, "/api/v1/instance", seconds=1,
                                     connections=args.connections))  # warm up
                instance = asyncio.run(run_load(url.hostname, url.port, "/api/v1/instance",
                                                seconds=args.seconds,
                                                connections=args.connections))
                home = asyncio.run(run_load(url.hostname, url.port, "/api/v1/timelines/home",
                                            seconds=args.seconds, connections=args.connections,
                                            headers=reader))
                stack.stop_service("gateway")
                r = results[server]
                r["instance"].append(instance.rate)
                r["home"].append(home.rate)
                r["home_p50"].append(home.percentile(50))
                r["home_p99"].append(home.percentile(99))
                print(f"run {repeat + 1} {server:8} instance {instance.rate:8.0f} req/s   "
                      f"home {home.rate:7.0f} req/s (p50 {home.percentile(50):.1f} ms, "
                      f"p99 {home.percentile(99):.1f} ms, errors {home.errors})", flush=True)
    finally:
        stack.close()

    def summary(values: list[float]) -> str:
        return (f"{statistics.median(values):8.0f} (min {min(values):.0f}, "
                f"max {max(values):.0f})")

    print(f"\nmedian req/s over {args.repeats} alternating runs of {args.seconds:.0f}s, "
          f"{args.connections} connections")
    print(f"{'server':10}{'GET /api/v1/instance':>36}{'GET /api/v1/timelines/home':>36}")
    for server in SERVERS:
        r = results[server]
        print(f"{server:10}{summary(r['instance']):>36}{summary(r['home']):>36}")
    ratio_instance = (statistics.median(results["granian"]["instance"])
                      / statistics.median(results["uvicorn"]["instance"]))
    ratio_home = (statistics.median(results["granian"]["home"])
                  / statistics.median(results["uvicorn"]["home"]))
    print(f"granian / uvicorn: instance {ratio_instance:.2f}x, home {ratio_home:.2f}x")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "results": results,
                               "ratio_instance": ratio_instance, "ratio_home": ratio_home},
                              indent=2))
    print(f"wrote {out}")
    return 0
