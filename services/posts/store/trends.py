"""SQL for a network's trends: hashtags, statuses and links."""

from __future__ import annotations

import asyncpg

from services.posts.store.cards import record_from_row as card_record
from shared.ids import id_at
from shared.paging import id_window
from shared.records import CardRecord

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


# --- statuses ------------------------------------------------------------------------------

STATUS_WINDOW_DAYS = 7  # a status older than this does not trend, however liked
ACTIVITY_HOURS = 48  # the favourites and reblogs that count
HALF_LIFE_S = 24 * 3600.0  # a favourite or reblog counts half as much a day later

# A network's public statuses of the last STATUS_WINDOW_DAYS (not replies, not reblogs, not
# sensitive: what Mastodon lets trend), ranked by the favourites and reblogs others gave them in
# the last ACTIVITY_HOURS, each weighed down by its age (halved every HALF_LIFE_S). Favourites
# and statuses are read by id range (ids are time-ordered: their primary keys serve the scan).
_STATUS_TRENDS = """
WITH acts AS (
    SELECT f.status_id, f.account_id, f.created_at FROM favourites f WHERE f.id >= $4
    UNION ALL
    SELECT r.reblog_of_id, r.account_id, r.created_at FROM statuses r
    WHERE r.id >= $4 AND r.reblog_of_id IS NOT NULL AND r.deleted_at IS NULL
)
SELECT s.id,
    sum(power(0.5::float8, extract(epoch FROM now() - a.created_at)::float8 / $6::float8))
        AS score
FROM acts a JOIN statuses s ON s.id = a.status_id
WHERE s.network_id = $1 AND s.id >= $5 AND s.visibility = 'public' AND s.community_id IS NULL
  AND s.deleted_at IS NULL AND s.reblog_of_id IS NULL AND s.in_reply_to_id IS NULL
  AND NOT s.sensitive AND a.account_id <> s.account_id
GROUP BY s.id ORDER BY score DESC, s.id DESC LIMIT $2 OFFSET $3
"""


async def status_trends(conn: asyncpg.Connection, network_id: int, limit: int, offset: int,
                        now: float) -> list[int]:
    """The ids of the network's trending statuses, best first."""
    rows = await conn.fetch(
        _STATUS_TRENDS, network_id, limit, offset,
        id_at(int((now - ACTIVITY_HOURS * 3600) * 1000)),
        id_at(int((now - STATUS_WINDOW_DAYS * 86_400) * 1000)), HALF_LIFE_S)
    return [row["id"] for row in rows]


# --- links ---------------------------------------------------------------------------------

# Every share of a link in a network's public posts of the last TREND_DAYS days (UTC days,
# today included): a status whose card it is, or a reblog of one (a reblog shares it too, as
# Mastodon counts it); the links with a ready card ranked by distinct sharers, then shares; and
# each ranked link's shares and sharers per day.
_LINK_TRENDS = """
WITH shares AS (
    SELECT coalesce(o.card_id, s.card_id) AS card_id, s.account_id,
        date_trunc('day', s.created_at AT TIME ZONE 'UTC') AS day
    FROM statuses s LEFT JOIN statuses o ON o.id = s.reblog_of_id
    WHERE s.network_id = $1 AND s.id >= $4 AND s.visibility = 'public'
      AND s.community_id IS NULL AND s.deleted_at IS NULL
      AND (s.reblog_of_id IS NULL
           OR (o.network_id = $1 AND o.visibility = 'public' AND o.community_id IS NULL
               AND o.deleted_at IS NULL))
), counted AS (
    SELECT card_id, count(DISTINCT account_id) AS people, count(*) AS uses
    FROM shares WHERE card_id IS NOT NULL GROUP BY card_id
), ranked AS (
    SELECT counted.* FROM counted JOIN preview_cards c ON c.id = counted.card_id
    WHERE c.state = 'ready'
    ORDER BY people DESC, uses DESC, card_id DESC LIMIT $2 OFFSET $3
)
SELECT ranked.card_id, ranked.people, ranked.uses,
    extract(epoch FROM sh.day)::bigint AS day, count(*) AS day_uses,
    count(DISTINCT sh.account_id) AS day_accounts
FROM shares sh JOIN ranked USING (card_id)
GROUP BY ranked.card_id, ranked.people, ranked.uses, sh.day
ORDER BY ranked.people DESC, ranked.uses DESC, ranked.card_id DESC, sh.day DESC
"""


async def link_trends(conn: asyncpg.Connection, network_id: int, limit: int, offset: int,
                      now: float) -> list[tuple[CardRecord, list[tuple[int, int, int]]]]:
    """The trending links, best first, each with (day, shares, sharers) for the last
    TREND_DAYS days, newest first (days without a share as zeros)."""
    today = int(now // 86_400) * 86_400
    days = [today - n * 86_400 for n in range(TREND_DAYS)]
    rows = await conn.fetch(_LINK_TRENDS, network_id, limit, offset, id_at(days[-1] * 1000))
    found: dict[int, dict[int, tuple[int, int]]] = {}
    for row in rows:
        found.setdefault(row["card_id"], {})[row["day"]] = (row["day_uses"],
                                                            row["day_accounts"])
    cards = {row["id"]: card_record(row) for row in await conn.fetch(
        "SELECT * FROM preview_cards WHERE id = ANY($1::bigint[])", list(found))}
    return [(cards[card_id], [(day, *per_day.get(day, (0, 0))) for day in days])
            for card_id, per_day in found.items() if card_id in cards]


async def link_timeline(conn: asyncpg.Connection, network_id: int, url: str, *,
                        max_id: int | None, since_id: int | None, min_id: int | None,
                        limit: int) -> list[int]:
    """A network's public statuses (not in communities) whose card is the one of ``url``."""
    window = id_window("s.id", max_id=max_id, since_id=since_id, min_id=min_id, limit=limit,
                       max_limit=40, first_arg=3)
    rows = await conn.fetch(
        "SELECT s.id FROM statuses s JOIN preview_cards c ON c.id = s.card_id "
        "WHERE md5(c.url) = md5($2) AND c.url = $2 AND c.state = 'ready' "
        "AND s.network_id = $1 AND s.visibility = 'public' AND s.community_id IS NULL "
        f"AND s.deleted_at IS NULL{window.sql}", network_id, url, *window.args)
    return window.newest_first([row["id"] for row in rows])
