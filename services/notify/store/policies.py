"""SQL for the filtering policy, the senders an account let through, and notification requests
(the filtered notifications of one sender)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from shared.contracts.notify import (
    POLICY_FIELDS,
    ListRequests,
    NotificationRequest,
    Policy,
    PolicySummary,
)
from shared.ids import new_id
from shared.paging import id_window

MAX_MEANINGFUL_COUNT = 100  # pending requests are counted up to this, as Mastodon


async def policy(conn: asyncpg.Connection, account_id: int) -> Policy:
    row = await conn.fetchrow(
        f"SELECT {', '.join(POLICY_FIELDS)} FROM notification_policies WHERE account_id = $1",
        account_id)
    return Policy(**dict(row)) if row else Policy()


@dataclass(frozen=True)
class RecipientFacts:
    """What deciding one notification needs of its recipient, read at once."""
    policy: Policy
    permitted: bool  # the recipient let this sender through for good (accepted a request)
    mutes_threads: bool  # it muted some thread (most never do: no thread lookup then)
    has_push: bool  # it has a push subscription (most have none: no subscription read then)


def facts_sql(recipient: str, sender: str) -> str:
    """A one-row SELECT of a recipient's facts (``RecipientFacts``; the policy's fields NULL
    when it has none), ``recipient`` and ``sender`` the parameters that name them."""
    return f"""
        SELECT {', '.join('p.' + f for f in POLICY_FIELDS)},
               EXISTS (SELECT 1 FROM notification_permissions WHERE account_id = {recipient}
                       AND from_account_id = {sender}) AS permitted,
               EXISTS (SELECT 1 FROM thread_mutes WHERE account_id = {recipient})
                   AS mutes_threads,
               EXISTS (SELECT 1 FROM push_subscriptions WHERE account_id = {recipient})
                   AS has_push
        FROM (SELECT {recipient}::bigint AS account_id) me
        LEFT JOIN notification_policies p USING (account_id)"""


def facts_of(row: asyncpg.Record) -> RecipientFacts:
    fields = {f: row[f] for f in POLICY_FIELDS if row[f] is not None}
    return RecipientFacts(policy=Policy(**fields), permitted=bool(row["permitted"]),
                          mutes_threads=bool(row["mutes_threads"]),
                          has_push=bool(row["has_push"]))


_FACTS = facts_sql("$1", "$2")


async def recipient_facts(conn: asyncpg.Connection, account_id: int, from_account_id: int
                          ) -> RecipientFacts:
    """One round trip for what was three (the policy and permission, any thread mute, any push
    subscription), on every notification that is not plain (store/plain.py)."""
    return facts_of(await conn.fetchrow(_FACTS, account_id, from_account_id))


async def save_policy(conn: asyncpg.Connection, account_id: int, changed: Policy) -> None:
    values = [getattr(changed, f) for f in POLICY_FIELDS]
    await conn.execute(
        f"""
        INSERT INTO notification_policies (account_id, {', '.join(POLICY_FIELDS)})
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (account_id) DO UPDATE SET
            {', '.join(f'{f} = EXCLUDED.{f}' for f in POLICY_FIELDS)}, updated_at = now()
        """, account_id, *values)


async def summary(conn: asyncpg.Connection, account_id: int) -> PolicySummary:
    row = await conn.fetchrow(
        "SELECT count(DISTINCT from_account_id) AS senders, count(*) AS notifications "
        "FROM notifications WHERE account_id = $1 AND filtered AND dismissed_at IS NULL",
        account_id)
    return PolicySummary(pending_requests_count=min(row["senders"], MAX_MEANINGFUL_COUNT),
                         pending_notifications_count=row["notifications"])


async def open_request(conn: asyncpg.Connection, account_id: int, from_account_id: int) -> None:
    """The sender's request, made on their first filtered notification."""
    await conn.execute(
        "INSERT INTO notification_requests (id, account_id, from_account_id) "
        "VALUES ($1, $2, $3) ON CONFLICT (account_id, from_account_id) DO NOTHING",
        new_id(), account_id, from_account_id)


# A request with what its sender's filtered notifications say now; one whose notifications are
# all gone (undone favourites, deleted statuses) is not shown.
_REQUEST = """
    SELECT r.id, r.from_account_id, f.count AS notifications_count, f.last_status_id,
           (extract(epoch FROM r.created_at) * 1000)::bigint AS created_at,
           (extract(epoch FROM f.updated_at) * 1000)::bigint AS updated_at
    FROM notification_requests r
    JOIN LATERAL (
        SELECT count(*) AS count, max(n.created_at) AS updated_at,
               (array_agg(n.status_id ORDER BY n.id DESC)
                    FILTER (WHERE n.status_id IS NOT NULL))[1] AS last_status_id
        FROM notifications n
        WHERE n.account_id = r.account_id AND n.from_account_id = r.from_account_id
          AND n.filtered AND n.dismissed_at IS NULL) f ON f.count > 0
    WHERE r.account_id = $1"""


async def requests_page(conn: asyncpg.Connection, req: ListRequests
                        ) -> list[NotificationRequest]:
    window = id_window("r.id", max_id=req.max_id, since_id=req.since_id, min_id=req.min_id,
                       limit=req.limit, max_limit=80, first_arg=2)
    rows = await conn.fetch(_REQUEST + window.sql, req.account_id, *window.args)
    return window.newest_first([NotificationRequest(**dict(row)) for row in rows])


async def request(conn: asyncpg.Connection, account_id: int, request_id: int
                  ) -> NotificationRequest | None:
    row = await conn.fetchrow(_REQUEST + " AND r.id = $2", account_id, request_id)
    return NotificationRequest(**dict(row)) if row else None


async def accept_requests(conn: asyncpg.Connection, account_id: int, ids: list[int]) -> int:
    """Answer the account's requests among ``ids``: their senders are let through from now on,
    and their filtered notifications join the list. How many requests were answered."""
    count: int = await conn.fetchval(
        """
        WITH answered AS (
            DELETE FROM notification_requests WHERE account_id = $1 AND id = ANY($2::bigint[])
            RETURNING from_account_id),
        permitted AS (
            INSERT INTO notification_permissions (account_id, from_account_id)
            SELECT $1, from_account_id FROM answered ON CONFLICT DO NOTHING),
        merged AS (
            UPDATE notifications SET filtered = false
            WHERE account_id = $1 AND filtered
              AND from_account_id IN (SELECT from_account_id FROM answered))
        SELECT count(*) FROM answered
        """, account_id, ids)
    return count


async def dismiss_requests(conn: asyncpg.Connection, account_id: int, ids: list[int]) -> int:
    """Forget the account's requests among ``ids`` and their notifications (a later filtered
    notification from the sender opens a new request). How many requests were answered."""
    count: int = await conn.fetchval(
        """
        WITH answered AS (
            DELETE FROM notification_requests WHERE account_id = $1 AND id = ANY($2::bigint[])
            RETURNING from_account_id),
        gone AS (
            UPDATE notifications SET dismissed_at = now()
            WHERE account_id = $1 AND filtered AND dismissed_at IS NULL
              AND from_account_id IN (SELECT from_account_id FROM answered))
        SELECT count(*) FROM answered
        """, account_id, ids)
    return count
