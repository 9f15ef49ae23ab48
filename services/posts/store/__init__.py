"""SQL for the posts schema."""

from __future__ import annotations

import asyncpg

from shared.contracts.posts import AuthorStatuses, Page, PageItem
from shared.records import PollRecord, StatusRecord

STATUS_SELECT = """
SELECT s.id, s.account_id, s.network_id, s.text, s.content_html, s.visibility, s.spoiler_text,
    s.sensitive, s.language, s.in_reply_to_id, s.in_reply_to_account_id, s.reblog_of_id,
    s.community_id, s.mentions, s.tags, s.replies_count, s.reblogs_count, s.favourites_count,
    s.version,
    (extract(epoch FROM s.created_at) * 1000)::bigint AS created_at,
    (extract(epoch FROM s.edited_at) * 1000)::bigint AS edited_at,
    p.id AS poll_id, p.options AS poll_options, p.votes AS poll_votes,
    p.multiple AS poll_multiple,
    (extract(epoch FROM p.expires_at) * 1000)::bigint AS poll_expires_at,
    p.votes_count AS poll_votes_count, p.voters_count AS poll_voters_count
FROM statuses s LEFT JOIN polls p ON p.status_id = s.id
"""

POLL_FIELDS = ("poll_id", "poll_options", "poll_votes", "poll_multiple", "poll_expires_at",
               "poll_votes_count", "poll_voters_count")


def status_from_row(row: asyncpg.Record) -> StatusRecord:
    values = dict(row)
    poll = None
    if values["poll_id"] is not None:
        poll = PollRecord(
            id=values["poll_id"], options=tuple(values["poll_options"]),
            votes=tuple(values["poll_votes"]), multiple=values["poll_multiple"],
            expires_at=values["poll_expires_at"], votes_count=values["poll_votes_count"],
            voters_count=values["poll_voters_count"])
    for field in POLL_FIELDS:
        values.pop(field)
    values["mentions"] = tuple(values["mentions"])
    values["tags"] = tuple(values["tags"])
    return StatusRecord(**values, poll=poll)


async def statuses_by_ids(conn: asyncpg.Connection, ids: list[int]) -> list[StatusRecord]:
    rows = await conn.fetch(
        f"{STATUS_SELECT} WHERE s.id = ANY($1::bigint[]) AND s.deleted_at IS NULL", ids)
    return [status_from_row(row) for row in rows]


async def status(conn: asyncpg.Connection, status_id: int) -> StatusRecord | None:
    found = await statuses_by_ids(conn, [status_id])
    return found[0] if found else None


async def recent_ids_by_author(conn: asyncpg.Connection, account_id: int, limit: int,
                               include_reblogs: bool = True) -> list[int]:
    """The author's latest statuses that a follower's home timeline may hold: not direct
    messages (those go to the mentioned only) and not community posts (members only)."""
    rows = await conn.fetch(
        "SELECT id FROM statuses WHERE account_id = $1 AND deleted_at IS NULL "
        "AND visibility <> 'direct' AND community_id IS NULL "
        "AND (reblog_of_id IS NULL OR $3) ORDER BY id DESC LIMIT $2",
        account_id, limit, include_reblogs,
    )
    return [row["id"] for row in rows]


async def ancestors(conn: asyncpg.Connection, status_id: int, limit: int = 40
                    ) -> list[StatusRecord]:
    rows = await conn.fetch(
        """
        WITH RECURSIVE up(id, parent, depth) AS (
            SELECT id, in_reply_to_id, 0 FROM statuses WHERE id = $1
            UNION ALL
            SELECT s.id, s.in_reply_to_id, up.depth + 1
            FROM statuses s JOIN up ON s.id = up.parent WHERE up.depth < $2
        )
        SELECT id FROM up WHERE id <> $1 ORDER BY depth DESC
        """, status_id, limit)
    ids = [row["id"] for row in rows]
    found = {s.id: s for s in await statuses_by_ids(conn, ids)}
    return [found[i] for i in ids if i in found]


