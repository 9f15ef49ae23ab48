"""Offboarding is instant (issue #14): deactivating an account or revoking a token takes effect on
every gateway within a second: REST answers 401 on every route that looks at the token (reads
allowed anonymously included), and every open WebSocket and server-sent events stream of that
account (or that token) is closed. A sign-up that is not a member yet (address unconfirmed,
approval pending) gets Mastodon's 403 on every route that needs or reads with its token.

Each test runs two gateway processes (tests.helpers.second_gateway) beside the stack's."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from services.gateway import scopes, tokens
from services.graph import account_cache
from services.graph import store as graph_store
from shared import events, outbox
from tests.helpers import Api, User, other_domain, second_gateway
from tests.helpers.statuses import post_poll
from tests.helpers.streaming import SSEReader, subscribe, ws_url

NETWORK = "/api/hubbub/v1/network"
INVALID = {"error": "The access token is invalid"}
UNCONFIRMED = {"error": "Your login is missing a confirmed e-mail address"}
PENDING = {"error": "Your login is currently pending approval"}
CLOSE_UNAUTHORIZED, CLOSE_FORBIDDEN = 4001, 4003


def reads(status: dict[str, Any]) -> list[str]:
    """Routes that read with the token: a user's, and some also served anonymously."""
    return ["/api/v1/accounts/verify_credentials", f"/api/v1/statuses/{status['id']}",
            f"/api/v1/statuses/{status['id']}/context", f"/api/v1/polls/{status['poll']['id']}",
            "/api/v1/timelines/home",  # the express lane (services/gateway/express.py)
            "/api/v1/timelines/public"]


async def network(api: Api) -> tuple[User, User]:
    """A fresh network: its admin (its first account today) and a member."""
    domain = other_domain()
    return await api.user(domain=domain), await api.user(domain=domain)


@contextlib.asynccontextmanager
async def two_gateways(api: Api) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient,
                                                        str]]:
    """The stack's gateway's client, the second gateway's, and the second one's base URL."""
    async with second_gateway(api.stack) as (other_url, _), httpx.AsyncClient(
            base_url=other_url, timeout=10) as other:
        yield api.client, other, other_url


async def user_stream(base_url: str, token: str) -> ClientConnection:
    ws = await connect(ws_url(base_url), additional_headers=bearer(token), proxy=None)
    await subscribe(ws, stream="user")
    return ws


@contextlib.asynccontextmanager
async def sse_stream(client: httpx.AsyncClient, token: str) -> AsyncIterator[SSEReader]:
    async with client.stream("GET", "/api/v1/streaming/user", headers=bearer(token)) as r:
        assert r.status_code == 200
        sse = SSEReader(r)
        assert await sse.next(1) == [":)"]  # open, and known to its gateway
        yield sse


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def ws_closed(ws: ClientConnection) -> float:
    """When the server closed the socket (events before that are read and dropped)."""
    with contextlib.suppress(ConnectionClosed):
        while True:
            await ws.recv()
    return asyncio.get_running_loop().time()


async def sse_ended(sse: SSEReader) -> float:
    """When the server ended the response (what comes before is read and dropped)."""
    async for _ in sse.chunks:
        pass
    return asyncio.get_running_loop().time()


async def within_a_second(since: float, *closings: asyncio.Task[float]) -> None:
    done = await asyncio.wait_for(asyncio.gather(*closings), 5)
    assert max(done) - since < 1.0, [round(t - since, 3) for t in done]


async def refused_everywhere(clients: tuple[httpx.AsyncClient, ...], token: str,
                             paths: list[str], body: dict[str, str], status: int) -> None:
    for client in clients:
        for path in paths:
            r = await client.get(path, headers=bearer(token))
            assert (r.status_code, r.json()) == (status, body), (str(client.base_url), path)


async def new_streams_refused(base_urls: list[str], clients: tuple[httpx.AsyncClient, ...],
                              token: str, code: int, status: int, body: dict[str, str]) -> None:
    for base_url in base_urls:
        async with connect(ws_url(base_url), additional_headers=bearer(token),
                           proxy=None) as ws:
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
            assert (ws.close_code, ws.close_reason) == (code, body["error"] if code == 4003
                                                        else "Missing or invalid access token")
    for client in clients:
        r = await client.get("/api/v1/streaming/user", headers=bearer(token))
        assert r.status_code == status
        if status == 403:
            assert r.json() == body


