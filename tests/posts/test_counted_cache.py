"""A favourite, an unfavourite and a reply change one count of a status: the write returns the
count and the row's version, and the cached copy is patched from them, not read again
(status_cache.counted). The patched copy must be exactly the row as a later read sees it; when
another change came between, the row is read again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.posts import status_cache, store
from shared.records import StatusRecord, status_key, unpack_cached_status
from tests.helpers import Api


async def cached_and_stored(api: Api, status_id: int) -> tuple[StatusRecord, StatusRecord]:
    posts = api.stack.posts
    raw = await posts.redis.main.get(status_key(status_id))
    async with posts.pool.acquire() as conn:
        stored = await store.status(conn, status_id)
    assert raw and stored
    return unpack_cached_status(raw), stored


@pytest.fixture
def row_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[int]]]:
    """The ids of each read of status rows the posts service makes for its cache."""
    reads: list[list[int]] = []
    read = store.statuses_by_ids

    async def counting(conn, ids):  # type: ignore[no-untyped-def]
        reads.append(list(ids))
        return await read(conn, ids)

    monkeypatch.setattr(status_cache.store, "statuses_by_ids", counting)
    yield reads


async def test_a_favourite_patches_the_cached_count(api: Api,
                                                    row_reads: list[list[int]]) -> None:
    author, fan = await api.user(), await api.user()
    status = await api.post(author, "favourite me")
    status_id = int(status["id"])
    row_reads.clear()
    r = await api.client.post(f"/api/v1/statuses/{status_id}/favourite", headers=fan.headers)
    assert r.status_code == 200 and r.json()["favourites_count"] == 1
    assert status_id not in [i for ids in row_reads for i in ids]  # not read again
    cached, stored = await cached_and_stored(api, status_id)
    assert cached == stored and cached.favourites_count == 1
    r = await api.client.post(f"/api/v1/statuses/{status_id}/unfavourite", headers=fan.headers)
    assert r.status_code == 200 and r.json()["favourites_count"] == 0
    assert status_id not in [i for ids in row_reads for i in ids]
    cached, stored = await cached_and_stored(api, status_id)
    assert cached == stored and cached.favourites_count == 0


async def test_a_reply_patches_its_parents_cached_count(api: Api,
                                                        row_reads: list[list[int]]) -> None:
    author, friend = await api.user(), await api.user()
    parent = await api.post(author, "reply to me")
    row_reads.clear()
    await api.post(friend, "a reply", in_reply_to_id=parent["id"])
    assert int(parent["id"]) not in [i for ids in row_reads for i in ids]
    cached, stored = await cached_and_stored(api, int(parent["id"]))
    assert cached == stored and cached.replies_count == 1


async def test_a_copy_behind_the_row_is_read_again(api: Api,
                                                   row_reads: list[list[int]]) -> None:
    """Another change between the copy and the write (here, an edit's version bump): the
    count alone would not make the row whole."""
    author = await api.user()
    status = await api.post(author, "changed meanwhile")
    status_id = int(status["id"])
    posts = api.stack.posts
    async with posts.pool.acquire() as conn:
        known = await store.status(conn, status_id)
        await store.bump_version(conn, status_id)
    assert known is not None
    row_reads.clear()
    fresh = await status_cache.counted(posts.redis.main, posts.pool, known, known.version + 2,
                                       favourites_count=5)
    assert row_reads == [[status_id]]
    assert fresh is not None and fresh.version == known.version + 1
    assert fresh.favourites_count == 0  # the row's, not the patch's
