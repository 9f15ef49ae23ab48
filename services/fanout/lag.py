"""Consumer lag as Prometheus gauges: every few seconds, how many events each durable consumer
of the stream has not been given yet, and how many it holds unacknowledged. Any fanout process
reports them all (they are facts about the stream, not about this process). And ``Every``, the
loop that runs such chores."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from nats.js import JetStreamContext

from shared import metrics, subjects

log = logging.getLogger(__name__)
INTERVAL_S = 5.0


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


class ConsumerLag:
    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    async def refresh(self) -> None:
        for info in await self.js.consumers_info(subjects.EVENTS_STREAM):
            name = info.name or (info.config.durable_name if info.config else None) or "?"
            metrics.CONSUMER_PENDING.labels(name).set(info.num_pending or 0)
            metrics.CONSUMER_ACK_PENDING.labels(name).set(info.num_ack_pending or 0)
