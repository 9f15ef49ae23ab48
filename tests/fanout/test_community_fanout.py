"""Community posts in home and community timelines: who gets them, and what membership
changes and deletes do."""

from __future__ import annotations

from shared.ids import member_id
from shared.records import community_key
from tests.helpers import Api, unique


async def community(api: Api, owner) -> dict:
    r = await api.client.post("/api/hubbub/v1/communities", headers=owner.headers,
                              json={"name": unique("c")})
    assert r.status_code == 200, r.text
    return r.json()


async def join(api: Api, user, c: dict) -> None:
    r = await api.client.post(f"/api/hubbub/v1/communities/{c['id']}/join", headers=user.headers)
    assert r.status_code == 200, r.text


async def home(api: Api, user) -> list[str]:
    return [s["id"] for s in (await api.home(user, limit=40)).json()]


async def community_timeline(api: Api, user, c: dict) -> list[str]:
    r = await api.client.get(f"/api/hubbub/v1/timelines/community/{c['id']}",
                             headers=user.headers)
    return [s["id"] for s in r.json()]


async def test_private_community_post_reaches_only_members_who_follow(api: Api) -> None:
    owner, fan, member = await api.user(), await api.user(), await api.user()
    c = await community(api, owner)
    await join(api, fan, c)
    await join(api, member, c)
    await api.follow(fan, owner)
    post = await api.post(owner, "members who follow me", visibility="private",
                          community_id=c["id"])
    await api.idle()
    assert post["id"] in await home(api, fan)
    assert post["id"] not in await home(api, member)


async def test_delete_leave_and_join(api: Api) -> None:
    owner, member, later = await api.user(), await api.user(), await api.user()
    c = await community(api, owner)
    await join(api, member, c)
    kept = await api.post(owner, "stays", community_id=c["id"])
    gone = await api.post(owner, "goes", community_id=c["id"])
    await api.idle()
    assert {kept["id"], gone["id"]} <= set(await home(api, member))
    await api.client.delete(f"/api/v1/statuses/{gone['id']}", headers=owner.headers)
    await api.idle()
    assert gone["id"] not in await home(api, member)
    assert await community_timeline(api, owner, c) == [kept["id"]]
    raw = await api.stack.fanout.redis.main.zrange(community_key(int(c["id"])), 0, -1)
    assert [member_id(m) for m in raw] == [int(kept["id"])]

    await join(api, later, c)
    await api.idle()
    assert kept["id"] in await home(api, later)  # joining brings the recent posts
    r = await api.client.post(f"/api/hubbub/v1/communities/{c['id']}/leave",
                              headers=member.headers)
    assert r.status_code == 200
    await api.idle()
    assert kept["id"] not in await home(api, member)  # leaving takes them away
