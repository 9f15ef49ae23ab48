"""A reader's flags (favourited, reblogged, bookmarked, pinned, poll votes) read from
PostgreSQL and written through to the gateway's cache (shared/viewer_cache.py): for the
gateway's ``status.viewer_flags`` misses, and after the reader's own action, so that the
gateway renders its answer from the cache instead of asking again."""

from __future__ import annotations

import asyncpg

from services.posts import store
from services.posts.store.reactions import FlagsAmong
from shared import viewer_cache
from shared.cache import CacheClient


def per_status_flags(ids: list[int], found: FlagsAmong) -> dict[int, viewer_cache.Flags]:
    """The reader's flags per asked status, as the gateway's cache keeps them (the statuses
    without any flag too: a cached "nothing" saves the next page a round trip)."""
    favourited, reblogged = set(found.favourited), set(found.reblogged)
    bookmarked, pinned, voted = set(found.bookmarked), set(found.pinned), found.votes
    return {i: viewer_cache.Flags(favourited=i in favourited, reblogged=i in reblogged,
                                  bookmarked=i in bookmarked, pinned=i in pinned,
                                  poll_id=voted[i][0] if i in voted else None,
                                  votes=voted[i][1] if i in voted else ())
            for i in ids}


async def read_through(pool: asyncpg.Pool, cache: CacheClient, account_id: int,
                       ids: list[int]) -> FlagsAmong:
    """The reader's flags among ``ids``, cached unless they changed meanwhile (the
    generation noted before the read: shared/viewer_cache.py)."""
    seen = await viewer_cache.generation(cache, viewer_cache.flags_key(account_id))
    async with pool.acquire() as conn:
        found = await store.flags_among(conn, account_id, ids)
    await viewer_cache.fill_flags(cache, account_id, seen, per_status_flags(ids, found))
    return found


async def changed(pool: asyncpg.Pool, cache: CacheClient, account_id: int, *status_ids: int
                  ) -> None:
    """After the reader's action on these statuses committed: the cached flags are stale
    (forgotten, their generation moved on), and read again for the answer's rendering."""
    await viewer_cache.forget_flags(cache, account_id, *status_ids)
    await read_through(pool, cache, account_id, list(status_ids))


async def written(cache: CacheClient, account_id: int, seen: viewer_cache.Generation,
                  status_id: int, flags: FlagsAmong) -> None:
    """After the reader's action on a status committed, ``flags`` its flags there as the
    action's statement read them (``seen``: the generation noted before it): cached at once
    (viewer_cache.changed_flags), not read again as ``changed`` does."""
    await viewer_cache.changed_flags(cache, account_id, seen,
                                     per_status_flags([status_id], flags))


async def generation(cache: CacheClient, account_id: int) -> viewer_cache.Generation:
    """Note this before an action's statement that reads the flags ``written`` stores."""
    return await viewer_cache.generation(cache, viewer_cache.flags_key(account_id))
