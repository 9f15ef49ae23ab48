"""Media: photo uploads, the time until each is processed, and the request path meanwhile.

    hubbub bench media [--photos 1000] [--concurrency 8] [--upload-rate 0] [--repeats 3]
                       [--workers 1] [--size 4000x3000] [--distinct 20] [--read-rate 100]
                       [--idle-seconds 10] [--profile DIR]

Runs its own stack (embedded servers, every service its own process; posts decodes in
``--workers`` processes, HUBBUB_MEDIA_WORKERS). Makes ``--distinct`` photos once (JPEGs of
``--size`` with noise and a phone's EXIF, GPS included: 3-4 MB at 4000x3000, loadtests/photos.py)
and uploads them in turn, each upload a new media row. Seeds ``--readers`` accounts that follow
each other and post, so that each has a home timeline of statuses to read.

Each repeat:
1. solo: ``--solo`` photos uploaded one at a time, each waited for: upload -> processed with the
   worker idle, the baseline of the figure below.
2. idle: home timelines (GET /api/v1/timelines/home?limit=20, the readers in turn) read at
   ``--read-rate`` requests/s, open loop, from a process of their own (loadtests/paced_reads.py),
   for ``--idle-seconds`` with the media worker idle: the baseline of the request path.
3. busy: the reads go on while ``--photos`` uploads are sent, ``--concurrency`` at once (and
   with ``--upload-rate``, no faster than that), and until the last one is processed. The
   reads are cut into two windows by the wall clock: "uploading" (until the last 202: the
   gateway receives and stores files, the worker decodes) and "draining" (after it: only the
   worker's backlog is left).
4. The uploads are checked through the API (GET /api/v1/media/:id: 200 with a preview_url; one
   photo's preview and original fetched: a JPEG preview of at most 640 px, the original without
   its GPS position), then deleted (DELETE /api/v1/media/:id; the worker deletes the files).

Upload -> processed: from the 202's arrival (the client's clock) to the row's ``processed_at``
(set by the worker in the transaction that marks the row ready, after the original and the
preview are stored; PostgreSQL's clock: the same machine's, unless HUBBUB_DATABASE_URL names
another). Nothing is polled through the API while it is measured: completion is watched with one
indexed count query on the media table every 0.1 s, which only decides when the phase ends.
With a backlog this figure is mostly waiting in line: the solo figure is the processing itself,
and the processing rate (ready photos / (last processed - first 202)) is the worker's throughput.

Prints medians across repeats with min-max, the busy/idle ratios of each repeat's home read
latency, CPU milliseconds per photo by process (posts includes its decoding processes), and
writes JSON to loadtests/results/media_bench.json.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import time
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import nats
from PIL import Image

from loadtests.cpu_split import CpuMeter
from loadtests.paced_reads import PacedReads, Sample, get_request, percentile
from loadtests.photos import Photo, has_location, photo_set
from loadtests.profiling import Profilers
from loadtests.results import write_results
from loadtests.seed import SeededUser, seed
from loadtests.stack import SEEDING_CONSUMERS, BenchStack, wait_consumers
from loadtests.uploads import Upload, Uploader
from shared import db
from shared.nats_users import operator_url

MEDIA_CONSUMER = "posts-media"
HOME = "/api/v1/timelines/home?limit=20"
POLL_S = 0.1
WARM_S = 1.0  # the reader's first second (connections opening) is not counted


# --- waiting ---------------------------------------------------------------------------------

async def wait_processed(pool: asyncpg.Pool, ids: list[int], timeout: float) -> None:
    """Until every row is ready or failed: one count a poll (the primary key's index)."""
    deadline = time.monotonic() + timeout
    while True:
        done = await pool.fetchval("SELECT count(*) FROM posts.media WHERE id = ANY($1::bigint[]) "
                                   "AND state <> 'processing'", ids)
        if done >= len(ids):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(ids) - done} of {len(ids)} uploads still processing")
        await asyncio.sleep(POLL_S)


async def outcomes(pool: asyncpg.Pool, ids: list[int]) -> dict[int, tuple[str, float]]:
    """media id -> (state, processed_at as time.time())."""
    rows = await pool.fetch("SELECT id, state, extract(epoch FROM processed_at)::float8 AS at "
                            "FROM posts.media WHERE id = ANY($1::bigint[])", ids)
    return {row["id"]: (row["state"], row["at"] or float("nan")) for row in rows}


