"""SCIM Groups: communities of the token's network, members in and out."""

from __future__ import annotations

from typing import Any

from tests.helpers import Api, unique
from tests.helpers.scim import (
    GROUP,
    assert_scim_error,
    create_user,
    directory,
    patch_body,
)


def group_body(name: str, *member_ids: str) -> dict[str, Any]:
    return {"schemas": [GROUP], "displayName": name, "externalId": unique("g"),
            "members": [{"value": i} for i in member_ids]}


async def test_groups_are_communities_with_members_in_and_out(api: Api) -> None:
    d = await directory(api)
    ada, bob = await create_user(api, d), await create_user(api, d)
    name = unique("Engineering ")
    r = await api.client.post("/scim/v2/Groups", headers=d.headers,
                              json=group_body(name, ada["id"]))
    assert r.status_code == 201, r.text
    group = r.json()
    assert group["displayName"] == name and group["meta"]["resourceType"] == "Group"
    assert [m["value"] for m in group["members"]] == [ada["id"]]
    assert group["members"][0]["$ref"].endswith(f"/Users/{ada['id']}")
    r = await api.client.get("/scim/v2/Groups", headers=d.headers,
                             params={"filter": f'displayName eq "{name}"'})
    assert r.json()["totalResults"] == 1 and r.json()["Resources"][0]["id"] == group["id"]
    url = f"/scim/v2/Groups/{group['id']}"
    r = await api.client.patch(url, headers=d.headers, json=patch_body(
        {"op": "add", "path": "members", "value": [{"value": bob["id"]}]},
        {"op": "remove", "path": f'members[value eq "{ada["id"]}"]'}))
    assert r.status_code == 200, r.text
    assert [m["value"] for m in r.json()["members"]] == [bob["id"]]
    # The community is Hubbub's: its members are the group's.
    r = await api.client.get(f"/api/hubbub/v1/communities/{group['id']}/members",
                             headers=d.admin.headers)
    assert r.status_code == 200, r.text
    assert [a["id"] for a in r.json()] == [bob["id"]]
    renamed = unique("Research ")
    r = await api.client.put(url, headers=d.headers, json=group_body(renamed))
    assert r.status_code == 200 and r.json()["displayName"] == renamed
    assert "members" not in r.json()
    r = await api.client.delete(url, headers=d.headers)
    assert r.status_code == 204
    assert_scim_error(await api.client.get(url, headers=d.headers), 404)


async def test_group_refusals(api: Api) -> None:
    d, other = await directory(api), await directory(api)
    stranger = await create_user(api, other)
    name = unique("Sales ")
    r = await api.client.post("/scim/v2/Groups", headers=d.headers,
                              json=group_body(name, stranger["id"]))
    assert_scim_error(r, 400, "invalidValue")  # another network's user is nobody here
    r = await api.client.get("/scim/v2/Groups", headers=d.headers)
    assert r.json()["totalResults"] == 0  # nothing half-made
    r = await api.client.post("/scim/v2/Groups", headers=d.headers, json=group_body(name))
    assert r.status_code == 201
    r = await api.client.post("/scim/v2/Groups", headers=d.headers, json=group_body(name))
    assert_scim_error(r, 409, "uniqueness")
    r = await api.client.post("/scim/v2/Groups", headers=d.headers,
                              json={"schemas": [GROUP], "members": []})
    assert_scim_error(r, 400, "invalidValue")
    r = await api.client.get("/scim/v2/Groups", headers=d.headers,
                             params={"filter": 'members eq "1"'})
    assert_scim_error(r, 400, "invalidFilter")
    theirs = await api.client.post("/scim/v2/Groups", headers=other.headers,
                                   json=group_body(unique("G ")))
    url = f"/scim/v2/Groups/{theirs.json()['id']}"
    assert_scim_error(await api.client.get(url, headers=d.headers), 404)
    assert_scim_error(await api.client.delete(url, headers=d.headers), 404)
    assert_scim_error(await api.client.patch(url, headers=d.headers, json=patch_body(
        {"op": "add", "path": "members", "value": []})), 404)
