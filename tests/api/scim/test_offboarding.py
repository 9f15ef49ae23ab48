"""Offboarding by the directory: a SCIM ``active: false`` takes the account's tokens away at
once (REST 401), revokes them (reactivation lets none back in), and closes its open streams
within a second (the last needs the gateways' handling of AccountDeactivated: issue #14
item 6, built beside this)."""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.helpers import Api, User
from tests.helpers.scim import Directory, directory, patch_body, user_body
from tests.helpers.streaming import subscribe, ws_url

DEACTIVATE = patch_body({"op": "replace", "value": {"active": False}})


async def directory_member(api: Api) -> tuple[Directory, User]:
    """A network's directory and a member it manages (matched by userName), signed in."""
    d = await directory(api)
    member = await api.user(domain=d.domain)
    r = await api.client.post("/scim/v2/Users", headers=d.headers,
                              json={**user_body(d), "userName": member.email})
    assert r.status_code == 201 and r.json()["id"] == member.id, r.text
    return d, member


async def test_scim_deactivation_refuses_the_accounts_tokens(api: Api) -> None:
    d, member = await directory_member(api)
    r = await api.client.get("/api/v1/accounts/verify_credentials", headers=member.headers)
    assert r.status_code == 200
    async with connect(ws_url(api, f"?access_token={member.token}")) as ws:
        await subscribe(ws, "user")
        r = await api.client.patch(f"/scim/v2/Users/{member.id}", headers=d.headers,
                                   json=DEACTIVATE)
        assert r.status_code == 200 and r.json()["active"] is False, r.text
        for url in ("/api/v1/accounts/verify_credentials", "/api/v1/timelines/home",
                    "/api/v1/notifications"):
            r = await api.client.get(url, headers=member.headers)
            assert r.status_code == 401, (url, r.text)
    # Reactivated: the account is back, its old tokens are not.
    r = await api.client.patch(f"/scim/v2/Users/{member.id}", headers=d.headers,
                               json=patch_body({"op": "replace", "path": "active",
                                                "value": True}))
    assert r.status_code == 200 and r.json()["active"] is True, r.text
    r = await api.client.get(f"/api/v1/accounts/{member.id}", headers=d.admin.headers)
    assert r.status_code == 200
    r = await api.client.get("/api/v1/accounts/verify_credentials", headers=member.headers)
    assert r.status_code == 401


async def test_scim_deactivation_closes_stream(api: Api) -> None:
    """Depends on the gateways closing an account's streams on AccountDeactivated (another
    part of #14): may fail on a branch without it."""
    d, member = await directory_member(api)
    async with connect(ws_url(api, f"?access_token={member.token}")) as ws:
        await subscribe(ws, "user")
        r = await api.client.patch(f"/scim/v2/Users/{member.id}", headers=d.headers,
                                   json=DEACTIVATE)
        assert r.status_code == 200, r.text
        started = asyncio.get_running_loop().time()

        async def until_closed() -> int | None:
            try:
                async for message in ws:
                    json.loads(message)  # anything delivered before the close is fine
            except ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None
            return ws.close_code

        code = await asyncio.wait_for(until_closed(), timeout=1.0)
        assert asyncio.get_running_loop().time() - started <= 1.0
        assert code == 4001  # "The access token is invalid", as for a revoked token
