"""GET /api/v1/trends/statuses: the public statuses of the reader's network that others
favourited and reblogged most of late (recent activity weighs more)."""

from __future__ import annotations

from tests.helpers import Api, User, other_domain
from tests.helpers.communities import share_community
from tests.helpers.statuses import act


async def trending(api: Api, user: User, **params: object) -> list[str]:
    r = await api.client.get("/api/v1/trends/statuses", headers=user.headers, params=params)
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json()]


async def favourite(api: Api, status: dict, *users: User) -> None:
    for user in users:
        r = await act(api, user, status["id"], "favourite")
        assert r.status_code == 200, r.text


async def test_trending_statuses_rank_the_networks_liked_public_statuses(api: Api) -> None:
    domain = other_domain()
    ann, bob, cy, dee = [await api.user(domain=domain) for _ in range(4)]
    elsewhere = other_domain()
    outsider, neighbour = [await api.user(domain=elsewhere) for _ in range(2)]
    s1 = await api.post(ann, "the most liked")
    s2 = await api.post(ann, "liked and reblogged")
    s3 = await api.post(bob, "liked by its author only")
    s4 = await api.post(bob, "followers only", visibility="private")
    s5 = await api.post(bob, "unlisted", visibility="unlisted")
    s6 = await api.post(cy, "a reply", in_reply_to_id=s1["id"])
    s7 = await api.post(cy, "soon deleted")
    s8 = await api.post(cy, "behind a warning", spoiler_text="spoilers")
    community = await share_community(api, ann, bob, cy, dee)
    s9 = await api.post(ann, "in a community", community_id=str(community))
    s10 = await api.post(dee, "one favourite")
    await favourite(api, s1, bob, cy, dee)
    await favourite(api, s2, cy)
    assert (await act(api, dee, s2["id"], "reblog")).status_code == 200
    await favourite(api, s3, bob)
    await api.follow(ann, bob)
    await api.follow(dee, bob)  # the private status is theirs to see (and favourite)
    await api.idle()
    for status in (s4, s5, s6, s7, s8, s9):
        await favourite(api, status, ann, dee)
    await favourite(api, s10, ann)
    r = await api.client.delete(f"/api/v1/statuses/{s7['id']}", headers=cy.headers)
    assert r.status_code == 200, r.text
    o1 = await api.post(outsider, "elsewhere")  # another network's trends only
    await favourite(api, o1, neighbour)
    await api.idle()

    # s1 (3 favourites), s2 (a favourite and a reblog), s10 (1).
    assert await trending(api, ann) == [s1["id"], s2["id"], s10["id"]]
    r = await api.client.get("/api/v1/trends/statuses", headers=bob.headers)
    shown = r.json()
    assert shown[0]["content"] == "<p>the most liked</p>" and shown[0]["favourites_count"] == 3
    assert shown[0]["favourited"] is True  # bob's own flags
    assert await trending(api, outsider) == [o1["id"]]
    assert await trending(api, neighbour) == [o1["id"]]

    # Offset paging, with Mastodon's Link header.
    r = await api.client.get("/api/v1/trends/statuses", headers=ann.headers,
                             params={"limit": 1, "offset": 1})
    assert [s["id"] for s in r.json()] == [s2["id"]]
    link = r.headers["link"]
    assert 'offset=2>; rel="next"' in link and 'offset=0>; rel="prev"' in link
    assert await trending(api, ann, limit=2) == [s1["id"], s2["id"]]
    assert await trending(api, ann, offset=3) == []
    r = await api.client.get("/api/v1/trends/statuses", headers=ann.headers,
                             params={"limit": "many"})
    assert r.status_code == 422 and "limit" in r.text


async def test_only_discoverable_authors_and_not_the_hidden_ones_are_featured(api: Api) -> None:
    domain = other_domain()
    ann, bob, cy, dee = [await api.user(domain=domain) for _ in range(4)]
    shy_status = await api.post(ann, "by someone who opted out of discovery")
    loud_status = await api.post(bob, "by someone discoverable")
    muted_status = await api.post(cy, "by someone dee muted")
    for status in (shy_status, loud_status, muted_status):
        await favourite(api, status, dee)
    r = await api.client.patch("/api/v1/accounts/update_credentials", headers=ann.headers,
                               data={"discoverable": "false"})
    assert r.status_code == 200, r.text
    r = await api.client.post(f"/api/v1/accounts/{cy.id}/mute", headers=dee.headers)
    assert r.status_code == 200, r.text
    await api.idle()
    assert await trending(api, dee) == [loud_status["id"]]
    assert await trending(api, bob) == [muted_status["id"], loud_status["id"]]


async def test_trending_statuses_need_a_signed_in_member(api: Api) -> None:
    assert (await api.client.get("/api/v1/trends/statuses")).status_code == 401
    r = await api.client.get("/api/v1/trends/statuses",
                             headers={"Authorization": "Bearer nonsense"})
    assert r.status_code == 401
