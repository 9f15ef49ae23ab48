"""Community membership as the graph stores it (joins, leaving, guests' invitations) and community
posts as fanout and posts keep them."""

from __future__ import annotations

from shared.records import community_key
from tests.helpers import Api, User
from tests.helpers.communities import (
    act,
    community_timeline,
    create,
    invite,
    join,
    listed,
    member_roles,
    other_network,
)


async def home_ids(api: Api, user: User) -> list[str]:
    return [s["id"] for s in (await api.home(user)).json()]


async def graph_events(api: Api, kind: str, community_id: str) -> int:
    return await api.stack.graph.pool.fetchval(
        "SELECT count(*) FROM outbox WHERE subject = $1 "
        "AND convert_from(payload, 'UTF8') LIKE '%\"community_id\":' || $2 || ',%'",
        f"hubbub.evt.graph.community.{kind}", community_id)


async def test_join_open_community_is_idempotent(api: Api) -> None:
    owner, member = await api.user(), await api.user()
    community = await create(api, owner)
    first = await join(api, member, community)
    again = await join(api, member, community)
    assert first["role"] == again["role"] == "member"
    assert again["members_count"] == 2
    assert await member_roles(api, owner, community) == {owner.id: "owner", member.id: "member"}
    await api.idle()
    assert await graph_events(api, "joined", community["id"]) == 2  # owner and member, once


async def test_leave_and_the_owner_stays(api: Api) -> None:
    owner, member = await api.user(), await api.user()
    community = await create(api, owner)
    await join(api, member, community)
    r = await act(api, member, "POST", f"{community['id']}/leave")
    assert r.status_code == 200 and r.json()["role"] is None
    assert r.json()["members_count"] == 1
    assert (await act(api, member, "POST", f"{community['id']}/leave")).status_code == 200
    r = await act(api, owner, "POST", f"{community['id']}/leave")
    assert r.status_code == 422 and "owner" in r.json()["error"]
    assert (await act(api, owner, "GET", community["id"])).json()["members_count"] == 1
    await api.idle()
    assert await graph_events(api, "left", community["id"]) == 1


async def test_guest_is_invited_into_an_external_community(api: Api) -> None:
    owner, colleague = await api.user(), await api.user()
    guest = await api.user(domain=other_network())
    shared_space = await create(api, owner, external=True, membership="approval")
    other_external = await create(api, owner, external=True)
    internal = await create(api, owner)

    # Before the invitation the host network's communities do not exist for the guest.
    assert (await act(api, guest, "GET", shared_space["id"])).status_code == 404
    assert (await act(api, guest, "POST", f"{shared_space['id']}/join")).status_code == 404
    assert await listed(api, guest) == []

    # An internal community invites its own network only; an external one anyone.
    assert (await invite(api, owner, internal, guest)).status_code == 422
    assert (await invite(api, owner, shared_space, guest)).status_code == 200
    assert (await invite(api, owner, shared_space, guest)).status_code == 200  # once
    await api.idle()
    assert await graph_events(api, "invited", shared_space["id"]) == 1

    assert await listed(api, guest) == [shared_space["id"]]
    joined = await join(api, guest, shared_space)  # accepting skips approval
    assert joined["role"] == "guest" and joined["requested"] is False
    assert joined["network"]["domain"] == "acme.test"
    assert await listed(api, guest) == [shared_space["id"]]
    assert other_external["id"] not in await listed(api, guest)
    assert (await act(api, guest, "GET", other_external["id"])).status_code == 404
    assert (await act(api, guest, "GET", internal["id"])).status_code == 404
    assert (await community_timeline(api, guest, internal)).status_code == 404
    # A guest cannot let itself into another external community.
    assert (await act(api, guest, "POST", f"{other_external['id']}/join")).status_code == 404
    assert await member_roles(api, guest, shared_space) == {owner.id: "owner", guest.id: "guest"}
    # Guests stay guests.
    assert (await act(api, owner, "PATCH", f"{shared_space['id']}/members/{guest.id}",
                      json={"role": "admin"})).status_code == 422

    # The guest posts into the community, and reads it back there.
    await join(api, colleague, shared_space)
    post = await api.post(guest, "hello from a partner", community_id=shared_space["id"])
    assert post["hubbub"]["community_id"] == shared_space["id"]
    await api.idle()
    for reader in (guest, owner):
        r = await community_timeline(api, reader, shared_space)
        assert r.status_code == 200
        assert [s["id"] for s in r.json()] == [post["id"]]
    reply = await api.post(owner, "welcome!", in_reply_to_id=post["id"])
    assert reply["hubbub"]["community_id"] == shared_space["id"]  # replies stay inside
    await api.idle()
    ids = [s["id"] for s in (await community_timeline(api, guest, shared_space)).json()]
    assert ids == [reply["id"], post["id"]]
    # A requested-but-not-approved colleague is not a member.
    assert (await community_timeline(api, colleague, shared_space)).status_code == 404

    # Leaving ends it all: the community is gone again for the guest.
    assert (await act(api, guest, "POST", f"{shared_space['id']}/leave")).status_code == 200
    assert (await act(api, guest, "GET", shared_space["id"])).status_code == 404
    assert await listed(api, guest) == []


