"""Graph's index of belled accounts (shared/member_index.py): notify asks graph for a status's
bell followers only when its author may have one, and a lost index costs asks, never a
notification."""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY

from services.graph.use_cases.follow_account import keep_belled_index
from shared import member_index
from tests.helpers import Api, User
from tests.helpers.relations import lock


def bells_asked() -> float:
    return REGISTRY.get_sample_value("hubbub_service_request_seconds_count",
                                     {"endpoint": "graph.followers.ids"}) or 0.0


async def ring(api: Api, follower: User, author: User) -> dict[str, Any]:
    r = await api.client.post(f"/api/v1/accounts/{author.id}/follow", headers=follower.headers,
                              json={"notify": True})
    assert r.status_code == 200, r.text
    return dict(r.json())


async def heard(api: Api, user: User) -> list[tuple[str, str]]:
    r = await api.client.get("/api/v1/notifications", headers=user.headers)
    return [(n["type"], n["status"]["id"]) for n in r.json() if n["status"]]


async def fill(api: Api) -> int | None:
    return await keep_belled_index(api.stack.graph.pool, api.stack.graph.redis.main)


def index(api: Api) -> Any:
    return api.stack.graph.redis.main


async def test_an_author_nobody_belled_costs_no_request(api: Api) -> None:
    await fill(api)
    author, plain, bell = await api.user(), await api.user(), await api.user()
    await api.follow(plain, author)
    await api.idle()
    before = bells_asked()
    await api.post(author, "nobody rang")
    await api.idle()
    assert bells_asked() == before
    assert not await member_index.may_hold(index(api), member_index.BELLED, int(author.id))
    assert (await ring(api, bell, author))["notifying"] is True
    assert await member_index.may_hold(index(api), member_index.BELLED, int(author.id))
    status = await api.post(author, "ding")
    await api.idle()
    assert bells_asked() == before + 1
    assert await heard(api, bell) == [("status", status["id"])]
    assert await heard(api, plain) == []


async def test_a_lost_index_is_asked_around_then_refilled(api: Api) -> None:
    author, bell, other = await api.user(), await api.user(), await api.user()
    await ring(api, bell, author)
    await api.stack.admin_redis.delete(member_index.BELLED)  # Valkey lost it (a restart)
    assert await member_index.may_hold(index(api), member_index.BELLED, int(other.id))
    before = bells_asked()
    status = await api.post(author, "after the index was lost")
    await api.idle()
    assert bells_asked() == before + 1
    assert await heard(api, bell) == [("status", status["id"])]
    # Graph's chore refills it from PostgreSQL: complete again, the belled account in it.
    assert (await fill(api) or 0) >= 1
    assert await member_index.is_ready(index(api), member_index.BELLED)
    assert await member_index.may_hold(index(api), member_index.BELLED, int(author.id))
    assert not await member_index.may_hold(index(api), member_index.BELLED, int(other.id))
    assert await fill(api) is None  # a complete index is left alone


async def test_an_accepted_request_with_the_bell_is_noted(api: Api) -> None:
    owner, asker = await api.user(), await api.user()
    await lock(api, owner)
    assert (await ring(api, asker, owner))["requested"] is True
    # Valkey lost the index and graph refilled it before the answer: no bell follow yet.
    await api.stack.admin_redis.delete(member_index.BELLED)
    await fill(api)
    assert not await member_index.may_hold(index(api), member_index.BELLED, int(owner.id))
    r = await api.client.post(f"/api/v1/follow_requests/{asker.id}/authorize",
                              headers=owner.headers)
    assert r.status_code == 200, r.text
    assert await member_index.may_hold(index(api), member_index.BELLED, int(owner.id))
    status = await api.post(owner, "for my followers")
    await api.idle()
    assert ("status", status["id"]) in await heard(api, asker)
