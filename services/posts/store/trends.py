"""SQL for trending hashtags."""

from __future__ import annotations

import asyncpg

from shared.ids import id_at

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


# An author's public and unlisted, undeleted, non-community statuses per tag (featured tags:
# what a profile's visitors could read with that tag). $2 NULL: every tag the author used.
_TAG_USAGE = """
SELECT u.tag, count(*) AS n, (extract(epoch FROM max(s.created_at)) * 1000)::bigint AS last_at
FROM tag_uses u JOIN statuses s ON s.id = u.status_id
WHERE u.account_id = $1 AND ($2::text[] IS NULL OR u.tag = ANY($2::text[]))
  AND s.visibility IN ('public', 'unlisted') AND s.community_id IS NULL
  AND s.deleted_at IS NULL AND s.reblog_of_id IS NULL
GROUP BY u.tag ORDER BY n DESC, last_at DESC LIMIT $3
"""


async def tag_usage(conn: asyncpg.Connection, account_id: int, tags: list[str] | None,
                    limit: int) -> list[tuple[str, int, int | None]]:
    """(tag, statuses, last status ms) of the author's tags, most used first."""
    rows = await conn.fetch(_TAG_USAGE, account_id, tags, limit)
    return [(row["tag"], row["n"], row["last_at"]) for row in rows]


async def weekly_statuses(conn: asyncpg.Connection, network_id: int, since_ms: int
                          ) -> list[tuple[int, int]]:
    """(week start ms, statuses) of a network's posts (reblogs included, as Mastodon counts).
    Ids are time-ordered: the primary key bounds the weeks, no index of its own needed."""
    rows = await conn.fetch(
        "SELECT (extract(epoch FROM date_trunc('week', created_at AT TIME ZONE 'UTC')) * 1000)"
        "::bigint AS week, count(*) AS n FROM statuses WHERE id >= $2 AND network_id = $1 "
        "AND deleted_at IS NULL GROUP BY 1", network_id, id_at(since_ms))
    return [(row["week"], row["n"]) for row in rows]
