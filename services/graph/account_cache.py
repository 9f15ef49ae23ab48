"""The graph's write-through account cache in Redis (``acct:<id>``), read by the gateway.

Counters change often; rather than rewrite the record on every follow, a change deletes the key
and the next reader's miss refills it from Postgres.
"""

from __future__ import annotations

import redis.asyncio as redis

from shared.records import AccountRecord, account_key, pack

TTL_S = 24 * 3600


async def put(r: redis.Redis, accounts: list[AccountRecord]) -> None:
    if not accounts:
        return
    pipe = r.pipeline(transaction=False)
    for account in accounts:
        pipe.set(account_key(account.id), pack(account), ex=TTL_S)
    await pipe.execute()


async def invalidate(r: redis.Redis, *account_ids: int) -> None:
    if account_ids:
        await r.delete(*(account_key(i) for i in account_ids))
