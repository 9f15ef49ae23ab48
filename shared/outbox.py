"""The transactional outbox: never lose an event, never publish one twice.

A service writes its row and the event's outbox row in one transaction (``add``). The relay, a
task in the same service, publishes unpublished rows to JetStream with ``Nats-Msg-Id`` = event id
and then marks them. A crash between publish and mark republishes the row on restart, and
JetStream's duplicate window drops the copy: the event reaches consumers once.

**The hand-off.** Where the writing process runs the relay (every service does), the rows do
not wait for the relay to find them: once the writer's transaction commits, ``add`` hands them
to the relay in memory (``ClaimingConnection.after_commit``), which publishes them at once and
marks them published in batches (one ``UPDATE`` for all the rows of a moment). Such a row is
written with ``relay_after`` = now + ``HANDOFF_GRACE_S`` and no NOTIFY: the polling relay (of
any replica) leaves it alone until then. A process that dies holding handed rows, or a publish
that fails, leaves them unmarked, and the poll takes them once the grace has passed; a row
published and then taken again is dropped by JetStream's duplicate window (far longer than the
grace). Per event this saves the relay's own transaction (BEGIN, the marking ``UPDATE …
RETURNING``, COMMIT) and the NOTIFY, most of the outbox's cost on the write path.

Without a hand-off (no relay running in the process, or a writer of its own statement that does
not hand its rows over) the relay wakes on NOTIFY (sent by ``add``, delivered at commit) and
polls as a fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, NamedTuple

import asyncpg
from nats.js import JetStreamContext

from shared import events, metrics, request_keys, subjects, tracing
from shared.cancel import raise_if_cancelled

log = logging.getLogger(__name__)
# After the listening session ended: how often to try listening again (the poll carries rows
# meanwhile), and how long one try may take (a host that drops packets must not stall relaying).
LISTEN_RETRY_S = 5.0
LISTEN_CONNECT_TIMEOUT_S = 5.0
# How long the polling relay leaves a handed row to the process that wrote it. Publishing and
# marking a handed row takes milliseconds; past this the writer is taken for dead (or its
# publish for failed), and the row for the poll. Well inside JetStream's duplicate window, so
# a row taken twice still reaches consumers once.
HANDOFF_GRACE_S = 3.0
# How often handed rows are marked published. Each mark is a write transaction (a WAL flush):
# marking every row on its own cost as much as the relay's transaction it replaced. Marked in
# one statement every 0.2 s, a moment's rows share it; far inside the grace.
MARK_EVERY_S = 0.2
# Published rows are kept a day (to look into), then deleted by the relay, a batch at a time.
KEEP_HOURS = 24
PRUNE_EVERY_S = 600.0
PRUNE_BATCH = 5_000
# Rows handed and not yet published that a relay holds in memory, at most: beyond (NATS away
# for long), a handed row is left to the poll, which takes it once its grace has passed.
MAX_HANDED = 10_000

# Each service schema has this table (see its first migration).
OUTBOX_DDL = """
CREATE TABLE outbox (
    id bigint PRIMARY KEY,            -- the event id, used as Nats-Msg-Id
    subject text NOT NULL,
    payload bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    traceparent text,                 -- W3C trace context of the write, when tracing is on
    relay_after timestamptz           -- a handed row: the poll leaves it alone until then
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
"""


def channel(schema: str) -> str:
    return f"{schema}_outbox"


def row(event: events.Event) -> tuple[int, str, bytes]:
    """An event's outbox row: (id, subject, payload). For writers that insert it themselves
    inside a larger statement: with ``handoff_for``'s relay they write ``relay_after`` and hand
    the row over (``hand_after_commit``); without one, the relay's wake-up is theirs too
    (``pg_notify(channel)``)."""
    return event.id, subjects.event(event.type, event.facets()), events.encode(event)


# A handed row as the relay publishes it: (id, subject, payload, traceparent).
Handed = tuple[int, str, bytes, str | None]

# The relays running in this process, by the id of their pool: a row written on a connection
# of that pool is handed to that relay. Registered while the relay runs.
_relays: dict[int, OutboxRelay] = {}


def _pool_of(conn: asyncpg.Connection) -> object | None:
    """The pool a connection was taken from (None for one of its own). asyncpg keeps it on the
    pool's proxy (what ``acquire`` yields) and the proxy on the connection (what a transaction
    holds); neither is public, so a change there means no hand-off, not a wrong one."""
    holder = getattr(conn, "_holder", None)
    if holder is None:
        proxy = getattr(conn, "_proxy", None)
        holder = getattr(proxy, "_holder", None)
    return getattr(holder, "_pool", None)


def handoff_for(conn: asyncpg.Connection, schema: str) -> OutboxRelay | None:
    """The relay to hand ``schema``'s rows written on ``conn`` to, or None (rows wait for the
    relay's poll and its NOTIFY)."""
    if not _relays or not isinstance(getattr(conn, "_con", conn),
                                     request_keys.ClaimingConnection):
        return None
    pool = _pool_of(conn)
    relay = _relays.get(id(pool)) if pool is not None else None
    if relay is None or relay.pool is not pool or relay.schema != schema:
        return None
    return relay


