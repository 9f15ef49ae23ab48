"""SQL for timelines: the recent statuses fanout and rebuilds put in home, community and
direct timelines."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg


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

async def recent_ids_in_community(conn: asyncpg.Connection, community_id: int, limit: int,
                                  include_private: bool) -> list[int]:
    rows = await conn.fetch(
        "SELECT id FROM statuses WHERE community_id = $1 AND deleted_at IS NULL "
        "AND visibility <> 'direct' AND (visibility <> 'private' OR $3) "
        "ORDER BY id DESC LIMIT $2", community_id, limit, include_private)
    return [row["id"] for row in rows]


async def home_rebuild_entries(conn: asyncpg.Connection, account_id: int, followees: list[int],
                               no_reblogs: list[int], communities: list[int], limit: int,
                               direct_since_id: int | None, tags: Sequence[str] = (),
                               network_id: int = 0) -> list[asyncpg.Record]:
    """A home timeline's newest entries (``id``, ``reblog_of_id``), as fanout would have written
    them: the reader's own statuses, its followees' that followers see, its communities', its
    network's public posts with the hashtags it follows, and (from ``direct_since_id`` on, when
    given) direct messages to it. Each followee gives at most
    half the page, as Mastodon's rebuild does, so that a reader of thousands reads a bounded
    number of index entries. Mentions have no index: direct messages are found by walking the
    newest statuses back to ``direct_since_id``."""
    rows: list[asyncpg.Record] = await conn.fetch(
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
    return rows


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
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT id, mentions FROM statuses WHERE id > $1 AND visibility = 'direct' "
        "AND deleted_at IS NULL ORDER BY id LIMIT $2", after_id, limit)
    return rows
