"""The network's public timeline and hashtag timelines."""

from __future__ import annotations

from tests.helpers import Api, unique


async def ids(api: Api, user, path: str, **params) -> list[str]:
    r = await api.client.get(path, headers=user.headers, params=params)
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json()]


async def test_public_timeline_is_the_readers_network(api: Api) -> None:
    domain = f"{unique('n')}.test"
    author, reader = await api.user(domain=domain), await api.user(domain=domain)
    outsider = await api.user(domain=f"{unique('o')}.test")
    shown = await api.post(author, "for the whole company")
    await api.post(author, "quietly", visibility="unlisted")
    await api.post(author, "followers only", visibility="private")
    await api.idle()
    assert await ids(api, reader, "/api/v1/timelines/public") == [shown["id"]]
    assert await ids(api, reader, "/api/v1/timelines/public", local="true") == [shown["id"]]
    assert await ids(api, outsider, "/api/v1/timelines/public") == []
    assert (await api.client.get("/api/v1/timelines/public")).status_code == 401


async def test_tag_timeline_with_any_all_none(api: Api) -> None:
    domain = f"{unique('n')}.test"
    author, reader = await api.user(domain=domain), await api.user(domain=domain)
    outsider = await api.user(domain=f"{unique('o')}.test")
    a = await api.post(author, "#alpha only")
    ab = await api.post(author, "#alpha and #beta")
    b = await api.post(author, "#beta only")
    await api.post(author, "#alpha but private", visibility="private")
    await api.idle()
    path = "/api/v1/timelines/tag/alpha"
    assert await ids(api, reader, path) == [ab["id"], a["id"]]
    assert await ids(api, reader, path, **{"any[]": "beta"}) == [b["id"], ab["id"], a["id"]]
    assert await ids(api, reader, path, **{"all[]": "beta"}) == [ab["id"]]
    assert await ids(api, reader, path, **{"none[]": "beta"}) == [a["id"]]
    assert await ids(api, reader, "/api/v1/timelines/tag/Alpha") == [ab["id"], a["id"]]
    assert await ids(api, outsider, path) == []
    r = await api.client.get(path, headers=reader.headers, params={"limit": 1})
    assert len(r.json()) == 1 and f"max_id={ab['id']}" in r.headers["link"]


async def test_deleted_status_leaves_public_and_tag_timelines(api: Api) -> None:
    domain = f"{unique('n')}.test"
    author = await api.user(domain=domain)
    status = await api.post(author, "#gone soon")
    await api.idle()
    await api.client.delete(f"/api/v1/statuses/{status['id']}", headers=author.headers)
    await api.idle()
    assert await ids(api, author, "/api/v1/timelines/public") == []
    assert await ids(api, author, "/api/v1/timelines/tag/gone") == []
