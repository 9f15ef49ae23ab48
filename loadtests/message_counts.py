"""What a write costs in messages, beside what it costs in CPU (loadtests/cpu_split.py): the
service requests each verb answered, the events each consumer handled, PostgreSQL
transactions and Valkey commands, counted over a phase and divided by its writes.

The write path's cost is spread over many small steps (no function dominates a profile), so
these counts are where its levers show: a verb asked on every post, a consumer that hears
events it ignores. Read from what the stack exposes anyway: each service's Prometheus
``/metrics`` (``hubbub_service_request_seconds`` and ``hubbub_events_processed_total``),
``pg_stat_database`` (and ``pg_stat_statements``, where the bench's server loads it: which
statements, by their text) and Valkey's ``INFO stats`` and ``INFO commandstats``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import redis.asyncio as redis
from prometheus_client.parser import text_string_to_metric_families

from loadtests.stack import BenchStack, statement_statistics
from shared import credentials

REQUESTS = "hubbub_service_request_seconds"
EVENTS = "hubbub_events_processed_total"
STATEMENT = "postgres: "  # the key of a statement's count, before its text
STATEMENT_CHARS = 90  # of a statement's text, enough to tell which it is


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
        found.update(await self.statements())
        if not self.stack.cluster:
            async with redis.Redis.from_url(self.stack.settings.redis_url) as r:
                stats: dict[str, Any] = await r.info("stats")
                found["valkey commands"] = int(stats["total_commands_processed"])
                # Which commands: the callers are many (rate limits, caches, timelines).
                by_command: dict[str, Any] = await r.info("commandstats")
                for name, stat in by_command.items():
                    found["valkey " + name.removeprefix("cmdstat_")] = int(stat["calls"])
        return found

    async def statements(self) -> Counter[str]:
        """``postgres: <statement>`` calls, from pg_stat_statements (its view and extension
        are the superuser's to make), where the bench's server loads it (stack.py)."""
        found: Counter[str] = Counter()
        if not (self.stack.count_statements and statement_statistics()):
            return found
        conn = await asyncpg.connect(self.stack.settings.owner_database_url,
                                     user="postgres", password=credentials.password(
                                         Path(self.stack.settings.data_dir),
                                         credentials.EMBEDDED_SUPERUSER_SECRET))
        try:
            await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            for row in await conn.fetch(
                    "SELECT query, calls FROM pg_stat_statements s JOIN pg_roles r "
                    "ON r.oid = s.userid WHERE r.rolname <> 'postgres'"):
                text = " ".join(row["query"].split())
                found[STATEMENT + text[:STATEMENT_CHARS]] += int(row["calls"])
        finally:
            await conn.close()
        return found

    @staticmethod
    def per_write(before: Counter[str], after: Counter[str], writes: int) -> dict[str, float]:
        """Each count's growth divided by the writes (the ones that grew)."""
        return {key: (after[key] - before.get(key, 0)) / max(writes, 1)
                for key in sorted(after) if after[key] > before.get(key, 0)}
