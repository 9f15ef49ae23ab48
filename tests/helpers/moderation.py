"""Helpers for the moderation tests (tests/api/moderation/): a network with people in roles,
reports, and admin actions through the API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import Api, User, other_domain

NETWORK = "/api/hubbub/v1/network"
ADMIN_ACCOUNTS = "/api/v1/admin/accounts"
ADMIN_REPORTS = "/api/v1/admin/reports"
OUTSIDE = {"error": "This action is outside the authorized scopes"}
NOT_FOUND = {"error": "Record not found"}


async def team(api: Api, *roles: str) -> tuple[User, list[User]]:
    """A fresh network: its owner (its first account), and one more account for each role,
    given it by the owner through the API."""
    domain = other_domain()
    owner = await api.user(domain=domain)
    others = []
    for role in roles:
        user = await api.user(domain=domain)
        if role != "member":
            r = await api.client.patch(f"{NETWORK}/members/{user.id}", headers=owner.headers,
                                       json={"role": role})
            assert r.status_code == 200, r.text
        others.append(user)
    return owner, others


async def report(api: Api, reporter: User, target: User | str, **fields: Any
                 ) -> httpx.Response:
    target_id = target if isinstance(target, str) else target.id
    return await api.client.post("/api/v1/reports", headers=reporter.headers,
                                 json={"account_id": target_id, **fields})


async def act(api: Api, moderator: User, target: User | str, action: str = "action",
              headers: dict[str, str] | None = None, **fields: Any) -> httpx.Response:
    """POST /api/v1/admin/accounts/:id/<action> (``action`` itself takes ``type``)."""
    target_id = target if isinstance(target, str) else target.id
    return await api.client.post(f"{ADMIN_ACCOUNTS}/{target_id}/{action}",
                                 headers=headers or moderator.headers, json=fields)


async def admin_account(api: Api, moderator: User, target: User) -> dict[str, Any]:
    r = await api.client.get(f"{ADMIN_ACCOUNTS}/{target.id}", headers=moderator.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def audit_actions(api: Api, owner: User) -> list[str]:
    r = await api.client.get(f"{NETWORK}/audit", headers=owner.headers)
    assert r.status_code == 200, r.text
    return [e["action"] for e in r.json()]


async def token_with(api: Api, owner: User, user: User, scope: str) -> dict[str, str]:
    """A token of ``user`` holding exactly ``scope`` (the password grant, which ``owner``
    allows the tests' app in their network)."""
    await api.allow_password_grant(owner)
    app = await api.app()
    r = await api.client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": user.email,
        "password": user.password, "scope": scope})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
