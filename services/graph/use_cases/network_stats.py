"""The graph's part of a network's dashboard (Mastodon's measures and retention): who joined
and the reports opened and resolved, per day, for its owners, admins and moderators."""

from __future__ import annotations

import datetime as dt

import asyncpg

from services.graph.store import moderation as mod_store
from services.graph.use_cases.moderate_account import moderator_of
from shared import errors
from shared.contracts.moderation import NetworkDay, NetworkStats, StatsQuery

MAX_DAYS = 366 * 2


def day_bounds(start: str, end: str) -> tuple[dt.datetime, dt.datetime]:
    try:
        first = dt.date.fromisoformat(start)
        last = dt.date.fromisoformat(end)
    except ValueError as exc:
        raise errors.Invalid("Validation failed: start_at and end_at must be dates") from exc
    if last < first or (last - first).days > MAX_DAYS:
        raise errors.Invalid(f"Validation failed: end_at must follow start_at, within "
                             f"{MAX_DAYS} days")
    return (dt.datetime.combine(first, dt.time(), dt.UTC),
            dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC))


class NetworkStatsOf:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: StatsQuery) -> NetworkStats:
        first, last = day_bounds(req.start, req.end)
        async with self.pool.acquire() as conn:
            network_id = (await moderator_of(conn, req.account_id))["network_id"]
            joined = await mod_store.new_ids_by_day(conn, network_id, first, last)
            opened = await mod_store.reports_by_day(conn, network_id, first, last, "created_at")
            resolved = await mod_store.reports_by_day(conn, network_id, first, last,
                                                      "action_taken_at")
        days = sorted(set(joined) | set(opened) | set(resolved))
        return NetworkStats(network_id=network_id, days=[
            NetworkDay(day=d, new_ids=joined.get(d, []), opened_reports=opened.get(d, 0),
                       resolved_reports=resolved.get(d, 0)) for d in days])
