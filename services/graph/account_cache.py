"""The graph's account cache in Redis (``acct:{<id>}``), read by the gateway.

Its functions take either client (shared/cache.CacheClient): graph's hot paths (the status
counter, account and follower reads) call them on the lean one, where redis-py's ~0.2 ms of
Python per command was a quarter of graph's CPU under the write benchmark.

A change to what the record shows deletes the key (``invalidate``) and the next reader's miss
refills it from Postgres (``fill``); the status counter, which changes with every post, writes
the new record through instead (``fill`` with the records its update returned), so that
posting does not send every reader of the author back to graph.

A fill or refresh reads Postgres and then stores; a change commits and then invalidates. A slow
fill could store what it read before a change, after that change's invalidation, and keep the
change out of the cache for a day. So each account has a generation counter: ``invalidate``
bumps it, and a fill stores only records whose generation is still the one it saw before its
query (checked and stored in one script).
"""

from __future__ import annotations

import logging
from typing import cast

import asyncpg
import redis.asyncio as redis

from services.graph import store
from shared import cache, followers_cache
from shared.records import AccountRecord, account_key, pack

log = logging.getLogger(__name__)

TTL_S = 24 * 3600

# KEYS: per account its key and its generation key. ARGV: the TTL, then per account the
# generation seen before the query ('' for none) and the record.
_FILL = """
local stored = 0
for i = 1, #KEYS, 2 do
  local gen = redis.call('GET', KEYS[i + 1]) or ''
  if gen == ARGV[i + 1] then
    redis.call('SET', KEYS[i], ARGV[i + 2], 'EX', ARGV[1])
    stored = stored + 1
  end
end
return stored
"""

def _generation_key(account_id: int) -> str:
    return account_key(account_id) + ":gen"


async def put(r: cache.CacheClient, accounts: list[AccountRecord]) -> None:
    """Store records read inside the transaction that made them (a new or deactivated account):
    nothing can have changed them since."""
    if not accounts:
        return
    pipe = r.pipeline(transaction=False)
    for account in accounts:
        pipe.set(account_key(account.id), pack(account), ex=TTL_S)
    await pipe.execute()


async def generations(r: cache.CacheClient, account_ids: list[int]) -> dict[int, bytes]:
    """Note these before reading the records that ``fill`` will store."""
    if not account_ids:
        return {}
    # (replies not decoded: bytes)
    found = cast(list[bytes | None], await r.mget([_generation_key(i) for i in account_ids]))
    return {i: gen or b"" for i, gen in zip(account_ids, found, strict=True)}


async def fill(r: cache.CacheClient, accounts: list[AccountRecord], seen: dict[int, bytes]) -> int:
    """Store the records whose accounts did not change since ``seen``; returns how many."""
    if not accounts:
        return 0
    # On a cluster, a call per hash slot (a script's keys must share one; an account's key and
    # its generation key do: records.account_key's hash tag).
    parts = cache.by_slot([account_key(a.id) for a in accounts]) if cache.is_cluster(r) \
        else [list(range(len(accounts)))]
    stored = 0
    for part in parts:
        keys: list[str] = []
        args: list[int | bytes] = [TTL_S]
        for account in (accounts[i] for i in part):
            keys.extend((account_key(account.id), _generation_key(account.id)))
            args.extend((seen.get(account.id, b""), pack(account)))
        stored += int(await cache.script(r, _FILL)(keys=keys, args=args))
    return stored


async def read_and_fill(r: cache.CacheClient, pool: asyncpg.Pool, account_ids: list[int]
                        ) -> list[AccountRecord]:
    """The records from Postgres, cached unless a change overtook the read."""
    seen = await generations(r, account_ids)
    async with pool.acquire() as conn:
        accounts = await store.accounts_by_ids(conn, account_ids)
    await fill(r, accounts, seen)
    return accounts


async def invalidate(r: cache.CacheClient, *account_ids: int) -> None:
    """After a change to these accounts committed: their records, and their followers as
    fanout reads them (shared/followers_cache.py), are stale. Every change of a follow calls
    this for both accounts (the counters changed)."""
    if not account_ids:
        return
    pipe = r.pipeline(transaction=False)
    for account_id in account_ids:
        pipe.incr(_generation_key(account_id))
        pipe.expire(_generation_key(account_id), TTL_S)
        pipe.delete(account_key(account_id), *followers_cache.keys(account_id))
    await pipe.execute()


async def generation_or_none(r: cache.CacheClient, account_id: int) -> bytes | None:
    """The account's generation, or None with Valkey away (then nothing is cached: the
    answer from Postgres goes out all the same)."""
    try:
        return (await generations(r, [account_id]))[account_id]
    except (OSError, redis.RedisError) as exc:
        log.warning("account cache unavailable (%s): not caching", exc)
        return None


async def fill_followers(r: cache.CacheClient, account_id: int, seen: bytes, *, reblogs_only: bool,
                         count: int, packed: bytes | None) -> bool:
    """Store the followers graph read for fanout, unless a change of the account overtook the
    read (``seen``: its generation before the query). False when not stored (or Valkey away)."""
    try:
        return bool(await cache.script(r, _FILL)(
            keys=[followers_cache.key(account_id, reblogs_only=reblogs_only),
                  _generation_key(account_id)],
            args=[followers_cache.TTL_S, seen, followers_cache.encode(count, packed)]))
    except (OSError, redis.RedisError) as exc:
        log.warning("account cache unavailable (%s): not caching", exc)
        return False
