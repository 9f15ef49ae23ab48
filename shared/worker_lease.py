"""A worker id (``shared.ids``) held by one live process at a time, for as long as it lives.

Why PostgreSQL session advisory locks, not a Valkey lease: a session lock lives exactly as long
as the connection that took it. A process that dies, is killed or loses its connection releases
its worker at once, with no TTL to tune and no renewal that a paused process (a long GC, a
stalled loop) could miss while still minting; a Valkey ``SET NX PX`` lease expires on the
server's clock whatever the holder is doing, so a holder must stop minting *before* the TTL runs
out by its own clock, and Valkey's failover can lose a fresh lease. Advisory locks need no table
rights: the runtime roles that hold data rights only can take them.

How: each process opens one dedicated connection and takes
``pg_try_advisory_lock(NAMESPACE, worker)`` for the first free worker, starting at a random one
(so processes starting together rarely try the same worker, and a worker just released is rarely
the next one taken). All 1024 held: ``WorkersExhausted``.

Losing it: if the dedicated connection ends (the backend was terminated, the server restarted,
the network failed), the lock is gone and another process may take the worker. The process stops
minting as soon as its event loop sees the connection close (a termination listener, and
``is_closed()`` checked at every id), and re-takes a worker (the same or another) before minting
again; meanwhile ``new_id()`` raises ``NoWorkerLease`` (503) and readiness says not ready.
A silent network failure is caught by a periodic ``SELECT 1`` with a timeout: when it fails the
lease is dropped and re-taken on a new connection. What remains is the time between the server
ending a session and the old holder's loop reading that end; a new holder covers it by waiting
``grace_s`` after taking a worker before minting under it (the old holder's loop reads the end
within a few milliseconds unless stalled). A silent network failure is covered only up to
``check_every_s + check_timeout_s``; a collision then further needs both to mint in the same
millisecond with the same sequence.

Several services in one process (the test stack) share one lease: ``hold``/``release`` count.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections.abc import AsyncIterator

import asyncpg

from shared.cancel import raise_if_cancelled
from shared.ids import WORKER_BITS, NoWorkerLease, WorkerSource, install_worker_source

log = logging.getLogger(__name__)

NAMESPACE = 0x48554944  # "HUID": the advisory-lock namespace of worker ids (fits an int4)
WORKERS = 1 << WORKER_BITS


class WorkersExhausted(NoWorkerLease):
    """Every worker id is held by a live process: no more id-making processes can start."""


class WorkerLease:
    """One worker id, held through a dedicated connection; re-taken when the connection ends."""

    def __init__(self, database_url: str, *, namespace: int = NAMESPACE,
                 check_every_s: float = 5.0, check_timeout_s: float = 5.0,
                 grace_s: float = 0.1) -> None:
        self.database_url = database_url
        self.namespace = namespace
        self.grace_s = grace_s
        self.check_every_s = check_every_s
        self.check_timeout_s = check_timeout_s
        self._pid = os.getpid()
        self._conn: asyncpg.Connection | None = None
        self._worker: int | None = None
        self._lost = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None
        self.losses = 0  # how often the lease was lost (a test and a log line read it)

    @property
    def worker(self) -> int | None:
        """The worker held now, or None."""
        conn = self._conn
        if os.getpid() != self._pid or conn is None or conn.is_closed():
            return None
        return self._worker

    def current_worker(self) -> int:
        worker = self.worker
        if worker is None:
            raise NoWorkerLease("this process's worker id lease is lost; taking another")
        return worker

    async def start(self) -> int:
        """Take a worker (``WorkersExhausted`` when none is free) and keep it while alive."""
        await self._acquire()
        self._watcher = asyncio.create_task(self._watch(), name="worker-lease")
        assert self._worker is not None
        return self._worker

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        conn, self._conn, self._worker = self._conn, None, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), self.check_timeout_s)  # frees the lock
            if not conn.is_closed():
                conn.terminate()

    async def _acquire(self) -> None:
        conn = await asyncpg.connect(
            self.database_url, timeout=self.check_timeout_s,
            # An idle-session timeout set for the database would end this idle session, and
            # with it the lease: this connection opts out (the heartbeat keeps it busy anyway).
            server_settings={"application_name": "hubbub-idworker",
                             "idle_session_timeout": "0"})
        try:
            start = random.randrange(WORKERS)
            for step in range(WORKERS):
                worker = (start + step) % WORKERS
                if await conn.fetchval("SELECT pg_try_advisory_lock($1::int, $2::int)",
                                       self.namespace, worker):
                    break
            else:
                raise WorkersExhausted(f"all {WORKERS} worker ids are held by live processes")
            # A previous holder whose session just ended may not have noticed yet.
            await asyncio.sleep(self.grace_s)
        except BaseException:
            conn.terminate()
            raise
        conn.add_termination_listener(self._on_terminated)
        if conn.is_closed():
            raise asyncpg.InterfaceError("the lease connection ended while it was being taken")
        self._conn, self._worker = conn, worker
        self._lost.clear()
        log.info("holding worker id %d", worker)

    def _on_terminated(self, conn: asyncpg.Connection) -> None:
        if conn is self._conn:
            self._drop("its connection ended")

    def _drop(self, why: str) -> None:
        conn, self._conn, self._worker = self._conn, None, None
        if conn is not None:
            self.losses += 1
            log.warning("worker id lease lost (%s): minting stops until one is re-taken", why)
            conn.terminate()
        self._lost.set()

    async def _watch(self) -> None:
        delay = 0.05
        while True:
            if self.worker is None:
                self._drop("its connection is closed")
                try:
                    await self._acquire()
                    delay = 0.05
                except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError,
                        NoWorkerLease) as exc:
                    raise_if_cancelled(exc)
                    log.warning("no worker id yet (%s); retrying in %.2fs", exc, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 2.0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self.check_every_s)
                continue  # lost: re-take at once
            conn = self._conn
            try:
                assert conn is not None
                await asyncio.wait_for(conn.fetchval("SELECT 1"), self.check_timeout_s)
            except (OSError, TimeoutError, asyncpg.PostgresError,
                    asyncpg.InterfaceError) as exc:
                raise_if_cancelled(exc)
                if conn is self._conn:
                    self._drop(f"the server did not answer: {exc!r}")


_process_lease: WorkerLease | None = None
_holders = 0
_replaced: WorkerSource | None = None
_taking = asyncio.Lock()  # two services starting side by side take one lease, not two


async def hold(database_url: str) -> WorkerLease:
    """The process's lease, taken on the first call and installed for ``new_id()``; each call
    needs a ``release()``. Services sharing a process share the lease."""
    global _process_lease, _holders, _replaced
    async with _taking:
        if _process_lease is None or _process_lease._pid != os.getpid():
            lease = WorkerLease(database_url)
            await lease.start()
            _process_lease, _holders = lease, 0
            _replaced = install_worker_source(lease)
        _holders += 1
        return _process_lease


async def release() -> None:
    global _process_lease, _holders
    _holders -= 1
    if _holders > 0 or _process_lease is None:
        return
    lease, _process_lease = _process_lease, None
    install_worker_source(_replaced)
    await lease.stop()


@contextlib.asynccontextmanager
async def held(database_url: str) -> AsyncIterator[WorkerLease]:
    """A tool's lease for the block (seeding, benchmarks): ``new_id()`` works inside it."""
    lease = await hold(database_url)
    try:
        yield lease
    finally:
        await release()
