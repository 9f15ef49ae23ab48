"""SQL for the relations between two accounts: follow requests, blocks and mutes, and the
``Relationship`` that Mastodon shows for a pair."""

from __future__ import annotations

import asyncpg

from shared.contracts.graph import RelationItem, RelationPage, Relationship, ViewerFactsReply
from shared.paging import id_window

# $1 is the reader, ``o.id`` the other account: the facts of one Relationship.
_FACTS = """
    f.follower_id IS NOT NULL AS following, f.reblogs, f.notify,
    EXISTS (SELECT 1 FROM follows WHERE follower_id = o.id AND followee_id = $1)
      AS followed_by,
    EXISTS (SELECT 1 FROM follow_requests WHERE follower_id = $1 AND followee_id = o.id)
      AS requested,
    EXISTS (SELECT 1 FROM follow_requests WHERE follower_id = o.id AND followee_id = $1)
      AS requested_by,
    EXISTS (SELECT 1 FROM blocks WHERE account_id = $1 AND target_id = o.id) AS blocking,
    EXISTS (SELECT 1 FROM blocks WHERE account_id = o.id AND target_id = $1) AS blocked_by,
    m.notifications AS mute_notifications,
    EXISTS (SELECT 1 FROM account_pins WHERE account_id = $1 AND target_id = o.id) AS endorsed,
    coalesce(note.comment, '') AS note
"""
_FACTS_JOINS = """
LEFT JOIN follows f ON f.follower_id = $1 AND f.followee_id = o.id
LEFT JOIN mutes m ON m.account_id = $1 AND m.target_id = o.id
    AND (m.expires_at IS NULL OR m.expires_at > now())
LEFT JOIN account_notes note ON note.account_id = $1 AND note.target_id = o.id
"""
_ONE = f"SELECT {_FACTS} FROM (SELECT $2::bigint AS id) o {_FACTS_JOINS}"
# One row per requested id, in the order asked (ids repeat and unknown ids answer too).
_MANY = (f"SELECT o.id, {_FACTS} FROM unnest($2::bigint[]) WITH ORDINALITY AS o(id, n) "
         f"{_FACTS_JOINS} ORDER BY o.n")


def _relationship(other_id: int, row: asyncpg.Record) -> Relationship:
    return Relationship(
        id=other_id,
        following=row["following"],
        showing_reblogs=bool(row["reblogs"]),
        notifying=bool(row["notify"]),
        followed_by=row["followed_by"],
        requested=row["requested"],
        requested_by=row["requested_by"],
        blocking=row["blocking"],
        blocked_by=row["blocked_by"],
        muting=row["mute_notifications"] is not None,
        muting_notifications=bool(row["mute_notifications"]),
        endorsed=row["endorsed"],
        note=row["note"],
    )


async def relationship(conn: asyncpg.Connection, account_id: int, other_id: int
                       ) -> Relationship:
    return _relationship(other_id, await conn.fetchrow(_ONE, account_id, other_id))


async def relationships(conn: asyncpg.Connection, account_id: int, ids: list[int]
                        ) -> list[Relationship]:
    """``relationship`` for each of ``ids``, in their order, in one query."""
    rows = await conn.fetch(_MANY, account_id, ids)
    return [_relationship(row["id"], row) for row in rows]


# What the visibility policy needs of a reader (shared/contracts/graph.py ViewerFactsReply), in
# one statement: this is asked on every reply, favourite and reblog (posts' audience check) and
# by every stream that starts.
_VIEWER_FACTS = """
SELECT a.network_id,
  ARRAY(SELECT followee_id FROM follows WHERE follower_id = a.id) AS following,
  ARRAY(SELECT community_id FROM community_members WHERE account_id = a.id) AS communities,
  ARRAY(SELECT target_id FROM blocks WHERE account_id = a.id
        UNION SELECT account_id FROM blocks WHERE target_id = a.id) AS blocked,
  ARRAY(SELECT target_id FROM mutes WHERE account_id = a.id
        AND (expires_at IS NULL OR expires_at > now())) AS muted,
  (SELECT extract(epoch FROM min(expires_at) - now())::float8 FROM mutes
   WHERE account_id = a.id AND expires_at > now()) AS mute_ends_in_s
FROM accounts a WHERE a.id = $1
"""


async def viewer_facts(conn: asyncpg.Connection, account_id: int) -> ViewerFactsReply | None:
    """The reader's network, followees, communities, blocks either way and mutes (with when
    the first timed mute ends); None when the account does not exist."""
    row = await conn.fetchrow(_VIEWER_FACTS, account_id)
    if row is None:
        return None
    return ViewerFactsReply(account_id=account_id, network_id=row["network_id"],
                            following=list(row["following"]),
                            communities=list(row["communities"]),
                            blocked=list(row["blocked"]), muted=list(row["muted"]),
                            mute_ends_in_s=row["mute_ends_in_s"])


async def blocks_between(conn: asyncpg.Connection, one: int, other: int) -> bool:
    """Whether either account blocks the other."""
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM blocks WHERE (account_id = $1 AND target_id = $2)"
        " OR (account_id = $2 AND target_id = $1))", one, other))