async def test_community_post_reaches_members_only(api: Api) -> None:
    author, member, follower, stranger = (await api.user(), await api.user(), await api.user(),
                                          await api.user())
    community = await create(api, author, external=True)
    await join(api, member, community)
    await api.follow(follower, author)  # follows the author, not in the community
    await api.idle()
    post = await api.post(author, "for members only", community_id=community["id"])
    await api.idle()

    assert post["id"] in await home_ids(api, member)
    assert post["id"] in await home_ids(api, author)
    assert post["id"] not in await home_ids(api, follower)
    redis = api.stack.fanout.redis.main
    assert await redis.zcard(community_key(int(community["id"]))) == 1
    r = await community_timeline(api, member, community)
    assert [s["id"] for s in r.json()] == [post["id"]]
    assert 'rel="next"' in r.headers["link"]

    for outsider in (follower, stranger):
        r = await api.client.get(f"/api/v1/statuses/{post['id']}", headers=outsider.headers)
        assert r.status_code == 404
        assert (await community_timeline(api, outsider, community)).status_code == 404
    r = await api.client.get(f"/api/v1/statuses/{post['id']}", headers=member.headers)
    assert r.status_code == 200 and r.json()["id"] == post["id"]
    # Non-members cannot reply into it either: they cannot see it.
    r = await api.client.post("/api/v1/statuses", headers=stranger.headers,
                              json={"status": "me too", "in_reply_to_id": post["id"]})
    assert r.status_code == 404


async def test_non_member_cannot_post_into_a_community(api: Api) -> None:
    owner, stranger = await api.user(), await api.user()
    guest = await api.user(domain=other_network())
    community = await create(api, owner)

    async def statuses_of(user: User) -> int:
        return await api.stack.posts.pool.fetchval(
            "SELECT count(*) FROM statuses WHERE account_id = $1", int(user.id))

    r = await api.client.post("/api/v1/statuses", headers=stranger.headers,
                              json={"status": "let me in", "community_id": community["id"]})
    assert r.status_code == 403
    assert r.json() == {"error": "You are not a member of this community"}
    r = await api.client.post("/api/v1/statuses", headers=guest.headers,
                              json={"status": "let me in", "community_id": community["id"]})
    assert r.status_code == 404  # another network's internal community does not exist for it
    r = await api.client.post("/api/v1/statuses", headers=stranger.headers,
                              json={"status": "where?", "community_id": "123456789"})
    assert r.status_code == 404
    assert await statuses_of(stranger) == 0 and await statuses_of(guest) == 0

    await join(api, stranger, community)
    post = await api.post(stranger, "now I can", community_id=community["id"])
    assert post["hubbub"]["community_id"] == community["id"]