async def descendants(conn: asyncpg.Connection, status_id: int, limit: int = 200
                      ) -> list[StatusRecord]:
    rows = await conn.fetch(
        """
        WITH RECURSIVE down(id, path) AS (
            SELECT id, ARRAY[id] FROM statuses WHERE in_reply_to_id = $1 AND deleted_at IS NULL
            UNION ALL
            SELECT s.id, down.path || s.id FROM statuses s JOIN down ON s.in_reply_to_id = down.id
            WHERE s.deleted_at IS NULL AND cardinality(down.path) < 64
        )
        SELECT id FROM down ORDER BY path LIMIT $2
        """, status_id, limit)
    ids = [row["id"] for row in rows]
    found = {s.id: s for s in await statuses_by_ids(conn, ids)}
    return [found[i] for i in ids if i in found]


def page_clause(page: Page, column: str, args: list) -> tuple[str, str, bool]:
    """WHERE fragment, ORDER BY and whether to reverse, for Mastodon's max/since/min ids."""
    clauses = []
    if page.max_id is not None:
        args.append(page.max_id)
        clauses.append(f"{column} < ${len(args)}")
    if page.since_id is not None:
        args.append(page.since_id)
        clauses.append(f"{column} > ${len(args)}")
    if page.min_id is not None:
        args.append(page.min_id)
        clauses.append(f"{column} > ${len(args)}")
    ascending = page.min_id is not None and page.max_id is None
    where = (" AND " + " AND ".join(clauses)) if clauses else ""
    return where, f"ORDER BY {column} {'ASC' if ascending else 'DESC'}", ascending


async def paged(conn: asyncpg.Connection, sql_from: str, key_arg, page: Page, *,
                cursor: str, item: str) -> list[PageItem]:
    """Run ``SELECT cursor, item FROM ... WHERE <key = $1>`` paged by ``cursor``."""
    args: list = [key_arg]
    where, order, ascending = page_clause(page, cursor, args)
    args.append(max(1, min(page.limit, 80)))
    rows = await conn.fetch(
        f"SELECT {cursor} AS cursor, {item} AS id FROM {sql_from}{where} {order} "
        f"LIMIT ${len(args)}", *args)
    items = [PageItem(cursor=row["cursor"], id=row["id"]) for row in rows]
    if ascending:
        items.reverse()
    return items


async def statuses_by_author(conn: asyncpg.Connection, req: AuthorStatuses
                             ) -> list[StatusRecord]:
    """A profile's page. Direct messages never show on a profile, not even to the mentioned;
    replies to the author's own statuses (threads) stay when replies to others are left out."""
    args: list = [req.account_id]
    where = ["s.account_id = $1", "s.deleted_at IS NULL", "s.visibility <> 'direct'"]
    if req.exclude_replies:
        where.append("(s.in_reply_to_id IS NULL OR s.in_reply_to_account_id = $1)")
    if req.exclude_reblogs:
        where.append("s.reblog_of_id IS NULL")
    if req.pinned:
        where.append("EXISTS (SELECT 1 FROM pins p WHERE p.account_id = $1 "
                     "AND p.status_id = s.id)")
    if req.tagged is not None:
        args.append(req.tagged)
        where.append(f"${len(args)} = ANY(s.tags)")
    paging, order, ascending = page_clause(req.page, "s.id", args)
    args.append(max(1, min(req.page.limit, 40)))
    rows = await conn.fetch(
        f"{STATUS_SELECT} WHERE {' AND '.join(where)}{paging} {order} LIMIT ${len(args)}", *args)
    statuses = [status_from_row(row) for row in rows]
    if ascending:
        statuses.reverse()
    return statuses


