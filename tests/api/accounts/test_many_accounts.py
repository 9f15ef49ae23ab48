"""Account routes Mastodon clients call that answered 405: several profiles at once
(`GET /api/v1/accounts?id[]=`) and an account's featured tags."""

from __future__ import annotations

from tests.helpers import Api, other_domain


async def test_several_profiles_at_once_in_the_order_asked(api: Api) -> None:
    me, first, second = await api.user(), await api.user(), await api.user()
    stranger = await api.user(domain=other_domain())
    r = await api.client.get("/api/v1/accounts", headers=me.headers, params=[
        ("id[]", second.id), ("id[]", "999999999999"), ("id[]", stranger.id),
        ("id[]", first.id), ("id[]", second.id), ("id[]", "not-an-id")])
    assert r.status_code == 200, r.text
    # Unknown ids and another network's account are left out alike; repeats once.
    assert [a["id"] for a in r.json()] == [second.id, first.id]
    assert r.json()[1]["username"] == first.username


async def test_several_profiles_need_a_signed_in_reader(api: Api) -> None:
    someone = await api.user()
    r = await api.client.get("/api/v1/accounts", params={"id[]": someone.id})
    assert r.status_code == 401


async def test_featured_tags_are_an_empty_list_for_a_visible_account(api: Api) -> None:
    me, colleague = await api.user(), await api.user()
    stranger = await api.user(domain=other_domain())
    r = await api.client.get(f"/api/v1/accounts/{colleague.id}/featured_tags",
                             headers=me.headers)
    assert r.status_code == 200 and r.json() == []
    hidden = await api.client.get(f"/api/v1/accounts/{stranger.id}/featured_tags",
                                  headers=me.headers)
    unknown = await api.client.get("/api/v1/accounts/999999999999/featured_tags",
                                   headers=me.headers)
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json() == unknown.json()
