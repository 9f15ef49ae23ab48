"""Records by id, with as few round trips as possible: one Redis multi-get for those their owners
cached, one request to the owner (graph for accounts, posts for statuses and the reader's flags)
for the misses, which refills the cache (shared/viewer_cache for the flags)."""

from __future__ import annotations

from typing import cast

import redis.asyncio as redis
from nats.aio.client import Client as NATS

from services.gateway.hydrate.records import DecodedRecords
from shared import bus, viewer_cache
from shared.contracts import graph as graph_api
from shared.contracts import posts as posts_api
from shared.fastredis import FastRedis
from shared.records import AccountRecord, StatusRecord, account_key, status_key
from shared.viewer_cache import Flags


class Fetch:
    def __init__(self, nc: NATS, r: FastRedis | redis.Redis, records: DecodedRecords) -> None:
        self.nc = nc
        self.r = r
        self.records = records

    async def accounts(self, ids: list[int]) -> dict[int, AccountRecord]:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        found: dict[int, AccountRecord] = {}
        # (replies not decoded: bytes)
        raws = cast(list[bytes | None], await self.r.mget([account_key(i) for i in ids]))
        for account_id, raw in zip(ids, raws, strict=True):
            if raw is not None:
                found[account_id] = self.records.account_at(account_id, raw)
        missing = [i for i in ids if i not in found]
        if missing:
            reply = await bus.call(self.nc, graph_api.ACCOUNT_GET,
                                   graph_api.GetAccounts(ids=missing))
            found.update((a.id, a) for a in reply.accounts)
        return found

    async def statuses(self, ids: list[int]) -> dict[int, StatusRecord]:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        raws = cast(list[bytes | None], await self.r.mget([status_key(i) for i in ids]))
        return await self.found_statuses(ids, raws)

    async def found_statuses(self, ids: list[int], raws: list[bytes | None]
                             ) -> dict[int, StatusRecord]:
        """The statuses of ``ids`` from their cached bytes ``raws``; the owner is asked for
        those not cached."""
        found: dict[int, StatusRecord] = {}
        tombstones = set()
        seen = self.records.statuses_seen.get
        for status_id, raw in zip(ids, raws, strict=True):
            if raw is None:
                continue
            if raw == b"":
                tombstones.add(status_id)  # deleted moments ago: no need to ask
                continue
            last = seen(status_id)
            found[status_id] = last[1] if last is not None and last[0] == raw \
                else self.records.status_at(status_id, raw)
        if len(found) + len(tombstones) < len(ids):
            missing = [i for i in ids if i not in found and i not in tombstones]
            reply = await bus.call(self.nc, posts_api.STATUS_GET,
                                   posts_api.GetStatuses(ids=missing))
            found.update((s.id, s) for s in reply.statuses)
        return found

    async def with_originals(self, statuses: list[StatusRecord]) -> dict[int, StatusRecord]:
        """The reblogged statuses of any reblogs among ``statuses``."""
        return await self.statuses([s.reblog_of_id for s in statuses if s.reblog_of_id])

    async def accounts_and_flags(
        self, statuses: list[StatusRecord], viewer_id: int | None,
        accounts: dict[int, AccountRecord] | None = None, flags: dict[int, Flags] | None = None,
    ) -> tuple[dict[int, AccountRecord], dict[int, Flags]]:
        """The authors and mentioned accounts of ``statuses`` and the viewer's flags on them
        (beside those already read, ``accounts`` and ``flags``): one Redis round trip when both
        are cached, the owners asked at once for what is not."""
        accounts = {} if accounts is None else accounts
        flags = {} if flags is None else flags
        if not statuses:
            return accounts, flags
        account_ids = [i for i in dict.fromkeys(
            [s.account_id for s in statuses] + [i for s in statuses for i in s.mentions])
            if i not in accounts]
        flag_ids = [s.id for s in statuses if s.reblog_of_id is None and s.id not in flags] \
            if viewer_id else []
        if not account_ids and not flag_ids:
            return accounts, flags
        pipe = self.r.pipeline(transaction=False)
        if account_ids:
            pipe.mget([account_key(i) for i in account_ids])
        if flag_ids and viewer_id:  # (none without a reader)
            pipe.hmget(viewer_cache.flags_key(viewer_id), [str(i) for i in flag_ids])
        replies = await pipe.execute()
        if account_ids:
            self.records.add_accounts(accounts, account_ids, replies[0])
        if flag_ids:
            self.records.add_flags(flags, flag_ids, replies[-1])
        missing_accounts = [i for i in account_ids if i not in accounts]
        unknown = set(flag_ids) - flags.keys()
        missing_flags = [s for s in statuses if s.id in unknown] if unknown else []
        if missing_accounts:
            accounts.update(await self.accounts(missing_accounts))
        if missing_flags:
            assert viewer_id is not None
            flags.update(await self._ask_flags(viewer_id, missing_flags))
        return accounts, flags

    async def _ask_flags(self, viewer_id: int, statuses: list[StatusRecord]
                         ) -> dict[int, viewer_cache.Flags]:
        """Flags the cache did not have: posts answers from Postgres and fills the cache."""
        reply = await bus.call(
            self.nc, posts_api.STATUS_VIEWER_FLAGS,
            posts_api.ViewerFlagsRequest(account_id=viewer_id, ids=[s.id for s in statuses]))
        favourited, reblogged = set(reply.favourited), set(reply.reblogged)
        bookmarked, pinned = set(reply.bookmarked), set(reply.pinned)
        found = {}
        for s in statuses:
            votes = reply.poll_votes.get(s.poll.id) if s.poll else None
            found[s.id] = viewer_cache.Flags(
                favourited=s.id in favourited, reblogged=s.id in reblogged,
                bookmarked=s.id in bookmarked, pinned=s.id in pinned,
                poll_id=s.poll.id if votes and s.poll else None, votes=tuple(votes or ()))
        return found
