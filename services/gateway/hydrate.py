"""Turn ids into Mastodon JSON with as few round trips as possible: one Redis multi-get for the
records the owners cached, one request to the owner for the misses (which refills the cache)."""

from __future__ import annotations

from typing import Any

import redis.asyncio as redis
from nats.aio.client import Client as NATS

from services.gateway import mastodon
from shared import bus
from shared.contracts import graph as graph_api
from shared.contracts import posts as posts_api
from shared.records import (
    AccountRecord,
    StatusRecord,
    account_key,
    status_key,
    unpack_account,
    unpack_status,
)


class Hydrator:
    def __init__(self, nc: NATS, r: redis.Redis, base_url: str) -> None:
        self.nc = nc
        self.r = r
        self.base_url = base_url

    async def accounts(self, ids: list[int]) -> dict[int, AccountRecord]:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        found: dict[int, AccountRecord] = {}
        for account_id, raw in zip(ids, await self.r.mget([account_key(i) for i in ids]),
                                   strict=True):
            if raw is not None:
                found[account_id] = unpack_account(raw)
        missing = [i for i in ids if i not in found]
        if missing:
            reply = await bus.request(self.nc, "graph", "account.get",
                                      graph_api.GetAccounts(ids=missing), graph_api.Accounts)
            found.update((a.id, a) for a in reply.accounts)
        return found

    async def account(self, account_id: int) -> AccountRecord | None:
        return (await self.accounts([account_id])).get(account_id)

    async def statuses(self, ids: list[int]) -> dict[int, StatusRecord]:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        found: dict[int, StatusRecord] = {}
        for status_id, raw in zip(ids, await self.r.mget([status_key(i) for i in ids]),
                                  strict=True):
            if raw is not None:
                found[status_id] = unpack_status(raw)
        missing = [i for i in ids if i not in found]
        if missing:
            reply = await bus.request(self.nc, "posts", "status.get",
                                      posts_api.GetStatuses(ids=missing), posts_api.Statuses)
            found.update((s.id, s) for s in reply.statuses)
        return found

    async def render_statuses(self, statuses: list[StatusRecord]) -> list[dict[str, Any]]:
        """Mastodon JSON for statuses, in the order given."""
        account_ids = [s.account_id for s in statuses]
        for s in statuses:
            account_ids.extend(s.mentions)
        accounts = await self.accounts(account_ids)
        rendered = []
        for s in statuses:
            author = accounts.get(s.account_id)
            if author is None:
                continue  # the author is gone: so is the post, for readers
            mentioned = [accounts[i] for i in s.mentions if i in accounts]
            rendered.append(mastodon.status(s, author, mentioned, self.base_url))
        return rendered

    async def render_status_ids(self, ids: list[int]) -> list[dict[str, Any]]:
        found = await self.statuses(ids)
        return await self.render_statuses([found[i] for i in ids if i in found])
