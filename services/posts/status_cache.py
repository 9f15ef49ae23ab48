"""The posts service's write-through status cache (``status:<id>``), read by the gateway to
hydrate timeline pages with one multi-get. A miss asks this service, which refills it."""

from __future__ import annotations

import redis.asyncio as redis

from shared.records import StatusRecord, pack, status_key

TTL_S = 3 * 24 * 3600


async def put(r: redis.Redis, statuses: list[StatusRecord]) -> None:
    if not statuses:
        return
    pipe = r.pipeline(transaction=False)
    for status in statuses:
        pipe.set(status_key(status.id), pack(status), ex=TTL_S)
    await pipe.execute()


async def invalidate(r: redis.Redis, *status_ids: int) -> None:
    if status_ids:
        await r.delete(*(status_key(i) for i in status_ids))
