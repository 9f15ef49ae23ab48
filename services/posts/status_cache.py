"""The posts service's status cache (``status:<id>``), read by the gateway to hydrate timeline
pages with one multi-get. A miss asks this service, which fills it.

Writers (after their transaction commits) and readers (filling a miss) race to set a key; each
value carries the row's version (bumped by a trigger on every update) and a small script keeps
whichever is newer, so an older copy can never overwrite a newer one. A deleted status leaves a
tombstone (empty value) that no copy overwrites. Values are ``b"<version>|" + msgpack``.
"""

from __future__ import annotations

from typing import cast

import asyncpg
import msgspec

from services.posts import store
from shared import cache
from shared.records import StatusRecord, pack, status_key, unpack_cached_status

TTL_S = 3 * 24 * 3600
TOMBSTONE_TTL_S = 3600

SET_IF_NEWER = """
for i, key in ipairs(KEYS) do
  local version = tonumber(ARGV[2 * i - 1])
  local cur = redis.call('GET', key)
  local older = true
  if cur then
    local sep = string.find(cur, '|', 1, true)
    if cur == '' or (sep and tonumber(string.sub(cur, 1, sep - 1)) >= version) then
      older = false
    end
  end
  if older then
    redis.call('SET', key, ARGV[2 * i], 'EX', ARGV[#ARGV])
  end
end
return #KEYS
"""

async def put(r: cache.CacheClient, statuses: list[StatusRecord]) -> None:
    """Cache these rows unless the cache already holds the same or a newer version (each
    record carries the version it was read with, in the same query)."""
    if not statuses:
        return
    # On a cluster, a call per hash slot (a script's keys must share one).
    parts = cache.by_slot([status_key(s.id) for s in statuses]) if cache.is_cluster(r) \
        else [list(range(len(statuses)))]
    for part in parts:
        keys: list[str] = []
        args: list[int | bytes] = []
        for status in (statuses[i] for i in part):
            keys.append(status_key(status.id))
            args.extend([status.version, f"{status.version}|".encode() + pack(status)])
        args.append(TTL_S)
        await cache.script(r, SET_IF_NEWER)(keys=keys, args=args)


async def fill(r: cache.CacheClient, pool: asyncpg.Pool, ids: list[int]) -> list[StatusRecord]:
    """Read rows for a reader and cache them (version-checked)."""
    async with pool.acquire() as conn:
        statuses = await store.statuses_by_ids(conn, ids)
    await put(r, statuses)
    return statuses


async def get(r: cache.CacheClient, pool: asyncpg.Pool, status_id: int) -> StatusRecord | None:
    """The live status as the readers see it: from the cache (a tombstone is None), else from
    the database (and cached). A write that decides by a status's author, visibility and
    audience reads it here: the cache is written after every commit that changes it."""
    raw = cast(bytes | None, await r.get(status_key(status_id)))  # (replies not decoded)
    if raw == b"":
        return None  # deleted
    if raw is not None:
        return unpack_cached_status(raw)
    found = await fill(r, pool, [status_id])
    return found[0] if found else None


async def refresh(r: cache.CacheClient, pool: asyncpg.Pool, *status_ids: int) -> list[StatusRecord]:
    """After a committed change: cache the rows as they are now; tombstone the deleted."""
    ids = list(dict.fromkeys(status_ids))
    if not ids:
        return []
    fresh = await fill(r, pool, ids)
    gone = set(ids) - {s.id for s in fresh}
    if gone:
        pipe = r.pipeline(transaction=False)
        for status_id in gone:
            pipe.set(status_key(status_id), b"", ex=TOMBSTONE_TTL_S)
        await pipe.execute()
    return fresh


async def counted(r: cache.CacheClient, pool: asyncpg.Pool, known: StatusRecord,
                  version: int | None, **counts: int) -> StatusRecord | None:
    """After a committed write that changed only these counts of a status (a favourite, a
    reply), ``version`` the row's version as that write's update returned it: when ``known``
    (the copy the writer read) is the version just before, the row now is ``known`` with the
    new counts, cached as such (no second read of the row); else (another change came between,
    or ``known`` was behind) the row is read again. None: the status is gone.

    What bumps the version: every update of the row, and the writers of what a record joins
    (poll votes, media, the card's assignment: store.bump_version). A preview card's content
    refetched in place (cards.save_card) bumps no status: a copy keeps the card it was read
    with until it is next read, with or without this patch (before, a favourite's re-read
    happened to refresh it)."""
    if version is not None and version == known.version + 1:
        fresh = msgspec.structs.replace(known, version=version, **counts)
        await put(r, [fresh])
        return fresh
    found = await refresh(r, pool, known.id)
    return found[0] if found else None


async def forget(r: cache.CacheClient, status_id: int) -> None:
    """Drop what the cache holds for a status (not version-checked): a copy cached ahead of a
    commit that did not happen; the next read fills it from the database."""
    await r.delete(status_key(status_id))
