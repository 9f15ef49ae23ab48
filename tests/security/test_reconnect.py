"""A server going away and coming back: every process says not-ready meanwhile, answers 503
(never 500), and serves again by itself once the server is back, with no restart; a NATS
connection closed for good ends the service (for its supervisor to start a fresh one).

The session's servers are shared by every test: these stop and start servers of their own
(same port, same data folder), under a whole stack of their own."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
import msgspec
import pytest

from services.posts.app import PostsService
from shared import credentials, infra
from shared.readiness import NatsConnectionLost
from shared.settings import DEFAULT_PORTS, RATE_SETTINGS, Settings
from tests.conftest import Stack
from tests.helpers import Api, User

pytestmark = pytest.mark.timeout(180)


@dataclass
class Outage:
    stack: Stack
    embedded: infra.EmbeddedServers
    api: Api
    posts_health: str  # the posts service's /readyz

    async def stop_server(self, name: str) -> int:
        server = next(s for s in self.embedded.servers if s.name == name)
        self.embedded.servers.remove(server)
        await asyncio.to_thread(server.stop)
        port = urlsplit(server.url).port
        assert port is not None
        return port

    async def start_server(self, name: str, port: int) -> None:
        """Again on the same port, from the same data folder."""
        self.embedded.preferred_ports[name] = port
        await asyncio.to_thread(getattr(self.embedded, f"start_{name}"))

    async def readiness(self) -> tuple[int, int]:
        """The gateway's and the posts service's /readyz statuses."""
        async with httpx.AsyncClient(timeout=5) as client:
            gateway = await client.get(f"{self.stack.base_url}/readyz")
            posts = await client.get(self.posts_health)
        return gateway.status_code, posts.status_code

    async def wait_readiness(self, expected: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while (found := await self.readiness()) != (expected, expected):
            assert time.monotonic() < deadline, f"readiness {found}, expected {expected}"
            await asyncio.sleep(0.2)

    async def until_served(self, call: str, user: User, timeout: float = 20.0,
                           **kwargs: object) -> httpx.Response:
        """Retry a call while it answers 503 (never 500) until it succeeds."""
        deadline = time.monotonic() + timeout
        while True:
            r = await self.api.client.request(call.split()[0], call.split()[1],
                                              headers=user.headers, **kwargs)  # type: ignore[arg-type]
            assert r.status_code != 500, r.text
            if r.status_code in (200, 206):
                return r
            assert r.status_code == 503, r.text
            assert time.monotonic() < deadline, r.text
            await asyncio.sleep(0.3)


@pytest.fixture(scope="module")
async def outage() -> AsyncIterator[Outage]:
    folder = Path(tempfile.mkdtemp(prefix="hubbub-outage-"))
    try:
        base, embedded = await asyncio.to_thread(
            infra.start_missing, Settings(data_dir=str(folder)), folder, preferred_ports={})
        ports = {name: 0 for name in DEFAULT_PORTS}
        ports["gateway"] = infra.free_port()
        # Rate limits on (their scripts write to Valkey on every request), past what these
        # tests send: each makes a user, and sign-ups are 5 per half hour by default.
        stack = Stack(msgspec.structs.replace(base, ports=ports, max_deliver=4, **{
            name: "1000000/1minute" for name in RATE_SETTINGS}))
        try:
            await stack.start()
            port = await stack.posts.health.start()
            async with httpx.AsyncClient(base_url=stack.base_url, timeout=20) as client:
                yield Outage(stack, embedded, Api(client, stack),
                             f"http://{stack.settings.host}:{port}/readyz")
        finally:
            await stack.stop()
            await asyncio.to_thread(embedded.stop)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def assert_unavailable(r: httpx.Response) -> None:
    assert r.status_code == 503, (r.status_code, r.text)
    assert r.headers.get("retry-after"), r.headers


async def test_postgres_away_then_back(outage: Outage) -> None:
    user = await outage.api.user()
    await outage.api.post(user, "before the outage")
    port = await outage.stop_server("postgres")
    try:
        await outage.wait_readiness(503, timeout=5)
        # The posts service's own pool (a typed "unavailable", not an internal error), and
        # the gateway's (a token it has not seen).
        assert_unavailable(await outage.api.client.post(
            "/api/v1/statuses", headers=user.headers, json={"status": "during"}))
        assert_unavailable(await outage.api.client.get(
            "/api/v1/accounts/verify_credentials", headers={"Authorization": "Bearer unseen"}))
    finally:
        await outage.start_server("postgres", port)
    await outage.wait_readiness(200)
    await outage.until_served("POST /api/v1/statuses", user, json={"status": "after"})


async def test_valkey_away_then_back(outage: Outage) -> None:
    user = await outage.api.user()
    await outage.api.home(user)
    port = await outage.stop_server("valkey")
    try:
        await outage.wait_readiness(503, timeout=5)
        assert_unavailable(await outage.api.client.get(
            "/api/v1/timelines/home", headers=user.headers))
    finally:
        await outage.start_server("valkey", port)
    await outage.wait_readiness(200)
    await outage.until_served("GET /api/v1/timelines/home", user)


async def test_postgres_sessions_ended_then_served(outage: Outage) -> None:
    """An administrator (or a failover) ends every pooled session of the gateway and the
    services: requests meanwhile get 200 or 503 with Retry-After, never 500, and the pools
    reconnect by themselves."""
    user = await outage.api.user()
    await outage.api.post(user, "before")
    admin = await asyncpg.connect(credentials.embedded_superuser_url(
        outage.stack.settings.database_url, Path(outage.stack.settings.data_dir)))
    try:
        ended = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name LIKE 'hubbub-%' AND application_name <> 'hubbub-idworker' "
            "AND pid <> pg_backend_pid()")
    finally:
        await admin.close()
    assert ended >= 2  # the gateway's pool and the services'
    for call in ("POST /api/v1/statuses", "GET /api/v1/accounts/verify_credentials",
                 "GET /api/v1/timelines/home"):
        await outage.until_served(call, user, json={"status": "after"}
                                  if call.startswith("POST") else None)
    r = await outage.api.client.get("/api/v1/accounts/verify_credentials",
                                    headers={"Authorization": "Bearer still-unseen"})
    assert r.status_code == 401, r.text  # the gateway's own pool: reading again


async def test_valkey_connections_killed_then_served(outage: Outage) -> None:
    user = await outage.api.user()
    await outage.api.home(user)
    killed = await outage.stack.admin_redis.execute_command("CLIENT", "KILL", "TYPE", "normal")
    assert killed >= 1
    await outage.until_served("GET /api/v1/timelines/home", user)
    await outage.until_served("POST /api/v1/statuses", user, json={"status": "after kill"})


async def test_valkey_node_demoted_to_replica_then_promoted(outage: Outage) -> None:
    """A Valkey primary that became a replica (a failover whose clients still reach the old
    node): its READONLY replies are 503 with Retry-After, and the node promoted again serves."""
    user = await outage.api.user()
    await outage.api.home(user)
    admin = outage.stack.admin_redis
    await admin.execute_command("REPLICAOF", "127.0.0.1", str(infra.free_port()))
    try:
        r = await outage.api.client.post("/api/v1/statuses", headers=user.headers,
                                         json={"status": "while read-only"})
        assert_unavailable(r)
        assert_unavailable(await outage.api.client.get("/api/v1/timelines/home",
                                                       headers=user.headers))
    finally:
        await admin.execute_command("REPLICAOF", "NO", "ONE")
    await outage.until_served("POST /api/v1/statuses", user, json={"status": "promoted"})
    await outage.until_served("GET /api/v1/timelines/home", user)


async def test_nats_away_then_back(outage: Outage) -> None:
    user = await outage.api.user()
    port = await outage.stop_server("nats")
    try:
        await outage.wait_readiness(503, timeout=5)
        down = 'hubbub_dependency_up{dependency="nats",process="posts"} 0.0'
        async with httpx.AsyncClient(timeout=5) as client:
            for _ in range(75):  # the next probe (every second) sets the gauge (slow when busy)
                metrics = await client.get(outage.posts_health.replace("readyz", "metrics"))
                if down in metrics.text:
                    break
                await asyncio.sleep(0.2)
        assert down in metrics.text
        r = await outage.api.client.post("/api/v1/statuses", headers=user.headers,
                                         json={"status": "during"})
        assert_unavailable(r)
    finally:
        await outage.start_server("nats", port)
    await outage.wait_readiness(200, timeout=30)
    await outage.until_served("POST /api/v1/statuses", user, json={"status": "after"})


async def test_nats_closed_for_good_ends_the_service(outage: Outage) -> None:
    service = PostsService(outage.stack.settings)
    running = asyncio.create_task(service.run_until_signalled())
    loop = asyncio.get_running_loop()
    try:
        deadline = time.monotonic() + 30
        while not service.ready:
            assert not running.done(), running
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        assert service.nc is not None
        await service.nc.close()  # as the server does after a protocol error: no reconnect
        assert not all(service.checks().values())
        with pytest.raises(NatsConnectionLost):
            await asyncio.wait_for(running, 15)
    finally:
        running.cancel()
        with contextlib.suppress(BaseException):
            await running
        for sig in (signal.SIGTERM, signal.SIGINT):  # run_until_signalled installed them
            loop.remove_signal_handler(sig)
