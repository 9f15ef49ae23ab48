"""Registration, login and follows through the gateway, with the graph service behind it."""

from __future__ import annotations

import pytest

from tests.helpers import Api, other_domain, unique


async def count_accounts(api: Api, username: str) -> int:
    return await api.stack.graph.pool.fetchval(
        "SELECT count(*) FROM accounts WHERE lower(username) = lower($1)", username)


async def test_password_grant_and_verify_credentials(api: Api) -> None:
    user = await api.user(domain=other_domain())  # its network's admin
    await api.allow_password_grant(user)
    app = await api.app()
    r = await api.client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": user.email,
        "password": user.password, "scope": "read write"})
    assert r.status_code == 200, r.text
    token = r.json()
    assert token["token_type"] == "Bearer" and token["scope"] == "read write"
    me = await api.client.get("/api/v1/accounts/verify_credentials",
                              headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == user.username
    assert me.json()["source"]["privacy"] == "public"


async def test_wrong_password_is_invalid_grant(api: Api) -> None:
    user = await api.user()
    app = await api.app()
    r = await api.client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": user.email, "password": "nope nope"})
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"


async def test_bad_client_secret_is_401(api: Api) -> None:
    app = await api.app()
    r = await api.client.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": app["client_id"],
        "client_secret": "wrong"})
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"


async def test_tokens_are_stored_hashed(api: Api) -> None:
    user = await api.user()
    stored = await api.stack.gateway.pool.fetch("SELECT token_hash FROM tokens")
    assert all(row["token_hash"] != user.token for row in stored)
    password = await api.stack.graph.pool.fetchval(
        "SELECT password_hash FROM accounts WHERE username = $1", user.username)
    assert password.startswith("$argon2")


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer not-a-token"}, {}])
async def test_bad_or_missing_token_is_401(api: Api, headers: dict) -> None:
    r = await api.client.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert r.status_code == 401
    assert "error" in r.json()


async def test_revoked_token_stops_working(api: Api) -> None:
    user = await api.user()
    app = await api.app()
    r = await api.client.post("/oauth/revoke", data={
        "client_id": app["client_id"], "client_secret": app["client_secret"],
        "token": user.token})
    assert r.status_code == 200
    r = await api.client.get("/api/v1/accounts/verify_credentials", headers=user.headers)
    assert r.status_code == 401


@pytest.mark.parametrize("body, field", [
    ({"email": "x@acme.test", "password": "long enough"}, "username"),
    ({"username": "bad name!", "email": "x@acme.test", "password": "long enough"}, "username"),
    ({"username": "ok", "email": "not-an-email", "password": "long enough"}, "email"),
    ({"username": "ok", "email": "x@acme.test", "password": "short"}, "password"),
])
async def test_registration_rejects_bad_input_and_writes_nothing(api: Api, body: dict,
                                                                 field: str) -> None:
    if "username" in body and body["username"] == "ok":
        body = {**body, "username": unique()}
    before = await api.stack.graph.pool.fetchval("SELECT count(*) FROM accounts")
    outbox_before = await api.stack.graph.pool.fetchval("SELECT count(*) FROM outbox")
    r = await api.client.post("/api/v1/accounts",
                              headers={"Authorization": f"Bearer {await api.app_token()}"},
                              json={**body, "agreement": True})
    assert r.status_code == 422, r.text
    assert field in r.json()["error"]
    assert await api.stack.graph.pool.fetchval("SELECT count(*) FROM accounts") == before
    assert await api.stack.graph.pool.fetchval("SELECT count(*) FROM outbox") == outbox_before


