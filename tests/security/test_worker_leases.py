"""Worker ids (the 10 bits that keep two processes' snowflake ids apart) are leased: no two live
processes hold the same one, a lost lease stops minting until one is re-taken, and a process
holding none refuses to mint (issue #15; shared/worker_lease.py)."""

from __future__ import annotations

import asyncio
import math
import random
import sys
from pathlib import Path

import asyncpg
import pytest

from shared import credentials, ids
from shared.ids import SEQUENCE_BITS, WORKER_MASK, IdGenerator, NoWorkerLease
from shared.settings import Settings
from shared.worker_lease import NAMESPACE, WORKERS, WorkerLease, WorkersExhausted
from tests.helpers import Api

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 60  # random 10-bit workers: two of 60 share one with probability ~83%


def worker_of(snowflake: int) -> int:
    return (snowflake >> SEQUENCE_BITS) & WORKER_MASK


def test_random_workers_for_sixty_processes_would_collide() -> None:
    # Why a lease: the birthday bound for the old random choice (60 processes, 1024 workers).
    unique = math.prod((WORKERS - i) / WORKERS for i in range(PROCESSES))
    assert 1 - unique > 0.8
    draws = random.Random(15)  # the same choice, seeded: 100 deployments of 60 processes
    collided = sum(len({draws.randrange(WORKERS) for _ in range(PROCESSES)}) < PROCESSES
                   for _ in range(100))
    assert collided > 70


def superuser_url(settings: Settings) -> str:
    """Ending another role's session takes a superuser (or pg_signal_backend): the embedded
    server's, whose password is in the test's data folder."""
    return credentials.embedded_superuser_url(settings.database_url, Path(settings.data_dir))


async def holders_of(admin: asyncpg.Connection, namespace: int) -> dict[int, list[int]]:
    """worker -> the server pids holding it, from PostgreSQL's lock table."""
    rows = await admin.fetch(
        "SELECT objid::bigint AS worker, pid FROM pg_locks WHERE locktype = 'advisory' "
        "AND objsubid = 2 AND classid::bigint = $1 AND granted", namespace)
    found: dict[int, list[int]] = {}
    for row in rows:
        found.setdefault(row["worker"], []).append(row["pid"])
    return found


async def test_processes_started_together_hold_distinct_workers(settings: Settings) -> None:
    holders = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.security.lease_holders", settings.database_url,
        str(PROCESSES), cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert holders.stdout is not None and holders.stdin is not None
    admin = await asyncpg.connect(settings.database_url)
    try:
        lines = [(await asyncio.wait_for(holders.stdout.readline(), 90)).decode().strip()
                 for _ in range(PROCESSES + 1)]
        assert lines[-1] == "held", lines
        workers = [int(line.split()[1]) for line in lines[:-1]]
        assert len(set(workers)) == PROCESSES, sorted(workers)  # each its own worker
        held = await holders_of(admin, NAMESPACE)
        assert set(workers) <= set(held)
        assert all(len(pids) == 1 for pids in held.values())

        holders.stdin.close()  # they release and exit
        assert await asyncio.wait_for(holders.wait(), 30) == 0
        # A process that exits leaves its worker free for the next one.
        still = set(await holders_of(admin, NAMESPACE)) & set(workers)
        assert not still
        for worker in workers[:5]:
            assert await admin.fetchval("SELECT pg_try_advisory_lock($1::int, $2::int)",
                                        NAMESPACE, worker)
            await admin.execute("SELECT pg_advisory_unlock($1::int, $2::int)", NAMESPACE, worker)
    finally:
        if holders.returncode is None:
            holders.kill()
            await holders.wait()
        await admin.close()


def own_namespace() -> int:
    """A namespace of this test's own, so that it never competes with the stack's lease."""
    return random.randrange(1 << 20, 1 << 30)


async def test_all_workers_held_is_a_clear_error(settings: Settings) -> None:
    namespace = own_namespace()
    admin = await asyncpg.connect(settings.database_url)
    try:
        taken = await admin.fetchval(
            "SELECT count(*) FROM generate_series(0, $2::int - 1) n "
            "WHERE pg_try_advisory_lock($1::int, n)", namespace, WORKERS)
        assert taken == WORKERS
        with pytest.raises(WorkersExhausted, match=f"all {WORKERS} worker ids are held"):
            await WorkerLease(settings.database_url, namespace=namespace).start()
        assert await admin.fetchval("SELECT pg_advisory_unlock($1::int, 517)", namespace)
        lease = WorkerLease(settings.database_url, namespace=namespace)
        assert await lease.start() == 517  # the one freed, and only it
        await lease.stop()
    finally:
        await admin.close()