# --- deactivation ------------------------------------------------------------------------------

async def test_deactivation_closes_streams_and_refuses_every_route_on_every_gateway(
        api: Api) -> None:
    admin, member = await network(api)
    status = await post_poll(api, admin)
    paths = reads(status)
    async with two_gateways(api) as (here, there, there_url):
        for client in (here, there):  # works, and each gateway now holds the token cached
            for path in paths:
                r = await client.get(path, headers=member.headers)
                assert r.status_code == 200, (path, r.text)
        ws = await user_stream(api.stack.base_url, member.token)
        async with sse_stream(there, member.token) as sse:
            closings = [asyncio.create_task(ws_closed(ws)), asyncio.create_task(sse_ended(sse))]
            r = await here.post(f"{NETWORK}/accounts/{member.id}/deactivate",
                                headers=admin.headers)
            assert r.status_code == 200, r.text
            answered = asyncio.get_running_loop().time()
            await within_a_second(answered, *closings)
        assert (ws.close_code, ws.close_reason) == (CLOSE_UNAUTHORIZED, INVALID["error"])
        await refused_everywhere((here, there), member.token, paths, INVALID, 401)
        await new_streams_refused([api.stack.base_url, there_url], (here, there), member.token,
                                  CLOSE_UNAUTHORIZED, 401, INVALID)
        r = await here.get("/api/v1/accounts/verify_credentials", headers=admin.headers)
        assert r.status_code == 200  # the admin, of course, goes on


async def test_a_fill_that_read_before_the_deactivation_is_not_stored(api: Api) -> None:
    """Graph writes the deactivated record through to its cache; a fill that read the account
    before the commit must not store the active record over it (its tokens would work again
    once the gateways' memory of the event has passed)."""
    admin, member = await network(api)
    graph = api.stack.graph
    seen = await account_cache.generations(graph.redis.main, [int(member.id)])
    async with graph.pool.acquire() as conn:
        [before] = await graph_store.accounts_by_ids(conn, [int(member.id)])
    r = await api.client.post(f"{NETWORK}/accounts/{member.id}/deactivate", headers=admin.headers)
    assert r.status_code == 200, r.text
    assert await account_cache.fill(graph.redis.main, [before], seen) == 0
    r = await api.client.get("/api/v1/accounts/verify_credentials", headers=member.headers)
    assert (r.status_code, r.json()) == (401, INVALID)


# --- revocation --------------------------------------------------------------------------------

async def password_token(api: Api, admin: User, user: User) -> str:
    """A second token of ``user`` (the password grant, which the network's admin allows)."""
    await api.allow_password_grant(admin)
    app = await api.app()
    r = await api.client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": user.email,
        "password": user.password, "scope": "read write"})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


async def test_revocation_closes_that_tokens_streams_on_every_gateway(api: Api) -> None:
    admin, member = await network(api)
    other_token = await password_token(api, admin, member)
    status = await post_poll(api, admin)
    paths = reads(status)
    app = await api.app()
    async with two_gateways(api) as (here, there, there_url):
        for client in (here, there):
            for token in (member.token, other_token):
                r = await client.get(paths[0], headers=bearer(token))
                assert r.status_code == 200
        ws = await user_stream(api.stack.base_url, member.token)
        kept = await user_stream(there_url, other_token)  # the account's other token
        async with sse_stream(there, member.token) as sse:
            closings = [asyncio.create_task(ws_closed(ws)), asyncio.create_task(sse_ended(sse))]
            # (the test's user was registered through the test app: that app may revoke it)
            r = await here.post("/oauth/revoke", data={
                "client_id": app["client_id"], "client_secret": app["client_secret"],
                "token": member.token})
            assert r.status_code == 200, r.text
            answered = asyncio.get_running_loop().time()
            await within_a_second(answered, *closings)
        assert (ws.close_code, ws.close_reason) == (CLOSE_UNAUTHORIZED, INVALID["error"])
        await refused_everywhere((here, there), member.token, paths, INVALID, 401)
        await new_streams_refused([api.stack.base_url, there_url], (here, there), member.token,
                                  CLOSE_UNAUTHORIZED, 401, INVALID)
        # The other token goes on: its stream open, its reads answered on both gateways.
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(kept.recv(), 0.3)
        for client in (here, there):
            for path in paths:
                r = await client.get(path, headers=bearer(other_token))
                assert r.status_code == 200, (path, r.text)
        await kept.close()


