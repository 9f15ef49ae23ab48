"""Rate limits (services/gateway/rate_limits.py) on gateways with small ones, over the test
session's Valkey, graph and the rest: per token, per address, sign-in with its lockout and the
account's known addresses, sign-up, app registration, the express lane, two gateways sharing
one count, and forty concurrent wrong passwords against a bounded number of Argon2 checks."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import msgspec
import uvicorn

from services.gateway.app import create_app
from services.gateway.express import ExpressLane
from services.gateway.server import uvicorn_config
from services.graph.passwords import MEMORY_PER_CHECK
from shared.infra import free_port
from shared.settings import RATE_SETTINGS, from_env
from tests.helpers import Api, User, other_domain
from tests.helpers.oauth import csrf, pkce, query, register_app

ROOMY = "1000000/1minute"
TOO_MANY = {"error": "Too many requests"}
_hosts = itertools.count(1)


def address() -> dict[str, str]:
    """A client address of its own (the gateways below trust the loopback proxy)."""
    n = next(_hosts) + (uuid.uuid4().int % 50_000) * 256
    return {"X-Forwarded-For": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"}


class Gateway(msgspec.Struct):
    client: httpx.AsyncClient
    lane: ExpressLane


@asynccontextmanager
async def gateway(api: Api, **limits: Any) -> AsyncIterator[Gateway]:
    """A gateway beside the stack's, with these limits (the others roomy), behind a trusted
    proxy on loopback."""
    port = free_port()
    ports = {**api.stack.settings.ports, "gateway": port}
    settings = msgspec.structs.replace(
        api.stack.settings, ports=ports, trusted_proxies=("127.0.0.1/32",),
        **{**{name: ROOMY for name in RATE_SETTINGS}, "lockout_after": 1000, **limits})
    app = create_app(settings)
    server = uvicorn.Server(uvicorn_config(app, settings, host="127.0.0.1", port=port))
    task = asyncio.create_task(server.serve())
    try:
        while not (server.started and app.state.gateway.ready):
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield Gateway(client=client, lane=app)
    finally:
        server.should_exit = True
        # Roomy: on a loaded box the lifespan's shutdown waits for password checks still
        # hashing in their threads (each costs tens of ms of CPU), which is not under test.
        await asyncio.wait_for(task, 30)


def refused(r: httpx.Response) -> bool:
    return (r.status_code == 429 and r.json() == TOO_MANY and int(r.headers["retry-after"]) >= 1
            and r.headers["x-ratelimit-remaining"] == "0")


def remaining(r: httpx.Response) -> int:
    return int(r.headers["x-ratelimit-remaining"])


# --- the API ------------------------------------------------------------------------------------

# Each user's token has made one request already (api.user() reads its account, through the
# stack's gateway: the same count in Valkey).

async def test_api_is_limited_per_token(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    async with gateway(api, rate_limit_api="4/1minute") as gw:
        answers = [await gw.client.get("/api/v1/accounts/verify_credentials",
                                       headers=alice.headers) for _ in range(4)]
        assert [r.status_code for r in answers[:3]] == [200, 200, 200]
        assert [remaining(r) for r in answers[:3]] == [2, 1, 0]
        assert all(r.headers["x-ratelimit-limit"] == "4" for r in answers)
        assert answers[0].headers["x-ratelimit-reset"].endswith("Z")
        assert refused(answers[3]) and int(answers[3].headers["retry-after"]) <= 60
        other = await gw.client.get("/api/v1/accounts/verify_credentials", headers=bob.headers)
        assert other.status_code == 200 and remaining(other) == 2


async def test_unauthenticated_requests_are_limited_per_address(api: Api) -> None:
    async with gateway(api, rate_limit_anonymous="2/1minute") as gw:
        mine, theirs = address(), address()
        answers = [await gw.client.get("/api/v1/instance", headers=mine) for _ in range(3)]
        assert [r.status_code for r in answers[:2]] == [200, 200]
        assert refused(answers[2])
        assert (await gw.client.get("/api/v1/instance", headers=theirs)).status_code == 200
        # Guessed tokens are counted against the address too, and then refused.
        guesser = address()
        guesses = [await gw.client.get("/api/v1/accounts/verify_credentials", headers={
            **guesser, "Authorization": f"Bearer guess{i}"}) for i in range(3)]
        assert [r.status_code for r in guesses[:2]] == [401, 401]
        assert refused(guesses[2])


async def test_public_feeds_are_limited_per_address_as_the_api(api: Api) -> None:
    """Feed readers come without tokens: each address has the anonymous allowance; the web
    client's pages (no feed suffix) are not counted."""
    author = await api.user()
    r = await api.client.put("/api/hubbub/v1/feeds/settings", headers=author.headers,
                             json={"public_feed": True})
    assert r.status_code == 200, r.text
    async with gateway(api, rate_limit_anonymous="2/1minute") as gw:
        mine = address()
        paths = [f"/@{author.username}.atom", "/tags/news.rss", "/communities/1.json"]
        answers = [await gw.client.get(path, headers=mine) for path in paths]
        assert [r.status_code for r in answers[:2]] == [200, 200]
        assert refused(answers[2])
        page = await gw.client.get(f"/@{author.username}", headers=mine)
        assert page.status_code == 200 and "x-ratelimit-limit" not in page.headers


