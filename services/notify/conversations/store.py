"""SQL for direct conversations (notify.conversations and the statuses in them).

Writes happen inside one transaction per event, which holds the status's advisory lock
(``hold_status``: the creation and the deletion of one status never interleave) and locks each
conversation row it changes (``lock_conversation``, in ascending account order, so that two
events locking the same rows cannot deadlock). With its rows locked, a transaction recomputes
the conversation from its statuses (``summarize``) after every change: the last status and the
participants are what the statuses say, whatever order events arrived in.
"""

from __future__ import annotations

import asyncpg

from shared.contracts.notify import ConversationRecord, ListConversations
from shared.paging import id_window

# Advisory-lock namespace of statuses in conversations (two int4 keys, as the mailer's: apart
# from the one-bigint locks of migrations and from other namespaces).
STATUS_LOCK_NAMESPACE = 0x434F4E56  # "CONV"
RECENT = 5  # statuses handed out with a conversation, for the reader's visibility to pick from

SELECT = f"""
SELECT c.conversation_id AS id, c.account_id, c.unread, c.last_status_id, c.participant_ids,
    ARRAY(SELECT s.status_id FROM conversation_statuses s
          WHERE s.account_id = c.account_id AND s.conversation_id = c.conversation_id
          ORDER BY s.status_id DESC LIMIT {RECENT}) AS recent_status_ids
FROM conversations c
"""


def _record(row: asyncpg.Record) -> ConversationRecord:
    return ConversationRecord(
        id=row["id"], account_id=row["account_id"], unread=row["unread"],
        last_status_id=row["last_status_id"], participant_ids=tuple(row["participant_ids"]),
        recent_status_ids=tuple(row["recent_status_ids"]))


# --- reads ----------------------------------------------------------------------------------------

async def page(conn: asyncpg.Connection, req: ListConversations) -> list[ConversationRecord]:
    """The account's conversations not removed, by last status, newest first."""
    window = id_window("c.last_status_id", max_id=req.max_id, since_id=req.since_id,
                       min_id=req.min_id, limit=req.limit, max_limit=40, first_arg=2)
    rows = await conn.fetch(f"{SELECT} WHERE c.account_id = $1 AND NOT c.removed{window.sql}",
                            req.account_id, *window.args)
    return window.newest_first([_record(row) for row in rows])


async def get(conn: asyncpg.Connection, account_id: int, conversation_id: int
              ) -> ConversationRecord | None:
    row = await conn.fetchrow(
        f"{SELECT} WHERE c.account_id = $1 AND c.conversation_id = $2 AND NOT c.removed",
        account_id, conversation_id)
    return _record(row) if row else None


# --- what the account does --------------------------------------------------------------------

async def mark_read(conn: asyncpg.Connection, account_id: int, conversation_id: int) -> bool:
    """False when the account has no such conversation (or removed it)."""
    return bool(await conn.fetchval(
        "UPDATE conversations SET unread = false, updated_at = now() WHERE account_id = $1 "
        "AND conversation_id = $2 AND NOT removed RETURNING true", account_id, conversation_id))


async def remove(conn: asyncpg.Connection, account_id: int, conversation_id: int) -> bool:
    """Off the account's list (only theirs) until a new status comes into it; False when it
    has no such conversation (or removed it already)."""
    return bool(await conn.fetchval(
        "UPDATE conversations SET removed = true, unread = false, updated_at = now() "
        "WHERE account_id = $1 AND conversation_id = $2 AND NOT removed RETURNING true",
        account_id, conversation_id))


# --- what events change -----------------------------------------------------------------------

async def hold_status(conn: asyncpg.Connection, status_id: int) -> None:
    """Until the transaction ends, no other event of this status is applied (its creation and
    its deletion, handled side by side, would each miss the other's rows)."""
    # (Two statuses sharing a key only wait for each other: harmless.)
    await conn.execute("SELECT pg_advisory_xact_lock($1::int, ($2::bigint % 2147483647)::int)",
                       STATUS_LOCK_NAMESPACE, status_id)


