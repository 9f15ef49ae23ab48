"""SQL for trending hashtags."""

from __future__ import annotations

import asyncpg

TREND_DAYS = 7  # Mastodon's tag history: a week, a day a point

# A network's public, undeleted, non-community statuses that used a tag in the last TREND_DAYS
# days (UTC days, today included), the tags ranked by distinct authors, then by uses; and each
# ranked tag's uses and authors per day.
_TAG_TRENDS = """
WITH recent AS (
    SELECT u.tag, u.account_id, date_trunc('day', u.created_at AT TIME ZONE 'UTC') AS day
    FROM tag_uses u JOIN statuses s ON s.id = u.status_id
    WHERE u.created_at >= (date_trunc('day', now() AT TIME ZONE 'UTC')
                           - make_interval(days => $4 - 1)) AT TIME ZONE 'UTC'
      AND s.network_id = $1 AND s.visibility = 'public' AND s.community_id IS NULL
      AND s.deleted_at IS NULL
), ranked AS (
    SELECT tag, count(DISTINCT account_id) AS people, count(*) AS uses FROM recent
    GROUP BY tag ORDER BY people DESC, uses DESC, tag LIMIT $2 OFFSET $3
)
SELECT r.tag, ranked.people, ranked.uses,
    extract(epoch FROM r.day)::bigint AS day, count(*) AS day_uses,
    count(DISTINCT r.account_id) AS day_accounts
FROM recent r JOIN ranked USING (tag)
GROUP BY r.tag, ranked.people, ranked.uses, r.day
ORDER BY ranked.people DESC, ranked.uses DESC, r.tag, r.day DESC
"""


async def tag_trends(conn: asyncpg.Connection, network_id: int, limit: int, offset: int,
                     now: float) -> list[tuple[str, list[tuple[int, int, int]]]]:
    """The trending tags, best first, each with (day, uses, accounts) for the last TREND_DAYS
    days, newest first (days without use as zeros)."""
    rows = await conn.fetch(_TAG_TRENDS, network_id, limit, offset, TREND_DAYS)
    today = int(now // 86_400) * 86_400
    days = [today - n * 86_400 for n in range(TREND_DAYS)]
    found: dict[str, dict[int, tuple[int, int]]] = {}
    for row in rows:
        found.setdefault(row["tag"], {})[row["day"]] = (row["day_uses"], row["day_accounts"])
    return [(tag, [(day, *per_day.get(day, (0, 0))) for day in days])
            for tag, per_day in found.items()]
