"""Endorsements (accounts featured on a profile): only accounts the reader follows (422
otherwise), shown as ``endorsed`` in the reader's Relationship, listed and paged by
GET /api/v1/endorsements, ended by an unfollow."""

from __future__ import annotations

from tests.helpers import Api, other_domain
from tests.helpers.relations import rel
from tests.helpers.scoped import network_with_password_grant, token_with


async def test_endorsing_needs_a_follow(api: Api) -> None:
    me, other = await api.user(), await api.user()
    r = await api.client.post(f"/api/v1/accounts/{other.id}/pin", headers=me.headers)
    assert r.status_code == 422 and "following" in r.json()["error"]
    assert (await rel(api, me, other))["endorsed"] is False
    await api.follow(me, other)
    r = await api.client.post(f"/api/v1/accounts/{other.id}/pin", headers=me.headers)
    assert r.status_code == 200 and r.json()["endorsed"] is True
    assert (await rel(api, me, other))["endorsed"] is True
    assert (await rel(api, other, me))["endorsed"] is False


async def test_endorsements_are_listed_newest_first_and_paged(api: Api) -> None:
    me, first, second = await api.user(), await api.user(), await api.user()
    for other in (first, second):
        await api.follow(me, other)
        r = await api.client.post(f"/api/v1/accounts/{other.id}/endorse", headers=me.headers)
        assert r.status_code == 200
    r = await api.client.get("/api/v1/endorsements", headers=me.headers)
    assert [a["id"] for a in r.json()] == [second.id, first.id]
    page = await api.client.get("/api/v1/endorsements", headers=me.headers,
                                params={"limit": 1})
    assert [a["id"] for a in page.json()] == [second.id]
    link = page.headers["link"]
    assert 'rel="next"' in link and 'rel="prev"' in link
    next_url = link.split(">")[0].lstrip("<")
    older = await api.client.get(next_url, headers=me.headers)
    assert [a["id"] for a in older.json()] == [first.id]


async def test_unpin_and_unfollow_end_an_endorsement(api: Api) -> None:
    me, one, two = await api.user(), await api.user(), await api.user()
    for other in (one, two):
        await api.follow(me, other)
        await api.client.post(f"/api/v1/accounts/{other.id}/pin", headers=me.headers)
    r = await api.client.post(f"/api/v1/accounts/{one.id}/unpin", headers=me.headers)
    assert r.status_code == 200 and r.json()["endorsed"] is False
    await api.client.post(f"/api/v1/accounts/{two.id}/unfollow", headers=me.headers)
    assert (await rel(api, me, two))["endorsed"] is False
    assert (await api.client.get("/api/v1/endorsements", headers=me.headers)).json() == []
    await api.follow(me, two)  # following again does not bring the old endorsement back
    assert (await rel(api, me, two))["endorsed"] is False


async def test_another_networks_account_is_not_found(api: Api) -> None:
    me, stranger = await api.user(), await api.user(domain=other_domain())
    for action in ("pin", "unpin", "endorse", "unendorse"):
        r = await api.client.post(f"/api/v1/accounts/{stranger.id}/{action}",
                                  headers=me.headers)
        assert r.status_code == 404, action


async def test_endorsements_need_tokens_and_scopes(api: Api) -> None:
    admin, member = await network_with_password_grant(api)
    assert (await api.client.get("/api/v1/endorsements")).status_code == 401
    assert (await api.client.post(f"/api/v1/accounts/{admin.id}/pin")).status_code == 401
    read_only = await token_with(api, member, "read")
    r = await api.client.post(f"/api/v1/accounts/{admin.id}/pin", headers=read_only)
    assert r.status_code == 403
    write_only = await token_with(api, member, "write")
    assert (await api.client.get("/api/v1/endorsements", headers=write_only)).status_code == 403
