"""Networks: what members see of theirs, what admins change, invitations (and registering with
one), deactivating members."""

from __future__ import annotations

import hashlib

import pytest

from tests.helpers import Api, User, other_domain, unique

NETWORK = "/api/hubbub/v1/network"


async def network_of(api: Api) -> tuple[str, User, User]:
    """A fresh network: its domain, its admin (first account) and a member."""
    domain = other_domain()
    return domain, await api.user(domain=domain), await api.user(domain=domain)


async def register(api: Api, email: str, invite_code: str | None = None, *,
                   username: str | None = None):
    body = {"username": username or unique(), "email": email,
            "password": "correct horse battery", "agreement": True}
    if invite_code is not None:
        body["invite_code"] = invite_code
    return await api.client.post("/api/v1/accounts", json=body,
                                 headers={"Authorization": f"Bearer {await api.app_token()}"})


async def invite(api: Api, admin: User, email: str) -> dict:
    r = await api.client.post(f"{NETWORK}/invitations", headers=admin.headers,
                              json={"email": email})
    assert r.status_code == 200, r.text
    return r.json()


async def counts(api: Api) -> tuple[int, int, int]:
    pool = api.stack.graph.pool
    return (await pool.fetchval("SELECT count(*) FROM accounts"),
            await pool.fetchval("SELECT count(*) FROM outbox"),
            await pool.fetchval("SELECT count(*) FROM networks"))


async def test_members_see_their_network(api: Api) -> None:
    domain, admin, member = await network_of(api)
    r = await api.client.get(NETWORK, headers=member.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["domain"], body["name"], body["invitation_only"]) == (domain, domain, False)
    assert (body["members_count"], body["role"]) == (2, "member")
    assert (await api.client.get(NETWORK, headers=admin.headers)).json()["role"] == "owner"
    assert (await api.client.get(NETWORK)).status_code == 401


async def test_members_list_pages_with_link(api: Api) -> None:
    _, admin, member = await network_of(api)
    third = await api.user(domain=(await api.client.get(NETWORK, headers=admin.headers)
                                   ).json()["domain"])
    r = await api.client.get(f"{NETWORK}/members", headers=member.headers, params={"limit": 2})
    assert r.status_code == 200, r.text
    assert [a["id"] for a in r.json()] == [third.id, member.id]
    next_url = r.headers["link"].split(";")[0].strip("<>")
    r = await api.client.get(next_url, headers=member.headers)
    assert [a["id"] for a in r.json()] == [admin.id]


async def test_only_admins_change_the_network(api: Api) -> None:
    _, admin, member = await network_of(api)
    r = await api.client.patch(NETWORK, headers=member.headers, json={"name": "Mine now"})
    assert r.status_code == 403
    r = await api.client.patch(NETWORK, headers=admin.headers,
                               json={"name": "  Acme Corp ", "invitation_only": True})
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["invitation_only"]) == ("Acme Corp", True)
    r = await api.client.patch(NETWORK, headers=admin.headers, json={"invitation_only": False})
    assert (r.json()["name"], r.json()["invitation_only"]) == ("Acme Corp", False)
    for body in ({"name": ""}, {"name": "x" * 101}, {"invitation_only": "maybe"}):
        r = await api.client.patch(NETWORK, headers=admin.headers, json=body)
        assert r.status_code == 422, body
    # A parameter the route does not know is ignored (Mastodon's leniency), not applied.
    domain = (await api.client.get(NETWORK, headers=admin.headers)).json()["domain"]
    r = await api.client.patch(NETWORK, headers=admin.headers, json={"domain": "evil.test"})
    assert (r.status_code, r.json()["domain"]) == (200, domain), r.text
    assert (await api.client.get(NETWORK, headers=admin.headers)).json()["name"] == "Acme Corp"


async def test_invitation_only_network_refuses_plain_registration(api: Api) -> None:
    domain, admin, _ = await network_of(api)
    await api.client.patch(NETWORK, headers=admin.headers, json={"invitation_only": True})
    before = await counts(api)
    r = await register(api, f"{unique()}@{domain}")
    assert r.status_code == 403, r.text
    assert await counts(api) == before


async def test_invitations_are_for_admins_and_stored_hashed(api: Api) -> None:
    domain, admin, member = await network_of(api)
    r = await api.client.post(f"{NETWORK}/invitations", headers=member.headers,
                              json={"email": "friend@partner.test"})
    assert r.status_code == 403
    made = await invite(api, admin, "Friend@Partner.test")
    assert made["email"] == "Friend@Partner.test"
    assert made["url"].endswith(made["invite_code"]) and len(made["invite_code"]) >= 24
    row = await api.stack.graph.pool.fetchrow(
        "SELECT token_hash, invited_by FROM invitations WHERE id = $1", int(made["id"]))
    assert row["token_hash"] == hashlib.sha256(made["invite_code"].encode()).hexdigest()
    assert row["invited_by"] == int(admin.id)
    # An address with an account is invited like any other (tests/security/test_leaks.py).
    for body in ({"email": "not-an-email"}, {}):
        r = await api.client.post(f"{NETWORK}/invitations", headers=admin.headers, json=body)
        assert r.status_code == 422, body


