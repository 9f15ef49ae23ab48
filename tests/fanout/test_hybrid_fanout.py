"""Hybrid fanout: an author above the follower threshold is not written into followers' home
timelines; their home read merges the author's own timeline, and pages stay exact."""

from __future__ import annotations

import pytest

from shared.records import own_key, own_reblogs_key
from tests.helpers import Api
from tests.helpers.timelines import (
    home_ids,
    home_zset,
    links,
    lower_threshold,
    walk,
    zset,
)


@pytest.fixture
async def world(api: Api, monkeypatch: pytest.MonkeyPatch):
    """A big author (two followers, threshold one) and a small one, and their readers; posts
    alternate between them so that merged pages interleave."""
    lower_threshold(api, monkeypatch)
    big, small, both, only_big = [await api.user() for _ in range(4)]
    await api.follow(both, big)
    await api.follow(both, small)
    await api.follow(only_big, big)
    await api.idle()
    for reader in (both, only_big):
        await api.home(reader)  # they read, so fanout writes to them
    posted = []
    for i in range(7):
        author = big if i % 2 == 0 else small
        posted.append((await api.post(author, f"post {i}"))["id"])
    await api.idle()
    return big, small, both, only_big, posted[::-1]


async def test_big_author_is_merged_at_read_time_exactly(api: Api, world) -> None:
    big, small, both, only_big, newest_first = world
    big_posts = newest_first[::2]  # posts 6, 4, 2, 0
    # Written once, to the author's own timeline and the author's home; not to followers.
    assert await zset(api, own_key(int(big.id))) == big_posts
    assert await home_zset(api, big) == big_posts
    assert await home_zset(api, both) == [newest_first[i] for i in (1, 3, 5)]
    assert await home_zset(api, only_big) == []
    # Read: merged, in order.
    assert await home_ids(api, both) == newest_first
    assert await home_ids(api, only_big) == big_posts

    # Pages of the merge are exact at every edge.
    newest = newest_first
    assert await walk(api, both, limit=2) == newest
    assert await walk(api, both, limit=3) == newest
    first = await api.home(both, limit=3)
    assert [s["id"] for s in first.json()] == newest[:3]
    assert await home_ids(api, both, limit=3, max_id=newest[2]) == newest[3:6]
    assert await home_ids(api, both, limit=2, since_id=newest[4]) == newest[:2]
    assert await home_ids(api, both, limit=2, min_id=newest[4]) == newest[2:4]
    assert await home_ids(api, both, limit=40, min_id=newest[4]) == newest[:4]
    assert await home_ids(api, both, max_id=newest[1], since_id=newest[5]) == newest[2:5]
    assert await home_ids(api, both, max_id=newest[-1]) == []
    # "prev" from a page leads to the entries just above it, "next" to those below.
    page = await api.home(both, limit=2, max_id=newest[2])
    assert [s["id"] for s in page.json()] == newest[3:5]
    prev = await api.client.get(links(page)["prev"], headers=both.headers)
    assert [s["id"] for s in prev.json()] == newest[1:3]
    after = await api.client.get(links(page)["next"], headers=both.headers)
    assert [s["id"] for s in after.json()] == newest[5:7]

    # Delete and unfollow take a big author's posts away.
    r = await api.client.delete(f"/api/v1/statuses/{newest[0]}", headers=big.headers)
    assert r.status_code == 200
    await api.idle()
    assert newest[0] not in await zset(api, own_key(int(big.id)))
    assert await home_ids(api, only_big) == [newest[i] for i in (2, 4, 6)]
    r = await api.client.post(f"/api/v1/accounts/{big.id}/unfollow", headers=both.headers)
    assert r.status_code == 200
    await api.idle()
    # At once: the reader's cached set of big followees went with the follow.
    assert await home_ids(api, both) == [newest[i] for i in (1, 3, 5)]


async def test_reblogs_of_a_big_author_follow_the_reblogs_setting(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    lower_threshold(api, monkeypatch)
    big, other, with_reblogs, without = [await api.user() for _ in range(4)]
    await api.follow(with_reblogs, big)
    r = await api.client.post(f"/api/v1/accounts/{big.id}/follow", headers=without.headers,
                              json={"reblogs": False})
    assert r.status_code == 200, r.text
    await api.idle()
    for reader in (with_reblogs, without):
        await api.home(reader)
    original = await api.post(other, "worth sharing")
    own = await api.post(big, "my own words")
    reblog = (await api.client.post(f"/api/v1/statuses/{original['id']}/reblog",
                                    headers=big.headers)).json()
    await api.idle()
    assert await zset(api, own_reblogs_key(int(big.id))) == [reblog["id"]]
    assert await zset(api, own_key(int(big.id))) == [own["id"]]
    assert await home_ids(api, with_reblogs) == [reblog["id"], own["id"]]
    assert await home_ids(api, without) == [own["id"]]
    page = (await api.home(with_reblogs)).json()
    assert page[0]["reblog"]["id"] == original["id"]
