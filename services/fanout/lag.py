"""Consumer lag as Prometheus gauges: every few seconds, how many events each durable consumer
of the stream has not been given yet, and how many it holds unacknowledged. Any fanout process
reports them all (they are facts about the stream, not about this process)."""

from __future__ import annotations

from nats.js import JetStreamContext

from shared import metrics, subjects
from shared.periodic import Every

__all__ = ["INTERVAL_S", "ConsumerLag", "Every"]

INTERVAL_S = 5.0


class ConsumerLag:
    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    async def refresh(self) -> None:
        for info in await self.js.consumers_info(subjects.EVENTS_STREAM):
            name = info.name or (info.config.durable_name if info.config else None) or "?"
            metrics.CONSUMER_PENDING.labels(name).set(info.num_pending or 0)
            metrics.CONSUMER_ACK_PENDING.labels(name).set(info.num_ack_pending or 0)