async def insert_block(conn: asyncpg.Connection, block_id: int, account_id: int,
                       target_id: int) -> bool:
    """True when the block is new."""
    return bool(await conn.fetchval(
        "INSERT INTO blocks (id, account_id, target_id) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING RETURNING true", block_id, account_id, target_id))


async def delete_block(conn: asyncpg.Connection, account_id: int, target_id: int) -> bool:
    return bool(await conn.fetchval(
        "DELETE FROM blocks WHERE account_id = $1 AND target_id = $2 RETURNING true",
        account_id, target_id))


async def upsert_mute(conn: asyncpg.Connection, mute_id: int, account_id: int, target_id: int,
                      notifications: bool, duration_s: float) -> None:
    """Mute (or change the mute): for ``duration_s`` seconds, forever when 0."""
    await conn.execute(
        "INSERT INTO mutes (id, account_id, target_id, notifications, expires_at) "
        "VALUES ($1, $2, $3, $4, CASE WHEN $5 > 0 THEN now() + make_interval(secs => $5)"
        " END) ON CONFLICT (account_id, target_id) DO UPDATE SET "
        "notifications = EXCLUDED.notifications, expires_at = EXCLUDED.expires_at",
        mute_id, account_id, target_id, notifications, float(duration_s))


async def delete_mute(conn: asyncpg.Connection, account_id: int, target_id: int) -> bool:
    return bool(await conn.fetchval(
        "DELETE FROM mutes WHERE account_id = $1 AND target_id = $2 RETURNING true",
        account_id, target_id))


# --- pages of blocks, mutes and follow requests -------------------------------------------------

# (table, owner column, other column, extra condition): all constants of this module.
_PAGES = {
    "blocks": ("blocks", "account_id", "target_id", ""),
    "mutes": ("mutes", "account_id", "target_id",
              " AND (expires_at IS NULL OR expires_at > now())"),
    "follow_requests": ("follow_requests", "followee_id", "follower_id", ""),
}


async def _relation_page(conn: asyncpg.Connection, kind: str, req: RelationPage
                         ) -> list[RelationItem]:
    table, owner, other, extra = _PAGES[kind]
    window = id_window("id", max_id=req.max_id, since_id=req.since_id, min_id=req.min_id,
                       limit=req.limit, max_limit=80, first_arg=2)
    rows = await conn.fetch(
        f"SELECT id, {other} AS other FROM {table} WHERE {owner} = $1{extra}{window.sql}",
        req.account_id, *window.args)
    return window.newest_first([RelationItem(cursor=row["id"], account_id=row["other"])
                                for row in rows])


async def blocks_page(conn: asyncpg.Connection, req: RelationPage) -> list[RelationItem]:
    return await _relation_page(conn, "blocks", req)


async def mutes_page(conn: asyncpg.Connection, req: RelationPage) -> list[RelationItem]:
    return await _relation_page(conn, "mutes", req)


async def follow_requests_page(conn: asyncpg.Connection, req: RelationPage
                               ) -> list[RelationItem]:
    return await _relation_page(conn, "follow_requests", req)


# --- what other services ask --------------------------------------------------------------------

async def notification_refused(conn: asyncpg.Connection, recipient_id: int, from_account_id: int
                               ) -> bool:
    """A block either way, or a mute of the sender's notifications by the recipient."""
    return bool(await conn.fetchval(
        """
        SELECT EXISTS (SELECT 1 FROM blocks WHERE (account_id = $1 AND target_id = $2)
                                             OR (account_id = $2 AND target_id = $1))
            OR EXISTS (SELECT 1 FROM mutes WHERE account_id = $1 AND target_id = $2
                       AND notifications AND (expires_at IS NULL OR expires_at > now()))
        """, recipient_id, from_account_id))


async def notification_facts(conn: asyncpg.Connection, recipient_id: int, from_account_id: int
                             ) -> asyncpg.Record:
    """What a notification policy weighs: ``recipient_follows``, ``follower_since`` (ms, or
    None) and ``sender_created_at`` (ms)."""
    row: asyncpg.Record = await conn.fetchrow(
        """
        SELECT EXISTS (SELECT 1 FROM follows WHERE follower_id = $1 AND followee_id = $2)
                   AS recipient_follows,
               (SELECT (extract(epoch FROM created_at) * 1000)::bigint FROM follows
                 WHERE follower_id = $2 AND followee_id = $1) AS follower_since,
               coalesce((SELECT (extract(epoch FROM created_at) * 1000)::bigint FROM accounts
                          WHERE id = $2), 0) AS sender_created_at
        """, recipient_id, from_account_id)
    return row


async def hidden_from(conn: asyncpg.Connection, account_id: int) -> list[asyncpg.Record]:
    """Whom the account does not want to see: ``id``, ``quiet`` (their notifications too),
    ``ends_in`` (seconds, for a timed mute) and ``block`` (a block, not a mute), from its mutes
    and from blocks either way."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT target_id AS id, notifications AS quiet, "
        "extract(epoch FROM expires_at - now()) AS ends_in, false AS block FROM mutes "
        "WHERE account_id = $1 AND (expires_at IS NULL OR expires_at > now()) "
        "UNION SELECT target_id, true, NULL, true FROM blocks WHERE account_id = $1 "
        "UNION SELECT account_id, true, NULL, true FROM blocks WHERE target_id = $1",
        account_id)
    return rows