async def test_registering_with_an_invitation_joins_the_inviting_network(api: Api) -> None:
    domain, admin, _ = await network_of(api)
    await api.client.patch(NETWORK, headers=admin.headers, json={"invitation_only": True})
    email = f"{unique()}@partner-{unique()}.test"
    made = await invite(api, admin, email)
    before = await counts(api)
    for wrong in (f"{unique()}@{domain}", email.replace("@", "x@")):
        r = await register(api, wrong, made["invite_code"])
        assert r.status_code == 422, r.text
        assert "invite_code" in r.json()["error"]
    r = await register(api, email, "not-a-real-code")
    assert r.status_code == 422
    assert await counts(api) == before

    r = await register(api, email.upper(), made["invite_code"])
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    me = await api.client.get(NETWORK, headers={"Authorization": f"Bearer {token}"})
    assert (me.json()["domain"], me.json()["role"]) == (domain, "member")
    accepted = await api.stack.graph.pool.fetchrow(
        "SELECT accepted_at, accepted_by FROM invitations WHERE id = $1", int(made["id"]))
    assert accepted["accepted_at"] is not None and accepted["accepted_by"] is not None
    # One account, its AccountCreated and AccountJoined events, no new network.
    assert await counts(api) == (before[0] + 1, before[1] + 2, before[2])

    before = await counts(api)
    r = await register(api, f"{unique()}@{domain}", made["invite_code"])  # used: no more
    assert r.status_code == 422
    assert await counts(api) == before


async def test_deactivating_a_member_stops_their_tokens_at_once(api: Api) -> None:
    domain, admin, member = await network_of(api)
    colleague = await api.user(domain=domain)
    events_before = await api.stack.graph.pool.fetchval(
        "SELECT count(*) FROM outbox WHERE subject = 'hubbub.evt.graph.account.deactivated'")
    path = f"{NETWORK}/accounts/{member.id}/deactivate"
    assert (await api.client.post(path, headers=colleague.headers)).status_code == 403
    assert (await api.client.get("/api/v1/accounts/verify_credentials",
                                 headers=member.headers)).status_code == 200
    r = await api.client.post(path, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == member.id
    r = await api.client.get("/api/v1/accounts/verify_credentials", headers=member.headers)
    assert r.status_code == 401
    r = await api.client.get("/api/v1/timelines/home", headers=member.headers)
    assert r.status_code == 401
    assert (await api.client.post(path, headers=admin.headers)).status_code == 200  # again
    assert await api.stack.graph.pool.fetchval(
        "SELECT count(*) FROM outbox WHERE subject = 'hubbub.evt.graph.account.deactivated'"
    ) == events_before + 1
    # Gone from the network's lists, lookups and searches.
    members = (await api.client.get(f"{NETWORK}/members", headers=admin.headers)).json()
    assert member.id not in [a["id"] for a in members]
    assert (await api.client.get(NETWORK, headers=admin.headers)).json()["members_count"] == 2
    r = await api.client.get("/api/v1/accounts/lookup", headers=admin.headers,
                             params={"acct": member.username})
    assert r.status_code == 404
    r = await api.client.get("/api/v1/accounts/search", headers=admin.headers,
                             params={"q": member.username})
    assert r.json() == []
    for listing in ("statuses", "followers", "following"):
        r = await api.client.get(f"/api/v1/accounts/{member.id}/{listing}",
                                 headers=admin.headers)
        assert r.status_code == 404, listing


@pytest.mark.parametrize("target", ["self", "elsewhere", "unknown", "garbage"])
async def test_deactivation_targets_only_other_members_of_ones_network(api: Api,
                                                                      target: str) -> None:
    _, admin, _ = await network_of(api)
    outsider = await api.user(domain=other_domain())
    raw_id = {"self": admin.id, "elsewhere": outsider.id, "unknown": "123",
              "garbage": "x1"}[target]
    r = await api.client.post(f"{NETWORK}/accounts/{raw_id}/deactivate", headers=admin.headers)
    assert r.status_code == (422 if target == "self" else 404), r.text
    assert (await api.client.get("/api/v1/accounts/verify_credentials",
                                 headers=outsider.headers)).status_code == 200
    assert (await api.client.get("/api/v1/accounts/verify_credentials",
                                 headers=admin.headers)).status_code == 200
