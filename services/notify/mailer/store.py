"""The mailer's record of what it has sent (notify.mail_sent), keyed by the event id."""

from __future__ import annotations

import asyncpg

# Advisory-lock namespace of mail events (two int4 keys: apart from the one-bigint locks of
# migrations, and from other namespaces such as shared/worker_lease.py's).
MAIL_LOCK_NAMESPACE = 0x4D41494C  # "MAIL"


async def hold_event(conn: asyncpg.Connection, event_id: int) -> None:
    """Until the transaction ends, no other mailer works on this event (two copies of one event
    handled side by side, in this process or another, would both find it unsent)."""
    # (Two events sharing a key only wait for each other: harmless.)
    await conn.execute("SELECT pg_advisory_xact_lock($1::int, ($2::bigint % 2147483647)::int)",
                       MAIL_LOCK_NAMESPACE, event_id)


async def was_sent(conn: asyncpg.Connection, event_id: int) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM mail_sent WHERE event_id = $1", event_id))


async def record_sent(conn: asyncpg.Connection, event_id: int) -> None:
    await conn.execute("INSERT INTO mail_sent (event_id) VALUES ($1) ON CONFLICT DO NOTHING",
                       event_id)
