"""The isolation matrix: companies are networks, and a guest (an account of another network,
member of an external community) sees that community, its members and its posts, and nothing
else of the host. For each read path, who is refused what is not theirs.

Readers: ``member`` (host network, member of the external community), ``stranger`` (host
network, not a member), ``guest`` (partner network, member of the external community), and
``other`` (an unrelated network). A new read path is one row in MATRIX.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.helpers import Api, User, unique

READERS = ("member", "stranger", "guest", "other")


@dataclass
class World:
    api: Api
    users: dict[str, User]
    colleague: User  # host network, in no community: never the guest's business
    internal_post: dict  # the colleague's network-wide public post
    community_post: dict  # a post in the external community
    external: dict  # the external community
    internal: dict  # an internal community of the host


def ok(r: httpx.Response) -> bool:
    assert r.status_code in (200, 404, 403), r.text
    return r.status_code == 200


async def get(w: World, reader: str, path: str, **params) -> httpx.Response:
    return await w.api.client.get(path, headers=w.users[reader].headers, params=params)


async def status_by_id(w, reader, post_key):
    return ok(await get(w, reader, f"/api/v1/statuses/{getattr(w, post_key)['id']}"))


async def context(w, reader, post_key):
    return ok(await get(w, reader, f"/api/v1/statuses/{getattr(w, post_key)['id']}/context"))


async def favourited_by(w, reader, post_key):
    return ok(await get(w, reader,
                        f"/api/v1/statuses/{getattr(w, post_key)['id']}/favourited_by"))


async def in_home(w, reader, post_key):
    r = await get(w, reader, "/api/v1/timelines/home", limit=40)
    return getattr(w, post_key)["id"] in [s["id"] for s in r.json()]


async def in_public(w, reader, post_key):
    r = await get(w, reader, "/api/v1/timelines/public", limit=40)
    return getattr(w, post_key)["id"] in [s["id"] for s in r.json()]


async def in_tag(w, reader, post_key):
    r = await get(w, reader, "/api/v1/timelines/tag/isolation", limit=40)
    return getattr(w, post_key)["id"] in [s["id"] for s in r.json()]


async def community_timeline(w, reader, _):
    r = await get(w, reader, f"/api/hubbub/v1/timelines/community/{w.external['id']}")
    return ok(r) and w.community_post["id"] in [s["id"] for s in r.json()]


async def account_by_id(w, reader, _):
    return ok(await get(w, reader, f"/api/v1/accounts/{w.colleague.id}"))


async def lookup(w, reader, _):
    return ok(await get(w, reader, "/api/v1/accounts/lookup", acct=w.colleague.username))


async def search(w, reader, _):
    r = await get(w, reader, "/api/v1/accounts/search", q=w.colleague.username[:8])
    return w.colleague.id in [a["id"] for a in r.json()]


async def followers(w, reader, _):
    return ok(await get(w, reader, f"/api/v1/accounts/{w.colleague.id}/followers"))


async def relationships(w, reader, _):
    r = await get(w, reader, "/api/v1/accounts/relationships", **{"id[]": w.colleague.id})
    return len(r.json()) == 1


async def community_list_internal(w, reader, _):
    r = await get(w, reader, "/api/hubbub/v1/communities")
    return w.internal["id"] in [c["id"] for c in r.json()]


async def community_get_internal(w, reader, _):
    return ok(await get(w, reader, f"/api/hubbub/v1/communities/{w.internal['id']}"))


async def community_get_external(w, reader, _):
    return ok(await get(w, reader, f"/api/hubbub/v1/communities/{w.external['id']}"))


async def community_members(w, reader, _):
    return ok(await get(w, reader, f"/api/hubbub/v1/communities/{w.external['id']}/members"))


async def community_stream(w, reader, _):
    url = w.api.stack.base_url.replace("http://", "ws://") + "/api/v1/streaming"
    async with connect(url, additional_headers=w.users[reader].headers, proxy=None) as ws:
        await ws.send(json.dumps({"type": "subscribe", "stream": "community",
                                  "community": w.external["id"]}))
        try:
            reply = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
        except TimeoutError:
            return True  # subscribed: no error came back
        return "error" not in reply


# (read path, resource, readers who may see it)
MATRIX = [
    ("GET /statuses/:id", status_by_id, "internal_post", {"member", "stranger"}),
    ("GET /statuses/:id", status_by_id, "community_post", {"member", "guest"}),
    ("context", context, "internal_post", {"member", "stranger"}),
    ("context", context, "community_post", {"member", "guest"}),
    ("favourited_by", favourited_by, "internal_post", {"member", "stranger"}),
    ("home timeline", in_home, "community_post", {"member", "guest"}),
    ("public timeline", in_public, "internal_post", {"member", "stranger"}),
    ("public timeline", in_public, "community_post", set()),
    ("tag timeline", in_tag, "internal_post", {"member", "stranger"}),
    ("community timeline", community_timeline, None, {"member", "guest"}),
    ("GET /accounts/:id", account_by_id, None, {"member", "stranger"}),
    ("lookup", lookup, None, {"member", "stranger"}),
    ("search", search, None, {"member", "stranger"}),
    ("followers list", followers, None, {"member", "stranger"}),
    ("relationships", relationships, None, {"member", "stranger"}),
    ("community list (internal)", community_list_internal, None, {"member", "stranger"}),
    ("community by id (internal)", community_get_internal, None, {"member", "stranger"}),
    ("community by id (external)", community_get_external, None,
     {"member", "stranger", "guest"}),
    ("community members (external)", community_members, None, {"member", "guest"}),
    ("community stream subscription", community_stream, None, {"member", "guest"}),
]


@pytest.fixture(scope="module")
async def world(stack) -> World:
    client = httpx.AsyncClient(base_url=stack.base_url, timeout=20)
    api = Api(client, stack)
    host_domain = f"{unique('host')}.test"
    owner = await api.user(domain=host_domain)  # first of its domain: the network's admin
    colleague = await api.user(unique("colleague"), domain=host_domain)
    member = await api.user(domain=host_domain)
    stranger = await api.user(domain=host_domain)
    guest = await api.user(domain=f"{unique('partner')}.test")
    other = await api.user(domain=f"{unique('other')}.test")
    await api.follow(member, colleague)

    async def create(name: str, external: bool) -> dict:
        r = await client.post("/api/hubbub/v1/communities", headers=owner.headers,
                              json={"name": name, "external": external})
        assert r.status_code == 200, r.text
        return r.json()

    external = await create(unique("Partners"), True)
    internal = await create(unique("Internal"), False)
    for user in (member, guest):
        if user is guest:
            r = await client.post(f"/api/hubbub/v1/communities/{external['id']}/invite",
                                  headers=owner.headers, json={"account_id": guest.id})
            assert r.status_code == 200, r.text
        r = await client.post(f"/api/hubbub/v1/communities/{external['id']}/join",
                              headers=user.headers)
        assert r.status_code == 200, r.text
    internal_post = await api.post(colleague, "news for the company #isolation")
    community_post = await api.post(owner, "hello partners", community_id=external["id"])
    await api.idle()
    yield World(api=api, users={"member": member, "stranger": stranger, "guest": guest,
                                "other": other},
                colleague=colleague, internal_post=internal_post,
                community_post=community_post, external=external, internal=internal)
    await client.aclose()


@pytest.mark.parametrize("name, path, resource, allowed", MATRIX,
                         ids=[f"{row[0]}-{row[2] or 'x'}" for row in MATRIX])
async def test_isolation(world: World, name: str, path, resource, allowed: set[str]) -> None:
    seen = {reader for reader in READERS if await path(world, reader, resource)}
    assert seen == allowed, f"{name}: seen by {sorted(seen)}, allowed {sorted(allowed)}"


async def test_guest_public_stream_shows_nothing_of_the_host(world: World) -> None:
    api = world.api
    url = api.stack.base_url.replace("http://", "ws://") + "/api/v1/streaming"
    async with connect(url, additional_headers=world.users["guest"].headers, proxy=None) as ws:
        await ws.send(json.dumps({"type": "subscribe", "stream": "public"}))
        await asyncio.sleep(0.3)
        await api.post(world.colleague, "another company-wide post")
        await api.idle()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.7)


async def test_guest_cannot_mention_host_people_outside_its_communities(world: World) -> None:
    api = world.api
    post = await api.post(world.users["guest"], f"hi @{world.colleague.username}",
                          community_id=world.external["id"])
    assert post["mentions"] == []  # not resolved: no link, no notification
    assert "u-url mention" not in post["content"]
    await api.idle()
    notes = (await api.client.get("/api/v1/notifications",
                                  headers=world.colleague.headers)).json()
    assert [n for n in notes if n["type"] == "mention"] == []
