"""Featured hashtags: the reader's own (GET/POST /api/v1/featured_tags, DELETE by id), any
visible account's (GET /api/v1/accounts/:id/featured_tags), suggestions from the reader's most
used tags, and Mastodon 4.4's POST /api/v1/tags/:id/feature and /unfeature. At most 10."""

from __future__ import annotations

import time

from tests.helpers import Api, other_domain, unique
from tests.helpers.scoped import network_with_password_grant, token_with


async def test_a_featured_tag_counts_its_owners_public_statuses(api: Api) -> None:
    me, reader = await api.user(), await api.user()
    tag = unique("t")
    await api.post(me, f"one #{tag}")
    await api.post(me, f"two #{tag}", visibility="unlisted")
    await api.post(me, f"followers only #{tag}", visibility="private")
    await api.post(reader, f"someone else's #{tag}")
    r = await api.client.post("/api/v1/featured_tags", headers=me.headers,
                              json={"name": f"#{tag.upper()}"})
    assert r.status_code == 200, r.text
    featured = r.json()
    assert featured["name"] == tag.upper()
    assert featured["statuses_count"] == "2"
    assert featured["last_status_at"] == time.strftime("%Y-%m-%d", time.gmtime())
    assert featured["url"].endswith(f"/@{me.username}/tagged/{tag}")
    assert isinstance(featured["id"], str)
    mine = (await api.client.get("/api/v1/featured_tags", headers=me.headers)).json()
    assert mine == [featured]
    theirs = await api.client.get(f"/api/v1/accounts/{me.id}/featured_tags",
                                  headers=reader.headers)
    assert theirs.status_code == 200 and theirs.json() == [featured]


async def test_a_tag_never_used_counts_zero(api: Api) -> None:
    me = await api.user()
    r = await api.client.post("/api/v1/featured_tags", headers=me.headers,
                              data={"name": unique("t")})
    assert r.json()["statuses_count"] == "0" and r.json()["last_status_at"] is None


async def test_featuring_refuses_a_duplicate_a_bad_name_and_an_eleventh(api: Api) -> None:
    me = await api.user()
    names = [unique("t") for _ in range(10)]
    for name in names:
        r = await api.client.post("/api/v1/featured_tags", headers=me.headers,
                                  json={"name": name})
        assert r.status_code == 200, r.text
    again = await api.client.post("/api/v1/featured_tags", headers=me.headers,
                                  json={"name": names[0].upper()})
    assert again.status_code == 422
    eleventh = await api.client.post("/api/v1/featured_tags", headers=me.headers,
                                     json={"name": unique("t")})
    assert eleventh.status_code == 422 and "10" in eleventh.json()["error"]
    for bad in ("two words", "", "1234"):
        r = await api.client.post("/api/v1/featured_tags", headers=me.headers,
                                  json={"name": bad})
        assert r.status_code == 422, bad
    missing = await api.client.post("/api/v1/featured_tags", headers=me.headers, json={})
    assert missing.status_code == 422
    assert len((await api.client.get("/api/v1/featured_tags", headers=me.headers)).json()) == 10


async def test_deleting_a_featured_tag_only_ones_own(api: Api) -> None:
    me, other = await api.user(), await api.user()
    featured = (await api.client.post("/api/v1/featured_tags", headers=me.headers,
                                      json={"name": unique("t")})).json()
    r = await api.client.delete(f"/api/v1/featured_tags/{featured['id']}", headers=other.headers)
    assert r.status_code == 404
    r = await api.client.delete(f"/api/v1/featured_tags/{featured['id']}", headers=me.headers)
    assert r.status_code == 200 and r.json() == {}
    assert (await api.client.get("/api/v1/featured_tags", headers=me.headers)).json() == []
    r = await api.client.delete(f"/api/v1/featured_tags/{featured['id']}", headers=me.headers)
    assert r.status_code == 404


async def test_suggestions_are_the_most_used_tags_not_featured(api: Api) -> None:
    me = await api.user()
    often, sometimes, featured = unique("t"), unique("t"), unique("t")
    for _ in range(3):
        await api.post(me, f"#{often} #{featured}")
    await api.post(me, f"#{sometimes}")
    await api.post(me, f"#{unique('t')}", visibility="direct")  # not public: not suggested
    await api.client.post("/api/v1/featured_tags", headers=me.headers, json={"name": featured})
    r = await api.client.get("/api/v1/featured_tags/suggestions", headers=me.headers)
    assert r.status_code == 200
    assert [t["name"] for t in r.json()] == [often, sometimes]
    assert r.json()[0]["url"].endswith(f"/tags/{often}")


async def test_tags_feature_and_unfeature(api: Api) -> None:
    me = await api.user()
    tag = unique("t")
    for _ in range(2):  # featuring twice is no error
        r = await api.client.post(f"/api/v1/tags/{tag}/feature", headers=me.headers)
        assert r.status_code == 200, r.text
        assert r.json()["name"] == tag and r.json()["featuring"] is True
        assert r.json()["following"] is False
    assert [t["name"] for t in (await api.client.get("/api/v1/featured_tags",
                                                     headers=me.headers)).json()] == [tag]
    for _ in range(2):
        r = await api.client.post(f"/api/v1/tags/{tag}/unfeature", headers=me.headers)
        assert r.status_code == 200 and r.json()["featuring"] is False
    assert (await api.client.get("/api/v1/featured_tags", headers=me.headers)).json() == []
    bad = await api.client.post("/api/v1/tags/not%20a%20tag/feature", headers=me.headers)
    assert bad.status_code == 422


async def test_another_networks_featured_tags_are_not_found(api: Api) -> None:
    me, stranger = await api.user(), await api.user(domain=other_domain())
    await api.client.post("/api/v1/featured_tags", headers=stranger.headers,
                          json={"name": unique("t")})
    r = await api.client.get(f"/api/v1/accounts/{stranger.id}/featured_tags", headers=me.headers)
    assert r.status_code == 404


async def test_featured_tags_need_tokens_and_scopes(api: Api) -> None:
    admin, member = await network_with_password_grant(api)
    assert (await api.client.get("/api/v1/featured_tags")).status_code == 401
    assert (await api.client.get("/api/v1/featured_tags/suggestions")).status_code == 401
    read_only = await token_with(api, member, "read")
    for path in ("/api/v1/featured_tags", f"/api/v1/tags/{unique('t')}/feature"):
        r = await api.client.post(path, headers=read_only, json={"name": unique("t")})
        assert r.status_code == 403, path
    r = await api.client.delete("/api/v1/featured_tags/1", headers=read_only)
    assert r.status_code == 403
