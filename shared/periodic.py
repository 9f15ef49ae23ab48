"""Background chores that run on a timer inside a service (closing polls, reporting lag, ...)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Every:
    """Run ``chore`` every ``interval_s`` seconds until stopped; a failure waits for next time."""

    def __init__(self, interval_s: float, chore: Callable[[], Awaitable[object]], name: str
                 ) -> None:
        self.interval_s = interval_s
        self.chore = chore
        self.name = name
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.chore()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # NATS or Redis away for a moment
                log.warning("%s failed: %s", self.name, exc)
            await asyncio.sleep(self.interval_s)
