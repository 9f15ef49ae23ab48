"""Argon2id hashing and checks, a bounded number at once.

Each one takes 64 MiB (argon2-cffi's default memory cost) in a thread of its own: forty
concurrent sign-ins with wrong passwords were forty threads and 2.5 GiB, past graph's memory
limit. Here at most ``concurrency`` run at once in this process (its ceiling: concurrency ×
64 MiB), and the others wait their turn on the event loop, where waiting costs nothing. The
gateways' sign-in limits (services/gateway/rate_limits.py) keep that queue short.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults (RFC 9106's low-memory profile: 3 passes over 64 MiB, 4 lanes): about
# 0.3 s of CPU a hash, as it should be. The test suite signs up thousands of accounts through
# the API and would spend most of its CPU here: it sets INSECURE_TEST_HASHING (read once, at
# import) for 1 pass over 1 MiB. Hashes carry their parameters, so either checks the other's.
INSECURE_TEST_HASHING = "HUBBUB_INSECURE_TEST_PASSWORD_HASHING"
if os.environ.get(INSECURE_TEST_HASHING) == "1":
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    logging.getLogger(__name__).warning(
        "%s=1: passwords hashed with test parameters, never for real accounts",
        INSECURE_TEST_HASHING)
else:
    hasher = PasswordHasher()
MEMORY_PER_CHECK = hasher.memory_cost * 1024  # bytes (memory_cost is in KiB)
T = TypeVar("T")


class Passwords:
    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self.running = 0  # checks and hashes under way now, and the most there ever were
        self.peak = 0

    async def _bounded(self, work: Callable[..., T], *args: str) -> T:
        async with self._slots:
            self.running += 1
            self.peak = max(self.peak, self.running)
            try:
                return await asyncio.to_thread(work, *args)
            finally:
                self.running -= 1

    async def hash(self, password: str) -> str:
        return await self._bounded(hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        try:
            return await self._bounded(hasher.verify, password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
