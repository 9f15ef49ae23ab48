"""SQL for notify.webhooks, webhook_deliveries and webhook_attempts (migration 0009)."""

from __future__ import annotations

import datetime as dt

import asyncpg

from shared import member_index
from shared.contracts.webhooks import AttemptRecord, DeliveryRecord, WebhookRecord


class Stored(WebhookRecord, frozen=True, kw_only=True):
    """A webhook with what signing needs and the API never shows."""

    sealed_secret: bytes
    sealed_previous: bytes | None = None
    previous_until_at: dt.datetime | None = None


_WEBHOOK = ("id, network_id, community_id, created_by, url, events, enabled, disabled_reason, "
            "created_at, updated_at, previous_until, sealed_secret, sealed_previous")


def _ms(at: dt.datetime | None) -> int | None:
    return int(at.timestamp() * 1000) if at is not None else None


def _webhook(row: asyncpg.Record) -> Stored:
    return Stored(id=row["id"], network_id=row["network_id"], community_id=row["community_id"],
                  created_by=row["created_by"], url=row["url"], events=list(row["events"]),
                  enabled=row["enabled"], disabled_reason=row["disabled_reason"],
                  created_at=_ms(row["created_at"]) or 0, updated_at=_ms(row["updated_at"]) or 0,
                  previous_until=_ms(row["previous_until"]),
                  sealed_secret=bytes(row["sealed_secret"]),
                  sealed_previous=(bytes(row["sealed_previous"])
                                   if row["sealed_previous"] is not None else None),
                  previous_until_at=row["previous_until"])


def public(found: Stored, secret: str | None = None) -> WebhookRecord:
    return WebhookRecord(id=found.id, network_id=found.network_id,
                         community_id=found.community_id, created_by=found.created_by,
                         url=found.url, events=found.events, enabled=found.enabled,
                         disabled_reason=found.disabled_reason, created_at=found.created_at,
                         updated_at=found.updated_at, previous_until=found.previous_until,
                         secret=secret)


async def insert(conn: asyncpg.Connection, *, id: int, network_id: int, community_id: int | None,
                 created_by: int, url: str, events: list[str], sealed_secret: bytes) -> Stored:
    row = await conn.fetchrow(
        f"""INSERT INTO webhooks (id, network_id, community_id, created_by, url, events,
                                  sealed_secret)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_WEBHOOK}""",
        id, network_id, community_id, created_by, url, events, sealed_secret)
    return _webhook(row)


async def get(conn: asyncpg.Connection, webhook_id: int) -> Stored | None:
    row = await conn.fetchrow(f"SELECT {_WEBHOOK} FROM webhooks WHERE id = $1", webhook_id)
    return _webhook(row) if row else None


async def listed(conn: asyncpg.Connection, network_id: int | None,
                 community_ids: list[int]) -> list[Stored]:
    rows = await conn.fetch(
        f"""SELECT {_WEBHOOK} FROM webhooks
            WHERE network_id = $1 OR community_id = ANY($2::bigint[])
            ORDER BY id DESC LIMIT 200""",
        network_id, community_ids)
    return [_webhook(row) for row in rows]


async def update(conn: asyncpg.Connection, webhook_id: int, *, url: str | None,
                 events: list[str] | None, enabled: bool | None) -> Stored | None:
    row = await conn.fetchrow(
        f"""UPDATE webhooks SET url = coalesce($2, url), events = coalesce($3, events),
                enabled = coalesce($4, enabled),
                disabled_reason = CASE WHEN $4 THEN NULL ELSE disabled_reason END,
                dead_streak = CASE WHEN $4 THEN 0 ELSE dead_streak END,
                updated_at = now()
            WHERE id = $1 RETURNING {_WEBHOOK}""",
        webhook_id, url, events, enabled)
    return _webhook(row) if row else None


async def delete(conn: asyncpg.Connection, webhook_id: int) -> int:
    result = await conn.execute("DELETE FROM webhooks WHERE id = $1", webhook_id)
    return int(result.split()[-1])


async def rotate(conn: asyncpg.Connection, webhook_id: int, *, sealed_secret: bytes,
                 keep_previous_s: int) -> Stored | None:
    row = await conn.fetchrow(
        f"""UPDATE webhooks SET
                sealed_previous = CASE WHEN $3 > 0 THEN sealed_secret END,
                previous_until = CASE WHEN $3 > 0
                    THEN now() + make_interval(secs => $3) END,
                sealed_secret = $2, updated_at = now()
            WHERE id = $1 RETURNING {_WEBHOOK}""",
        webhook_id, sealed_secret, keep_previous_s)
    return _webhook(row) if row else None


