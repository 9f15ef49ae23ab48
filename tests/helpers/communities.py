"""Communities for tests: through Hubbub's own API (create, join, invite...), or arranged directly
in the graph's tables for tests whose subject is elsewhere (``share_community``)."""

from __future__ import annotations

from typing import Any

import httpx

from shared.ids import new_id
from tests.helpers import Api, User, unique


async def share_community(api: Api, host: User, *members: User) -> int:
    """A community of ``host``'s network that ``members`` (maybe guests) belong to. Written
    directly: this file tests profiles, not the community endpoints."""
    pool = api.stack.graph.pool
    network_id = await pool.fetchval("SELECT network_id FROM accounts WHERE id = $1",
                                     int(host.id))
    community_id = new_id()
    await pool.execute(
        "INSERT INTO communities (id, network_id, name, membership, external, created_by) "
        "VALUES ($1, $2, $3, 'open', true, $4)", community_id, network_id, unique("c"),
        int(host.id))
    for member in (host, *members):
        await pool.execute(
            "INSERT INTO community_members (community_id, account_id, role) VALUES ($1, $2, $3)",
            community_id, int(member.id), "owner" if member is host else "guest")
    return community_id


BASE = "/api/hubbub/v1/communities"


def other_network() -> str:
    """A network of its own: its accounts see no communities left by other tests."""
    return f"{unique('n')}.test"


async def create(api: Api, owner: User, **fields: Any) -> dict[str, Any]:
    body = {"name": unique("Community "), **fields}
    r = await api.client.post(BASE, headers=owner.headers, json=body)
    assert r.status_code == 200, r.text
    return r.json()


async def act(api: Api, user: User, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return await api.client.request(method, f"{BASE}/{path}".rstrip("/"), headers=user.headers,
                                    **kwargs)


async def join(api: Api, user: User, community: dict[str, Any]) -> dict[str, Any]:
    r = await act(api, user, "POST", f"{community['id']}/join")
    assert r.status_code == 200, r.text
    return r.json()


async def invite(api: Api, by: User, community: dict[str, Any], user: User) -> httpx.Response:
    return await act(api, by, "POST", f"{community['id']}/invite", json={"account_id": user.id})


async def listed(api: Api, user: User, q: str = "") -> list[str]:
    r = await api.client.get(BASE, headers=user.headers, params={"q": q, "limit": 80})
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()]


async def member_roles(api: Api, user: User, community: dict[str, Any]) -> dict[str, str]:
    r = await act(api, user, "GET", f"{community['id']}/members")
    assert r.status_code == 200, r.text
    return {m["account"]["id"]: m["role"] for m in r.json()}


async def community_timeline(api: Api, user: User, community: dict[str, Any]) -> httpx.Response:
    return await api.client.get(f"/api/hubbub/v1/timelines/community/{community['id']}",
                                headers=user.headers)
