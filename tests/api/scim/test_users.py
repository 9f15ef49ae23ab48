"""SCIM Users (RFC 7644) as a directory uses them: create, read, filter, page, replace, patch
(Entra ID's shapes included), delete; and the refusals."""

from __future__ import annotations

from tests.helpers import Api, other_domain, unique
from tests.helpers.scim import (
    USER,
    assert_scim_error,
    create_user,
    directory,
    patch_body,
    user_body,
)


async def test_a_directory_creates_a_member_who_can_be_found(api: Api) -> None:
    d = await directory(api)
    made = await create_user(api, d, displayName="Ada L.")
    assert made["schemas"] == [USER] and made["userName"].endswith("@" + d.domain)
    assert made["active"] is True and made["displayName"] == "Ada L."
    meta = made["meta"]
    assert meta["resourceType"] == "User" and meta["location"].endswith(f"/Users/{made['id']}")
    assert meta["version"] and meta["created"] and meta["lastModified"]
    r = await api.client.get(f"/scim/v2/Users/{made['id']}", headers=d.headers)
    assert r.status_code == 200 and r.json() == made
    assert r.headers["content-type"].startswith("application/scim+json")
    assert r.headers["etag"] == meta["version"]
    # The account is a member of the network at once: the directory vouches for it.
    r = await api.client.get(f"/api/v1/accounts/{made['id']}", headers=d.admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["display_name"] == "Ada L."
    assert r.json()["username"] == made["userName"].partition("@")[0]


async def test_usernames_are_made_unique(api: Api) -> None:
    d = await directory(api)
    local = unique("x")
    await create_user(api, d, local=local)
    other = await create_user(api, d, local=local + ".")  # the same handle once cleaned
    r = await api.client.get(f"/api/v1/accounts/{other['id']}", headers=d.admin.headers)
    assert r.json()["username"] == local + "2"


async def test_filter_and_paging(api: Api) -> None:
    d = await directory(api)
    made = [await create_user(api, d) for _ in range(3)]
    target = made[1]
    for query in (f'userName eq "{target["userName"].upper()}"',
                  f'externalId eq "{target["externalId"]}"',
                  f'emails.value eq "{target["userName"]}"'):
        r = await api.client.get("/scim/v2/Users", headers=d.headers, params={"filter": query})
        assert r.status_code == 200, r.text
        assert r.json()["totalResults"] == 1 and r.json()["Resources"][0]["id"] == target["id"]
    r = await api.client.get("/scim/v2/Users", headers=d.headers,
                             params={"filter": 'userName eq "nobody@x.test"'})
    assert r.json()["totalResults"] == 0 and r.json()["Resources"] == []
    r = await api.client.get("/scim/v2/Users", headers=d.headers,
                             params={"startIndex": 2, "count": 2})
    page = r.json()
    assert page["totalResults"] == 3 and page["startIndex"] == 2
    assert [u["id"] for u in page["Resources"]] == [made[1]["id"], made[2]["id"]]
    r = await api.client.get("/scim/v2/Users", headers=d.headers,
                             params={"attributes": "userName"})
    assert set(r.json()["Resources"][0]) == {"schemas", "id", "userName"}


async def test_replace_and_patch(api: Api) -> None:
    d = await directory(api)
    made = await create_user(api, d)
    body = user_body(d, displayName="Countess")
    body["userName"] = made["userName"]
    r = await api.client.put(f"/scim/v2/Users/{made['id']}", headers=d.headers, json=body)
    assert r.status_code == 200, r.text
    assert r.json()["displayName"] == "Countess" and r.json()["meta"]["version"] != \
        made["meta"]["version"]
    r = await api.client.patch(f"/scim/v2/Users/{made['id']}", headers=d.headers, json=patch_body(
        {"op": "Replace", "path": "name.givenName", "value": "Augusta"},
        {"op": "add", "path": 'emails[type eq "home"].value', "value": "ada@home.test"},
        {"op": "remove", "path": "externalId"}))
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["name"]["givenName"] == "Augusta" and "externalId" not in changed
    assert {"value": "ada@home.test", "type": "home"} in changed["emails"]


async def test_patch_active_false_deactivates_and_true_reactivates(api: Api) -> None:
    d = await directory(api)
    made = await create_user(api, d)
    # Entra ID's shape: no path, the value an object.
    r = await api.client.patch(f"/scim/v2/Users/{made['id']}", headers=d.headers,
                               json=patch_body({"op": "replace", "value": {"active": False}}))
    assert r.status_code == 200 and r.json()["active"] is False, r.text
    r = await api.client.get(f"/api/v1/accounts/{made['id']}", headers=d.admin.headers)
    assert r.status_code == 404
    r = await api.client.patch(f"/scim/v2/Users/{made['id']}", headers=d.headers,
                               json=patch_body({"op": "replace", "path": "active",
                                                "value": True}))
    assert r.status_code == 200 and r.json()["active"] is True, r.text
    r = await api.client.get(f"/api/v1/accounts/{made['id']}", headers=d.admin.headers)
    assert r.status_code == 200


async def test_delete_deactivates_and_answers_404_since(api: Api) -> None:
    d = await directory(api)
    made = await create_user(api, d)
    r = await api.client.delete(f"/scim/v2/Users/{made['id']}", headers=d.headers)
    assert r.status_code == 204, r.text
    r = await api.client.get(f"/scim/v2/Users/{made['id']}", headers=d.headers)
    assert_scim_error(r, 404)
    r = await api.client.delete(f"/scim/v2/Users/{made['id']}", headers=d.headers)
    assert_scim_error(r, 404)
    r = await api.client.get(f"/api/v1/accounts/{made['id']}", headers=d.admin.headers)
    assert r.status_code == 404


async def test_taken_user_name_is_409_uniqueness(api: Api) -> None:
    d = await directory(api)
    made = await create_user(api, d)
    body = user_body(d)
    body["userName"] = made["userName"].upper()
    r = await api.client.post("/scim/v2/Users", headers=d.headers, json=body)
    assert_scim_error(r, 409, "uniqueness")


async def test_existing_members_are_matched_by_user_name(api: Api) -> None:
    """Directories match accounts that exist before they were connected by userName: a
    member who signed up becomes the directory's; once only."""
    d = await directory(api)
    member = await api.user(domain=d.domain)
    body = {**user_body(d), "userName": member.email}
    r = await api.client.post("/scim/v2/Users", headers=d.headers, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["id"] == member.id
    r = await api.client.post("/scim/v2/Users", headers=d.headers, json=body)
    assert_scim_error(r, 409, "uniqueness")
    # Another network's directory cannot take it (its domain is not theirs, either way).
    other = await directory(api)
    r = await api.client.post("/scim/v2/Users", headers=other.headers, json=body)
    assert r.status_code in (400, 409), r.text


async def test_deleted_then_created_again(api: Api) -> None:
    d = await directory(api)
    made = await create_user(api, d)
    assert (await api.client.delete(f"/scim/v2/Users/{made['id']}",
                                    headers=d.headers)).status_code == 204
    body = {**user_body(d), "userName": made["userName"]}
    del body["active"]
    r = await api.client.post("/scim/v2/Users", headers=d.headers, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["id"] == made["id"]
    r = await api.client.get(f"/api/v1/accounts/{made['id']}", headers=d.admin.headers)
    assert r.status_code == 200


async def test_bodies_breaking_the_schema_are_400_and_change_nothing(api: Api) -> None:
    d = await directory(api)
    bad = [
        ({**user_body(d), "userName": "not-an-address"}, "invalidValue"),
        ({**user_body(d), "userName": f"{unique()}@{other_domain()}"}, "invalidValue"),
        ({**user_body(d), "active": "maybe"}, "invalidValue"),
        ({**user_body(d), "emails": [{"type": "work"}]}, "invalidValue"),
        ({**user_body(d), "name": "Ada"}, "invalidValue"),
        ({k: v for k, v in user_body(d).items() if k != "userName"}, "invalidValue"),
        ({**user_body(d), "schemas": []}, "invalidSyntax"),
    ]
    for body, scim_type in bad:
        r = await api.client.post("/scim/v2/Users", headers=d.headers, json=body)
        assert_scim_error(r, 400, scim_type)
    r = await api.client.post("/scim/v2/Users", headers=d.headers, content=b"{not json")
    assert_scim_error(r, 400, "invalidSyntax")
    r = await api.client.get("/scim/v2/Users", headers=d.headers)
    assert r.json()["totalResults"] == 0  # nothing was created
    made = await create_user(api, d)
    for ops in ([{"op": "replace", "path": "userName", "value": "nobody"}],
                [{"op": "replace", "path": "active", "value": 3}],
                [{"op": "explode", "path": "active"}]):
        r = await api.client.patch(f"/scim/v2/Users/{made['id']}", headers=d.headers,
                                   json=patch_body(*ops))
        assert r.status_code == 400, r.text
    r = await api.client.get(f"/scim/v2/Users/{made['id']}", headers=d.headers)
    assert r.json() == made  # nothing changed


async def test_unsupported_filters_are_400_invalid_filter(api: Api) -> None:
    d = await directory(api)
    for query in ('userName co "a"', 'title eq "x"', 'userName eq "a" or userName eq "b"',
                  "userName eq 3", "garbage"):
        r = await api.client.get("/scim/v2/Users", headers=d.headers, params={"filter": query})
        assert_scim_error(r, 400, "invalidFilter")


async def test_another_networks_users_are_404(api: Api) -> None:
    d, other = await directory(api), await directory(api)
    theirs = await create_user(api, other)
    url = f"/scim/v2/Users/{theirs['id']}"
    assert_scim_error(await api.client.get(url, headers=d.headers), 404)
    body = user_body(other)
    body["userName"] = theirs["userName"]
    assert_scim_error(await api.client.put(url, headers=d.headers, json=body), 404)
    assert_scim_error(await api.client.patch(url, headers=d.headers, json=patch_body(
        {"op": "replace", "path": "active", "value": False})), 404)
    assert_scim_error(await api.client.delete(url, headers=d.headers), 404)
    r = await api.client.get("/scim/v2/Users", headers=d.headers,
                             params={"filter": f'userName eq "{theirs["userName"]}"'})
    assert r.json()["totalResults"] == 0
    # Their admin's account is not a SCIM user of this directory either.
    assert_scim_error(await api.client.get(f"/scim/v2/Users/{other.admin.id}",
                                           headers=d.headers), 404)
    r = await api.client.get(url, headers=other.headers)
    assert r.status_code == 200 and r.json()["active"] is True
