"""Webhooks through Hubbub's API, for the webhook tests."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.helpers import Api, User

BASE = "/api/hubbub/v1/webhooks"


async def create(api: Api, admin: User, url: str, events: list[str], **fields: Any
                 ) -> dict[str, Any]:
    r = await api.client.post(BASE, headers=admin.headers,
                              json={"url": url, "events": events, **fields})
    assert r.status_code == 200, r.text
    return r.json()


async def call(api: Api, user: User, method: str, path: str = "", **kwargs: Any
               ) -> httpx.Response:
    return await api.client.request(method, f"{BASE}{path}", headers=user.headers, **kwargs)


async def deliveries(api: Api, admin: User, hook: dict[str, Any], dead: bool = False
                     ) -> list[dict[str, Any]]:
    r = await call(api, admin, "GET", f"/{hook['id']}/{'dead_letters' if dead else 'deliveries'}")
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


async def wait_until(api: Api, admin: User, hook: dict[str, Any], *, state: str,
                     count: int = 1, timeout: float = 15.0) -> list[dict[str, Any]]:
    """The webhook's deliveries once ``count`` of them are in ``state``. Retries run on the
    sender's timers (seconds, in the tests' settings), which no consumer's idleness covers:
    this polls the delivery log."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = await deliveries(api, admin, hook)
        if sum(1 for d in found if d["state"] == state) >= count:
            return found
        if loop.time() > deadline:
            raise AssertionError(f"no {count} deliveries {state}: {found}")
        await asyncio.sleep(0.1)
