"""Streaming abuse limits: a subscription parameter can never reach NATS unchecked (a long or
wildcard hashtag once closed the gateway's NATS connection for everyone), WebSocket message and
subscription caps, connection caps per account and per address, close code 4001 for a bad
token, and a gateway whose NATS connection closed for good says not-ready and ends its process
(for its supervisor to start a fresh one)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator

import httpx
import msgspec
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from services.gateway import server as gateway_server
from services.gateway.app import create_app
from services.gateway.context import Gateway
from services.gateway.streaming.limits import ConnectionLimits
from shared.infra import free_port
from shared.settings import Settings, from_env
from tests.helpers import Api, User, other_domain, unique


def ws_url(api: Api, query: str = "") -> str:
    return api.stack.base_url.replace("http://", "ws://") + "/api/v1/streaming" + query


@contextlib.asynccontextmanager
async def socket_of(api: Api, user: User) -> AsyncIterator[ClientConnection]:
    async with connect(ws_url(api), additional_headers=user.headers, proxy=None,
                       max_size=None) as ws:
        yield ws


async def next_message(ws: ClientConnection, timeout: float = 5.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def send(ws: ClientConnection, **command: object) -> None:
    await ws.send(json.dumps(command))


async def closed_with(ws: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None, "dropped without a close frame"
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def still_works(api: Api, ws: ClientConnection, author: User) -> None:
    """The socket still subscribes and delivers, and the gateway still has NATS."""
    tag = unique("ok")
    await send(ws, type="subscribe", stream="hashtag", tag=tag)
    await asyncio.sleep(0.2)
    posted = await api.post(author, f"still here #{tag}")
    event = await next_message(ws)
    assert event["stream"] == ["hashtag", tag]
    assert json.loads(event["payload"])["id"] == posted["id"]
    gw = api.stack.gateway
    assert gw.nc.is_connected and not gw.nats_lost.is_set()
    assert (await api.client.get("/readyz")).status_code == 200


async def test_a_5kb_tag_is_an_error_and_everyone_else_carries_on(api: Api) -> None:
    attacker, bystander = await api.user(), await api.user()
    async with socket_of(api, attacker) as ws:
        await send(ws, type="subscribe", stream="hashtag", tag="a" * 5_000)
        assert "Invalid tag" in (await next_message(ws))["error"]
        for _ in range(3):  # another user's calls keep succeeding
            r = await api.client.get("/api/v1/accounts/verify_credentials",
                                     headers=bystander.headers)
            assert r.status_code == 200, r.text
        await api.post(bystander, "business as usual")
        await still_works(api, ws, bystander)


@pytest.mark.parametrize("tag", ["*", ">", "news.*", "a.b", "a b", "a\r\nb", "tag\x00",
                                 "#", "123", "x" * 101])
async def test_tags_that_are_no_hashtag_are_errors(api: Api, tag: str) -> None:
    user = await api.user()
    async with socket_of(api, user) as ws:
        await send(ws, type="subscribe", stream="hashtag:local", tag=tag)
        assert "Invalid tag" in (await next_message(ws))["error"]
        await send(ws, type="unsubscribe", stream="hashtag", tag=tag)
        assert "Invalid tag" in (await next_message(ws))["error"]
        await still_works(api, ws, user)
    r = await api.client.get("/api/v1/streaming/hashtag", headers=user.headers,
                             params={"tag": tag})
    assert r.status_code == 400 and "Invalid tag" in r.json()["error"]


async def test_a_list_id_that_is_no_id_is_an_error(api: Api) -> None:
    user = await api.user()
    async with socket_of(api, user) as ws:
        for value in ["*", "1.2", "9" * 5_000, "-1"]:
            await send(ws, type="subscribe", stream="list", list=value)
            assert "No such list" in (await next_message(ws))["error"]
        await still_works(api, ws, user)


async def test_a_message_over_64kb_closes_with_1009(api: Api) -> None:
    user = await api.user()
    async with socket_of(api, user) as ws:
        await ws.send(json.dumps({"type": "subscribe", "stream": "user",
                                  "pad": "x" * 65_536}))
        code, _ = await closed_with(ws)
        assert code == 1009
    async with socket_of(api, user) as ws:  # the gateway is fine
        await still_works(api, ws, user)


async def test_the_51st_subscription_is_an_error(api: Api) -> None:
    user = await api.user()
    async with socket_of(api, user) as ws:
        prefix = unique("s")
        for n in range(50):
            await send(ws, type="subscribe", stream="hashtag", tag=f"{prefix}{n}")
        await send(ws, type="subscribe", stream="hashtag", tag=f"{prefix}{50}")
        assert "at most 50" in (await next_message(ws))["error"]
        await send(ws, type="subscribe", stream="hashtag", tag=f"{prefix}{0}")  # held already
        await send(ws, type="unsubscribe", stream="hashtag", tag=f"{prefix}{0}")
        await still_works(api, ws, user)  # the freed place is taken again


@contextlib.contextmanager
def caps(limits: ConnectionLimits, **values: int) -> Iterator[None]:
    before = {name: getattr(limits, name) for name in values}
    for name, value in values.items():
        setattr(limits, name, value)
    try:
        yield
    finally:
        for name, value in before.items():
            setattr(limits, name, value)


async def minted_token(api: Api, user: User) -> User:
    app = await api.app()
    r = await api.client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": user.email,
        "password": user.password, "scope": "read"})
    assert r.status_code == 200, r.text
    return User(id=user.id, username=user.username, email=user.email,
                token=r.json()["access_token"])


async def test_tokens_minted_by_one_account_share_its_cap(api: Api) -> None:
    # The first account of a new network is its admin, who lets the tests' app use the password
    # grant (refused by default) to mint more tokens.
    user, other = await api.user(domain=other_domain()), await api.user()
    await api.allow_password_grant(user)
    tokens = [user, *[await minted_token(api, user) for _ in range(2)]]
    limits = api.stack.gateway.stream_limits
    with caps(limits, per_account=2):
        async with socket_of(api, tokens[0]), socket_of(api, tokens[1]):
            async with socket_of(api, tokens[2]) as third:
                code, reason = await closed_with(third)
                assert code == 4029 and "account (at most 2)" in reason
            r = await api.client.get("/api/v1/streaming/user", headers=tokens[2].headers)
            assert r.status_code == 429
            async with socket_of(api, other) as ws:  # another account still connects
                await still_works(api, ws, other)


async def test_one_address_has_a_cap(api: Api) -> None:
    users = [await api.user() for _ in range(3)]
    limits = api.stack.gateway.stream_limits
    with caps(limits, per_ip=limits.by_ip["127.0.0.1"] + 2):
        async with socket_of(api, users[0]), socket_of(api, users[1]):
            async with socket_of(api, users[2]) as third:
                code, reason = await closed_with(third)
                assert code == 4029 and "address (at most" in reason
            r = await api.client.get("/api/v1/streaming/user", headers=users[2].headers)
            assert r.status_code == 429
        async with socket_of(api, users[2]) as ws:  # places free again as sockets close
            await still_works(api, ws, users[2])


@pytest.mark.parametrize("how", ["query", "header", "none"])
async def test_a_bad_token_is_closed_with_4001(api: Api, how: str) -> None:
    url = ws_url(api, "?access_token=nope" if how == "query" else "")
    headers = {"Authorization": "Bearer nope"} if how == "header" else {}
    async with connect(url, additional_headers=headers, proxy=None) as ws:
        code, reason = await closed_with(ws)
    assert code == 4001 and "access token" in reason
    r = await api.client.get("/api/v1/streaming/user", params={"access_token": "nope"})
    assert r.status_code == 401  # server-sent events answer at HTTP level


async def test_a_gateway_whose_nats_connection_closes_is_not_ready_and_exits(api: Api) -> None:
    port = free_port()
    settings = msgspec.structs.replace(api.stack.settings,
                                       ports={**api.stack.settings.ports, "gateway": port})
    gw = Gateway(settings)
    serving = asyncio.create_task(gateway_server.serve(settings, gateway=gw, nats_lost_grace=5))
    user = await api.user()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            while not gw.ready:
                assert not serving.done()
                await asyncio.sleep(0.05)
            assert (await client.get("/readyz")).status_code == 200
            assert gw.nc is not None
            await gw.nc.close()  # as the server closes it after a protocol error
            ready = await client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["ready"] is False
            r = await client.get("/api/v1/accounts/verify_credentials", headers=user.headers)
            assert r.status_code == 503  # not 500 from a closed connection
        with pytest.raises(gateway_server.NatsConnectionLost):  # the process ends with it,
            await asyncio.wait_for(serving, 20)  # for its supervisor to start a fresh one
    finally:
        if not serving.done():
            serving.cancel()
            with contextlib.suppress(BaseException):
                await serving


def test_the_server_refuses_big_messages_itself() -> None:
    """uvicorn closes with 1009 before a big message is whole in memory: 64 KB each, and at
    most HUBBUB_STREAM_QUEUE_BYTES of them held unread (it was 16 MiB and 32 of them)."""
    settings = Settings(stream_max_message_bytes=65_536, stream_queue_bytes=262_144)
    config = gateway_server.uvicorn_config(create_app(settings), settings)
    assert config.ws_max_size == 65_536
    assert config.ws_max_size * config.ws_max_queue <= 262_144
    assert from_env({"HUBBUB_STREAM_MAX_MESSAGE_BYTES": "1000", "HUBBUB_STREAM_QUEUE_BYTES":
                     "5000", "HUBBUB_STREAM_MAX_SUBSCRIPTIONS": "7",
                     "HUBBUB_STREAM_MAX_PER_ACCOUNT": "3", "HUBBUB_STREAM_MAX_PER_IP": "9"}
                    ) == msgspec.structs.replace(
        Settings(), stream_max_message_bytes=1000, stream_queue_bytes=5000,
        stream_max_subscriptions=7, stream_max_per_account=3, stream_max_per_ip=9)