# --- the run ---------------------------------------------------------------------------------

class MediaBench:
    def __init__(self, stack: BenchStack, photos: list[Photo], args: argparse.Namespace) -> None:
        self.stack = stack
        self.photos = photos
        self.args = args
        self.results: dict[str, list[float]] = {}
        self.cpu_ms_per_photo: list[dict[str, float]] = []
        self.checks: list[dict[str, Any]] = []
        self.refusals: list[str] = []
        # With --profile DIR: py-spy samples the gateway and posts while uploading and draining.
        self.profilers = Profilers(args.profile)
        url = urlsplit(stack.base_url)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80

    def record(self, name: str, value: float) -> None:
        self.results.setdefault(name, []).append(value)

    async def setup(self) -> None:
        settings = self.stack.settings
        self.nc = await nats.connect(operator_url(settings))
        self.js = self.nc.jetstream()
        self.pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
        self.http = httpx.AsyncClient(base_url=self.stack.base_url, timeout=120)
        graph = await seed(settings.database_url, settings=settings, users=self.args.readers + 1,
                           follows_per_user=min(10, self.args.readers - 1), prefix="media")
        self.readers, self.uploader = graph.users[:-1], graph.users[-1]
        await self.post_statuses(self.readers)
        await wait_consumers(self.js, SEEDING_CONSUMERS)
        self.page_sizes: list[int] = []
        for reader in self.readers:  # each home timeline built before anything is timed
            r = await self.http.get(HOME, headers=reader.headers)
            r.raise_for_status()
            self.page_sizes.append(len(r.json()))
        self.upload = Uploader(self.host, self.port, self.uploader.token, self.photos)

    async def post_statuses(self, users: list[SeededUser]) -> None:
        for n in range(self.args.statuses):
            for user in users:
                r = await self.http.post("/api/v1/statuses", headers=user.headers,
                                         json={"status": f"status {n} of {user.username}"})
                r.raise_for_status()

    async def close(self) -> None:
        await self.http.aclose()
        await self.pool.close()
        await self.nc.close()

    async def run(self) -> None:
        await self.setup()
        try:
            for n in range(self.args.repeats):
                await self.repeat(n)
        finally:
            await self.close()

    async def repeat(self, n: int) -> None:
        args = self.args
        await wait_consumers(self.js, (MEDIA_CONSUMER,))
        solo_ids, solo_waits = await self.solo(first=n * args.solo)
        reads = PacedReads(self.host, self.port, [
            get_request(self.host, self.port, HOME, reader.headers) for reader in self.readers],
            rate=args.read_rate, connections=args.read_connections)
        reads.start()
        cpu = CpuMeter({**self.stack.process_roots(), "bench": os.getpid(),
                        "reads": reads.pid or 0})
        try:
            await asyncio.sleep(WARM_S + args.idle_seconds)
            cpu_before = cpu.sample()
            self.profile("uploading")
            uploads = await self.upload.upload(args.photos, args.concurrency,
                                               first=n * args.photos, rate=args.upload_rate)
            await asyncio.to_thread(self.profilers.stop)
            self.profile("draining")
            accepted = [u for u in uploads if u.accepted]
            if not accepted:
                raise RuntimeError(f"no upload accepted: {uploads[0].refusal}")
            ids = [u.media_id for u in accepted if u.media_id is not None]
            await wait_processed(self.pool, ids, timeout=max(300.0, 5.0 * len(ids)))
            cpu_after = cpu.sample()
        finally:
            await asyncio.to_thread(self.profilers.stop)
            samples = await asyncio.to_thread(reads.stop)
        done = await outcomes(self.pool, ids)
        self.refusals += [u.refusal for u in uploads if not u.accepted][:5]
        self.figures(uploads, accepted, done, solo_waits, samples)
        spent = CpuMeter.spent(cpu_before, cpu_after)
        self.cpu_ms_per_photo.append({name: seconds * 1000 / max(1, len(accepted))
                                      for name, seconds in spent.items()})
        self.checks.append(await self.check(ids))
        await self.delete(ids + solo_ids)
        r = self.results
        print(f"run {n + 1}: {len(accepted)}/{len(uploads)} accepted, "
              f"{r['upload_photos_s'][-1]:.1f} photos/s ({r['upload_mb_s'][-1]:.1f} MB/s); "
              f"202 -> processed p50 {r['ready_p50_s'][-1]:.2f} s, p99 "
              f"{r['ready_p99_s'][-1]:.2f} s (solo {r['solo_ready_s'][-1]:.2f} s); processed "
              f"{r['processed_photos_s'][-1]:.2f} photos/s; home p99 idle "
              f"{r['home_idle_p99_ms'][-1]:.1f} ms, uploading "
              f"{r['home_uploading_p99_ms'][-1]:.1f} ms, draining "
              f"{r['home_draining_p99_ms'][-1]:.1f} ms", flush=True)

    def profile(self, phase: str) -> None:
        self.profilers.start(phase, {name: self.stack.procs[name].pid
                                     for name in ("gateway", "posts")})

    async def solo(self, first: int) -> tuple[list[int], list[float]]:
        """Photos one at a time, each processed before the next: (their ids, seconds from
        each 202 to processed), latency without a queue."""
        ids, waits = [], []
        for n in range(self.args.solo):
            [upload] = await self.upload.upload(1, 1, first=first + n)
            if upload.media_id is None:
                raise RuntimeError(f"upload refused: HTTP {upload.status} {upload.refusal}")
            await wait_processed(self.pool, [upload.media_id], timeout=120)
            state, at = (await outcomes(self.pool, [upload.media_id]))[upload.media_id]
            if state != "ready":
                raise RuntimeError(f"a photo was not processed: {state}")
            ids.append(upload.media_id)
            waits.append(at - upload.answered)
        return ids, waits

    def figures(self, uploads: list[Upload], accepted: list[Upload],
                done: dict[int, tuple[str, float]], solo_waits: list[float],
                samples: list[Sample]) -> None:
        began = min(u.sent for u in uploads)
        last_accepted = max(u.answered for u in accepted)
        ready_at = {i: at for i, (state, at) in done.items() if state == "ready"}
        waits = [ready_at[u.media_id] - u.answered for u in accepted if u.media_id in ready_at]
        self.record("photos_accepted", len(accepted))
        self.record("photos_refused", len(uploads) - len(accepted))
        self.record("photos_failed", sum(1 for state, _ in done.values() if state == "failed"))
        self.record("upload_photos_s", len(accepted) / (last_accepted - began))
        self.record("upload_mb_s", sum(u.size for u in accepted) / 1e6 / (last_accepted - began))
        request_ms = [(u.answered - u.sent) * 1000 for u in accepted]
        self.record("upload_p50_ms", percentile(request_ms, 50))
        self.record("upload_p99_ms", percentile(request_ms, 99))
        self.record("ready_p50_s", percentile(waits, 50))
        self.record("ready_p99_s", percentile(waits, 99))
        self.record("ready_max_s", max(waits, default=float("nan")))
        finished = max(ready_at.values(), default=float("nan"))
        first_accepted = min(u.answered for u in accepted)
        self.record("processed_photos_s", len(ready_at) / (finished - first_accepted))
        self.record("solo_ready_s", statistics.median(solo_waits) if solo_waits
                    else float("nan"))
        windows = {"idle": (began - self.args.idle_seconds, began),
                   "uploading": (began, last_accepted), "draining": (last_accepted, finished)}
        for name, (start, end) in windows.items():
            inside = [s for s in samples if start <= s[0] < end]
            latencies = [ms for _, ms, status, _ in inside if status == 200]
            self.record(f"home_{name}_reads", len(inside))
            self.record(f"home_{name}_errors", len(inside) - len(latencies))
            self.record(f"home_{name}_p50_ms", percentile(latencies, 50))
            self.record(f"home_{name}_p99_ms", percentile(latencies, 99))
        for name in ("uploading", "draining"):
            for p in ("p50", "p99"):
                self.record(f"home_{p}_{name}_vs_idle", self.results[f"home_{name}_{p}_ms"][-1]
                            / self.results[f"home_idle_{p}_ms"][-1])
        self.record("ready_p50_vs_solo", self.results["ready_p50_s"][-1]
                    / self.results["solo_ready_s"][-1])

    async def check(self, ids: list[int]) -> dict[str, Any]:
        """Through the API, as a client would see them: every upload 200 with a preview; the
        first one's files fetched (a small JPEG preview; no GPS left in the original)."""
        limit = asyncio.Semaphore(self.args.concurrency)
        headers = self.uploader.headers

        async def get(media_id: int) -> dict[str, Any] | None:
            async with limit:
                r = await self.http.get(f"/api/v1/media/{media_id}", headers=headers)
            return r.json() if r.status_code == 200 and r.json().get("preview_url") else None

        answers = await asyncio.gather(*(get(i) for i in ids))
        found = [a for a in answers if a is not None]
        check: dict[str, Any] = {"api_ready": len(found), "uploads": len(ids)}
        if found:
            preview = await self.http.get(found[0]["preview_url"])
            original = await self.http.get(found[0]["url"])
            small = Image.open(io.BytesIO(preview.content))
            check.update(preview_format=small.format, preview_size=list(small.size),
                         original_bytes=len(original.content),
                         original_has_location=has_location(original.content))
        return check

    async def delete(self, ids: list[int]) -> None:
        limit = asyncio.Semaphore(self.args.concurrency)

        async def one(media_id: int) -> None:
            async with limit:
                await self.http.delete(f"/api/v1/media/{media_id}",
                                       headers=self.uploader.headers)

        await asyncio.gather(*(one(i) for i in ids))
        await wait_consumers(self.js, (MEDIA_CONSUMER,))


