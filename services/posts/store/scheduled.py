"""SQL for scheduled statuses: the author's list and its limits, and the due ones, claimed one
at a time by whichever publisher gets there first."""

from __future__ import annotations

import asyncpg
import msgspec

from shared.contracts.posts import CreateStatus, Page, ScheduledStatusRecord
from shared.paging import id_window

# Advisory-lock namespace of one account's scheduling (two int4 keys: apart from the one-bigint
# locks of migrations and pins, and from the other namespaces).
SCHEDULE_LOCK_NAMESPACE = 0x53434844  # "SCHD"

_COLUMNS = ("id, account_id, params, application_id, idempotency, "
            "(extract(epoch FROM scheduled_at) * 1000)::bigint AS scheduled_at")
_decode_status = msgspec.json.Decoder(CreateStatus).decode


def scheduled_from_row(row: asyncpg.Record) -> ScheduledStatusRecord:
    return ScheduledStatusRecord(
        id=row["id"], account_id=row["account_id"], scheduled_at=row["scheduled_at"],
        status=_decode_status(row["params"]), application_id=row["application_id"],
        idempotency=row["idempotency"])


async def lock_schedule(conn: asyncpg.Connection, account_id: int) -> None:
    """Until the transaction ends, the account's other scheduling transactions wait: two
    requests side by side cannot both pass a limit."""
    await conn.execute("SELECT pg_advisory_xact_lock($1::int, ($2::bigint % 2147483647)::int)",
                       SCHEDULE_LOCK_NAMESPACE, account_id)


async def scheduled_by_idempotency_key(conn: asyncpg.Connection, account_id: int, key: str
                                       ) -> ScheduledStatusRecord | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM scheduled_statuses WHERE account_id = $1 "
        "AND idempotency_key = $2", account_id, key)
    return scheduled_from_row(row) if row else None


async def scheduled_count(conn: asyncpg.Connection, account_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM scheduled_statuses WHERE account_id = $1", account_id)
    return count


async def scheduled_count_between(conn: asyncpg.Connection, account_id: int, start_ms: int,
                                  end_ms: int, *, other_than: int | None = None) -> int:
    """The account's statuses scheduled in [start, end), but ``other_than``."""
    count: int = await conn.fetchval(
        "SELECT count(*) FROM scheduled_statuses WHERE account_id = $1 "
        "AND scheduled_at >= to_timestamp($2::float8 / 1000) "
        "AND scheduled_at < to_timestamp($3::float8 / 1000) "
        "AND id IS DISTINCT FROM $4::bigint", account_id, start_ms, end_ms, other_than)
    return count


async def insert_scheduled(conn: asyncpg.Connection, *, scheduled_id: int, account_id: int,
                           scheduled_at_ms: int, status: CreateStatus,
                           application_id: int | None, idempotency_key: str | None,
                           idempotency: str | None) -> ScheduledStatusRecord:
    """``status`` is stored without its idempotency key (``idempotency_key`` keeps it apart):
    publication makes its own."""
    params = msgspec.json.encode(msgspec.structs.replace(status, idempotency_key=None)).decode()
    row = await conn.fetchrow(
        "INSERT INTO scheduled_statuses (id, account_id, scheduled_at, params, application_id, "
        "idempotency_key, idempotency) "
        "VALUES ($1, $2, to_timestamp($3::float8 / 1000), $4::jsonb, $5, $6, $7) "
        f"RETURNING {_COLUMNS}",
        scheduled_id, account_id, scheduled_at_ms, params, application_id, idempotency_key,
        idempotency)
    return scheduled_from_row(row)


async def scheduled_status(conn: asyncpg.Connection, scheduled_id: int
                           ) -> ScheduledStatusRecord | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM scheduled_statuses WHERE id = $1",
                              scheduled_id)
    return scheduled_from_row(row) if row else None


async def scheduled_page(conn: asyncpg.Connection, account_id: int, page: Page
                         ) -> list[ScheduledStatusRecord]:
    window = id_window("id", max_id=page.max_id, since_id=page.since_id, min_id=page.min_id,
                       limit=page.limit, max_limit=40, first_arg=2)
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM scheduled_statuses WHERE account_id = $1{window.sql}",
        account_id, *window.args)
    return window.newest_first([scheduled_from_row(row) for row in rows])


async def reschedule(conn: asyncpg.Connection, scheduled_id: int, scheduled_at_ms: int
                     ) -> ScheduledStatusRecord | None:
    """A new time, and a fresh start for a publication that had failed for a passing reason."""
    row = await conn.fetchrow(
        "UPDATE scheduled_statuses SET scheduled_at = to_timestamp($2::float8 / 1000), "
        f"attempts = 0, retry_at = NULL WHERE id = $1 RETURNING {_COLUMNS}",
        scheduled_id, scheduled_at_ms)
    return scheduled_from_row(row) if row else None


async def delete_scheduled(conn: asyncpg.Connection, scheduled_id: int) -> bool:
    """Whether this call deleted it (False when it was gone already)."""
    return bool(await conn.fetchval(
        "DELETE FROM scheduled_statuses WHERE id = $1 RETURNING true", scheduled_id))


# --- publication ----------------------------------------------------------------------------------

async def claim_due(conn: asyncpg.Connection) -> ScheduledStatusRecord | None:
    """The scheduled status due longest (not waiting for a retry), its row locked until the
    transaction ends; rows another publisher holds are skipped: each row is one publisher's."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM scheduled_statuses "
        "WHERE scheduled_at <= now() AND (retry_at IS NULL OR retry_at <= now()) "
        "ORDER BY scheduled_at, id LIMIT 1 FOR UPDATE SKIP LOCKED")
    return scheduled_from_row(row) if row else None


async def postpone(conn: asyncpg.Connection, scheduled_id: int, max_delay_s: float) -> None:
    """After a failure for a passing reason: try again later, waiting longer each time (twice
    as long per attempt, from 5 s, at most ``max_delay_s``)."""
    await conn.execute(
        "UPDATE scheduled_statuses SET attempts = attempts + 1, retry_at = now() + "
        "make_interval(secs => least($2::float8, 5 * power(2, least(attempts, 20)))) "
        "WHERE id = $1", scheduled_id, max_delay_s)
