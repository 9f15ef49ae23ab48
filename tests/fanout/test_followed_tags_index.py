"""Graph's index of followed hashtags (shared/member_index.py ``FOLLOWED_TAGS``): fanout asks
graph for a public status's tag followers only when one of its tags may be followed, and a
lost index costs asks, never a timeline entry."""

from __future__ import annotations

import uuid

from prometheus_client import REGISTRY

from services.graph.use_cases.followed_tags import keep_followed_tags_index
from shared import member_index
from tests.helpers import Api, User


def tags_asked() -> float:
    return REGISTRY.get_sample_value("hubbub_service_request_seconds_count",
                                     {"endpoint": "graph.tag.follower_ids"}) or 0.0


def fresh_tag() -> str:
    return "t" + uuid.uuid4().hex[:12]


async def follow_tag(api: Api, user: User, tag: str) -> None:
    r = await api.client.post(f"/api/v1/tags/{tag}/follow", headers=user.headers)
    assert r.status_code == 200, r.text


async def home_ids(api: Api, user: User) -> list[str]:
    r = await api.client.get("/api/v1/timelines/home", headers=user.headers)
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json()]


async def fill(api: Api) -> int | None:
    return await keep_followed_tags_index(api.stack.graph.pool, api.stack.graph.redis.main)


async def test_a_tag_nobody_follows_costs_no_request(api: Api) -> None:
    await fill(api)
    author, reader, tag = await api.user(), await api.user(), fresh_tag()
    before = tags_asked()
    await api.post(author, f"about #{tag}")
    await api.idle()
    assert tags_asked() == before
    await follow_tag(api, reader, tag.upper())  # stored, and indexed, in lower case
    followed = await api.post(author, f"more about #{tag}")
    await api.idle()
    assert tags_asked() == before + 1
    assert followed["id"] in await home_ids(api, reader)


async def test_a_lost_index_is_asked_around_then_refilled(api: Api) -> None:
    author, reader, tag, other = await api.user(), await api.user(), fresh_tag(), fresh_tag()
    await follow_tag(api, reader, tag)
    await api.stack.admin_redis.delete(member_index.FOLLOWED_TAGS)  # Valkey lost it
    before = tags_asked()
    followed = await api.post(author, f"#{tag} after the index was lost")
    await api.idle()
    assert tags_asked() == before + 1
    assert await home_ids(api, reader) == [followed["id"]]
    # Graph's chore refills it from PostgreSQL: complete again, the followed tag in it.
    assert (await fill(api) or 0) >= 1
    cache = api.stack.graph.redis.main
    assert await member_index.may_hold(cache, member_index.FOLLOWED_TAGS, tag)
    assert not await member_index.may_hold(cache, member_index.FOLLOWED_TAGS, other)
    assert await fill(api) is None  # a complete index is left alone