# --- reporting -------------------------------------------------------------------------------

def spread(values: list[float], fmt: str = "{:,.1f}") -> str:
    """The median with min-max across repeats; "n/a" where a window had nothing to measure."""
    known = [v for v in values if v == v]  # NaN is not equal to itself
    if not known:
        return "n/a"
    med = fmt.format(statistics.median(known))
    if len(known) == 1:
        return med
    return f"{med} ({fmt.format(min(known))}-{fmt.format(max(known))})"


def report(bench: MediaBench, args: argparse.Namespace, photos: list[Photo]) -> dict[str, Any]:
    r = bench.results
    mb = statistics.mean(len(p.data) for p in photos) / 1e6
    print(f"\nmedia: {args.photos:,} uploads a repeat of {len(photos)} distinct "
          f"{photos[0].width}x{photos[0].height} JPEGs ({mb:.1f} MB on average, EXIF with GPS), "
          f"{args.concurrency} at once; {args.workers} decoding process(es); home reads at "
          f"{args.read_rate:g}/s over {args.read_connections} connections by "
          f"{len(bench.readers)} readers (pages of {statistics.mean(bench.page_sizes):.0f} "
          "statuses)")
    print(f"median of {args.repeats} repeat(s) (min-max)")
    rows = [
        ("uploads accepted (202) / refused", f"{spread(r['photos_accepted'], '{:,.0f}')} / "
         f"{spread(r['photos_refused'], '{:,.0f}')}", ""),
        ("processing failed", spread(r["photos_failed"], "{:,.0f}"), ""),
        ("upload throughput", spread(r["upload_photos_s"]), "photos/s"),
        ("", spread(r["upload_mb_s"]), "MB/s"),
        ("upload request (send -> 202) p50", spread(r["upload_p50_ms"]), "ms"),
        ("upload request (send -> 202) p99", spread(r["upload_p99_ms"]), "ms"),
        ("202 -> processed, alone (worker idle)", spread(r["solo_ready_s"], "{:,.2f}"), "s"),
        ("202 -> processed, backlog p50", spread(r["ready_p50_s"], "{:,.2f}"), "s"),
        ("202 -> processed, backlog p99", spread(r["ready_p99_s"], "{:,.2f}"), "s"),
        ("202 -> processed, backlog max", spread(r["ready_max_s"], "{:,.2f}"), "s"),
        ("processing throughput (end to end)", spread(r["processed_photos_s"], "{:,.2f}"),
         "photos/s"),
    ]
    for window, label in (("idle", "worker idle (baseline)"),
                          ("uploading", "while uploading"),
                          ("draining", "while the worker drains")):
        rows.append((f"home read {label} p50", spread(r[f"home_{window}_p50_ms"], "{:,.2f}"),
                     "ms"))
        rows.append((f"home read {label} p99", spread(r[f"home_{window}_p99_ms"], "{:,.2f}"),
                     "ms"))
        rows.append(("  reads / errors", f"{spread(r[f'home_{window}_reads'], '{:,.0f}')} / "
                     f"{spread(r[f'home_{window}_errors'], '{:,.0f}')}", ""))
    for label, value, unit in rows:
        print(f"  {label:44} {value:>30} {unit}")
    print("ratios (each repeat against its own baseline):")
    for window in ("uploading", "draining"):
        p50 = spread(r[f"home_p50_{window}_vs_idle"], "{:.2f}x")
        p99 = spread(r[f"home_p99_{window}_vs_idle"], "{:.2f}x")
        print(f"  home read {window} / idle: p50 {p50}, p99 {p99}")
    print(f"  202 -> processed backlog p50 / alone: {spread(r['ready_p50_vs_solo'], '{:.1f}x')}")
    names = sorted({k for run in bench.cpu_ms_per_photo for k in run},
                   key=lambda k: -statistics.median(run.get(k, 0.0)
                                                   for run in bench.cpu_ms_per_photo))
    print("CPU ms per photo while busy, by process (median of repeats): " + ", ".join(
        f"{name} {statistics.median(run.get(name, 0.0) for run in bench.cpu_ms_per_photo):.1f}"
        for name in names))
    for n, check in enumerate(bench.checks):
        print(f"  check {n + 1}: {check}")
    if bench.refusals:
        print(f"  refused uploads said: {bench.refusals[:3]}")
    return {"args": vars(args), "photo_bytes": [len(p.data) for p in photos],
            "home_page_statuses": bench.page_sizes,
            "results": r, "medians": {k: statistics.median(v) for k, v in r.items()},
            "cpu_ms_per_photo": bench.cpu_ms_per_photo, "checks": bench.checks,
            "refusals": bench.refusals}


