"""SCIM tokens: made by a network's admins (shown once), listed, revoked; SCIM answers only
to a live one (never to an OAuth token), 401 in SCIM's error shape otherwise."""

from __future__ import annotations

from tests.helpers import Api
from tests.helpers.scim import assert_scim_error, directory

TOKENS = "/api/hubbub/v1/network/scim_tokens"


async def test_admins_make_list_and_revoke_tokens(api: Api) -> None:
    d = await directory(api, label="okta")
    r = await api.client.get(TOKENS, headers=d.admin.headers)
    assert r.status_code == 200, r.text
    [listed] = r.json()
    assert listed["id"] == d.token_id and listed["label"] == "okta"
    assert "token" not in listed and listed["created_at"]
    r = await api.client.get("/scim/v2/Users", headers=d.headers)
    assert r.status_code == 200, r.text
    r = await api.client.get(TOKENS, headers=d.admin.headers)
    assert r.json()[0]["last_used_at"] is not None
    r = await api.client.delete(f"{TOKENS}/{d.token_id}", headers=d.admin.headers)
    assert r.status_code == 200, r.text
    assert (await api.client.get(TOKENS, headers=d.admin.headers)).json() == []
    assert_scim_error(await api.client.get("/scim/v2/Users", headers=d.headers), 401)
    r = await api.client.delete(f"{TOKENS}/{d.token_id}", headers=d.admin.headers)
    assert r.status_code == 404


async def test_members_and_other_admins_cannot_touch_tokens(api: Api) -> None:
    d, other = await directory(api), await directory(api)
    member = await api.user(domain=d.domain)
    for r in (await api.client.post(TOKENS, headers=member.headers, json={}),
              await api.client.get(TOKENS, headers=member.headers),
              await api.client.delete(f"{TOKENS}/{d.token_id}", headers=member.headers)):
        assert r.status_code == 403, r.text
    # Another network's admin: not theirs to revoke (404, as if it did not exist).
    r = await api.client.delete(f"{TOKENS}/{d.token_id}", headers=other.admin.headers)
    assert r.status_code == 404
    assert (await api.client.get("/scim/v2/Users", headers=d.headers)).status_code == 200


async def test_scim_refuses_missing_wrong_and_oauth_tokens(api: Api) -> None:
    d = await directory(api)
    for headers in ({}, {"Authorization": "Bearer nope"},
                    {"Authorization": f"Bearer {d.token}x"}, d.admin.headers):
        for method, url in (("GET", "/scim/v2/Users"), ("POST", "/scim/v2/Users"),
                            ("GET", "/scim/v2/ServiceProviderConfig"),
                            ("GET", "/scim/v2/Groups/1"), ("GET", "/scim/v2/nowhere")):
            r = await api.client.request(method, url, headers=headers)
            assert_scim_error(r, 401)
            assert r.headers["www-authenticate"].startswith("Bearer")


async def test_discovery_and_unknown_paths(api: Api) -> None:
    d = await directory(api)
    spc = (await api.client.get("/scim/v2/ServiceProviderConfig", headers=d.headers)).json()
    assert spc["patch"]["supported"] is True and spc["bulk"]["supported"] is False
    types = (await api.client.get("/scim/v2/ResourceTypes", headers=d.headers)).json()
    assert {t["id"] for t in types["Resources"]} == {"User", "Group"}
    schemas = (await api.client.get("/scim/v2/Schemas", headers=d.headers)).json()
    assert len(schemas["Resources"]) == 2
    assert_scim_error(await api.client.get("/scim/v2/nowhere", headers=d.headers), 404)
    r = await api.client.post("/scim/v2/ServiceProviderConfig", headers=d.headers)
    assert r.status_code == 405
