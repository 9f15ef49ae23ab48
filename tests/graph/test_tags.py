"""Followed hashtags: follow, unfollow, look up, list; and their public posts reaching the
follower's home timeline through fanout."""

from __future__ import annotations

import pytest

from tests.helpers import Api, User, other_domain, unique


async def follow_tag(api: Api, user: User, name: str) -> dict:
    r = await api.client.post(f"/api/v1/tags/{name}/follow", headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def tag_events(api: Api, user: User) -> int:
    return await api.stack.graph.pool.fetchval(
        "SELECT count(*) FROM outbox WHERE subject = 'hubbub.evt.graph.tag.followed' "
        "AND convert_from(payload, 'UTF8') LIKE '%' || $1 || '%'", user.id)


async def test_follow_unfollow_and_look_up_a_tag(api: Api) -> None:
    me = await api.user()
    name = unique("Tag")
    r = await api.client.get(f"/api/v1/tags/{name}", headers=me.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"id": name.lower(), "name": name.lower(),
                        "url": f"{api.stack.base_url}/tags/{name.lower()}", "history": [],
                        "following": False}
    assert (await follow_tag(api, me, name))["following"] is True
    assert (await follow_tag(api, me, name.upper()))["following"] is True  # twice: one follow
    assert await tag_events(api, me) == 1
    r = await api.client.get(f"/api/v1/tags/{name}", headers=me.headers)
    assert r.json()["following"] is True
    r = await api.client.get(f"/api/v1/tags/{name}")  # anonymous: the tag, not following
    assert r.status_code == 200 and r.json()["following"] is False
    r = await api.client.post(f"/api/v1/tags/{name}/unfollow", headers=me.headers)
    assert r.status_code == 200 and r.json()["following"] is False
    r = await api.client.post(f"/api/v1/tags/{name}/unfollow", headers=me.headers)
    assert r.status_code == 200 and r.json()["following"] is False
    assert (await api.client.get("/api/v1/followed_tags", headers=me.headers)).json() == []


async def test_unicode_tags_are_stored_lower_case(api: Api) -> None:
    me = await api.user()
    tag = await follow_tag(api, me, "Café_Über")
    assert tag["name"] == "café_über"
    stored = await api.stack.graph.pool.fetchval(
        "SELECT tag FROM followed_tags WHERE account_id = $1", int(me.id))
    assert stored == "café_über"


@pytest.mark.parametrize("name", ["no-dash", "123", "a%20b", "dot.ted", "x" * 101])
async def test_invalid_tag_names_are_422_and_write_nothing(api: Api, name: str) -> None:
    me = await api.user()
    for verb in ("follow", "unfollow"):
        r = await api.client.post(f"/api/v1/tags/{name}/{verb}", headers=me.headers)
        assert r.status_code == 422, r.text
        assert "name" in r.json()["error"]
    r = await api.client.get(f"/api/v1/tags/{name}", headers=me.headers)
    assert r.status_code == 422
    assert await api.stack.graph.pool.fetchval(
        "SELECT count(*) FROM followed_tags WHERE account_id = $1", int(me.id)) == 0
    assert await tag_events(api, me) == 0


async def test_following_needs_a_user(api: Api) -> None:
    r = await api.client.post("/api/v1/tags/anything/follow")
    assert r.status_code == 401
    r = await api.client.post("/api/v1/tags/anything/follow",
                              headers={"Authorization": f"Bearer {await api.app_token()}"})
    assert r.status_code == 422
    assert (await api.client.get("/api/v1/followed_tags")).status_code == 401


async def test_followed_tags_page_with_link(api: Api) -> None:
    me = await api.user()
    names = [unique("t") for _ in range(3)]
    for name in names:
        await follow_tag(api, me, name)
    newest_first = list(reversed(names))
    r = await api.client.get("/api/v1/followed_tags", headers=me.headers, params={"limit": 2})
    assert r.status_code == 200, r.text
    assert [t["name"] for t in r.json()] == newest_first[:2]
    assert all(t["following"] for t in r.json())
    next_url = r.headers["link"].split(";")[0].strip("<>")
    r = await api.client.get(next_url, headers=me.headers)
    assert [t["name"] for t in r.json()] == newest_first[2:]
    prev_url = r.headers["link"].split(", ")[1].split(";")[0].strip("<>")
    r = await api.client.get(prev_url, headers=me.headers)
    assert [t["name"] for t in r.json()] == newest_first[:2]


async def test_followed_tag_brings_public_posts_of_the_network_home(api: Api) -> None:
    domain = other_domain()
    reader, author = await api.user(domain=domain), await api.user(domain=domain)
    foreigner = await api.user(domain=other_domain())
    await follow_tag(api, reader, "launch")
    await api.idle()
    public = await api.post(author, "We have #Launch!")
    private = await api.post(author, "Quiet #launch", visibility="private")
    foreign = await api.post(foreigner, "Our own #launch")
    untagged = await api.post(author, "no tag here")
    await api.idle()
    home = [s["id"] for s in (await api.home(reader)).json()]
    assert public["id"] in home
    assert private["id"] not in home
    assert foreign["id"] not in home
    assert untagged["id"] not in home