def size(value: str) -> tuple[int, int]:
    width, _, height = value.lower().partition("x")
    return int(width), int(height)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hubbub bench media", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=1000, help="uploads in each repeat")
    parser.add_argument("--concurrency", type=int, default=8, help="uploads in flight")
    parser.add_argument("--upload-rate", type=float, default=0.0,
                        help="photos/s sent at most (0: as fast as --concurrency allows)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1,
                        help="posts' decoding processes (HUBBUB_MEDIA_WORKERS)")
    parser.add_argument("--size", type=size, default=(4000, 3000), help="WIDTHxHEIGHT")
    parser.add_argument("--distinct", type=int, default=20, help="photos made, sent in turn")
    parser.add_argument("--solo", type=int, default=3,
                        help="photos uploaded one at a time before the backlog, each waited for")
    parser.add_argument("--readers", type=int, default=20, help="accounts whose home is read")
    parser.add_argument("--statuses", type=int, default=3, help="statuses each reader posts")
    parser.add_argument("--read-rate", type=float, default=100.0, help="home reads per second")
    parser.add_argument("--read-connections", type=int, default=4)
    parser.add_argument("--idle-seconds", type=float, default=10.0,
                        help="home reads with the worker idle (the baseline), each repeat")
    parser.add_argument("--out", default="loadtests/results/media_bench.json")
    parser.add_argument("--profile", metavar="DIR",
                        help="py-spy the gateway and posts while uploading and draining, into DIR "
                             "(its samplers count as the bench's CPU)")
    args = parser.parse_args(argv)
    if args.photos < 1 or args.repeats < 1 or args.readers < 2 or args.distinct < 1:
        parser.error("--photos and --repeats must be at least 1, --readers at least 2")

    began = time.perf_counter()
    load_before = os.getloadavg()
    photos = photo_set(min(args.distinct, args.photos + args.solo), *args.size)
    print(f"made {len(photos)} photos ({sum(len(p.data) for p in photos) / 1e6:.1f} MB) in "
          f"{time.perf_counter() - began:.1f}s", flush=True)
    stack = BenchStack()
    try:
        for name in ("graph", "posts", "fanout", "notify", "gateway"):
            # Every upload answered 202 at once (no wait for a small picture's processing): the
            # bench measures the worker's queue from there, at any photo size.
            stack.start_service(name, {"HUBBUB_MEDIA_WORKERS": str(args.workers),
                                       "HUBBUB_MEDIA_UPLOAD_WAIT_S": "0"})
        stack.wait_gateway()
        asyncio.run(db.migrate_all(stack.settings))
        bench = MediaBench(stack, photos, args)
        asyncio.run(bench.run())
    except BaseException:
        print("posts' log ends:\n" + stack.log_tail("posts", 20), flush=True)
        raise
    finally:
        stack.close()
    write_results(report(bench, args, photos), args.out, began, load_before)
    return 0
