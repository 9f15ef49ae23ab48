"""GET /api/v1/trends/tags: the hashtags most used in the reader's network's public posts over
the last week, with their daily history."""

from __future__ import annotations

import time

from tests.helpers import Api, other_domain


async def test_trending_tags_count_public_posts_of_the_readers_network(api: Api) -> None:
    domain = other_domain()
    ann, bob, cy = [await api.user(domain=domain) for _ in range(3)]
    outsider = await api.user(domain=other_domain())
    posted_on = int(time.time() // 86_400) * 86_400
    await api.post(ann, "kickoff #Alpha")
    await api.post(ann, "more #alpha")
    await api.post(bob, "me too #ALPHA")
    for n in range(3):
        await api.post(cy, f"note {n} #Beta")
    await api.post(cy, "not public #Gamma", visibility="private")
    gone = await api.post(cy, "soon deleted #Delta")
    r = await api.client.delete(f"/api/v1/statuses/{gone['id']}", headers=cy.headers)
    assert r.status_code == 200, r.text
    for n in range(5):  # another network's posts count in its own trends only
        await api.post(outsider, f"elsewhere {n} #Omega #Beta")

    r = await api.client.get("/api/v1/trends/tags", headers=ann.headers)
    assert r.status_code == 200, r.text
    trends = r.json()
    # Ranked by distinct authors, then uses: alpha (2 people), beta (1 person, 3 uses).
    assert [t["name"] for t in trends] == ["alpha", "beta"]
    alpha = trends[0]
    assert alpha["url"].endswith("/tags/alpha") and len(alpha["history"]) == 7
    today = int(time.time() // 86_400) * 86_400
    days = [int(d["day"]) for d in alpha["history"]]
    assert days == [days[0] - n * 86_400 for n in range(7)] and days[0] in (today, posted_on)
    # All on the day they were posted (should midnight pass before the query, yesterday).
    assert [d for d in alpha["history"] if d["uses"] != "0"] == [
        {"day": str(posted_on), "uses": "3", "accounts": "2"}]
    assert [d for d in trends[1]["history"] if d["uses"] != "0"] == [
        {"day": str(posted_on), "uses": "3", "accounts": "1"}]

    r = await api.client.get("/api/v1/trends/tags", headers=ann.headers,
                             params={"limit": 1, "offset": 1})
    assert [t["name"] for t in r.json()] == ["beta"]
    r = await api.client.get("/api/v1/trends/tags", headers=outsider.headers)
    assert [t["name"] for t in r.json()] == ["beta", "omega"]  # same people, same uses: by name
    assert (await api.client.get("/api/v1/trends/tags")).status_code == 401
