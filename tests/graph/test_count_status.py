"""Status counters, counted in group commits: exact after duplicates and redeliveries."""

from __future__ import annotations

import asyncio

import pytest

from services.graph import account_cache
from services.graph.use_cases.count_status import CountStatus
from shared import events
from shared.records import account_key, unpack_account
from tests.helpers import Api

START_MS = 1_700_000_000_000


def created(account_id: int, n: int) -> events.StatusCreated:
    return events.StatusCreated(status_id=n, account_id=account_id, network_id=1,
                                visibility="public", occurred_at=START_MS + n * 1000)


def deleted(account_id: int, n: int) -> events.StatusDeleted:
    return events.StatusDeleted(status_id=n, account_id=account_id,
                                occurred_at=START_MS + 10**6 + n)


async def counters(api: Api, account_id: int) -> tuple[int, float | None]:
    row = await api.stack.graph.pool.fetchrow(
        "SELECT statuses_count, extract(epoch FROM last_status_at) AS at FROM accounts "
        "WHERE id = $1", account_id)
    return row["statuses_count"], float(row["at"]) if row["at"] is not None else None


async def test_group_commits_count_each_event_once(api: Api) -> None:
    a, b = int((await api.user()).id), int((await api.user()).id)
    count = CountStatus(api.stack.graph.pool, api.stack.graph.redis.main, max_group=7)
    posted = [created(a, n) for n in range(1, 31)] + [created(b, n) for n in range(1, 4)]
    removed = [deleted(a, n) for n in range(1, 6)]
    # Every event twice, all at once: several groups, duplicates inside one and across them.
    other = events.StatusUpdated(status_id=1, account_id=a, visibility="public")
    batch = [*posted, *removed, other]
    await asyncio.gather(*(count(e) for e in batch + batch[::-1]))
    assert await counters(api, a) == (25, (START_MS + 30_000) / 1000)
    assert await counters(api, b) == (3, (START_MS + 3_000) / 1000)

    await asyncio.gather(*(count(e) for e in batch))  # redelivered after the commit
    assert (await counters(api, a))[0] == 25
    assert (await counters(api, b))[0] == 3


async def test_a_counted_account_is_written_through_to_the_cache(api: Api) -> None:
    """Posting must not send the author's readers back to graph: the record is rewritten."""
    user = await api.user()
    r = api.stack.graph.redis.main
    await r.set(account_key(int(user.id)), b"stale")
    await CountStatus(api.stack.graph.pool, r)(created(int(user.id), 1))
    cached = unpack_account(await r.get(account_key(int(user.id))))
    assert cached.statuses_count == 1 and cached.username == user.username


async def test_a_fill_overtaken_by_a_change_stores_nothing(api: Api) -> None:
    user = int((await api.user()).id)
    r, pool = api.stack.graph.redis.main, api.stack.graph.pool
    await r.delete(account_key(user))
    seen = await account_cache.generations(r, [user])
    [record] = await account_cache.read_and_fill(r, pool, [user])  # a fill...
    await r.delete(account_key(user))
    await account_cache.invalidate(r, user)  # ...overtaken by a change after its read
    assert await account_cache.fill(r, [record], seen) == 0
    assert not await r.exists(account_key(user))
    assert await account_cache.fill(r, [record], await account_cache.generations(r, [user])) == 1


async def test_a_failed_group_fails_each_caller_and_counts_none(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    user = int((await api.user()).id)
    count = CountStatus(api.stack.graph.pool, api.stack.graph.redis.main)
    real_commit = count._commit

    async def failing(group) -> None:
        raise ConnectionError("database went away")

    monkeypatch.setattr(count, "_commit", failing)
    results = await asyncio.gather(*(count(created(user, n)) for n in range(1, 4)),
                                   return_exceptions=True)
    assert all(isinstance(x, ConnectionError) for x in results)
    assert (await counters(api, user))[0] == 0

    monkeypatch.setattr(count, "_commit", real_commit)  # the redeliveries then count
    await asyncio.gather(*(count(created(user, n)) for n in range(1, 4)))
    assert (await counters(api, user))[0] == 3


async def test_posting_through_the_api_counts(api: Api) -> None:
    user = await api.user()
    await api.post(user, "one")
    await api.post(user, "two")
    await api.idle()
    assert (await counters(api, int(user.id)))[0] == 2