async def test_express_lane_home_reads_count_the_same(api: Api) -> None:
    reader = await api.user()
    async with gateway(api, rate_limit_api="3/1minute") as gw:
        served = gw.lane.served
        first = await gw.client.get("/api/v1/timelines/home", headers=reader.headers)
        assert gw.lane.served == served + 1  # answered by the lane itself
        assert first.status_code == 200 and remaining(first) == 1
        second = await gw.client.get("/api/v1/accounts/verify_credentials",
                                     headers=reader.headers)  # the framework, same count
        assert second.status_code == 200 and remaining(second) == 0
        third = await gw.client.get("/api/v1/timelines/home", headers={
            **reader.headers, "Origin": "https://client.example"})
        assert refused(third) and third.headers["access-control-allow-origin"] == "*"
        assert gw.lane.served == served + 1


async def test_two_gateways_share_one_count(api: Api) -> None:
    reader = await api.user()
    async with gateway(api, rate_limit_api="4/1minute") as one, \
            gateway(api, rate_limit_api="4/1minute") as two:
        path = "/api/v1/accounts/verify_credentials"
        assert remaining(await one.client.get(path, headers=reader.headers)) == 2
        assert remaining(await two.client.get(path, headers=reader.headers)) == 1
        assert remaining(await one.client.get(path, headers=reader.headers)) == 0
        assert refused(await two.client.get(path, headers=reader.headers))
        assert refused(await one.client.get(path, headers=reader.headers))


# --- signing in ---------------------------------------------------------------------------------

async def password_user(api: Api) -> tuple[User, dict[str, Any]]:
    """A user whose network lets the tests' app use the password grant, and that app."""
    admin = await api.user(domain=other_domain())
    await api.allow_password_grant(admin)
    return admin, await api.app()


async def password_grant(gw: Gateway, app: dict[str, Any], user: User, password: str,
                         client: dict[str, str]) -> httpx.Response:
    return await gw.client.post("/oauth/token", headers=client, data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": user.email, "password": password,
        "scope": "read"})


async def test_password_grant_is_limited_per_address(api: Api) -> None:
    user, app = await password_user(api)
    async with gateway(api, rate_limit_sign_in_ip="3/1minute") as gw:
        mine = address()
        answers = [await password_grant(gw, app, user, "wrong password", mine) for _ in range(3)]
        assert [r.status_code for r in answers] == [400, 400, 400]  # invalid_grant
        assert refused(await password_grant(gw, app, user, user.password, mine))
        r = await password_grant(gw, app, user, user.password, address())
        assert r.status_code == 200, r.text


async def test_failed_sign_ins_lock_the_address_out_for_longer_each_time(api: Api) -> None:
    user, app = await password_user(api)
    async with gateway(api, lockout_after=2, lockout_base_s=1.0, lockout_max_s=4.0) as gw:
        mine = address()
        waits = []
        for _ in range(2):
            for _ in range(2):
                r = await password_grant(gw, app, user, "wrong password", mine)
                assert r.status_code == 400, r.text
            locked = await password_grant(gw, app, user, user.password, mine)  # right, refused
            assert refused(locked)
            waits.append(int(locked.headers["retry-after"]))
            await asyncio.sleep(waits[-1] + 0.1)
        assert waits == [1, 2]
        ok = await password_grant(gw, app, user, user.password, mine)  # the lockout is over
        assert ok.status_code == 200, ok.text


async def test_an_account_under_attack_still_lets_its_owner_in(api: Api) -> None:
    user, app = await password_user(api)
    async with gateway(api, rate_limit_sign_in_account="3/1hour") as gw:
        home = address()
        assert (await password_grant(gw, app, user, user.password, home)).status_code == 200
        for _ in range(3):  # three attackers' addresses, one guess each
            r = await password_grant(gw, app, user, "wrong password", address())
            assert r.status_code == 400
        # The account takes no more guesses from addresses it does not know, right or wrong...
        assert refused(await password_grant(gw, app, user, "wrong password", address()))
        assert refused(await password_grant(gw, app, user, user.password, address()))
        # ...and its owner, from where they signed in before, gets in.
        r = await password_grant(gw, app, user, user.password, home)
        assert r.status_code == 200, r.text


