"""Scheduled statuses in tests: schedule one, make it due in the store (no waiting five
minutes), and hold the stack's own publisher while a test publishes by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from services.posts.use_cases.publish_due_statuses import PublishDueStatuses
from tests.helpers import Api, User

HOUR_S = 3600


def iso_in(seconds: float) -> str:
    """An ISO 8601 time this many seconds from now, as clients send it."""
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


async def try_schedule(api: Api, user: User, text: str, at: str | None = None,
                       **fields: Any) -> httpx.Response:
    return await api.client.post("/api/v1/statuses", headers=user.headers, json={
        "status": text, "scheduled_at": at or iso_in(HOUR_S), **fields})


async def schedule(api: Api, user: User, text: str, at: str | None = None,
                   **fields: Any) -> dict[str, Any]:
    r = await try_schedule(api, user, text, at, **fields)
    assert r.status_code == 200, r.text
    return r.json()


async def scheduled_list(api: Api, user: User, **params: Any) -> list[dict[str, Any]]:
    r = await api.client.get("/api/v1/scheduled_statuses", headers=user.headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def make_due(api: Api, *scheduled_ids: str) -> None:
    """Move the scheduled statuses' time to a second ago, in the store."""
    await api.stack.posts.pool.execute(
        "UPDATE scheduled_statuses SET scheduled_at = now() - interval '1 second' "
        "WHERE id = ANY($1::bigint[])", [int(i) for i in scheduled_ids])


async def statuses_of(api: Api, user: User) -> list[str]:
    """The texts of the user's statuses, as stored (oldest first)."""
    rows = await api.stack.posts.pool.fetch(
        "SELECT text FROM statuses WHERE account_id = $1 ORDER BY id", int(user.id))
    return [row["text"] for row in rows]


def publisher_of(api: Api) -> PublishDueStatuses:
    [publisher] = [s for s in api.stack.posts._stoppables if isinstance(s, PublishDueStatuses)]
    return publisher


@asynccontextmanager
async def publisher_paused(api: Api) -> AsyncIterator[PublishDueStatuses]:
    """The stack's publisher, stopped for the block: the test publishes when it means to."""
    publisher = publisher_of(api)
    await publisher.stop()
    try:
        yield publisher
    finally:
        await publisher.start()


async def posted(api: Api, user: User) -> list[str]:
    """The ids of the user's statuses, as its profile lists them (newest first)."""
    r = await api.client.get(f"/api/v1/accounts/{user.id}/statuses", headers=user.headers)
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json()]
