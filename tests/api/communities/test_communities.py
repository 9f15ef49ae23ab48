"""Communities end to end: create and find, join and leave, approval, roles, invitations of
guests from other networks, community posts (who may post, who sees them, where they land) and
the community stream."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import connect

from tests.helpers import Api, unique
from tests.helpers.communities import (
    BASE,
    act,
    community_timeline,
    create,
    invite,
    join,
    listed,
    member_roles,
    other_network,
)

# --- create, find, read ----------------------------------------------------------------------

async def test_create_get_list_and_search(api: Api) -> None:
    owner, colleague = await api.user(), await api.user()
    name = unique("Rust Guild ")
    created = await create(api, owner, name=name, description="systems programming")
    assert created["name"] == name and created["description"] == "systems programming"
    assert created["membership"] == "open" and created["external"] is False
    assert created["network"]["domain"] == "acme.test"
    assert created["role"] == "owner" and created["requested"] is False
    assert created["members_count"] == 1
    assert created["created_at"].endswith("Z")

    seen = (await act(api, colleague, "GET", created["id"])).json()
    assert seen["id"] == created["id"] and seen["role"] is None and seen["members_count"] == 1

    assert created["id"] in await listed(api, colleague)
    assert await listed(api, colleague, q=name.upper()) == [created["id"]]
    assert await listed(api, colleague, q=name[-6:].lower()) == [created["id"]]
    assert await listed(api, colleague, q=unique("nothing")) == []
    assert (await act(api, colleague, "GET", "12345")).status_code == 404
    assert (await act(api, colleague, "GET", "nope")).status_code == 404


async def test_names_are_unique_per_network_and_validated(api: Api) -> None:
    owner, elsewhere = await api.user(), await api.user(domain=other_network())
    name = unique("Design ")
    await create(api, owner, name=name)
    r = await api.client.post(BASE, headers=owner.headers, json={"name": name.upper()})
    assert r.status_code == 422 and "taken" in r.json()["error"]
    # Another network has its own names.
    assert (await create(api, elsewhere, name=name))["name"] == name
    for bad in ({"name": ""}, {"name": "x" * 101}, {"name": "ok", "description": "d" * 1001},
                {"name": unique(), "membership": "secret"}):
        r = await api.client.post(BASE, headers=owner.headers, json=bad)
        assert r.status_code == 422, (bad, r.text)
        assert "error" in r.json()
    r = await api.client.post(BASE, json={"name": "anonymous"})
    assert r.status_code == 401


# --- joining and leaving ---------------------------------------------------------------------


async def test_approval_request_then_approve_or_reject(api: Api) -> None:
    owner, asker, other = await api.user(), await api.user(), await api.user()
    community = await create(api, owner, membership="approval")
    pending = await join(api, asker, community)
    assert pending["requested"] is True and pending["role"] is None
    assert (await join(api, asker, community))["requested"] is True  # harmless twice
    await join(api, other, community)
    r = await act(api, owner, "GET", f"{community['id']}/requests")
    assert r.status_code == 200
    assert {a["id"] for a in r.json()} == {asker.id, other.id}
    # Only managers see and settle requests.
    assert (await act(api, asker, "GET", f"{community['id']}/requests")).status_code == 403
    assert (await act(api, asker, "POST",
                      f"{community['id']}/requests/{other.id}/approve")).status_code == 403

    r = await act(api, owner, "POST", f"{community['id']}/requests/{asker.id}/approve")
    assert r.status_code == 200 and r.json()["role"] == "member"
    assert r.json()["account"]["id"] == asker.id
    r = await act(api, owner, "POST", f"{community['id']}/requests/{asker.id}/approve")
    assert r.status_code == 200  # a retried approval
    r = await act(api, owner, "POST", f"{community['id']}/requests/{other.id}/reject")
    assert r.status_code == 200
    r = await act(api, owner, "POST", f"{community['id']}/requests/{other.id}/approve")
    assert r.status_code == 404  # nothing left to approve

    assert (await act(api, owner, "GET", f"{community['id']}/requests")).json() == []
    mine = (await act(api, asker, "GET", community["id"])).json()
    assert mine["role"] == "member" and mine["requested"] is False
    theirs = (await act(api, other, "GET", community["id"])).json()
    assert theirs["role"] is None and theirs["requested"] is False
    assert mine["members_count"] == 2


# --- roles and permissions -------------------------------------------------------------------

async def test_roles_and_permissions(api: Api) -> None:
    owner, admin, member, other = (await api.user(), await api.user(), await api.user(),
                                   await api.user())
    community = await create(api, owner)
    cid = community["id"]
    for user in (admin, member, other):
        await join(api, user, community)
    outsider = await api.user()

    # A member manages nothing.
    assert (await invite(api, member, community, outsider)).status_code == 403
    assert (await act(api, member, "DELETE", f"{cid}/members/{other.id}")).status_code == 403
    assert (await act(api, member, "PATCH", f"{cid}/members/{other.id}",
                      json={"role": "admin"})).status_code == 403

    r = await act(api, owner, "PATCH", f"{cid}/members/{admin.id}", json={"role": "admin"})
    assert r.status_code == 200 and r.json()["role"] == "admin"
    assert (await act(api, owner, "PATCH", f"{cid}/members/{admin.id}",
                      json={"role": "owner"})).status_code == 422
    assert (await act(api, owner, "PATCH", f"{cid}/members/{owner.id}",
                      json={"role": "member"})).status_code == 403
    assert (await act(api, owner, "PATCH", f"{cid}/members/{outsider.id}",
                      json={"role": "admin"})).status_code == 404
    # Only the owner changes roles.
    assert (await act(api, admin, "PATCH", f"{cid}/members/{member.id}",
                      json={"role": "admin"})).status_code == 403

    # An admin invites and removes members, but not the owner.
    r = await act(api, admin, "POST", f"{cid}/invite", json={"account_id": int(outsider.id)})
    assert r.status_code == 200, r.text
    assert (await act(api, admin, "DELETE", f"{cid}/members/{other.id}")).status_code == 200
    assert (await act(api, admin, "DELETE", f"{cid}/members/{owner.id}")).status_code == 403
    assert (await act(api, owner, "DELETE", f"{cid}/members/{owner.id}")).status_code == 403
    assert (await act(api, admin, "DELETE", f"{cid}/members/{other.id}")).status_code == 200

    roles = await member_roles(api, owner, community)
    assert roles == {owner.id: "owner", admin.id: "admin", member.id: "member"}
    assert (await act(api, owner, "GET", cid)).json()["members_count"] == 3
    invited = (await act(api, outsider, "GET", cid)).json()
    assert invited["invited"] is True and invited["role"] is None
    assert (await join(api, outsider, community))["role"] == "member"


async def test_members_are_paged_by_account_id(api: Api) -> None:
    owner = await api.user()
    community = await create(api, owner)
    joined = [await api.user() for _ in range(3)]
    for user in joined:
        await join(api, user, community)
    everyone = sorted([owner.id, *(u.id for u in joined)], key=int, reverse=True)
    seen: list[str] = []
    r = await act(api, owner, "GET", f"{community['id']}/members", params={"limit": 2})
    while r.json():
        seen.extend(m["id"] for m in r.json())
        assert 'rel="next"' in r.headers["link"]
        next_url = r.headers["link"].split(";")[0].strip("<>")
        r = await api.client.get(next_url, headers=owner.headers)
    assert seen == everyone


async def test_who_reads_the_member_list(api: Api) -> None:
    owner, colleague = await api.user(), await api.user()
    internal = await create(api, owner)
    external = await create(api, owner, external=True)
    # An internal community's roster is open to its network; an external one's to members.
    assert (await act(api, colleague, "GET", f"{internal['id']}/members")).status_code == 200
    assert (await act(api, colleague, "GET", f"{external['id']}/members")).status_code == 403


# --- guests from other networks --------------------------------------------------------------


async def test_guest_cannot_join_without_an_invitation(api: Api) -> None:
    owner = await api.user()
    guest = await api.user(domain=other_network())
    community = await create(api, owner, external=True)
    other = await create(api, owner, external=True)
    await invite(api, owner, community, guest)
    # Invited to one: still nothing of the other.
    assert (await act(api, guest, "POST", f"{other['id']}/join")).status_code == 404
    r = await act(api, guest, "GET", f"{community['id']}/members")
    assert r.status_code == 403  # invited is not yet a member


# --- community posts -------------------------------------------------------------------------


async def test_private_community_post_shows_to_members_who_follow_the_author(api: Api) -> None:
    author, fan, other = await api.user(), await api.user(), await api.user()
    community = await create(api, author)
    for user in (fan, other):
        await join(api, user, community)
    await api.follow(fan, author)
    await api.idle()
    post = await api.post(author, "followers here", community_id=community["id"],
                          visibility="private")
    await api.idle()
    for reader, sees in ((author, True), (fan, True), (other, False)):
        ids = [s["id"] for s in (await community_timeline(api, reader, community)).json()]
        assert (post["id"] in ids) is sees, reader


async def test_deleted_community_post_leaves_the_community_timeline(api: Api) -> None:
    owner, member = await api.user(), await api.user()
    community = await create(api, owner)
    await join(api, member, community)
    kept = await api.post(owner, "stays", community_id=community["id"])
    gone = await api.post(member, "goes", community_id=community["id"])
    await api.idle()
    ids = [s["id"] for s in (await community_timeline(api, owner, community)).json()]
    assert ids == [gone["id"], kept["id"]]
    r = await api.client.delete(f"/api/v1/statuses/{gone['id']}", headers=member.headers)
    assert r.status_code == 200
    await api.idle()
    ids = [s["id"] for s in (await community_timeline(api, owner, community)).json()]
    assert ids == [kept["id"]]


# --- streaming -------------------------------------------------------------------------------

def ws_url(api: Api, query: str = "") -> str:
    return api.stack.base_url.replace("http://", "ws://") + "/api/v1/streaming" + query


async def next_message(ws, timeout: float = 5.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def test_members_stream_the_community(api: Api) -> None:
    owner, member = await api.user(), await api.user()
    community = await create(api, owner)
    await join(api, member, community)
    async with connect(ws_url(api), additional_headers=member.headers, proxy=None) as ws:
        await ws.send(json.dumps({"type": "subscribe", "stream": "community",
                                  "community": community["id"]}))
        await asyncio.sleep(0.3)  # the gateway subscribes to NATS before the post
        post = await api.post(owner, "live in the community", community_id=community["id"])
        # The member's home stream is not subscribed: the only update is the community's.
        message = await next_message(ws)
        assert message["event"] == "update"
        assert json.loads(message["payload"])["id"] == post["id"]


async def test_streaming_community_on_connect(api: Api) -> None:
    owner = await api.user()
    community = await create(api, owner)
    query = f"?access_token={owner.token}&stream=community&community={community['id']}"
    async with connect(ws_url(api, query), proxy=None) as ws:
        await asyncio.sleep(0.3)
        post = await api.post(owner, "on connect", community_id=community["id"])
        message = await next_message(ws)
        assert json.loads(message["payload"])["id"] == post["id"]


async def test_non_member_subscription_is_refused(api: Api) -> None:
    owner, stranger = await api.user(), await api.user()
    community = await create(api, owner)
    async with connect(ws_url(api), additional_headers=stranger.headers, proxy=None) as ws:
        await ws.send(json.dumps({"type": "subscribe", "stream": "community",
                                  "community": community["id"]}))
        assert "not a member" in (await next_message(ws))["error"]
        await ws.send(json.dumps({"type": "subscribe", "stream": "community"}))
        assert "Missing community" in (await next_message(ws))["error"]
        await api.post(owner, "not for you", community_id=community["id"])
        await api.idle()
        with pytest.raises(TimeoutError):  # nothing arrives
            await asyncio.wait_for(ws.recv(), 0.5)