async def test_a_lost_lease_stops_minting_until_another_is_taken(settings: Settings) -> None:
    namespace = own_namespace()
    lease = WorkerLease(settings.database_url, namespace=namespace)
    lost_worker = await lease.start()
    generator = IdGenerator(lease)
    loop = asyncio.get_running_loop()
    minted: list[tuple[float, int | None]] = []  # when, and under which worker (None: refused)
    minting = True

    async def mint_continuously() -> None:
        while minting:
            try:
                minted.append((loop.time(), worker_of(generator.next())))
            except NoWorkerLease:
                minted.append((loop.time(), None))
            await asyncio.sleep(0.001)

    admin = await asyncpg.connect(settings.database_url)
    minter = asyncio.create_task(mint_continuously())
    try:
        await asyncio.sleep(0.05)
        [pid] = (await holders_of(admin, namespace))[lost_worker]
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        # Someone else takes the worker as soon as the dead session lets go of it.
        while not await admin.fetchval("SELECT pg_try_advisory_lock($1::int, $2::int)",
                                       namespace, lost_worker):
            await asyncio.sleep(0.001)
        taken_at = loop.time()
        # Our side hears of the end a moment later (the server frees the lock before it closes
        # the socket): within the grace a new holder waits, the minted ids below show.
        for _ in range(500):
            if lease.losses and lease.worker is not None:
                break
            await asyncio.sleep(0.01)
        new_worker = lease.worker
        assert new_worker is not None and new_worker != lost_worker
        assert lease.losses == 1
        await asyncio.sleep(0.05)
    finally:
        minting = False
        await minter
        await lease.stop()
        await admin.close()

    # Never under the lost worker once another holder had it (allowing the grace it waits).
    assert not [w for at, w in minted if at > taken_at + lease.grace_s and w == lost_worker]
    assert None in [w for _, w in minted]  # it refused while it held nothing
    assert {w for _, w in minted if w is not None} == {lost_worker, new_worker}
    assert minted[-1][1] == new_worker


async def test_a_service_without_its_lease_refuses_writes_and_is_not_ready(api: Api) -> None:
    stack = api.stack
    author = await api.user()
    lease = stack.graph.worker_lease
    assert lease is not None and lease.worker is not None
    # Every id-making part of the stack mints under the one lease of this process.
    for part in (stack.posts, stack.notify, stack.gateway):
        assert part.worker_lease is lease
    assert ids.installed_worker_source() is lease
    assert worker_of(ids.new_id()) == lease.worker

    admin = await asyncpg.connect(superuser_url(stack.settings))
    try:
        # Every free worker taken elsewhere; then the stack's own lease connection dies.
        await admin.fetchval("SELECT count(*) FROM generate_series(0, $2::int - 1) n "
                             "WHERE pg_try_advisory_lock($1::int, n)", NAMESPACE, WORKERS)
        old_worker = lease.worker
        [pid] = (await holders_of(admin, NAMESPACE))[old_worker]
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        while not await admin.fetchval("SELECT pg_try_advisory_lock($1::int, $2::int)",
                                       NAMESPACE, old_worker):
            await asyncio.sleep(0.01)
        for _ in range(300):
            if lease.worker is None:
                break
            await asyncio.sleep(0.01)

        assert lease.worker is None
        assert not stack.graph.checks()["worker_id"]
        assert not stack.gateway.checks()["worker_id"]
        with pytest.raises(NoWorkerLease):
            ids.new_id()
        refused = await api.client.post("/api/v1/statuses", headers=author.headers,
                                        json={"status": "no worker, no id"})
        assert refused.status_code == 503, refused.text
        assert "error" in refused.json()
    finally:
        await admin.close()  # frees every worker it took

    for _ in range(500):
        if lease.worker is not None:
            break
        await asyncio.sleep(0.01)
    assert lease.worker is not None
    assert stack.graph.checks()["worker_id"] and stack.gateway.checks()["worker_id"]
    posted = await api.post(author, "a worker again")
    assert worker_of(int(posted["id"])) == lease.worker  # re-taken in place, no restart
