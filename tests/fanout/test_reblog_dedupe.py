"""A reblog of a status the reader's home timeline shows among its newest entries, or a second
reblog of the same status, is not added again (Mastodon's rule, 40 entries)."""

from __future__ import annotations

from shared.records import home_reblogs_key
from tests.helpers import Api
from tests.helpers.timelines import home_ids, home_zset


async def reblog(api: Api, user, status: dict) -> dict:
    r = await api.client.post(f"/api/v1/statuses/{status['id']}/reblog", headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_reblogs_are_not_shown_twice(api: Api) -> None:
    author, stranger, booster, booster2, reader, other = [await api.user() for _ in range(6)]
    for followee in (author, booster, booster2):
        await api.follow(reader, followee)
    await api.follow(other, booster2)
    await api.idle()
    for user in (reader, other):
        await api.home(user)
    seen = await api.post(author, "already in your timeline")
    news = await api.post(stranger, "not followed by the reader")
    await api.idle()
    await reblog(api, booster, seen)  # its original is right there: left out
    first = await reblog(api, booster, news)  # new to the reader: in
    second = await reblog(api, booster2, news)  # another reblog of it, just now: left out
    await api.idle()
    assert await home_zset(api, reader) == [first["id"], seen["id"]]
    assert await home_ids(api, reader) == [first["id"], seen["id"]]
    assert await home_zset(api, other) == [second["id"]]  # their own timeline: first time
    # Redelivered or not, the reblog stays once; undone, it leaves the tracker too, and the
    # other reblog may come in again.
    r = await api.client.post(f"/api/v1/statuses/{news['id']}/unreblog", headers=booster.headers)
    assert r.status_code == 200
    await api.idle()
    assert await home_zset(api, reader) == [seen["id"]]
    assert await api.stack.fanout.redis.main.zcard(home_reblogs_key(int(reader.id))) == 0
    third = await reblog(api, booster, news)
    await api.idle()
    assert await home_zset(api, reader) == [third["id"], seen["id"]]