async def test_sign_in_form_is_limited_per_address(api: Api) -> None:
    user = await api.user()
    app = await register_app(api)
    params = query(app, pkce()[1])
    async with gateway(api, rate_limit_sign_in_ip="2/1minute") as gw:
        mine = address()
        page = await gw.client.get("/oauth/authorize", params=params, headers=mine)
        answers = [await gw.client.post("/oauth/authorize", headers=mine, data={
            **params, "csrf": csrf(page), "login": user.email, "password": password,
            "decision": "allow"}) for password in ("wrong password", "wrong again",
                                                   user.password)]
        assert [r.status_code for r in answers[:2]] == [401, 401]
        assert refused(answers[2])


async def test_forty_concurrent_wrong_passwords(api: Api) -> None:
    """429s appear, graph runs at most HUBBUB_PASSWORD_CHECKS Argon2 checks at once (its
    memory ceiling: that many × 64 MiB), and the owner still signs in from elsewhere."""
    user, app = await password_user(api)
    passwords = api.stack.graph.passwords
    passwords.peak = 0
    async with gateway(api, rate_limit_sign_in_ip="10/1minute") as gw:
        attacker = address()
        answers = await asyncio.gather(*[
            password_grant(gw, app, user, f"guess {i}", attacker) for i in range(40)])
        statuses = sorted(r.status_code for r in answers)
        assert statuses.count(429) == 30 and statuses.count(400) == 10, statuses
        assert all(refused(r) for r in answers if r.status_code == 429)
        assert 1 <= passwords.peak <= passwords.concurrency == from_env({}).password_checks
        assert passwords.peak * MEMORY_PER_CHECK <= 4 * 64 * 1024 * 1024
        r = await password_grant(gw, app, user, user.password, address())
        assert r.status_code == 200, r.text


# --- sign-up and app registration ---------------------------------------------------------------

async def test_sign_up_is_limited_per_address(api: Api) -> None:
    app_token = {"Authorization": f"Bearer {await api.app_token()}"}
    async with gateway(api, rate_limit_sign_up="2/30minutes") as gw:
        mine = address()

        async def sign_up(client: dict[str, str]) -> httpx.Response:
            name = f"s{uuid.uuid4().hex[:10]}"
            return await gw.client.post("/api/v1/accounts", headers={**app_token, **client},
                                        json={"username": name, "email": f"{name}@acme.test",
                                              "password": "correct horse battery",
                                              "agreement": True})
        assert [(await sign_up(mine)).status_code for _ in range(2)] == [200, 200]
        assert refused(await sign_up(mine))
        assert (await sign_up(address())).status_code == 200
        # The sign-up page counts against the same allowance.
        app = await register_app(api)
        params = query(app, pkce()[1])
        page = await gw.client.get("/oauth/sign_up", params=params, headers=mine)
        name = f"s{uuid.uuid4().hex[:10]}"
        r = await gw.client.post("/oauth/sign_up", headers=mine, data={
            **params, "csrf": csrf(page), "username": name, "email": f"{name}@acme.test",
            "password": "correct horse battery", "display_name": ""})
        assert refused(r)


async def test_app_registration_is_limited_per_address(api: Api) -> None:
    async with gateway(api, rate_limit_apps="2/10minutes") as gw:
        mine = address()

        async def register(client: dict[str, str]) -> httpx.Response:
            return await gw.client.post("/api/v1/apps", headers=client, data={
                "client_name": "flood", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"})
        assert [(await register(mine)).status_code for _ in range(2)] == [200, 200]
        assert refused(await register(mine))
        assert (await register(address())).status_code == 200


def test_rates_are_checked_at_start() -> None:
    settings = from_env({"HUBBUB_RATE_LIMIT_API": "5 per 10 seconds"})
    assert settings.rate_limit_api == "5 per 10 seconds"
    assert from_env({}).rate_limit_api == "300/5minutes"  # Mastodon's
    for wrong in ("5/fortnight", "0/minute", "many"):
        try:
            from_env({"HUBBUB_RATE_LIMIT_SIGN_UP": wrong})
        except ValueError as error:
            assert "HUBBUB_RATE_LIMIT_SIGN_UP" in str(error)
        else:
            raise AssertionError(wrong)
