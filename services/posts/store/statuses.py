"""SQL for statuses: the status row and its poll, threads, a profile's page, edits."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.posts.store.cards import STATUS_CARD_SQL, card_from
from services.posts.store.media import STATUS_MEDIA_SQL, attached_from
from shared.contracts.posts import AuthorStatuses, Edit
from shared.paging import id_window
from shared.records import PollRecord, StatusRecord

STATUS_SELECT = f"""
SELECT s.id, s.account_id, s.network_id, s.text, s.content_html, s.visibility, s.spoiler_text,
    s.sensitive, s.language, s.in_reply_to_id, s.in_reply_to_account_id, s.reblog_of_id,
    s.community_id, s.mentions, s.tags, s.replies_count, s.reblogs_count, s.favourites_count,
    s.version, s.conversation_id,
    (extract(epoch FROM s.created_at) * 1000)::bigint AS created_at,
    (extract(epoch FROM s.edited_at) * 1000)::bigint AS edited_at,
    p.id AS poll_id, p.options AS poll_options, p.votes AS poll_votes,
    p.multiple AS poll_multiple,
    (extract(epoch FROM p.expires_at) * 1000)::bigint AS poll_expires_at,
    p.votes_count AS poll_votes_count, p.voters_count AS poll_voters_count,
    {STATUS_MEDIA_SQL},
    {STATUS_CARD_SQL}
FROM statuses s LEFT JOIN polls p ON p.status_id = s.id
"""

POLL_FIELDS = ("poll_id", "poll_options", "poll_votes", "poll_multiple", "poll_expires_at",
               "poll_votes_count", "poll_voters_count")


def poll_from_row(row: asyncpg.Record) -> PollRecord | None:
    """The poll of a row holding the ``POLL_FIELDS``, or None."""
    if row["poll_id"] is None:
        return None
    return PollRecord(
        id=row["poll_id"], options=tuple(row["poll_options"]),
        votes=tuple(row["poll_votes"]), multiple=row["poll_multiple"],
        expires_at=row["poll_expires_at"], votes_count=row["poll_votes_count"],
        voters_count=row["poll_voters_count"])


def status_from_row(row: asyncpg.Record) -> StatusRecord:
    values = dict(row)
    poll = poll_from_row(row)
    for field in POLL_FIELDS:
        values.pop(field)
    values["mentions"] = tuple(values["mentions"])
    values["tags"] = tuple(values["tags"])
    values["media"] = attached_from(values["media"])
    values["card"] = card_from(values["card"])
    return StatusRecord(**values, poll=poll)


async def statuses_by_ids(conn: asyncpg.Connection, ids: list[int]) -> list[StatusRecord]:
    rows = await conn.fetch(
        f"{STATUS_SELECT} WHERE s.id = ANY($1::bigint[]) AND s.deleted_at IS NULL", ids)
    return [status_from_row(row) for row in rows]


async def status(conn: asyncpg.Connection, status_id: int) -> StatusRecord | None:
    found = await statuses_by_ids(conn, [status_id])
    return found[0] if found else None

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

async def statuses_by_author(conn: asyncpg.Connection, req: AuthorStatuses
                             ) -> list[StatusRecord]:
    """A profile's page. Direct messages never show on a profile, not even to the mentioned;
    replies to the author's own statuses (threads) stay when replies to others are left out."""
    args: list[Any] = [req.account_id]
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
    if req.only_media:
        where.append("EXISTS (SELECT 1 FROM media m WHERE m.status_id = s.id)")
    page = req.page
    window = id_window("s.id", max_id=page.max_id, since_id=page.since_id, min_id=page.min_id,
                       limit=page.limit, max_limit=40, first_arg=len(args) + 1)
    rows = await conn.fetch(
        f"{STATUS_SELECT} WHERE {' AND '.join(where)}{window.sql}", *args, *window.args)
    return window.newest_first([status_from_row(row) for row in rows])


async def edits(conn: asyncpg.Connection, status_id: int) -> list[Edit]:
    """The status's earlier versions, oldest first."""
    rows = await conn.fetch(
        "SELECT text, content_html, spoiler_text, sensitive, poll_options, "
        "(extract(epoch FROM created_at) * 1000)::bigint AS created_at "
        "FROM status_edits WHERE status_id = $1 ORDER BY id", status_id)
    return [Edit(**dict(row)) for row in rows]


async def forget_idempotency_keys(conn: asyncpg.Connection, older_than_hours: int) -> None:
    await conn.execute(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)",
        older_than_hours)


async def status_id_by_idempotency_key(conn: asyncpg.Connection, account_id: int, key: str | None
                                       ) -> int | None:
    status_id: int | None = await conn.fetchval(
        "SELECT status_id FROM idempotency_keys WHERE account_id = $1 AND key = $2",
        account_id, key)
    return status_id