def hand_after_commit(conn: asyncpg.Connection, relay: OutboxRelay, rows: list[Handed]) -> None:
    """Give ``rows`` (written with ``relay_after``) to ``relay`` once the write commits."""
    if rows:
        raw = getattr(conn, "_con", conn)  # the pool's proxy holds the connection
        raw.after_commit(lambda: relay.hand(rows))


class Inline(NamedTuple):
    """One event's outbox row written by the caller's own statement (``inline_sql``'s CTE
    among its own, the row inserted only when the write wrote): the write and its event in
    one round trip and one implicit transaction, not a BEGIN, two statements and a COMMIT.
    ``args`` fill the fragment's parameters, from its ``first`` on; after the statement,
    ``handed(conn, event_written)`` hands the row to this process's relay if the statement
    wrote it (at commit: at once outside a transaction)."""

    relay: OutboxRelay | None
    row: Handed
    args: tuple[Any, ...]

    @classmethod
    def of(cls, conn: asyncpg.Connection, schema: str, event: events.Event) -> Inline:
        relay = handoff_for(conn, schema)
        trace = tracing.traceparent()
        event_id, subject, payload = row(event)
        return cls(relay, (event_id, subject, payload, trace),
                   (event_id, subject, payload, trace, HANDOFF_GRACE_S if relay else None,
                    channel(schema)))

    def handed(self, conn: asyncpg.Connection, written: int) -> None:
        if self.relay is not None and written:
            hand_after_commit(conn, self.relay, [self.row])


def inline_sql(source: str, first: int) -> tuple[str, str]:
    """(the ``event`` CTE, the select list's columns ``event_written`` and ``woken``) for an
    ``Inline`` event whose parameters start at ``$first``: inserted once per row of the CTE
    ``source`` (so: when the write wrote), the relay woken by NOTIFY when there is no relay to
    hand it to (its grace parameter NULL), as ``add`` does."""
    p = [f"${first + i}" for i in range(6)]
    cte = (f"event AS (INSERT INTO outbox (id, subject, payload, traceparent, relay_after) "
           f"SELECT {p[0]}::bigint, {p[1]}::text, {p[2]}::bytea, {p[3]}::text, "
           f"clock_timestamp() + make_interval(secs => {p[4]}::float8) "
           f"FROM (SELECT 1 FROM {source} LIMIT 1) AS once "
           f"ON CONFLICT DO NOTHING RETURNING id)")
    columns = (f"(SELECT count(*) FROM event) AS event_written, "
               f"(SELECT count(*) FROM (SELECT pg_notify({p[5]}, '') FROM event "
               f"WHERE {p[4]}::float8 IS NULL) AS w) AS woken")
    return cte, columns


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

# The rows for the hand-off: no wake-up, and the poll's grace. Only the rows inserted come back
# (an event id written before, by a redelivered consumer, is not handed again).
_ADD_HANDED = """
INSERT INTO outbox (id, subject, payload, traceparent, relay_after)
SELECT id, subject, payload, $4, clock_timestamp() + make_interval(secs => $5)
FROM unnest($1::bigint[], $2::text[], $3::bytea[]) AS e(id, subject, payload)
ON CONFLICT DO NOTHING
RETURNING id
"""


