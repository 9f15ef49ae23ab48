"""Gateways keep checked tokens in memory for a short while; revoking one stops it at once on
the gateway that revoked it and, over NATS, on every other gateway."""

from __future__ import annotations

import asyncio

import httpx

from services.gateway import tokens
from tests.helpers import Api, second_gateway


async def test_a_revoked_token_stops_on_every_gateway(api: Api) -> None:
    user = await api.user()
    app = await api.app()
    async with second_gateway(api.stack) as (other_url, _), httpx.AsyncClient(
            base_url=other_url) as other:
        me = await other.get("/api/v1/accounts/verify_credentials", headers=user.headers)
        assert me.status_code == 200  # now cached by the second gateway too
        # The test's user was registered through the test app: that app may revoke it.
        r = await api.client.post("/oauth/revoke", data={
            "client_id": app["client_id"], "client_secret": app["client_secret"],
            "token": user.token})
        assert r.status_code == 200
        here = await api.client.get("/api/v1/accounts/verify_credentials", headers=user.headers)
        assert here.status_code == 401
        for _ in range(50):
            there = await other.get("/api/v1/accounts/verify_credentials",
                                    headers=user.headers)
            if there.status_code == 401:
                break
            await asyncio.sleep(0.05)
        assert there.status_code == 401


async def test_cache_entries_expire_and_stay_bounded() -> None:
    cache = tokens.TokenCache(ttl_s=0.05, max_entries=2)
    caller = tokens.Caller(token_id=1, app_id=1, account_id=1, scopes=frozenset({"read"}))
    cache.put("a", caller)
    assert cache.get("a") == caller
    cache.put("b", caller)
    cache.put("c", caller)
    assert len(cache) == 2 and cache.get("a") is None  # the oldest went first
    await asyncio.sleep(0.06)
    assert cache.get("b") is None and cache.get("c") is None