async def matching(conn: asyncpg.Connection, type_: str, network_id: int | None,
                   community_id: int | None) -> list[Stored]:
    """The enabled webhooks that hear of an event of ``type_``: the network's (no community),
    and the community's."""
    rows = await conn.fetch(
        f"""SELECT {_WEBHOOK} FROM webhooks
            WHERE enabled AND $1 = ANY(events)
              AND ((community_id IS NULL AND network_id = $2) OR community_id = $3)""",
        type_, network_id, community_id)
    return [_webhook(row) for row in rows]


async def scopes(conn: asyncpg.Connection) -> list[str]:
    """Where webhooks listen, enabled or not (shared/member_index.py ``hook_scope``)."""
    rows = await conn.fetch("SELECT DISTINCT network_id, community_id FROM webhooks")
    return [member_index.hook_scope(row["network_id"], row["community_id"]) for row in rows]


async def any_subscribed(conn: asyncpg.Connection, types: list[str],
                         network_id: int | None = None, community_id: int | None = None,
                         *, anywhere: bool = False) -> bool:
    """Whether some enabled webhook hears any of ``types`` in the network or community (or
    ``anywhere``, when the event does not say where it happened). Most events concern none:
    this spares the lookups that rendering them would need."""
    return bool(await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM webhooks WHERE enabled AND events && $1::text[]
               AND ($4 OR (community_id IS NULL AND network_id = $2) OR community_id = $3))""",
        types, network_id, community_id, anywhere))


async def disable(conn: asyncpg.Connection, webhook_id: int, reason: str) -> bool:
    """True when this call disabled it (it was enabled)."""
    return bool(await conn.fetchval(
        """UPDATE webhooks SET enabled = false, disabled_reason = $2, updated_at = now()
           WHERE id = $1 AND enabled RETURNING true""", webhook_id, reason))


# --- deliveries -------------------------------------------------------------------------------

_DELIVERY = ("id, webhook_id, event_id, type, state, attempts, due_at, last_status, last_error, "
             "created_at, updated_at")


def _delivery(row: asyncpg.Record, log: list[AttemptRecord] | None = None) -> DeliveryRecord:
    return DeliveryRecord(
        id=row["id"], webhook_id=row["webhook_id"], event_id=row["event_id"], type=row["type"],
        state=row["state"], attempts=row["attempts"], created_at=_ms(row["created_at"]) or 0,
        updated_at=_ms(row["updated_at"]) or 0,
        next_attempt_at=_ms(row["due_at"]) if row["state"] == "pending" else None,
        last_status=row["last_status"], last_error=row["last_error"], log=log or [])


async def record(conn: asyncpg.Connection, *, id: int, webhook_id: int, event_id: int,
                 type_: str, body: bytes, window_s: float, due_in_s: float = 0.0) -> int | None:
    """A new delivery, due in ``due_in_s`` (a ping, sent at once by its caller, is due for the
    senders only if that caller dies); None when this event was already recorded for this
    webhook (a redelivered event: the first delivery stands)."""
    found: int | None = await conn.fetchval(
        """INSERT INTO webhook_deliveries (id, webhook_id, event_id, type, body, due_at,
                                           retry_until)
           VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $7),
                   now() + make_interval(secs => $6))
           ON CONFLICT (event_id, webhook_id, type) DO NOTHING RETURNING id""",
        id, webhook_id, event_id, type_, body, window_s, due_in_s)
    return found


class Claimed:
    __slots__ = ("id", "webhook_id", "type", "body", "attempts", "retry_until")

    def __init__(self, row: asyncpg.Record) -> None:
        self.id: int = row["id"]
        self.webhook_id: int = row["webhook_id"]
        self.type: str = row["type"]
        self.body: bytes = bytes(row["body"])
        self.attempts: int = row["attempts"]
        self.retry_until: dt.datetime = row["retry_until"]


async def claim_due(conn: asyncpg.Connection, limit: int, lease_s: float,
                    only: int | None = None) -> list[Claimed]:
    """Deliveries due now, each taken by this sender for ``lease_s``: their ``due_at`` moves
    past the attempt, so another replica's claim skips them (SKIP LOCKED while this runs, the
    later ``due_at`` after), and a sender that dies mid-attempt leaves them due again once the
    lease ends. ``only``: that pending delivery alone, due or not (a ping, a replay: sent at
    once by whoever asked, the background senders kept off by a later ``due_at``)."""
    rows = await conn.fetch(
        """UPDATE webhook_deliveries d SET due_at = now() + make_interval(secs => $2)
           WHERE d.id IN (SELECT id FROM webhook_deliveries
                          WHERE state = 'pending'
                            AND (($3::bigint IS NULL AND due_at <= now()) OR id = $3)
                          ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING d.id, d.webhook_id, d.type, d.body, d.attempts, d.retry_until""",
        limit, lease_s, only)
    return [Claimed(row) for row in rows]


async def attempted(conn: asyncpg.Connection, *, attempt_id: int, claimed: Claimed, ok: bool,
                    status_code: int | None, latency_ms: int, error: str | None,
                    response: str | None, retry_in_s: float | None) -> str:
    """Log one attempt and move the delivery on: delivered (``ok``), due again in
    ``retry_in_s``, or dead (``retry_in_s`` None). Its new state."""
    await conn.execute(
        """INSERT INTO webhook_attempts (id, delivery_id, webhook_id, ok, status_code,
                                         latency_ms, error, response)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        attempt_id, claimed.id, claimed.webhook_id, ok, status_code, latency_ms, error, response)
    state = "delivered" if ok else ("pending" if retry_in_s is not None else "dead")
    await conn.execute(
        """UPDATE webhook_deliveries SET state = $2, attempts = attempts + 1,
               due_at = CASE WHEN $2 = 'pending' THEN now() + make_interval(secs => $3) END,
               last_status = $4, last_error = $5, updated_at = now()
           WHERE id = $1""",
        claimed.id, state, retry_in_s or 0.0, status_code, error)
    return state