async def add(conn: asyncpg.Connection, schema: str, *evts: events.Event) -> None:
    """Record events inside the caller's transaction (or in a statement of their own)."""
    if not evts:
        return
    # The trace context of the write (None unless tracing is on): the relay publishes it in the
    # message's headers, so consumers' spans join the request's trace (shared/tracing.py).
    trace = tracing.traceparent()
    rows = [row(e) for e in evts]
    ids, subjects_, payloads = zip(*rows, strict=True)
    relay = handoff_for(conn, schema)
    if relay is None:
        await conn.execute(_ADD, list(ids), list(subjects_), list(payloads), trace,
                           channel(schema))
        return
    inserted = {r["id"] for r in await conn.fetch(
        _ADD_HANDED, list(ids), list(subjects_), list(payloads), trace, HANDOFF_GRACE_S)}
    hand_after_commit(conn, relay, [(*r, trace) for r in rows if r[0] in inserted])


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
        self._prune_after = 0.0  # (loop time) the next prune of published rows
        self.healthy = False
        # The hand-off: rows committed by this process, to publish; then their ids, to mark.
        self._handed: list[Handed] = []
        self._handed_wake = asyncio.Event()
        self._to_mark: list[int] = []
        self._mark_wake = asyncio.Event()
        self._handoff_tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self._listen()
        self._task = asyncio.create_task(self._run(), name=f"outbox:{self.schema}")
        self._handoff_tasks = [
            asyncio.create_task(self._publish_handed(), name=f"outbox-handed:{self.schema}"),
            asyncio.create_task(self._mark_handed(), name=f"outbox-marks:{self.schema}")]
        _relays[id(self.pool)] = self

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
        if _relays.get(id(self.pool)) is self:
            del _relays[id(self.pool)]
        # Rows handed and not yet published or marked stay in the table for the poll (after
        # the grace), here or in another replica.
        for task in [*self._handoff_tasks, *([self._task] if self._task else [])]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._handoff_tasks = []
        self._handed.clear()
        self._to_mark.clear()
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
                await self._prune_now_and_then()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.healthy = False
                log.warning("outbox relay (%s) failed: %s; retrying", self.schema, exc)
                await asyncio.sleep(1.0)

    def hand(self, rows: list[Handed]) -> None:
        """Rows just committed by this process: publish them now (``_publish_handed``)."""
        if len(self._handed) >= MAX_HANDED:
            return  # (the poll takes them after their grace)
        self._handed.extend(rows)
        self._handed_wake.set()

    async def _publish_handed(self) -> None:
        """Publish what was handed, in the order it came; a failed publish leaves its row to
        the poll (once its grace has passed)."""
        while True:
            await self._handed_wake.wait()
            self._handed_wake.clear()
            while self._handed:
                rows, self._handed = self._handed, []
                results = await asyncio.gather(*(
                    self.js.publish(subject, payload, headers=_headers(event_id, trace))
                    for event_id, subject, payload, trace in rows), return_exceptions=True)
                failures = [r for r in results if isinstance(r, BaseException)]
                for failure in failures:
                    raise_if_cancelled(failure)
                published = [row[0] for row, result in zip(rows, results, strict=True)
                             if not isinstance(result, BaseException)]
                if failures:  # (one line a batch: NATS away fails them all)
                    log.warning("outbox hand-off (%s): %d of %d publishes failed (%s); the "
                                "poll takes them", self.schema, len(failures), len(rows),
                                failures[0])
                self._to_mark += published
                metrics.EVENTS_PUBLISHED.labels(self.schema).inc(len(published))
                self._mark_wake.set()

    async def _mark_handed(self) -> None:
        """Mark published rows, all of a moment (``MARK_EVERY_S``) in one statement."""
        while True:
            await self._mark_wake.wait()
            await asyncio.sleep(MARK_EVERY_S)
            self._mark_wake.clear()
            while self._to_mark:
                ids, self._to_mark = self._to_mark, []
                try:
                    await self.pool.execute(
                        "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
                        ids)
                except Exception as exc:
                    raise_if_cancelled(exc)
                    # Kept to try again; past the grace the poll publishes them once more,
                    # and JetStream drops those copies.
                    log.warning("outbox hand-off (%s): marking failed: %s; retrying",
                                self.schema, exc)
                    self._to_mark = ids + self._to_mark
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
                "AND (relay_after IS NULL OR relay_after < now()) "
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

    async def _prune_now_and_then(self) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() < self._prune_after:
            return
        self._prune_after = loop.time() + PRUNE_EVERY_S
        while await self.prune() == PRUNE_BATCH:
            pass  # (a backlog: more)

    async def prune(self, older_than_hours: int = KEEP_HOURS) -> int:
        """Delete a batch of rows published longer ago than that; returns how many. (Every
        replica's relay prunes: the batches skip each other's locked rows.)"""
        deleted = await self.pool.fetchval(
            "WITH gone AS (DELETE FROM outbox WHERE id IN (SELECT id FROM outbox "
            "WHERE published_at < now() - make_interval(hours => $1) "
            "LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING 1) SELECT count(*) FROM gone",
            older_than_hours, PRUNE_BATCH)
        return int(deleted)
