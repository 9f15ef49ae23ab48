"""Time-ordered 64-bit ids (snowflake layout), made in the service that owns the row.

Layout, most significant first: 42 bits of milliseconds since 2025-01-01 UTC, 10 bits of worker
(random per process), 12 bits of sequence. Ids sort by creation time, fit in a signed BIGINT, and
travel as decimal strings in the Mastodon API (JavaScript numbers would lose their low bits).

Redis cannot hold such ids exactly as float scores (above 2^53), so timelines store them as
fixed-width members (``member()``) with score 0 and read them in lexicographic order.
"""

from __future__ import annotations

import os
import secrets
import threading
import time

EPOCH_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
WORKER_BITS = 10
SEQUENCE_BITS = 12
MEMBER_WIDTH = 20  # digits of 2^64


class IdGenerator:
    def __init__(self, worker: int | None = None) -> None:
        self._worker = (secrets.randbits(WORKER_BITS) if worker is None else worker) & 0x3FF
        self._last_ms = 0
        self._sequence = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            now = int(time.time() * 1000) - EPOCH_MS
            if now <= self._last_ms:
                # Same millisecond (or the clock stepped back): keep counting from the last one.
                now = self._last_ms
                self._sequence = (self._sequence + 1) & 0xFFF
                if self._sequence == 0:
                    now += 1
            else:
                self._sequence = 0
            self._last_ms = now
            return (now << (WORKER_BITS + SEQUENCE_BITS)) | (self._worker << SEQUENCE_BITS) | (
                self._sequence
            )


_default = IdGenerator()
_pid = os.getpid()


def new_id() -> int:
    global _default, _pid
    if os.getpid() != _pid:  # forked: a child must not reuse the parent's worker bits
        _default, _pid = IdGenerator(), os.getpid()
    return _default.next()


def id_at(ms_since_unix_epoch: int) -> int:
    """The smallest id made at a given time: a bound for time-range queries."""
    return max(0, ms_since_unix_epoch - EPOCH_MS) << (WORKER_BITS + SEQUENCE_BITS)


def created_ms(snowflake: int) -> int:
    return (snowflake >> (WORKER_BITS + SEQUENCE_BITS)) + EPOCH_MS


def member(snowflake: int) -> str:
    return str(snowflake).zfill(MEMBER_WIDTH)


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
