"""Graph's index of listed accounts (shared/member_index.py): fanout asks graph for the lists
holding an author only when the author may be in one, and a lost index costs asks, never a
list entry."""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY

from services.graph import lists as graph_lists
from shared import member_index
from tests.helpers import Api, User


def lists_asked() -> float:
    return REGISTRY.get_sample_value("hubbub_service_request_seconds_count",
                                     {"endpoint": "graph.lists.containing"}) or 0.0


async def list_of(api: Api, owner: User, member: User) -> dict[str, Any]:
    await api.follow(owner, member)
    r = await api.client.post("/api/v1/lists", headers=owner.headers, json={"title": "Team"})
    assert r.status_code == 200, r.text
    made = r.json()
    r = await api.client.post(f"/api/v1/lists/{made['id']}/accounts", headers=owner.headers,
                              json={"account_ids": [member.id]})
    assert r.status_code == 200, r.text
    return dict(made)


async def list_ids(api: Api, owner: User, list_id: str) -> list[str]:
    r = await api.client.get(f"/api/v1/timelines/list/{list_id}", headers=owner.headers)
    return [s["id"] for s in r.json()]


async def fill(api: Api) -> None:
    await graph_lists.keep_listed_index(api.stack.graph.pool, api.stack.graph.redis.main)


async def test_an_author_in_no_list_costs_no_request(api: Api) -> None:
    await fill(api)
    owner, listed, unlisted = await api.user(), await api.user(), await api.user()
    await api.follow(owner, unlisted)
    team = await list_of(api, owner, listed)
    await api.idle()
    before = lists_asked()
    await api.post(unlisted, "in no list")
    await api.idle()
    assert lists_asked() == before
    posted = await api.post(listed, "in a list")
    await api.idle()
    assert lists_asked() == before + 1
    assert await list_ids(api, owner, team["id"]) == [posted["id"]]


async def test_a_lost_index_is_asked_around_then_refilled(api: Api) -> None:
    owner, listed, unlisted = await api.user(), await api.user(), await api.user()
    team = await list_of(api, owner, listed)
    await api.idle()
    r = api.stack.admin_redis
    await r.delete(member_index.LISTED)  # Valkey lost it (a restart, a flush)
    lean = api.stack.graph.redis.main
    assert await member_index.may_hold(lean, member_index.LISTED, int(unlisted.id))
    before = lists_asked()
    posted = await api.post(listed, "after the index was lost")
    await api.idle()
    assert lists_asked() == before + 1
    assert await list_ids(api, owner, team["id"]) == [posted["id"]]
    # Graph's chore refills it from PostgreSQL: complete again, the listed account in it.
    await fill(api)
    assert await member_index.is_ready(lean, member_index.LISTED)
    assert await member_index.may_hold(lean, member_index.LISTED, int(listed.id))
    assert not await member_index.may_hold(lean, member_index.LISTED, int(unlisted.id))
    # A complete index is left alone.
    assert await graph_lists.keep_listed_index(api.stack.graph.pool, lean) is None


async def test_a_member_added_while_the_index_is_complete_is_noted(api: Api) -> None:
    await fill(api)
    owner, member = await api.user(), await api.user()
    lean = api.stack.graph.redis.main
    assert not await member_index.may_hold(lean, member_index.LISTED, int(member.id))
    team = await list_of(api, owner, member)
    assert await member_index.may_hold(lean, member_index.LISTED, int(member.id))
    await api.idle()
    posted = await api.post(member, "listed")
    await api.idle()
    assert await list_ids(api, owner, team["id"]) == [posted["id"]]