async def test_duplicate_username_is_422_and_a_taken_email_answers_like_any(api: Api) -> None:
    """Usernames are public, so a taken one is said; whether an address has an account is not
    (the sign-up answers as any other, and the address's owner is told by mail)."""
    user = await api.user()
    token = await api.app_token()
    r = await api.client.post("/api/v1/accounts", headers={"Authorization": f"Bearer {token}"},
                              json={"username": user.username.upper(),
                                    "email": f"{unique()}@acme.test", "password": "long enough",
                                    "agreement": True})
    assert r.status_code == 422, r.text
    assert "taken" in r.json()["error"]
    r = await api.client.post("/api/v1/accounts", headers={"Authorization": f"Bearer {token}"},
                              json={"username": unique(), "email": user.email.upper(),
                                    "password": "long enough", "agreement": True})
    assert r.status_code == 200, r.text
    assert await count_accounts(api, user.username) == 1
    confirmed = await api.stack.graph.pool.fetchval(
        "SELECT count(*) FROM accounts WHERE lower(email) = lower($1) "
        "AND confirmed_at IS NOT NULL", user.email)
    assert confirmed == 1


async def test_registration_needs_an_app_token(api: Api) -> None:
    r = await api.client.post("/api/v1/accounts", json={
        "username": unique(), "email": f"{unique()}@acme.test", "password": "long enough"})
    assert r.status_code == 401


async def test_a_networks_invited_first_admin_is_its_owner(api: Api) -> None:
    """The stack makes a domain's network as `hubbub network create` does, inviting its first
    user as the owner; later users are invited members."""
    domain = f"{unique('d')}.test"
    first = await api.user(domain=domain)
    second = await api.user(domain=domain)
    rows = await api.stack.graph.pool.fetch(
        "SELECT username, role, network_id FROM accounts WHERE username = ANY($1::text[])",
        [first.username, second.username])
    by_name = {row["username"]: row for row in rows}
    assert by_name[first.username]["role"] == "owner"
    assert by_name[second.username]["role"] == "member"
    assert by_name[first.username]["network_id"] == by_name[second.username]["network_id"]


async def test_follow_unfollow_relationships_and_counters(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    assert (await api.follow(bob, alice))["following"] is True
    assert (await api.follow(bob, alice))["following"] is True  # twice: still one follow
    r = await api.client.get("/api/v1/accounts/relationships", headers=alice.headers,
                             params={"id[]": bob.id})
    assert r.json()[0]["followed_by"] is True and r.json()[0]["following"] is False
    a = (await api.client.get(f"/api/v1/accounts/{alice.id}", headers=bob.headers)).json()
    assert a["followers_count"] == 1
    r = await api.client.post(f"/api/v1/accounts/{alice.id}/unfollow", headers=bob.headers)
    assert r.json()["following"] is False
    a = (await api.client.get(f"/api/v1/accounts/{alice.id}", headers=bob.headers)).json()
    b = (await api.client.get(f"/api/v1/accounts/{bob.id}", headers=bob.headers)).json()
    assert (a["followers_count"], b["following_count"]) == (0, 0)


async def test_follow_unknown_or_self_is_4xx(api: Api) -> None:
    user = await api.user()
    r = await api.client.post("/api/v1/accounts/123456789/follow", headers=user.headers)
    assert r.status_code == 404
    r = await api.client.post("/api/v1/accounts/not-an-id/follow", headers=user.headers)
    assert r.status_code == 404
    r = await api.client.post(f"/api/v1/accounts/{user.id}/follow", headers=user.headers)
    assert r.status_code == 422
    assert r.json()["error"]


async def test_counters_stay_right_under_concurrent_follows(api: Api) -> None:
    import asyncio

    star = await api.user()
    fans = [await api.user() for _ in range(15)]
    await asyncio.gather(*(api.follow(fan, star) for fan in fans))
    await asyncio.gather(*(api.client.post(f"/api/v1/accounts/{star.id}/follow",
                                           headers=fan.headers) for fan in fans[:5]))
    await asyncio.gather(*(api.client.post(f"/api/v1/accounts/{star.id}/unfollow",
                                           headers=fan.headers) for fan in fans[10:]))
    account = (await api.client.get(f"/api/v1/accounts/{star.id}", headers=star.headers)).json()
    assert account["followers_count"] == 10
    rows = await api.stack.graph.pool.fetchval(
        "SELECT count(*) FROM follows WHERE followee_id = $1", int(star.id))
    assert rows == 10
