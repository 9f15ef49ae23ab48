"""Graph's cache of an account's followers (shared/followers_cache.py): fanout reads it and asks
graph only on a miss; every change of a follow drops it, so a new follower gets the next post
and a former one does not."""

from __future__ import annotations

from prometheus_client import REGISTRY

from services.graph import account_cache
from shared import followers_cache
from shared.contracts import graph as graph_api
from tests.helpers import Api, User


def followers_asked() -> float:
    return REGISTRY.get_sample_value("hubbub_service_request_seconds_count",
                                     {"endpoint": "graph.followers.page"}) or 0.0


async def home_ids(api: Api, reader: User) -> list[str]:
    r = await api.home(reader)
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json()]


async def cached(api: Api, author: User, *, reblogs_only: bool = False
                 ) -> followers_cache.Followers | None:
    return await followers_cache.read(api.stack.graph.redis.main, int(author.id),
                                      reblogs_only=reblogs_only)


async def test_the_second_post_reads_the_followers_from_the_cache(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    await api.idle()
    before = followers_asked()
    first = await api.post(author, "asks graph")
    await api.idle()
    assert followers_asked() == before + 1
    entry = await cached(api, author)
    assert entry is not None and entry.count == 1
    assert entry.packed is not None
    assert graph_api.unpack_ids(entry.packed) == [int(reader.id)]
    second = await api.post(author, "reads the cache")
    await api.idle()
    assert followers_asked() == before + 1
    assert await home_ids(api, reader) == [second["id"], first["id"]]


async def test_a_new_follower_gets_the_next_post(api: Api) -> None:
    author, early, late = await api.user(), await api.user(), await api.user()
    await api.follow(early, author)
    await api.post(author, "fills the cache")
    await api.idle()
    assert await cached(api, author) is not None
    await api.follow(late, author)
    assert await cached(api, author) is None  # dropped with the follow
    posted = await api.post(author, "after the new follow")
    await api.idle()
    assert posted["id"] in await home_ids(api, late)


async def test_a_former_follower_does_not_get_the_next_post(api: Api) -> None:
    author, stays, leaves = await api.user(), await api.user(), await api.user()
    await api.follow(stays, author)
    await api.follow(leaves, author)
    await api.post(author, "fills the cache")
    await api.idle()
    r = await api.client.post(f"/api/v1/accounts/{author.id}/unfollow", headers=leaves.headers)
    assert r.status_code == 200, r.text
    posted = await api.post(author, "after the unfollow")
    await api.idle()
    assert posted["id"] in await home_ids(api, stays)
    assert posted["id"] not in await home_ids(api, leaves)


async def test_turning_reblogs_off_drops_the_reblog_followers(api: Api) -> None:
    """A follow's options changing (no new follow, no count changed) drops the cache too:
    the reblog followers are another list."""
    author, reader, other = await api.user(), await api.user(), await api.user()
    await api.follow(reader, author)
    original = await api.post(other, "to reblog")
    r = await api.client.post(f"/api/v1/statuses/{original['id']}/reblog", headers=author.headers)
    assert r.status_code == 200, r.text
    await api.idle()
    entry = await cached(api, author, reblogs_only=True)
    assert entry is not None and entry.packed is not None
    assert graph_api.unpack_ids(entry.packed) == [int(reader.id)]
    r = await api.client.post(f"/api/v1/accounts/{author.id}/follow", headers=reader.headers,
                              json={"reblogs": False})
    assert r.status_code == 200, r.text
    assert await cached(api, author, reblogs_only=True) is None


async def test_a_fill_overtaken_by_a_change_is_not_stored(api: Api) -> None:
    """Graph notes the account's generation before its query; a change committed meanwhile
    bumps it, and the fill of what was read before stores nothing."""
    author = await api.user()
    r = api.stack.graph.redis.main
    seen = await account_cache.generation_or_none(r, int(author.id))
    assert seen is not None
    await account_cache.invalidate(r, int(author.id))  # a follow committed meanwhile
    assert not await account_cache.fill_followers(r, int(author.id), seen, reblogs_only=False,
                                                  count=0, packed=b"")
    assert await cached(api, author) is None
    seen = await account_cache.generation_or_none(r, int(author.id))
    assert seen is not None
    assert await account_cache.fill_followers(r, int(author.id), seen, reblogs_only=False,
                                              count=0, packed=b"")
    assert await cached(api, author) == followers_cache.Followers(0, b"")


async def test_an_author_above_the_cache_list_is_cached_by_count_only() -> None:
    entry = followers_cache._decoder.decode(
        followers_cache.encode(followers_cache.MOST + 1, b"x" * 8))
    assert entry == followers_cache.Followers(followers_cache.MOST + 1, None)
