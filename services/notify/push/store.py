"""SQL for notify.push_subscriptions: one Web Push subscription per access token."""

from __future__ import annotations

import asyncpg

from shared.contracts.notify import PUSH_ALERTS, PushPolicy, PushSubscription


class Stored(PushSubscription, frozen=True, kw_only=True):
    """A subscription with what sending needs and the API never shows."""

    p256dh: bytes
    auth: bytes
    sealed_token: bytes


_COLUMNS = "id, account_id, endpoint, standard, alerts, policy, p256dh, auth, sealed_token"


def _stored(row: asyncpg.Record) -> Stored:
    enabled = set(row["alerts"])
    return Stored(id=row["id"], account_id=row["account_id"], endpoint=row["endpoint"],
                  standard=row["standard"], alerts={a: a in enabled for a in PUSH_ALERTS},
                  policy=row["policy"], p256dh=bytes(row["p256dh"]), auth=bytes(row["auth"]),
                  sealed_token=bytes(row["sealed_token"]))


def public(found: Stored) -> PushSubscription:
    return PushSubscription(id=found.id, account_id=found.account_id, endpoint=found.endpoint,
                            standard=found.standard, alerts=found.alerts, policy=found.policy)


async def replace(conn: asyncpg.Connection, *, id: int, token_id: int, token_hash: str,
                  account_id: int, endpoint: str, p256dh: bytes, auth: bytes, standard: bool,
                  alerts: list[str], policy: PushPolicy, sealed_token: bytes) -> Stored:
    """The token's subscription, made anew (a new id: messages queued for the old one are
    not sent to the new endpoint)."""
    row = await conn.fetchrow(
        f"""
        INSERT INTO push_subscriptions (id, token_id, token_hash, account_id, endpoint, p256dh,
                                        auth, standard, alerts, policy, sealed_token)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (token_id) DO UPDATE SET id = EXCLUDED.id, token_hash = EXCLUDED.token_hash,
            account_id = EXCLUDED.account_id, endpoint = EXCLUDED.endpoint,
            p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth, standard = EXCLUDED.standard,
            alerts = EXCLUDED.alerts, policy = EXCLUDED.policy,
            sealed_token = EXCLUDED.sealed_token, created_at = now(), updated_at = now()
        RETURNING {_COLUMNS}
        """,
        id, token_id, token_hash, account_id, endpoint, p256dh, auth, standard, alerts, policy,
        sealed_token)
    return _stored(row)


async def of_token(conn: asyncpg.Connection, token_id: int, account_id: int) -> Stored | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM push_subscriptions WHERE token_id = $1 AND account_id = $2",
        token_id, account_id)
    return _stored(row) if row else None


async def get(conn: asyncpg.Connection, subscription_id: int) -> Stored | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM push_subscriptions WHERE id = $1",
                              subscription_id)
    return _stored(row) if row else None


async def of_account(conn: asyncpg.Connection, account_id: int) -> list[Stored]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM push_subscriptions WHERE account_id = $1 ORDER BY id",
        account_id)
    return [_stored(row) for row in rows]


async def update(conn: asyncpg.Connection, token_id: int, account_id: int, *,
                 alerts: list[str], policy: PushPolicy) -> Stored | None:
    row = await conn.fetchrow(
        f"""UPDATE push_subscriptions SET alerts = $3, policy = $4, updated_at = now()
            WHERE token_id = $1 AND account_id = $2 RETURNING {_COLUMNS}""",
        token_id, account_id, alerts, policy)
    return _stored(row) if row else None


async def delete_of_token(conn: asyncpg.Connection, token_id: int, account_id: int) -> int:
    result = await conn.execute(
        "DELETE FROM push_subscriptions WHERE token_id = $1 AND account_id = $2",
        token_id, account_id)
    return int(result.split()[-1])


async def delete_of_token_hash(conn: asyncpg.Connection, token_hash: str) -> int:
    result = await conn.execute("DELETE FROM push_subscriptions WHERE token_hash = $1",
                                token_hash)
    return int(result.split()[-1])


async def delete_of_account(conn: asyncpg.Connection, account_id: int) -> int:
    result = await conn.execute("DELETE FROM push_subscriptions WHERE account_id = $1",
                                account_id)
    return int(result.split()[-1])


async def delete(conn: asyncpg.Connection, subscription_id: int) -> int:
    result = await conn.execute("DELETE FROM push_subscriptions WHERE id = $1", subscription_id)
    return int(result.split()[-1])


async def was_sent(conn: asyncpg.Connection, event_id: int) -> bool:
    """Whether the PushRequested event ``event_id`` was sent already (a redelivery)."""
    return bool(await conn.fetchval("SELECT 1 FROM push_sent WHERE event_id = $1", event_id))


async def record_sent(conn: asyncpg.Connection, event_id: int) -> None:
    await conn.execute("INSERT INTO push_sent (event_id) VALUES ($1) ON CONFLICT DO NOTHING",
                       event_id)
