"""The write benchmark's baseline: a bare endpoint doing the irreducible work of a write, on the
gateway's framework and ASGI server (loadtests/bare_app.py's ``serve``). Any ``POST`` (the
same paths and bodies the benchmark sends Hubbub) reads its JSON body, inserts a status row and
its outbox row in one statement (one transaction, one round trip) into scratch copies of posts'
``statuses`` and ``outbox`` tables in a schema of their own, publishes one JetStream message
(with a ``Nats-Msg-Id``, to a stream of its own shaped as the events stream), and answers
``{"id": ...}``. No token check, no rendering, no relay: what any design must pay.

    python -m loadtests.bare_write_app --port 18081 --database-url URL --nats-url URL[,URL]

``prepare`` (called by the benchmark before it starts this) makes the scratch tables and stream.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import msgspec
import nats
from litestar import Litestar, Request, Response, get, post
from nats.js.errors import NotFoundError

from loadtests.bare_app import run
from shared import subjects, worker_lease
from shared.ids import new_id

SCHEMA = "writebench"
STREAM = "WRITEBENCH"
SUBJECT = "writebench.status.created"
POOL_SIZE = 10  # as a service's pool (HUBBUB_DB_POOL_MAX's default)


class Body(msgspec.Struct):
    status: str = ""
    in_reply_to_id: str | None = None


class Created(msgspec.Struct):
    """The event's payload: about the size of posts' StatusCreated."""

    id: int
    status_id: int
    text: str
    in_reply_to_id: int | None


decode_body = msgspec.json.Decoder(Body).decode
encode = msgspec.json.Encoder().encode

INSERT = f"""
WITH status AS (
    INSERT INTO {SCHEMA}.statuses (id, account_id, network_id, text, content_html, visibility,
                                   in_reply_to_id)
    VALUES ($1, 0, 0, $2, $2, 'public', $3))
INSERT INTO {SCHEMA}.outbox (id, subject, payload) VALUES ($4, $5, $6)"""


async def prepare(database_url: str, nats_urls: list[str]) -> None:
    """The scratch tables (posts' current shape: ``LIKE ... INCLUDING ALL``, indexes too) and
    the stream (the events stream's configuration under another name and subject)."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}; "
            f"CREATE TABLE {SCHEMA}.statuses (LIKE posts.statuses INCLUDING ALL); "
            f"CREATE TABLE {SCHEMA}.outbox (LIKE posts.outbox INCLUDING ALL)")
    finally:
        await conn.close()
    nc = await nats.connect(nats_urls)
    try:
        js = nc.jetstream()
        events = await js.stream_info(subjects.EVENTS_STREAM)
        with contextlib.suppress(NotFoundError):
            await js.delete_stream(STREAM)
        await js.add_stream(dataclasses.replace(events.config, name=STREAM, subjects=[SUBJECT]))
    finally:
        await nc.close()


def create_app(database_url: str, nats_urls: list[str]) -> Litestar:
    pool: asyncpg.Pool | None = None
    js = None

    @contextlib.asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        nonlocal pool, js
        async with worker_lease.held(database_url):  # new_id() as a service mints them
            pool = await asyncpg.create_pool(database_url, min_size=POOL_SIZE,
                                             max_size=POOL_SIZE)
            nc = await nats.connect(nats_urls)
            js = nc.jetstream()
            try:
                yield
            finally:
                await nc.drain()
                await pool.close()

    @post("/{path:path}", status_code=200)
    async def write(request: Request[Any, Any, Any]) -> Response[bytes]:
        assert pool is not None and js is not None
        raw = await request.body()
        body = decode_body(raw) if raw else Body()
        reply_to = int(body.in_reply_to_id) if body.in_reply_to_id else None
        status_id, event_id = new_id(), new_id()
        payload = encode(Created(id=event_id, status_id=status_id, text=body.status,
                                 in_reply_to_id=reply_to))
        await pool.execute(INSERT, status_id, body.status, reply_to, event_id, SUBJECT,
                           payload)
        await js.publish(SUBJECT, payload, headers={"Nats-Msg-Id": str(event_id)})
        return Response(content=b'{"id":"%d"}' % status_id, media_type="application/json")

    @get("/readyz", sync_to_thread=False)
    def ready() -> str:
        return "ok"

    return Litestar(route_handlers=[write, ready], lifespan=[lifespan], openapi_config=None,
                    logging_config=None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--nats-url", required=True, help="comma-separated")
    args = parser.parse_args()
    run(create_app(args.database_url, args.nats_url.split(",")), args.host, args.port)


if __name__ == "__main__":
    main()