async def dead_streak(conn: asyncpg.Connection, webhook_id: int, state: str) -> int:
    """The webhook's dead letters in a row, after a delivery ended ``state``."""
    if state == "delivered":
        await conn.execute("UPDATE webhooks SET dead_streak = 0 WHERE id = $1", webhook_id)
        return 0
    streak: int = await conn.fetchval(
        "UPDATE webhooks SET dead_streak = dead_streak + 1 WHERE id = $1 RETURNING dead_streak",
        webhook_id) or 0
    return streak


async def page(conn: asyncpg.Connection, webhook_id: int, *, state: str | None,
               max_id: int | None, since_id: int | None, min_id: int | None,
               limit: int) -> list[DeliveryRecord]:
    """Newest first (Mastodon's paging: ``min_id`` pages forward from just above it)."""
    ascending = min_id is not None and since_id is None
    rows = await conn.fetch(
        f"""SELECT {_DELIVERY} FROM webhook_deliveries
            WHERE webhook_id = $1 AND ($2::text IS NULL OR state = $2)
              AND ($3::bigint IS NULL OR id < $3)
              AND ($4::bigint IS NULL OR id > $4) AND ($5::bigint IS NULL OR id > $5)
            ORDER BY id {'ASC' if ascending else 'DESC'} LIMIT $6""",
        webhook_id, state, max_id, since_id, min_id, limit)
    if ascending:
        rows = list(reversed(rows))
    logs = await _logs(conn, [row["id"] for row in rows])
    return [_delivery(row, logs.get(row["id"])) for row in rows]


async def delivery(conn: asyncpg.Connection, webhook_id: int, delivery_id: int
                   ) -> DeliveryRecord | None:
    row = await conn.fetchrow(
        f"SELECT {_DELIVERY} FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2",
        delivery_id, webhook_id)
    if row is None:
        return None
    return _delivery(row, (await _logs(conn, [delivery_id])).get(delivery_id))


LOG_PER_DELIVERY = 20


async def _logs(conn: asyncpg.Connection, delivery_ids: list[int]
                ) -> dict[int, list[AttemptRecord]]:
    if not delivery_ids:
        return {}
    rows = await conn.fetch(
        """SELECT id, delivery_id, at, ok, status_code, latency_ms, error, response
           FROM (SELECT *, row_number() OVER (PARTITION BY delivery_id ORDER BY id DESC) AS n
                 FROM webhook_attempts WHERE delivery_id = ANY($1::bigint[])) a
           WHERE n <= $2 ORDER BY id DESC""",
        delivery_ids, LOG_PER_DELIVERY)
    found: dict[int, list[AttemptRecord]] = {}
    for row in rows:
        found.setdefault(row["delivery_id"], []).append(AttemptRecord(
            id=row["id"], at=_ms(row["at"]) or 0, ok=row["ok"], status_code=row["status_code"],
            latency_ms=row["latency_ms"], error=row["error"], response=row["response"]))
    return found


async def replay(conn: asyncpg.Connection, webhook_id: int, delivery_id: int,
                 window_s: float, lease_s: float) -> bool:
    """A delivery pending again, with a new retry window (a delivered one too: the admin asks
    for it again; the receiver sees the same ``webhook-id``), for its caller to send at once:
    due for the background senders only after ``lease_s`` (if that caller died)."""
    return bool(await conn.fetchval(
        """UPDATE webhook_deliveries SET state = 'pending',
               due_at = now() + make_interval(secs => $4),
               retry_until = now() + make_interval(secs => $3), updated_at = now()
           WHERE id = $1 AND webhook_id = $2 RETURNING true""",
        delivery_id, webhook_id, window_s, lease_s))


async def due_count(conn: asyncpg.Connection) -> int:
    """Deliveries due now (a test's idle check; the lag metric)."""
    return int(await conn.fetchval(
        "SELECT count(*) FROM webhook_deliveries WHERE state = 'pending' AND due_at <= now()"))
