"""The profile directory (GET /api/v1/directory: the reader's network's discoverable members)
and familiar followers (GET /api/v1/accounts/familiar_followers)."""

from __future__ import annotations

from tests.helpers import Api, other_domain
from tests.helpers.scoped import network_with_password_grant, token_with


async def test_the_directory_is_the_readers_network_only(api: Api) -> None:
    domain = other_domain()
    first, second = await api.user(domain=domain), await api.user(domain=domain)
    hidden = await api.user(domain=domain)
    r = await api.client.patch("/api/v1/accounts/update_credentials", headers=hidden.headers,
                               json={"discoverable": False})
    assert r.status_code == 200
    outsider = await api.user()  # acme.test: another network
    r = await api.client.get("/api/v1/directory", headers=first.headers, params={"order": "new"})
    assert r.status_code == 200
    assert [a["id"] for a in r.json()] == [second.id, first.id]
    assert outsider.id not in [a["id"] for a in r.json()]
    assert set(r.json()[0]) >= {"id", "username", "acct", "display_name", "avatar"}


async def test_active_order_offset_and_limit(api: Api) -> None:
    domain = other_domain()
    quiet, chatty, newest = (await api.user(domain=domain), await api.user(domain=domain),
                             await api.user(domain=domain))
    await api.post(quiet, "once")
    await api.post(chatty, "later")
    await api.idle()  # graph counts statuses (last_status_at) from posts' events
    r = await api.client.get("/api/v1/directory", headers=quiet.headers,
                             params={"order": "active", "local": "true"})
    assert [a["id"] for a in r.json()] == [chatty.id, quiet.id, newest.id]
    r = await api.client.get("/api/v1/directory", headers=quiet.headers,
                             params={"offset": 1, "limit": 1})
    assert [a["id"] for a in r.json()] == [quiet.id]
    r = await api.client.get("/api/v1/directory", headers=quiet.headers, params={"offset": -1})
    assert r.status_code == 422
    r = await api.client.get("/api/v1/directory", headers=quiet.headers,
                             params={"limit": "many"})
    assert r.status_code == 422


async def test_the_directory_needs_a_members_token(api: Api) -> None:
    admin, member = await network_with_password_grant(api)
    assert (await api.client.get("/api/v1/directory")).status_code == 401
    app_token = {"Authorization": f"Bearer {await api.app_token()}"}
    assert (await api.client.get("/api/v1/directory", headers=app_token)).status_code == 422
    write_only = await token_with(api, member, "write")
    assert (await api.client.get("/api/v1/directory", headers=write_only)).status_code == 403


async def test_familiar_followers_are_the_readers_followees_among_followers(api: Api) -> None:
    me, friend, other_friend, target, lonely = [await api.user() for _ in range(5)]
    outsider = await api.user(domain=other_domain())
    await api.follow(me, friend)
    await api.follow(me, other_friend)
    await api.follow(friend, target)
    await api.follow(other_friend, target)
    r = await api.client.get("/api/v1/accounts/familiar_followers", headers=me.headers,
                             params=[("id[]", target.id), ("id[]", lonely.id),
                                     ("id[]", outsider.id), ("id[]", "nope")])
    assert r.status_code == 200
    by_id = {item["id"]: [a["id"] for a in item["accounts"]] for item in r.json()}
    assert set(by_id) == {target.id, lonely.id}  # another network's account is left out
    assert sorted(by_id[target.id]) == sorted([friend.id, other_friend.id])
    assert by_id[lonely.id] == []


async def test_familiar_followers_need_a_token_with_read_follows(api: Api) -> None:
    admin, member = await network_with_password_grant(api)
    path = "/api/v1/accounts/familiar_followers"
    assert (await api.client.get(path, params={"id[]": admin.id})).status_code == 401
    r = await api.client.get(path, params={"id[]": admin.id},
                             headers=await token_with(api, member, "read:accounts"))
    assert r.status_code == 403
