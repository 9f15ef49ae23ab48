"""Posts decides whether the actor may see a status of its own network from graph's cache of
blocks (services/posts/audience.py), and asks graph for the actor's facts only otherwise."""

from __future__ import annotations

from prometheus_client import REGISTRY

from shared import bus, viewer_cache
from shared.contracts import graph as graph_api
from tests.helpers import Api, User


def facts_asked() -> float:
    return REGISTRY.get_sample_value("hubbub_service_request_seconds_count",
                                     {"endpoint": "graph.viewer.facts"}) or 0.0


async def cached_hidden(api: Api, user: User) -> None:
    """Graph answers the user's hidden accounts and caches them (as a timeline read does)."""
    await bus.call(api.stack.nc, graph_api.VIEWER_HIDDEN,
                   graph_api.ViewerFacts(account_id=int(user.id)))


async def favourite(api: Api, user: User, status_id: str) -> int:
    r = await api.client.post(f"/api/v1/statuses/{status_id}/favourite", headers=user.headers)
    return r.status_code


async def test_a_public_status_of_the_network_is_favourited_without_asking_graph(
        api: Api) -> None:
    author, fan = await api.user(), await api.user()
    status = await api.post(author, "public in our network")
    await cached_hidden(api, fan)
    before = facts_asked()
    assert await favourite(api, fan, status["id"]) == 200
    r = await api.client.post("/api/v1/statuses", headers=fan.headers,
                              json={"status": "a reply", "in_reply_to_id": status["id"]})
    assert r.status_code == 200, r.text
    assert facts_asked() == before


async def test_a_block_in_the_cache_hides_the_status(api: Api) -> None:
    author, blocked = await api.user(), await api.user()
    status = await api.post(author, "not for the blocked")
    r = await api.client.post(f"/api/v1/accounts/{blocked.id}/block", headers=author.headers)
    assert r.status_code == 200, r.text
    await cached_hidden(api, blocked)
    before = facts_asked()
    assert await favourite(api, blocked, status["id"]) == 404
    r = await api.client.post("/api/v1/statuses", headers=blocked.headers,
                              json={"status": "a reply", "in_reply_to_id": status["id"]})
    assert r.status_code == 404, r.text
    assert facts_asked() == before  # decided from the cache


async def test_without_blocks_in_the_cache_graph_is_asked(api: Api) -> None:
    """A miss, or an entry stored before entries held blocks: graph decides, as before."""
    author, fan = await api.user(), await api.user()
    status = await api.post(author, "asks graph")
    before = facts_asked()
    assert await favourite(api, fan, status["id"]) == 200  # a miss
    assert facts_asked() == before + 1
    older = viewer_cache.Hidden(ids=[], notification_ids=[])  # (blocked: None)
    await api.stack.admin_redis.set(viewer_cache.hidden_key(int(fan.id)),
                                    viewer_cache._hidden_encoder.encode(older))
    r = await api.client.post(f"/api/v1/statuses/{status['id']}/reblog", headers=fan.headers)
    assert r.status_code == 200, r.text
    assert facts_asked() == before + 2


async def test_a_private_status_is_decided_by_graph(api: Api) -> None:
    author, follower, stranger = await api.user(), await api.user(), await api.user()
    await api.follow(follower, author)
    status = await api.post(author, "followers only", visibility="private")
    await cached_hidden(api, stranger)
    await cached_hidden(api, follower)
    before = facts_asked()
    assert await favourite(api, stranger, status["id"]) == 404
    assert await favourite(api, follower, status["id"]) == 200
    assert facts_asked() == before + 2
