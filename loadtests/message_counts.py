"""What a write costs in messages, beside what it costs in CPU (loadtests/cpu_split.py): the
service requests each verb answered, the events each consumer handled, PostgreSQL
transactions and Valkey commands, counted over a phase and divided by its writes.

The write path's cost is spread over many small steps (no function dominates a profile), so
these counts are where its levers show: a verb asked on every post, a consumer that hears
events it ignores. Read from what the stack exposes anyway: each service's Prometheus
``/metrics`` (``hubbub_service_request_seconds`` and ``hubbub_events_processed_total``),
``pg_stat_database`` and Valkey's ``INFO stats`` and ``INFO commandstats``."""

from __future__ import annotations

from collections import Counter
from typing import Any

import asyncpg
import httpx
import redis.asyncio as redis
from prometheus_client.parser import text_string_to_metric_families

from loadtests.stack import BenchStack

REQUESTS = "hubbub_service_request_seconds"
EVENTS = "hubbub_events_processed_total"


def counts_in(metrics_text: str) -> Counter[str]:
    """``request <endpoint>`` and ``event <consumer>`` counts in one exposition."""
    found: Counter[str] = Counter()
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if family.name == REQUESTS and sample.name == REQUESTS + "_count":
                found["request " + sample.labels["endpoint"]] += int(sample.value)
            elif family.name == EVENTS.removesuffix("_total") and sample.name == EVENTS:
                found["event " + sample.labels["consumer"]] += int(sample.value)
    return found


class MessageMeter:
    def __init__(self, stack: BenchStack) -> None:
        self.stack = stack

    async def sample(self) -> Counter[str]:
        found: Counter[str] = Counter()
        async with httpx.AsyncClient(timeout=10) as client:
            for label in self.stack.procs:
                url = self.stack.service_url(label)
                if url is None:
                    continue
                reply = await client.get(url + "/metrics")
                if reply.status_code == 200:
                    found.update(counts_in(reply.text))
        conn = await asyncpg.connect(self.stack.settings.owner_database_url)
        try:
            found["postgres transactions"] = int(await conn.fetchval(
                "SELECT sum(xact_commit + xact_rollback) FROM pg_stat_database"))
        finally:
            await conn.close()
        if not self.stack.cluster:
            async with redis.Redis.from_url(self.stack.settings.redis_url) as r:
                stats: dict[str, Any] = await r.info("stats")
                found["valkey commands"] = int(stats["total_commands_processed"])
                # Which commands: the callers are many (rate limits, caches, timelines).
                by_command: dict[str, Any] = await r.info("commandstats")
                for name, stat in by_command.items():
                    found["valkey " + name.removeprefix("cmdstat_")] = int(stat["calls"])
        return found

    @staticmethod
    def per_write(before: Counter[str], after: Counter[str], writes: int) -> dict[str, float]:
        """Each count's growth divided by the writes (the ones that grew)."""
        return {key: (after[key] - before.get(key, 0)) / max(writes, 1)
                for key in sorted(after) if after[key] > before.get(key, 0)}