async def recent_ids_in_community(conn: asyncpg.Connection, community_id: int, limit: int,
                                  include_private: bool) -> list[int]:
    rows = await conn.fetch(
        "SELECT id FROM statuses WHERE community_id = $1 AND deleted_at IS NULL "
        "AND visibility <> 'direct' AND (visibility <> 'private' OR $3) "
        "ORDER BY id DESC LIMIT $2", community_id, limit, include_private)
    return [row["id"] for row in rows]


async def home_rebuild_entries(conn: asyncpg.Connection, account_id: int, followees: list[int],
                               no_reblogs: list[int], communities: list[int], limit: int,
                               direct_since_id: int | None, tags: list[str] = (),
                               network_id: int = 0) -> list[asyncpg.Record]:
    """A home timeline's newest entries (``id``, ``reblog_of_id``), as fanout would have written
    them: the reader's own statuses, its followees' that followers see, its communities', its
    network's public posts with the hashtags it follows, and (from ``direct_since_id`` on, when
    given) direct messages to it. Each followee gives at most
    half the page, as Mastodon's rebuild does, so that a reader of thousands reads a bounded
    number of index entries. Mentions have no index: direct messages are found by walking the
    newest statuses back to ``direct_since_id``."""
    return await conn.fetch(
        """
        (SELECT id, reblog_of_id FROM statuses
         WHERE account_id = $1 AND deleted_at IS NULL ORDER BY id DESC LIMIT $5)
        UNION
        (SELECT s.id, s.reblog_of_id FROM unnest($2::bigint[]) AS f(id) CROSS JOIN LATERAL (
            SELECT id, reblog_of_id FROM statuses
            WHERE account_id = f.id AND deleted_at IS NULL AND visibility <> 'direct'
              AND community_id IS NULL AND (reblog_of_id IS NULL OR f.id <> ALL($3::bigint[]))
            ORDER BY id DESC LIMIT $6) s)
        UNION
        (SELECT id, reblog_of_id FROM statuses
         WHERE community_id = ANY($4::bigint[]) AND deleted_at IS NULL
           AND visibility <> 'direct'
           AND (visibility <> 'private' OR account_id = $1 OR account_id = ANY($2::bigint[]))
         ORDER BY id DESC LIMIT $5)
        UNION
        (SELECT id, reblog_of_id FROM statuses
         WHERE $7::bigint IS NOT NULL AND id > $7 AND visibility = 'direct'
           AND deleted_at IS NULL AND $1 = ANY(mentions)
         ORDER BY id DESC LIMIT $5)
        UNION
        (SELECT s.id, s.reblog_of_id FROM unnest($8::text[]) AS t(tag) CROSS JOIN LATERAL (
            SELECT status_id FROM tag_uses WHERE tag = t.tag
            ORDER BY status_id DESC LIMIT $6) u
         JOIN statuses s ON s.id = u.status_id
         WHERE s.deleted_at IS NULL AND s.visibility = 'public' AND s.network_id = $9
           AND s.community_id IS NULL)
        ORDER BY id DESC LIMIT $5
        """,
        account_id, followees, no_reblogs, communities, limit, max(1, limit // 2),
        direct_since_id, list(tags), network_id)


async def recent_reblog_ids_by_author(conn: asyncpg.Connection, account_id: int, limit: int
                                      ) -> list[int]:
    rows = await conn.fetch(
        "SELECT id FROM statuses WHERE account_id = $1 AND deleted_at IS NULL "
        "AND reblog_of_id IS NOT NULL AND visibility <> 'direct' AND community_id IS NULL "
        "ORDER BY id DESC LIMIT $2", account_id, limit)
    return [row["id"] for row in rows]


async def direct_page(conn: asyncpg.Connection, after_id: int, limit: int
                      ) -> list[asyncpg.Record]:
    """Direct messages in id order (``id``, ``mentions``): one pass over all of them, for a
    rebuild of every home timeline."""
    return await conn.fetch(
        "SELECT id, mentions FROM statuses WHERE id > $1 AND visibility = 'direct' "
        "AND deleted_at IS NULL ORDER BY id LIMIT $2", after_id, limit)


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
