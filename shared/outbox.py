"""The transactional outbox: never lose an event, never publish one twice.

A service writes its row and the event's outbox row in one transaction (``add``). The relay, a
task in the same service, publishes unpublished rows to JetStream with ``Nats-Msg-Id`` = event id
and then marks them. A crash between publish and mark republishes the row on restart, and
JetStream's duplicate window drops the copy: the event reaches consumers once.

The relay wakes on NOTIFY (sent by ``add``, delivered at commit) and polls as a fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg
from nats.js import JetStreamContext

from shared import events, metrics, subjects, tracing
from shared.cancel import raise_if_cancelled

log = logging.getLogger(__name__)
# After the listening session ended: how often to try listening again (the poll carries rows
# meanwhile), and how long one try may take (a host that drops packets must not stall relaying).
LISTEN_RETRY_S = 5.0
LISTEN_CONNECT_TIMEOUT_S = 5.0

# Each service schema has this table (see its first migration).
OUTBOX_DDL = """
CREATE TABLE outbox (
    id bigint PRIMARY KEY,            -- the event id, used as Nats-Msg-Id
    subject text NOT NULL,
    payload bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    traceparent text                  -- W3C trace context of the write, when tracing is on
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
"""


def channel(schema: str) -> str:
    return f"{schema}_outbox"


def row(event: events.Event) -> tuple[int, str, bytes]:
    """An event's outbox row: (id, subject, payload). For writers that insert it themselves
    inside a larger statement (the relay's wake-up is then theirs too: ``pg_notify(channel)``)."""
    return event.id, subjects.event(event.type, event.facets()), events.encode(event)


# The rows and the relay's wake-up in one round trip: the NOTIFY is delivered at commit, as a
# separate NOTIFY statement's would be. (It was two: an executemany and a NOTIFY, on every
# write of every service.)
_ADD = """
WITH added AS (
    INSERT INTO outbox (id, subject, payload, traceparent)
    SELECT id, subject, payload, $4 FROM unnest($1::bigint[], $2::text[], $3::bytea[])
        AS e(id, subject, payload)
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT pg_notify($5, '') FROM (SELECT count(*) FROM added) AS done
"""


async def add(conn: asyncpg.Connection, schema: str, *evts: events.Event) -> None:
    """Record events inside the caller's transaction."""
    if not evts:
        return
    # The trace context of the write (None unless tracing is on): the relay publishes it in the
    # message's headers, so consumers' spans join the request's trace (shared/tracing.py).
    trace = tracing.traceparent()
    ids, subjects_, payloads = zip(*(row(e) for e in evts), strict=True)
    await conn.execute(_ADD, list(ids), list(subjects_), list(payloads), trace, channel(schema))


def _headers(event_id: int, traceparent: str | None) -> dict[str, str]:
    if traceparent is None:
        return {"Nats-Msg-Id": str(event_id)}
    return {"Nats-Msg-Id": str(event_id), tracing.TRACEPARENT: traceparent}


class OutboxRelay:
    def __init__(self, pool: asyncpg.Pool, js: JetStreamContext, schema: str, *,
                 database_url: str, batch: int = 256, poll_s: float = 1.0) -> None:
        self.pool = pool
        self.js = js
        self.schema = schema
        self.database_url = database_url
        self.batch = batch
        self.poll_s = poll_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self._listen_after = 0.0  # (loop time) the next try to listen again, once it ended
        self.healthy = False

    async def start(self) -> None:
        await self._listen()
        self._task = asyncio.create_task(self._run(), name=f"outbox:{self.schema}")

    async def _listen(self) -> None:
        # LISTEN needs its own connection: a pooled one is UNLISTENed when released.
        self._listener = await asyncpg.connect(
            self.database_url, server_settings={"search_path": self.schema},
            timeout=LISTEN_CONNECT_TIMEOUT_S)
        await self._listener.add_listener(channel(self.schema), self._notified)

    async def _listen_again(self) -> None:
        """The listening session ended (PostgreSQL restarted or failed over, an administrator
        ended it): listen again, or rows would wait for the next poll from now on. Until it
        works, the poll does."""
        if self._listener is not None and not self._listener.is_closed():
            return
        loop = asyncio.get_running_loop()
        if loop.time() < self._listen_after:
            return
        self._listen_after = loop.time() + LISTEN_RETRY_S
        try:
            await self._listen()
            log.info("outbox relay (%s) listening again", self.schema)
            self._wake.set()  # rows written while no one listened
        except Exception as exc:
            raise_if_cancelled(exc)
            self._listener = None

    def _notified(self, *_args: object) -> None:
        self._wake.set()

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._listener:
            with contextlib.suppress(Exception):
                await self._listener.close()

    async def _run(self) -> None:
        self._wake.set()  # rows left by a previous run go first
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_s)
            self._wake.clear()
            try:
                await self._listen_again()
                while await self.relay_once() == self.batch:
                    pass  # a full batch: there may be more
                self.healthy = True
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.healthy = False
                log.warning("outbox relay (%s) failed: %s; retrying", self.schema, exc)
                await asyncio.sleep(1.0)

    async def relay_once(self) -> int:
        """Publish one batch of unpublished rows; returns how many were published."""
        # Marked and published in one transaction: the rows stay locked (another relay skips
        # them) until the commit, and a publish that fails rolls the marks back. Marking first
        # saves a round trip a batch; a crash after the publishes and before the commit
        # publishes them again, which JetStream's de-duplication by event id absorbs.
        async with self.pool.acquire() as conn, conn.transaction():
            rows = sorted(await conn.fetch(
                "UPDATE outbox SET published_at = now() WHERE id IN ("
                "SELECT id FROM outbox WHERE published_at IS NULL "
                "ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) "
                "RETURNING id, subject, payload, traceparent",
                self.batch,
            ), key=lambda row: row["id"])
            if not rows:
                return 0
            await asyncio.gather(*(
                self.js.publish(row["subject"], bytes(row["payload"]),
                                headers=_headers(row["id"], row["traceparent"]))
                for row in rows
            ))
        metrics.EVENTS_PUBLISHED.labels(self.schema).inc(len(rows))
        return len(rows)

    async def prune(self, older_than_hours: int = 24) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute(
                "DELETE FROM outbox WHERE published_at < now() - make_interval(hours => $1)",
                older_than_hours,
            )
