"""The public feed switches: an account's by itself, an external community's by its owner and
admins. Every refusal answers as the rest of the API does."""

from __future__ import annotations

from tests.helpers import Api
from tests.helpers.communities import act, create, join, other_network
from tests.helpers.feeds import SETTINGS, fetch, switch_community

INTERNAL = ("Validation failed: Only an external community can have a public feed; an internal "
            "community's posts stay inside its network")


async def test_the_account_switch_needs_a_user_and_a_boolean(api: Api) -> None:
    user = await api.user()
    for method in ("GET", "PUT"):
        r = await api.client.request(method, SETTINGS, json={"public_feed": True})
        assert r.status_code == 401
    r = await api.client.put(SETTINGS, headers=user.headers, json={})
    assert r.status_code == 422 and "public_feed" in r.text
    r = await api.client.put(SETTINGS, headers=user.headers, json={"public_feed": "maybe"})
    assert r.status_code == 422 and "public_feed" in r.text
    r = await api.client.put(SETTINGS, headers=user.headers, data={"public_feed": "true"})
    assert (r.status_code, r.json()["public_feed"]) == (200, True)
    r = await api.client.get(SETTINGS, headers=user.headers)
    assert r.json()["public_feed"] is True


async def test_only_managers_switch_an_external_communitys_feed(api: Api) -> None:
    owner, admin, member = await api.user(), await api.user(), await api.user()
    stranger = await api.user(domain=other_network())
    community = await create(api, owner, external=True)
    for user in (admin, member):
        await join(api, user, community)
    r = await act(api, owner, "PATCH", f"{community['id']}/members/{admin.id}",
                  json={"role": "admin"})
    assert r.status_code == 200, r.text
    path = f"{community['id']}/feed"
    assert (await api.client.put(f"/api/hubbub/v1/communities/{path}",
                                 json={"public_feed": True})).status_code == 401
    r = await switch_community(api, member, community["id"])
    assert r.status_code == 403
    assert r.json()["error"] == "Only the owner and admins of this community can do that"
    # Another network's account does not see the community: not there at all.
    assert (await switch_community(api, stranger, community["id"])).status_code == 404
    assert (await act(api, stranger, "GET", path)).status_code == 404
    assert (await switch_community(api, owner, "424242424242")).status_code == 404
    assert (await switch_community(api, owner, "nope")).status_code == 404
    r = await switch_community(api, admin, community["id"])
    assert r.status_code == 200, r.text
    assert r.json()["public_feed"] is True and r.json()["can_manage"] is True
    r = await act(api, member, "GET", path)
    assert r.status_code == 200
    assert (r.json()["public_feed"], r.json()["can_manage"]) == (True, False)
    assert (await fetch(api, f"/communities/{community['id']}", "json")).status_code == 200
    r = await switch_community(api, owner, community["id"], on=False)
    assert (r.status_code, r.json()["public_feed"], r.json()["feeds"]) == (200, False, None)
    assert (await fetch(api, f"/communities/{community['id']}", "json")).status_code == 404


async def test_an_internal_community_cannot_have_a_feed(api: Api) -> None:
    owner = await api.user()
    community = await create(api, owner)
    r = await switch_community(api, owner, community["id"])
    assert (r.status_code, r.json()["error"]) == (422, INTERNAL)
    r = await act(api, owner, "GET", f"{community['id']}/feed")
    assert (r.json()["external"], r.json()["public_feed"]) == (False, False)
    assert (await fetch(api, f"/communities/{community['id']}", "atom")).status_code == 404
