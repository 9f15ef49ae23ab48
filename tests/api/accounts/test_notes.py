"""Private notes (POST /api/v1/accounts/:id/note): kept for their author alone, shown in the
author's Relationship with the account, cleared by an empty comment, 2,000 characters at most."""

from __future__ import annotations

from tests.helpers import Api, other_domain
from tests.helpers.relations import rel
from tests.helpers.scoped import network_with_password_grant, token_with


async def test_a_note_shows_in_its_authors_relationship_only(api: Api) -> None:
    me, other = await api.user(), await api.user()
    r = await api.client.post(f"/api/v1/accounts/{other.id}/note", headers=me.headers,
                              json={"comment": "met at the offsite"})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == other.id and r.json()["note"] == "met at the offsite"
    assert (await rel(api, me, other))["note"] == "met at the offsite"
    assert (await rel(api, other, me))["note"] == ""  # the other account never sees it
    followed = await api.follow(me, other)
    assert followed["note"] == "met at the offsite"  # every Relationship of the author says it


async def test_an_empty_comment_clears_the_note(api: Api) -> None:
    me, other = await api.user(), await api.user()
    await api.client.post(f"/api/v1/accounts/{other.id}/note", headers=me.headers,
                          data={"comment": "x"})
    r = await api.client.post(f"/api/v1/accounts/{other.id}/note", headers=me.headers,
                              data={"comment": ""})
    assert r.status_code == 200 and r.json()["note"] == ""
    assert (await rel(api, me, other))["note"] == ""


async def test_a_note_past_2000_characters_is_refused(api: Api) -> None:
    me, other = await api.user(), await api.user()
    r = await api.client.post(f"/api/v1/accounts/{other.id}/note", headers=me.headers,
                              json={"comment": "a" * 2001})
    assert r.status_code == 422 and "Comment" in r.json()["error"]
    assert (await rel(api, me, other))["note"] == ""
    r = await api.client.post(f"/api/v1/accounts/{other.id}/note", headers=me.headers,
                              json={"comment": "a" * 2000})
    assert r.status_code == 200 and len(r.json()["note"]) == 2000


async def test_another_networks_account_or_an_unknown_one_is_not_found(api: Api) -> None:
    me, stranger = await api.user(), await api.user(domain=other_domain())
    for target in (stranger.id, "12345", "nope"):
        r = await api.client.post(f"/api/v1/accounts/{target}/note", headers=me.headers,
                                  json={"comment": "x"})
        assert r.status_code == 404 and r.json() == {"error": "Record not found"}


async def test_a_note_needs_a_token_with_write_accounts(api: Api) -> None:
    admin, member = await network_with_password_grant(api)
    r = await api.client.post(f"/api/v1/accounts/{admin.id}/note", json={"comment": "x"})
    assert r.status_code == 401
    r = await api.client.post(f"/api/v1/accounts/{admin.id}/note", json={"comment": "x"},
                              headers=await token_with(api, member, "read"))
    assert r.status_code == 403
    r = await api.client.post(f"/api/v1/accounts/{admin.id}/note", json={"comment": "x"},
                              headers=await token_with(api, member, "write:accounts"))
    assert r.status_code == 200
