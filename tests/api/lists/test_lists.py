"""Lists: CRUD, members (followees only), and the list timeline that fanout keeps."""

from __future__ import annotations

from tests.helpers import Api


async def test_list_crud_members_and_timeline(api: Api) -> None:
    me, friend, other = await api.user(), await api.user(), await api.user()
    await api.follow(me, friend)
    await api.follow(me, other)
    before = await api.post(friend, "posted before being listed")
    r = await api.client.post("/api/v1/lists", headers=me.headers, json={"title": "Team"})
    assert r.status_code == 200
    team = r.json()
    assert team["title"] == "Team" and team["replies_policy"] == "list"

    r = await api.client.post(f"/api/v1/lists/{team['id']}/accounts", headers=me.headers,
                              json={"account_ids": [friend.id]})
    assert r.status_code == 200
    await api.idle()
    members = (await api.client.get(f"/api/v1/lists/{team['id']}/accounts",
                                    headers=me.headers)).json()
    assert [a["id"] for a in members] == [friend.id]
    listed = (await api.client.get(f"/api/v1/accounts/{friend.id}/lists",
                                   headers=me.headers)).json()
    assert [item["id"] for item in listed] == [team["id"]]

    after = await api.post(friend, "posted after")
    await api.post(other, "not on the list")
    await api.idle()
    timeline = await api.client.get(f"/api/v1/timelines/list/{team['id']}", headers=me.headers)
    assert [s["id"] for s in timeline.json()] == [after["id"], before["id"]]

    await api.client.request("DELETE", f"/api/v1/lists/{team['id']}/accounts",
                             headers=me.headers, json={"account_ids": [friend.id]})
    await api.idle()
    timeline = await api.client.get(f"/api/v1/timelines/list/{team['id']}", headers=me.headers)
    assert timeline.json() == []

    r = await api.client.put(f"/api/v1/lists/{team['id']}", headers=me.headers,
                             json={"title": "Renamed", "replies_policy": "none"})
    assert r.json()["title"] == "Renamed"
    assert [x["title"] for x in (await api.client.get("/api/v1/lists",
                                                      headers=me.headers)).json()] == ["Renamed"]
    r = await api.client.delete(f"/api/v1/lists/{team['id']}", headers=me.headers)
    assert r.status_code == 200
    assert (await api.client.get(f"/api/v1/lists/{team['id']}",
                                 headers=me.headers)).status_code == 404


async def test_lists_are_private_and_validated(api: Api) -> None:
    me, stranger, nobody = await api.user(), await api.user(), await api.user()
    mine = (await api.client.post("/api/v1/lists", headers=me.headers,
                                  json={"title": "Mine"})).json()
    for path in (f"/api/v1/lists/{mine['id']}", f"/api/v1/timelines/list/{mine['id']}",
                 f"/api/v1/lists/{mine['id']}/accounts"):
        assert (await api.client.get(path, headers=stranger.headers)).status_code == 404
    r = await api.client.post(f"/api/v1/lists/{mine['id']}/accounts", headers=me.headers,
                              json={"account_ids": [nobody.id]})
    assert r.status_code == 422  # only followed accounts
    for body in ({"title": ""}, {"title": "x", "replies_policy": "all"}, {}):
        r = await api.client.post("/api/v1/lists", headers=me.headers, json=body)
        assert r.status_code == 422, body
