"""SQL for what an author does to a status: write it (with its poll, tags, reply count and
event in one statement), edit it (keeping every version), delete it."""

from __future__ import annotations

import asyncpg

from shared import events, outbox

# The status, its idempotency key, poll, hashtag uses, the parent's reply count and the event's
# outbox row in one statement: one round trip and one implicit transaction instead of seven, on
# the hottest write. Each optional part writes nothing when its parameter is NULL (or the tag
# array empty). The outbox row ($23 on: shared/outbox.py Inline) is handed to this process's
# relay, or, with no relay to hand it to, wakes the relay by NOTIFY.
_EVENT_CTE, _EVENT_COLUMNS = outbox.inline_sql("s", 23)
CREATE_SQL = """
WITH s AS (
    INSERT INTO statuses (id, account_id, network_id, text, content_html, spoiler_text,
        sensitive, visibility, language, in_reply_to_id, in_reply_to_account_id, mentions, tags,
        community_id, conversation_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $22)
    RETURNING version, created_at
), idempotency AS (
    INSERT INTO idempotency_keys (account_id, key, status_id)
    SELECT $2, $15::text, $1 WHERE $15::text IS NOT NULL
), poll AS (
    INSERT INTO polls (id, status_id, options, votes, multiple, expires_at)
    SELECT $16::bigint, $1, $17::text[], $18::integer[], $19::boolean,
        now() + make_interval(secs => $20::float8)
    WHERE $17::text[] IS NOT NULL
    RETURNING id, options, votes, multiple, votes_count, voters_count, expires_at
), tag_use AS (
    INSERT INTO tag_uses (tag, status_id, account_id)
    SELECT tag, $1, $2 FROM unnest($13::text[]) AS tag ON CONFLICT DO NOTHING
), reply AS (
    UPDATE statuses SET replies_count = replies_count + 1 WHERE id = $21::bigint
    RETURNING replies_count, version
), """ + _EVENT_CTE + """
SELECT s.version, (extract(epoch FROM s.created_at) * 1000)::bigint AS created_at,
    (SELECT replies_count FROM reply) AS parent_replies_count,
    (SELECT version FROM reply) AS parent_version,
    poll.id AS poll_id, poll.options AS poll_options, poll.votes AS poll_votes,
    poll.multiple AS poll_multiple, poll.votes_count AS poll_votes_count,
    poll.voters_count AS poll_voters_count,
    (extract(epoch FROM poll.expires_at) * 1000)::bigint AS poll_expires_at,
    """ + _EVENT_COLUMNS + """
FROM s LEFT JOIN poll ON true
"""


async def insert_status(
        conn: asyncpg.Connection, *, status_id: int, account_id: int, network_id: int,
        text: str, content_html: str, spoiler_text: str, sensitive: bool, visibility: str,
        language: str | None, in_reply_to_id: int | None, in_reply_to_account_id: int | None,
        mentions: list[int], tags: list[str], community_id: int | None,
        idempotency_key: str | None, poll_id: int | None, poll_options: list[str] | None,
        poll_multiple: bool, poll_expires_in_s: float | None, parent_id: int | None,
        event: events.StatusCreated,
) -> asyncpg.Record:
    """Write a new status and all that goes with it (see ``CREATE_SQL``); the row holds its
    ``version``, ``created_at`` and the poll's columns as ``poll_from_row`` reads them. Raises
    asyncpg's ``UniqueViolationError`` when the idempotency key was used already."""
    inline = outbox.Inline.of(conn, "posts", event)
    inserted: asyncpg.Record = await conn.fetchrow(
        CREATE_SQL, status_id, account_id, network_id, text, content_html, spoiler_text,
        sensitive, visibility, language, in_reply_to_id, in_reply_to_account_id, mentions, tags,
        community_id, idempotency_key, poll_id, poll_options,
        [0] * len(poll_options) if poll_options else None, poll_multiple, poll_expires_in_s,
        parent_id, event.conversation_id, *inline.args)
    inline.handed(conn, inserted["event_written"])
    return inserted


# --- edits --------------------------------------------------------------------------------------

async def lock_for_edit(conn: asyncpg.Connection, status_id: int) -> asyncpg.Record | None:
    """The live status's ``text``, ``content_html``, ``spoiler_text``, ``sensitive``,
    ``created_at`` and ``edited_at``, its row locked until the transaction ends."""
    return await conn.fetchrow(
        "SELECT text, content_html, spoiler_text, sensitive, created_at, edited_at "
        "FROM statuses WHERE id = $1 AND deleted_at IS NULL FOR UPDATE", status_id)


async def record_original(conn: asyncpg.Connection, edit_id: int, status_id: int,
                          original: asyncpg.Record, poll_options: list[str] | None) -> None:
    """The version before the first edit (``original`` as ``lock_for_edit`` read it)."""
    await conn.execute(
        "INSERT INTO status_edits (id, status_id, text, content_html, spoiler_text, "
        "sensitive, poll_options, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        edit_id, status_id, original["text"], original["content_html"],
        original["spoiler_text"], original["sensitive"], poll_options, original["created_at"])


async def update_text(conn: asyncpg.Connection, status_id: int, *, text: str, content_html: str,
                      spoiler_text: str, sensitive: bool, language: str | None,
                      mentions: list[int], tags: list[str]) -> None:
    """The edited status; a language of None keeps the current one."""
    await conn.execute(
        "UPDATE statuses SET text = $2, content_html = $3, spoiler_text = $4, "
        "sensitive = $5, language = coalesce($6, language), mentions = $7, tags = $8, "
        "edited_at = now() WHERE id = $1",
        status_id, text, content_html, spoiler_text, sensitive, language, mentions, tags)


async def record_edit(conn: asyncpg.Connection, edit_id: int, status_id: int, *, text: str,
                      content_html: str, spoiler_text: str, sensitive: bool) -> None:
    """The version just written, with the options of the status's poll as they now are."""
    await conn.execute(
        "INSERT INTO status_edits (id, status_id, text, content_html, spoiler_text, "
        "sensitive, poll_options) VALUES ($1, $2, $3, $4, $5, $6, "
        "(SELECT options FROM polls WHERE status_id = $2))",
        edit_id, status_id, text, content_html, spoiler_text, sensitive)


async def bump_version(conn: asyncpg.Connection, status_id: int) -> None:
    """A no-op update whose trigger bumps ``version``: for a change outside the status row
    (its poll) that caches must see."""
    await conn.execute("UPDATE statuses SET version = version WHERE id = $1", status_id)


# --- deletion -----------------------------------------------------------------------------------

async def soft_delete(conn: asyncpg.Connection, status_id: int) -> bool:
    """Whether this call deleted it (False when it was gone already)."""
    return bool(await conn.fetchval(
        "UPDATE statuses SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL "
        "RETURNING true", status_id))


async def live_reblogs(conn: asyncpg.Connection, status_id: int) -> list[asyncpg.Record]:
    """``id`` and ``account_id`` of the status's reblogs not deleted."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT id, account_id FROM statuses WHERE reblog_of_id = $1 "
        "AND deleted_at IS NULL", status_id)
    return rows


async def uncount_reply(conn: asyncpg.Connection, parent_id: int) -> None:
    await conn.execute("UPDATE statuses SET replies_count = greatest(replies_count - 1, 0)"
                       " WHERE id = $1", parent_id)