async def was_deleted(conn: asyncpg.Connection, status_id: int) -> bool:
    return bool(await conn.fetchval(
        "SELECT 1 FROM conversation_statuses_deleted WHERE status_id = $1", status_id))


async def record_deleted(conn: asyncpg.Connection, status_id: int) -> None:
    await conn.execute("INSERT INTO conversation_statuses_deleted (status_id) VALUES ($1) "
                       "ON CONFLICT DO NOTHING", status_id)


async def lock_conversation(conn: asyncpg.Connection, account_id: int, conversation_id: int,
                            status_id: int, participant_ids: list[int]) -> None:
    """The account's row of the conversation, made (from this status) if it has none, and
    locked until the transaction ends."""
    while True:
        made = await conn.fetchval(
            "INSERT INTO conversations (account_id, conversation_id, last_status_id, "
            "participant_ids) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
            account_id, conversation_id, status_id, participant_ids)
        if made or await lock_existing(conn, account_id, conversation_id):
            return
        # Deleted (its last status gone) between the two statements: make it again.


async def lock_existing(conn: asyncpg.Connection, account_id: int, conversation_id: int
                        ) -> bool:
    """The account's row of the conversation locked until the transaction ends; False when
    there is none."""
    return bool(await conn.fetchval(
        "SELECT true FROM conversations WHERE account_id = $1 AND conversation_id = $2 "
        "FOR UPDATE", account_id, conversation_id))


async def add_status(conn: asyncpg.Connection, account_id: int, conversation_id: int,
                     status_id: int, participant_ids: list[int]) -> bool:
    """False when the account's conversation holds the status already (a redelivery)."""
    return bool(await conn.fetchval(
        "INSERT INTO conversation_statuses (account_id, status_id, conversation_id, "
        "participant_ids) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
        account_id, status_id, conversation_id, participant_ids))


async def remove_status(conn: asyncpg.Connection, status_id: int) -> list[tuple[int, int]]:
    """Take the status out of every conversation holding it; (account, conversation) of each,
    in ascending account order (the order their rows are to be locked in)."""
    rows = await conn.fetch(
        "DELETE FROM conversation_statuses WHERE status_id = $1 "
        "RETURNING account_id, conversation_id", status_id)
    return sorted((row["account_id"], row["conversation_id"]) for row in rows)


SUMMARIZE = """
WITH summary AS (
    SELECT max(s.status_id) AS last_status_id,
        ARRAY(SELECT DISTINCT p FROM conversation_statuses s2, unnest(s2.participant_ids) AS p
              WHERE s2.account_id = $1 AND s2.conversation_id = $2 ORDER BY p) AS participant_ids
    FROM conversation_statuses s WHERE s.account_id = $1 AND s.conversation_id = $2
)
UPDATE conversations c SET last_status_id = summary.last_status_id,
    participant_ids = summary.participant_ids, updated_at = now(),
    -- A status new to the conversation: back on the list; unread for the others when it is
    -- the newest (its author has read it). An older one arriving late changes neither.
    removed = CASE WHEN $3::bigint IS NULL THEN c.removed ELSE false END,
    unread = CASE WHEN $3::bigint = summary.last_status_id THEN $4::boolean ELSE c.unread END
FROM summary
WHERE c.account_id = $1 AND c.conversation_id = $2 AND summary.last_status_id IS NOT NULL
RETURNING c.last_status_id, c.removed
"""


async def summarize(conn: asyncpg.Connection, account_id: int, conversation_id: int, *,
                    added: int | None = None, unread: bool = False) -> int | None:
    """Recompute the conversation from its statuses (``added``: the status just added,
    ``unread``: whether it is unread for this account). Its last status id, or None when no
    status is left (the conversation is deleted) or the account removed it. The row must be
    locked already: this statement then reads the statuses as they are with the lock held,
    which an UPDATE that waited for the row would not (its snapshot predates the wait)."""
    row = await conn.fetchrow(SUMMARIZE, account_id, conversation_id, added, unread)
    if row is None:
        await conn.execute("DELETE FROM conversations WHERE account_id = $1 "
                           "AND conversation_id = $2", account_id, conversation_id)
        return None
    return None if row["removed"] else int(row["last_status_id"])
