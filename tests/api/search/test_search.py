"""GET /api/v2/search: accounts, the hashtag a query names, statuses by this server's URLs."""

from __future__ import annotations

from tests.helpers import Api, other_domain, unique


async def test_search_finds_people_hashtags_and_statuses_by_url(api: Api) -> None:
    domain, stem = other_domain(), unique("s")
    me = await api.user(name=f"{stem}me", domain=domain)
    colleague = await api.user(name=f"{stem}colleague", domain=domain)
    outsider = await api.user(name=f"{stem}outsider", domain=other_domain())
    status = await api.post(colleague, "quarterly #Roadmap review")
    hidden = await api.post(colleague, "for followers only", visibility="private")

    r = await api.client.get("/api/v2/search", headers=me.headers, params={"q": stem})
    assert r.status_code == 200, r.text
    found = r.json()
    assert set(found) == {"accounts", "statuses", "hashtags"}
    ids = {a["id"] for a in found["accounts"]}
    assert {me.id, colleague.id} <= ids and outsider.id not in ids  # another network
    assert found["statuses"] == []  # no full-text index: words find no statuses
    assert [t["name"] for t in found["hashtags"]] == [stem.lower()]  # a word is a tag name

    r = await api.client.get("/api/v2/search", headers=me.headers,
                             params={"q": "#Roadmap", "type": "hashtags"})
    found = r.json()
    assert found["accounts"] == [] and found["statuses"] == []
    [roadmap] = found["hashtags"]
    assert roadmap["name"] == "roadmap" and roadmap["url"].endswith("/tags/roadmap")
    assert roadmap["following"] is False

    # A status URL finds the status, if the reader may see it.
    r = await api.client.get("/api/v2/search", headers=me.headers, params={"q": status["url"]})
    assert [s["id"] for s in r.json()["statuses"]] == [status["id"]]
    r = await api.client.get("/api/v2/search", headers=me.headers, params={"q": hidden["url"]})
    assert r.json()["statuses"] == []
    await api.follow(me, colleague)
    r = await api.client.get("/api/v2/search", headers=me.headers,
                             params={"q": hidden["url"], "type": "statuses"})
    assert [s["id"] for s in r.json()["statuses"]] == [hidden["id"]]

    # Paging goes on in accounts only; limit is capped as Mastodon caps it.
    r = await api.client.get("/api/v2/search", headers=me.headers,
                             params={"q": stem, "offset": 1, "limit": 1})
    page = r.json()
    assert len(page["accounts"]) == 1 and page["hashtags"] == [] and page["statuses"] == []


async def test_search_rejects_bad_requests(api: Api) -> None:
    me = await api.user(domain=other_domain())
    assert (await api.client.get("/api/v2/search", params={"q": "x"})).status_code == 401
    r = await api.client.get("/api/v2/search", headers=me.headers)
    assert r.status_code == 422  # q is required
    r = await api.client.get("/api/v2/search", headers=me.headers,
                             params={"q": "x", "type": "toots"})
    assert r.status_code == 422 and "type" in r.json()["error"]
    # Queries that are no hashtag name (only digits, punctuation) find none, without an error.
    for q in ("12345", "%", "   "):
        r = await api.client.get("/api/v2/search", headers=me.headers, params={"q": q})
        assert r.status_code == 200 and r.json()["hashtags"] == [], q
