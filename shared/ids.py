"""Time-ordered 64-bit ids (snowflake layout), made in the service that owns the row.

Layout, most significant first: 42 bits of milliseconds since 2025-01-01 UTC, 10 bits of worker,
12 bits of sequence. Ids sort by creation time, fit in a signed BIGINT, and travel as decimal
strings in the Mastodon API (JavaScript numbers would lose their low bits).

The worker is what keeps two processes' ids apart within one millisecond, so no two live
processes may share it. It used to be 10 random bits: with a handful of processes two drew the
same worker now and then (the birthday bound), and their colliding ids made JetStream's
``Nats-Msg-Id`` check and the outbox's ``ON CONFLICT DO NOTHING`` drop real events. Now a
process mints only under a worker it *holds*: a lease (``shared.worker_lease``) installed with
``install_worker_source``, or, for unit tests and tools with no database, an explicit
``FixedWorker``. With neither, ``new_id()`` raises ``NoWorkerLease`` rather than guess.

Redis cannot hold such ids exactly as float scores (above 2^53), so timelines store them as
fixed-width members (``member()``) with score 0 and read them in lexicographic order. A member
is the id *reversed*, ``MEMBER_TOP - id`` in plain decimal: 19 digits for every id up to
``LAST_MEMBER_ID`` (~8.2e18, made in 2087; today's are ~2.5e17), so lexicographic order stays
numeric order, only newest first. Both halves of that are measured wins for Valkey's listpacks
(shared/timelines/compact.py): a decimal without leading zeros that fits an int64 is stored as
one (12 bytes an entry with score 0, against 24 for the old zero-padded 20-digit string), and
the newest entry, the one every write adds, is the smallest member, so a ZADD finds its place at
the listpack's head instead of its far end (at 800 entries Valkey's ZADD took 8.8 us, not 21).
Everything that reads or writes timelines goes through ``member``, ``member_id`` and
``member_bound``; the oldest entries are at the tail (trims remove ranks ``cap..-1``).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from typing import Protocol

from shared.errors import Unavailable

EPOCH_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
WORKER_BITS = 10
WORKER_MASK = (1 << WORKER_BITS) - 1
SEQUENCE_BITS = 12
MEMBER_TOP = 2**63 - 1  # a member is MEMBER_TOP - id
MEMBER_WIDTH = 19  # digits of every member (below 10^19, at least 10^18)
LAST_MEMBER_ID = MEMBER_TOP - 10**18  # the largest id whose member has all 19 digits


class NoWorkerLease(Unavailable):
    """This process holds no worker id at the moment, so it must not mint ids: the one it had
    may be another process's now. A 503 to clients; it passes once the lease is re-taken."""


class WorkerSource(Protocol):
    """Where a generator gets the worker id it may mint under, asked at every id."""

    def current_worker(self) -> int:
        """The worker held now; raises ``NoWorkerLease`` while none is."""
        ...


class FixedWorker:
    """An explicit worker, for unit tests and tools that make ids without a database. The
    caller answers for its uniqueness: nothing stops another process from using it too."""

    def __init__(self, worker: int) -> None:
        self.worker = worker & WORKER_MASK

    def current_worker(self) -> int:
        return self.worker


class IdGenerator:
    def __init__(self, worker: int | WorkerSource) -> None:
        self._source: WorkerSource = FixedWorker(worker) if isinstance(worker, int) else worker
        self._worker = -1  # the worker of the last id made
        self._last_ms = 0
        self._sequence = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            worker = self._source.current_worker() & WORKER_MASK
            now = int(time.time() * 1000) - EPOCH_MS
            if worker != self._worker and self._last_ms:
                # A new worker (a lease lost and re-taken): start past the last millisecond
                # made, so this process's ids keep increasing whatever the new worker's bits.
                now = max(now, self._last_ms + 1)
                self._sequence = 0
            elif now <= self._last_ms:
                # Same millisecond (or the clock stepped back): keep counting from the last one.
                now = self._last_ms
                self._sequence = (self._sequence + 1) & 0xFFF
                if self._sequence == 0:
                    now += 1
            else:
                self._sequence = 0
            self._worker = worker
            self._last_ms = now
            return (now << (WORKER_BITS + SEQUENCE_BITS)) | (worker << SEQUENCE_BITS) | (
                self._sequence
            )


_installed: WorkerSource | None = None


class _Installed:
    """The process's worker source as installed at the time of each id."""

    def current_worker(self) -> int:
        source = _installed
        if source is None:
            raise NoWorkerLease("no worker id is leased in this process, so it makes no ids")
        return source.current_worker()


def install_worker_source(source: WorkerSource | None) -> WorkerSource | None:
    """Make ``new_id()`` mint under ``source`` (None: refuse); returns the one it replaces."""
    global _installed
    previous, _installed = _installed, source
    return previous


def installed_worker_source() -> WorkerSource | None:
    return _installed


@contextlib.contextmanager
def fixed_worker(worker: int | None) -> Iterator[None]:
    """``new_id()`` under an explicit worker (None: under none) for the block: tests only."""
    previous = install_worker_source(None if worker is None else FixedWorker(worker))
    try:
        yield
    finally:
        install_worker_source(previous)


_default = IdGenerator(_Installed())
_pid = os.getpid()


def new_id() -> int:
    """An id under the process's worker lease; ``NoWorkerLease`` while it holds none."""
    global _default, _pid
    if os.getpid() != _pid:  # forked: the parent's sequence state is not the child's
        _default, _pid = IdGenerator(_Installed()), os.getpid()
    return _default.next()


def id_at(ms_since_unix_epoch: int) -> int:
    """The smallest id made at a given time: a bound for time-range queries."""
    return max(0, ms_since_unix_epoch - EPOCH_MS) << (WORKER_BITS + SEQUENCE_BITS)


def created_ms(snowflake: int) -> int:
    return (snowflake >> (WORKER_BITS + SEQUENCE_BITS)) + EPOCH_MS


def member(snowflake: int) -> str:
    """The timeline member of a status id: reversed, so that the newest sorts first."""
    if not 0 <= snowflake <= LAST_MEMBER_ID:
        raise ValueError(f"status id out of the timelines' range: {snowflake}")
    return str(MEMBER_TOP - snowflake)


def member_id(value: bytes | str) -> int:
    """The status id of a timeline member (``member``'s inverse)."""
    return MEMBER_TOP - int(value)


def member_bound(snowflake: int) -> str:
    """``member`` of a client's paging bound, clamped into the range members cover (a bound
    past it leaves out nothing that a timeline can hold)."""
    return member(min(max(snowflake, 0), LAST_MEMBER_ID))


def parse_id(value: str | int | None) -> int | None:
    """A client-supplied id, or None when it is not one (the caller answers 404 or ignores it)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 2**63 else None
    value = value.strip()
    # ASCII only: str.isdigit() accepts '²' and other digits that int() refuses or misreads.
    if not (value.isascii() and value.isdigit()) or len(value) > 19:
        return None
    number = int(value)
    return number if number < 2**63 else None
