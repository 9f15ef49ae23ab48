"""GET /api/v1/trends/links: the links most shared in the reader's network's public posts over
the last week (preview cards with their daily history); and GET /api/v1/timelines/link, the
statuses sharing one."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.helpers import Api, User, other_domain, unique
from tests.helpers.communities import share_community
from tests.helpers.link_pages import LinkPages
from tests.helpers.statuses import act


@pytest.fixture(scope="module")
def site() -> Iterator[LinkPages]:
    with LinkPages() as pages:
        yield pages


async def trending(api: Api, user: User, **params: object) -> list[dict]:
    r = await api.client.get("/api/v1/trends/links", headers=user.headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def test_trending_links_count_sharers_in_the_readers_network(api: Api, site: LinkPages
                                                                    ) -> None:
    domain = other_domain()
    ann, bob, cy, dee = [await api.user(domain=domain) for _ in range(4)]
    elsewhere = other_domain()
    outsider, neighbour = [await api.user(domain=elsewhere) for _ in range(2)]
    posted_on = int(time.time() // 86_400) * 86_400
    a, b, c, d, e = (site.url(f"/page/{unique(x)}") for x in "abcde")
    await api.post(ann, f"read {a}")
    shared = await api.post(bob, f"also {a}")
    assert (await act(api, dee, shared["id"], "reblog")).status_code == 200  # a share too
    await api.post(cy, f"mine {b}")
    await api.post(cy, f"mine again {b}")
    await api.post(dee, f"quietly {c}", visibility="private")
    await api.post(dee, f"unlisted {c}", visibility="unlisted")
    community = await share_community(api, ann, bob, cy, dee)
    await api.post(ann, f"inside {d}", community_id=str(community))
    gone = await api.post(bob, f"soon gone {e}")
    r = await api.client.delete(f"/api/v1/statuses/{gone['id']}", headers=bob.headers)
    assert r.status_code == 200, r.text
    await api.post(ann, f"no page {site.url('/json?' + unique('q'))}")  # no card: no trend
    for n in range(3):
        await api.post(outsider, f"elsewhere {n} {b}")
    await api.post(neighbour, f"elsewhere too {e}")
    await api.idle()

    links = await trending(api, ann)
    # a: ann, bob and dee's reblog (3 people); b: cy twice (1 person, 2 shares).
    assert [link["url"] for link in links] == [a, b]
    first = links[0]
    assert first["title"].startswith("Title ") and first["type"] == "link"
    assert first["image"] is None and first["provider_name"] == "Link pages"
    assert len(first["history"]) == 7
    today = int(time.time() // 86_400) * 86_400
    days = [int(h["day"]) for h in first["history"]]
    assert days == [days[0] - n * 86_400 for n in range(7)] and days[0] in (today, posted_on)
    assert [h for h in first["history"] if h["uses"] != "0"] == [
        {"day": str(posted_on), "uses": "3", "accounts": "3"}]
    assert [h for h in links[1]["history"] if h["uses"] != "0"] == [
        {"day": str(posted_on), "uses": "2", "accounts": "1"}]

    assert [link["url"] for link in await trending(api, outsider)] == [b, e]
    r = await api.client.get("/api/v1/trends/links", headers=ann.headers,
                             params={"limit": 1, "offset": 1})
    assert [link["url"] for link in r.json()] == [b]
    assert 'offset=2>; rel="next"' in r.headers["link"]
    assert await trending(api, ann, offset=2) == []


async def test_the_link_timeline_lists_the_networks_public_statuses_sharing_it(
        api: Api, site: LinkPages) -> None:
    domain = other_domain()
    ann, bob = [await api.user(domain=domain) for _ in range(2)]
    outsider = await api.user(domain=other_domain())
    link = site.url(f"/page/{unique('t')}")
    first = await api.post(ann, f"read {link}")
    await api.post(bob, f"followers only {link}", visibility="private")
    second = await api.post(bob, f"public {link}")
    await api.post(bob, f"other {site.url('/page/' + unique('o'))}")
    elsewhere = await api.post(outsider, f"elsewhere {link}")
    await api.idle()

    r = await api.client.get("/api/v1/timelines/link", headers=ann.headers,
                             params={"url": link})
    assert r.status_code == 200, r.text
    assert [s["id"] for s in r.json()] == [second["id"], first["id"]]
    assert r.json()[0]["card"]["url"] == link
    r = await api.client.get("/api/v1/timelines/link", headers=ann.headers,
                             params={"url": link, "limit": 1})
    assert [s["id"] for s in r.json()] == [second["id"]]
    assert f"max_id={second['id']}" in r.headers["link"]
    r = await api.client.get("/api/v1/timelines/link", headers=ann.headers,
                             params={"url": link, "max_id": second["id"]})
    assert [s["id"] for s in r.json()] == [first["id"]]
    r = await api.client.get("/api/v1/timelines/link", headers=outsider.headers,
                             params={"url": link})
    assert [s["id"] for s in r.json()] == [elsewhere["id"]]

    r = await api.client.get("/api/v1/timelines/link", headers=ann.headers)
    assert r.status_code == 422 and "url" in r.text
    r = await api.client.get("/api/v1/timelines/link", params={"url": link})
    assert r.status_code == 401


async def test_trending_links_need_a_signed_in_member(api: Api) -> None:
    assert (await api.client.get("/api/v1/trends/links")).status_code == 401
    r = await api.client.get("/api/v1/trends/links", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