# --- sign-ups that are not members yet ---------------------------------------------------------

async def change_standing(api: Api, account_id: int, column: str, value: str,
                          event: events.Event) -> None:
    """As a real change does: the row and its event in one transaction (graph's outbox relays
    the event; gateways drop the account's cached tokens), then graph's record cache."""
    graph = api.stack.graph
    async with graph.pool.acquire() as conn, conn.transaction():
        await conn.execute(f"UPDATE accounts SET {column} = {value} WHERE id = $1", account_id)
        await outbox.add(conn, "graph", event)
    await account_cache.invalidate(graph.redis.main, account_id)
    await api.idle()


async def eventually(check: Any, timeout: float = 1.0) -> None:
    """``check()`` passes within ``timeout`` (a gateway hears the event within it)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            await check()
            return
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.05)


@pytest.mark.parametrize(("column", "body"), [("confirmed_at", UNCONFIRMED),
                                              ("approved_at", PENDING)])
async def test_a_sign_up_not_yet_a_member_is_refused_403(api: Api, column: str,
                                                         body: dict[str, str]) -> None:
    admin, member = await network(api)
    status = await post_poll(api, admin)
    paths = reads(status)
    account_id = int(member.id)
    async with two_gateways(api) as (here, there, there_url):
        for client in (here, there):  # a member's token, cached by both gateways
            r = await client.get(paths[0], headers=member.headers)
            assert r.status_code == 200
        # (an event the gateways hear for the account: its role, unchanged)
        await change_standing(api, account_id, column, "NULL", events.AccountRoleChanged(
            account_id=account_id, network_id=0, role="member"))

        async def refused() -> None:
            await refused_everywhere((here, there), member.token, paths, body, 403)

        await eventually(refused)
        for client in (here, there):  # a write too
            r = await client.post("/api/v1/statuses", headers=member.headers,
                                  json={"status": "let me in"})
            assert (r.status_code, r.json()) == (403, body)
        await new_streams_refused([api.stack.base_url, there_url], (here, there), member.token,
                                  CLOSE_FORBIDDEN, 403, body)
        # Confirmed (or approved): the token works at once, on every gateway.
        await change_standing(api, account_id, column, "now()", events.AccountJoined(
            account_id=account_id, network_id=0))
        for client in (here, there):
            for path in paths:
                r = await client.get(path, headers=member.headers)
                assert r.status_code == 200, (path, r.text)


# --- the parts ---------------------------------------------------------------------------------

def test_routes_may_declare_they_serve_sign_ups_not_yet_members() -> None:
    need = scopes.needs("write:accounts", pending=True)[scopes.OPT]
    strict = scopes.needs("write:accounts")[scopes.OPT]
    assert isinstance(need, scopes.Need) and isinstance(strict, scopes.Need)
    for standing in ("member", "unconfirmed", "pending"):
        scopes.check_standing(need, standing)
    scopes.check_standing(strict, "member")
    for standing, body in (("unconfirmed", UNCONFIRMED), ("pending", PENDING)):
        with pytest.raises(scopes.errors.Forbidden) as refused:
            scopes.check_standing(strict, standing)
        assert refused.value.message == body["error"]


def test_token_cache_forgets_an_accounts_tokens_and_stays_bounded() -> None:
    cache = tokens.TokenCache(ttl_s=60, max_entries=3)

    def caller(account_id: int | None) -> tokens.Caller:
        return tokens.Caller(token_id=1, app_id=1, account_id=account_id,
                             scopes=frozenset({"read"}))

    cache.put("a1", caller(1))
    cache.put("a2", caller(1))
    cache.put("b1", caller(2))
    assert cache.forget_account(1) == 2
    assert cache.get("a1") is None and cache.get("a2") is None and cache.get("b1") is not None
    # Past the bound, the index holds no more accounts than the cache holds tokens.
    for n in range(100):
        cache.put(f"t{n}", caller(100 + n))
    assert len(cache) == 3 and len(cache._by_account) <= 3
    assert cache.forget_account(199) == 1 and cache.get("t99") is None
    # An account's digests are pruned to the live ones as they grow.
    for n in range(tokens.TokenCache.PRUNE_AT * 3):
        cache.put(f"m{n}", caller(7))
    assert len(cache._by_account.get(7) or ()) <= tokens.TokenCache.PRUNE_AT + 1
