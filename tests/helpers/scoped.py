"""Tokens holding exactly one scope, for the refusals (403) of routes that need another."""

from __future__ import annotations

from tests.helpers import Api, User, other_domain


async def network_with_password_grant(api: Api) -> tuple[User, User]:
    """A fresh network (its admin, a member) whose admin allowed the tests' app the password
    grant (the way to ask for a token with one scope)."""
    domain = other_domain()
    admin, member = await api.user(domain=domain), await api.user(domain=domain)
    await api.allow_password_grant(admin)
    return admin, member


async def token_with(api: Api, user: User, scope: str) -> dict[str, str]:
    """Headers with a token of ``user`` holding exactly ``scope`` (its network must allow the
    password grant: ``network_with_password_grant``)."""
    app = await api.app()
    r = await api.client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": user.email,
        "password": user.password, "scope": scope})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
