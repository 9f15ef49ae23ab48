"""What deleting, favouriting and reblogging a status leave behind in the read models: homes in
Valkey, notifications and counters in PostgreSQL."""

from __future__ import annotations

from shared.ids import member_id
from shared.records import home_key
from tests.helpers import Api, User
from tests.helpers.statuses import act, get_status, home_ids, notes


async def home_zset(api: Api, user: User) -> list[str]:
    """The raw read model in Redis, so that a removal is proven, not hidden by rendering."""
    raw = await api.stack.fanout.redis.main.zrange(home_key(int(user.id)), 0, -1)
    return [str(member_id(r)) for r in raw]


async def test_delete_removes_from_followers_home(api: Api) -> None:
    author, follower = await api.user(), await api.user()
    await api.follow(follower, author)
    await api.idle()
    keep = await api.post(author, "keep me")
    gone = await api.post(author, "delete me")
    await api.idle()
    assert await home_ids(api, follower) == [gone["id"], keep["id"]]
    r = await api.client.delete(f"/api/v1/statuses/{gone['id']}", headers=author.headers)
    assert r.status_code == 200
    await api.idle()
    assert await home_ids(api, follower) == [keep["id"]]
    assert await home_zset(api, follower) == [keep["id"]]
    assert await home_zset(api, author) == [keep["id"]]


async def test_deleting_a_status_removes_its_mention_notification(api: Api) -> None:
    author, friend = await api.user(), await api.user()
    status = await api.post(author, f"hey @{friend.username}")
    other = await api.post(author, f"and again @{friend.username}")
    await api.idle()
    assert {n["status"]["id"] for n in await notes(api, friend)} == {status["id"], other["id"]}
    await api.client.delete(f"/api/v1/statuses/{status['id']}", headers=author.headers)
    await api.idle()
    assert [n["status"]["id"] for n in await notes(api, friend)] == [other["id"]]
    rows = await api.stack.notify.pool.fetchval(
        "SELECT count(*) FROM notifications WHERE status_id = $1", int(status["id"]))
    assert rows == 0  # gone from the store, not only hidden when rendered


async def test_favouriting_an_invisible_status_is_404_and_leaves_nothing(api: Api) -> None:
    author, stranger = await api.user(), await api.user()
    private = await api.post(author, "followers only", visibility="private")
    r = await act(api, stranger, private["id"], "favourite")
    assert r.status_code == 404, r.text
    rows = await api.stack.posts.pool.fetchval(
        "SELECT count(*) FROM favourites WHERE status_id = $1", int(private["id"]))
    assert rows == 0
    await api.idle()
    assert await notes(api, author) == []
    assert (await get_status(api, author, private["id"])).json()["favourites_count"] == 0


async def test_unreblog_removes_it_from_follower_home(api: Api) -> None:
    author, booster, follower = await api.user(), await api.user(), await api.user()
    await api.follow(follower, booster)
    await api.idle()
    status = await api.post(author, "boost me")
    reblog = (await act(api, booster, status["id"], "reblog")).json()
    await api.idle()
    assert await home_ids(api, follower) == [reblog["id"]]
    r = await act(api, booster, status["id"], "unreblog")
    assert r.status_code == 200, r.text
    assert r.json()["id"] == status["id"]
    assert r.json()["reblogs_count"] == 0 and r.json()["reblogged"] is False
    await api.idle()
    assert await home_ids(api, follower) == []
    assert await home_zset(api, follower) == []
    assert (await get_status(api, author, status["id"])).json()["reblogs_count"] == 0
    assert await notes(api, author, "reblog") == []
    r = await api.client.get(f"/api/v1/statuses/{status['id']}/reblogged_by",
                             headers=author.headers)
    assert r.json() == []


async def test_deleting_a_reply_lowers_the_parents_replies_count(api: Api) -> None:
    author, replier = await api.user(), await api.user()
    parent = await api.post(author, "question?")
    reply = await api.post(replier, "answer", in_reply_to_id=parent["id"])
    assert (await get_status(api, author, parent["id"])).json()["replies_count"] == 1
    r = await api.client.delete(f"/api/v1/statuses/{reply['id']}", headers=replier.headers)
    assert r.status_code == 200
    stored = await api.stack.posts.pool.fetchval(
        "SELECT replies_count FROM statuses WHERE id = $1", int(parent["id"]))
    assert stored == 0  # the row is right: what the API shows comes from the cache
    assert (await get_status(api, author, parent["id"])).json()["replies_count"] == 0


async def test_deleting_the_original_removes_reblogs_from_homes(api: Api) -> None:
    author, booster, follower = await api.user(), await api.user(), await api.user()
    await api.follow(follower, booster)
    await api.idle()
    status = await api.post(author, "boost then vanish")
    reblog = (await act(api, booster, status["id"], "reblog")).json()
    await api.idle()
    assert await home_ids(api, follower) == [reblog["id"]]
    await api.client.delete(f"/api/v1/statuses/{status['id']}", headers=author.headers)
    await api.idle()
    assert await home_zset(api, follower) == []
    assert (await get_status(api, booster, reblog["id"])).status_code == 404
