"""Posts decides whether the actor may see a status of its own network from graph's cache of
blocks (services/posts/audience.py), and asks graph for the actor's facts only otherwise."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from shared import bus, viewer_cache
from shared.contracts import graph as graph_api
from tests.helpers import Api, User


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[tuple[str, int]]]:
    """The viewer questions put to graph, by verb and the account asked about (others ask
    too: notify about the recipients of notifications)."""
    seen: Counter[tuple[str, int]] = Counter()
    call = bus.call

    async def recording(nc: Any, verb: Any, payload: Any, *args: Any, **kwargs: Any) -> Any:
        if verb in (graph_api.VIEWER_FACTS, graph_api.VIEWER_HIDDEN):
            seen[verb.name, payload.account_id] += 1
        return await call(nc, verb, payload, *args, **kwargs)

    monkeypatch.setattr(bus, "call", recording)
    yield seen


async def cached_hidden(api: Api, user: User) -> None:
    """Graph answers the user's hidden accounts and caches them (as a timeline read does)."""
    await bus.call(api.stack.nc, graph_api.VIEWER_HIDDEN,
                   graph_api.ViewerFacts(account_id=int(user.id)))


async def favourite(api: Api, user: User, status_id: str) -> int:
    r = await api.client.post(f"/api/v1/statuses/{status_id}/favourite", headers=user.headers)
    return r.status_code


async def reply(api: Api, user: User, status_id: str) -> int:
    r = await api.client.post("/api/v1/statuses", headers=user.headers,
                              json={"status": "a reply", "in_reply_to_id": status_id})
    return r.status_code


async def test_a_public_status_of_the_network_is_favourited_without_asking_graph(
        api: Api, asked: Counter[tuple[str, int]]) -> None:
    author, fan = await api.user(), await api.user()
    status = await api.post(author, "public in our network")
    await cached_hidden(api, fan)
    asked.clear()
    assert await favourite(api, fan, status["id"]) == 200
    assert await reply(api, fan, status["id"]) == 200
    assert asked[("viewer.facts", int(fan.id))] == asked[("viewer.hidden", int(fan.id))] == 0


async def test_a_block_in_the_cache_hides_the_status(
        api: Api, asked: Counter[tuple[str, int]]) -> None:
    author, blocked = await api.user(), await api.user()
    status = await api.post(author, "not for the blocked")
    r = await api.client.post(f"/api/v1/accounts/{blocked.id}/block", headers=author.headers)
    assert r.status_code == 200, r.text
    await cached_hidden(api, blocked)
    asked.clear()
    assert await favourite(api, blocked, status["id"]) == 404
    assert await reply(api, blocked, status["id"]) == 404
    assert not asked  # decided from the cache


async def test_a_miss_asks_graph_for_the_hidden_set_which_fills_the_cache(
        api: Api, asked: Counter[tuple[str, int]]) -> None:
    author, fan = await api.user(), await api.user()
    status = await api.post(author, "asks graph once")
    other = await api.post(author, "then the cache says")
    asked.clear()
    assert await favourite(api, fan, status["id"]) == 200  # a miss
    assert asked == {("viewer.hidden", int(fan.id)): 1} | {
        k: v for k, v in asked.items() if k[1] != int(fan.id)}
    asked.clear()
    assert await favourite(api, fan, other["id"]) == 200
    assert not [k for k in asked if k[1] == int(fan.id)]


async def test_an_entry_without_blocks_asks_graph(
        api: Api, asked: Counter[tuple[str, int]]) -> None:
    """An entry stored before entries held blocks cannot say: graph is asked."""
    author, fan = await api.user(), await api.user()
    status = await api.post(author, "asks graph")
    older = viewer_cache.Hidden(ids=[], notification_ids=[])  # (blocked: None)
    await api.stack.admin_redis.set(viewer_cache.hidden_key(int(fan.id)),
                                    viewer_cache._hidden_encoder.encode(older))
    asked.clear()
    r = await api.client.post(f"/api/v1/statuses/{status['id']}/reblog", headers=fan.headers)
    assert r.status_code == 200, r.text
    assert asked[("viewer.hidden", int(fan.id))] == 1


async def test_a_private_status_is_decided_by_graph(
        api: Api, asked: Counter[tuple[str, int]]) -> None:
    author, follower, stranger = await api.user(), await api.user(), await api.user()
    await api.follow(follower, author)
    status = await api.post(author, "followers only", visibility="private")
    await cached_hidden(api, stranger)
    await cached_hidden(api, follower)
    asked.clear()
    assert await favourite(api, stranger, status["id"]) == 404
    assert await favourite(api, follower, status["id"]) == 200
    assert asked[("viewer.facts", int(stranger.id))] == 1
    assert asked[("viewer.facts", int(follower.id))] == 1
