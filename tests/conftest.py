"""Test fixtures: real NATS (JetStream), PostgreSQL and Valkey, started once per test session
(embedded, on free ports, in a temporary folder) unless HUBBUB_*_URL name servers to use; and
the whole Hubbub stack running in this process's event loop, served over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import tempfile
import warnings
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import uvicorn
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from services.fanout.app import FanoutService
from services.gateway.app import create_app
from services.gateway.server import KEEP_ALIVE_SECONDS
from services.graph.app import GraphService
from services.notify.app import NotifyService
from services.posts.app import PostsService
from shared import bus, cache, db, ids, infra
from shared.nats_users import OPERATOR
from shared.settings import DEFAULT_PORTS, RATE_SETTINGS, Settings
from tests.helpers import Api
from tests.helpers.s3_server import S3Server, running

TEST_PROCESS_WORKER = 1023  # the test process's own ids while the stack holds no lease


def pytest_configure(config: pytest.Config) -> None:
    """Ids the tests make by hand (events built at import, seeded rows) need a worker: an
    explicit one, until the stack's services take a lease in this process (theirs wins while
    they hold it, shared/worker_lease.py)."""
    ids.install_worker_source(ids.FixedWorker(TEST_PROCESS_WORKER))


@pytest.fixture(scope="session")
def servers():
    urls = {k: os.environ.get(f"HUBBUB_{k.upper()}_URL", "") for k in ("nats", "database",
                                                                        "redis")}
    folder = Path(tempfile.mkdtemp(prefix="hubbub-test-"))
    base = Settings(nats_url=urls["nats"], database_url=urls["database"],
                    redis_url=urls["redis"], data_dir=str(folder))
    # HUBBUB_TEST_REDIS_CLUSTER=1 (make test-valkey-cluster): the Valkey part is a Valkey
    # Cluster (3 primaries, 1 replica each) and every client is cluster-aware.
    cluster = not urls["redis"] and os.environ.get("HUBBUB_TEST_REDIS_CLUSTER") == "1"
    # HUBBUB_TEST_CLUSTER=1 (make test-cluster): every server in its cluster mode, as `hubbub
    # up --cluster` runs them (shared/infra_cluster.py): 3 NATS nodes and R3 streams,
    # PostgreSQL primary + streaming standby (reads that may lag on the standby), a Valkey
    # Cluster.
    if os.environ.get("HUBBUB_TEST_CLUSTER") == "1":
        from shared import infra_cluster

        settings, embedded, _where = infra_cluster.start_cluster(base, folder)
        try:
            yield msgspec.structs.replace(settings, stream_replicas=infra_cluster.STREAM_REPLICAS)
        finally:
            embedded.stop()
            shutil.rmtree(folder, ignore_errors=True)
        return
    if cluster:
        base = msgspec.structs.replace(base, redis_url="cluster (started below)")
    # No preferred ports: never collide with a developer's `make run`.
    settings, embedded = infra.start_missing(base, folder, preferred_ports={})
    try:
        if cluster:
            from shared.infra_valkey_cluster import start_valkey_cluster

            seed = start_valkey_cluster(embedded)
            settings = msgspec.structs.replace(settings, redis_url=seed, redis_cluster=True,
                                               service_redis_urls=embedded.redis_urls)
        yield settings
    finally:
        embedded.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A real S3 server (SeaweedFS, tests/helpers/s3_server.py) for the whole session, started
    when a test first asks for it."""
    with running(Path(tempfile.mkdtemp(prefix="hubbub-s3-"))) as server:
        yield server


@pytest.fixture(scope="session")
def settings(servers: Settings) -> Settings:
    port = infra.free_port()
    ports = {name: 0 for name in DEFAULT_PORTS}
    ports["gateway"] = port
    # Rate limits on, as in production, but past what the suite sends from one address and
    # token (tests/security/test_rate_limits.py builds gateways with small ones).
    roomy = "1000000/1minute"
    # sso_allow_http: the tests' OpenID provider (tests/oidc) listens on http://127.0.0.1.
    # scheduled_check_seconds: a scheduled status made due in the store is posted promptly.
    # cards_allow_private: link previews of the tests' pages on 127.0.0.1 (tests/posts/
    # test_cards.py tests the guard itself, on).
    # push_allow_http_localhost: the tests' push service (tests/helpers/push_receiver.py),
    # which may be told to hang: push_timeout_s gives up on it soon.
    # outbound_allow: webhook receivers and inbound feeds served on 127.0.0.1 by the tests
    # (the operator's allow-list; the guard stays on for every other private address).
    # webhook_*: outgoing webhooks retried within seconds rather than a day, a receiver that
    # hangs given up on soon, an endpoint disabled after 3 dead letters (tests/api/webhooks/).
    # readiness_timeout_s: two test processes share two cores; a probe that waits 1 s for a
    # busy PostgreSQL would call it away (a stopped server still fails at once: refused).
    return msgspec.structs.replace(servers, ports=ports, max_deliver=4, sso_allow_http=True,
                                   scheduled_check_seconds=0.5, cards_allow_private=True,
                                   push_allow_http_localhost=True, push_timeout_s=2.0,
                                   readiness_timeout_s=3.0, outbound_allow="127.0.0.1,::1",
                                   webhook_retry_base_s=0.2, webhook_retry_window_s=3.0,
                                   webhook_timeout_s=2.0, webhook_disable_after=3, **{
                                       name: roomy for name in RATE_SETTINGS})


STOP_STEP_S = 60.0


async def bounded_step(what: str, step: Coroutine[Any, Any, None],
                       seconds: float = STOP_STEP_S) -> None:
    """A teardown step that may not hang the run. One did, about one run in six: the S3 stack's
    stop (tests/helpers/s3_stack.py), past pytest-timeout's 120 s, waiting on something in the
    event loop that the threads' stacks did not show. Now a step still running after
    ``seconds`` is reported with the stack of every asyncio task (a warning in the run's
    summary: what to fix) and cancelled, and the teardown goes on."""
    task = asyncio.ensure_future(step)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if task in done:
        task.result()
        return
    stacks = io.StringIO()
    for other in asyncio.all_tasks():
        if other is not asyncio.current_task():
            other.print_stack(limit=12, file=stacks)
    warnings.warn(f"teardown: {what} still running after {seconds:.0f} s; cancelled. "
                  f"The tasks:\n{stacks.getvalue()}", stacklevel=1)
    task.cancel()
    with contextlib.suppress(BaseException):
        await task


class Stack:
    """Every service of Hubbub in this event loop, the gateway on a real port."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.graph = GraphService(settings)
        self.posts = PostsService(settings)
        self.fanout = FanoutService(settings)
        self.notify = NotifyService(settings)
        self.services = [self.graph, self.posts, self.fanout, self.notify]
        self.app = create_app(settings)
        self.gateway = self.app.state.gateway
        # Tests inspect and arrange keys as the admin (a tool), not as some service's user,
        # whose rights cover only what that service touches (shared/cache_users.py).
        self.admin_redis = cache.client(settings)
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task | None = None
        # The tests' own connection (publishing events, inspecting consumers): the operator's,
        # since every service's connection has only the rights the service needs.
        self.nc: NATS | None = None
        self.js: JetStreamContext | None = None
        self.network_domains: set[str] = set()  # networks made for the tests, by domain

    async def invitation_for(self, domain: str, email: str) -> str:
        """An invitation code for ``email``, as an operator or admin would send one: the first
        address of a domain gets the network made for it (``hubbub network create``'s code path)
        and becomes its owner; later ones are invited as members. Invited addresses are
        confirmed by their invitation, so the tests' users are members at once (the sign-up
        and confirmation path has tests of its own: tests/api/membership/)."""
        import secrets

        from services.graph import store as graph_store
        from services.graph.store import membership as membership_store
        from services.graph.use_cases.create_network import CreateNetwork
        from services.graph.use_cases.register_account import invitation_digest

        async with self.graph.pool.acquire() as conn, conn.transaction():
            network = await membership_store.network_of_domain(conn, domain)
            if network is None:
                made = await CreateNetwork(self.graph.pool, self.settings)(
                    domain=domain, admin_email=email, conn=conn)
                self.network_domains.add(domain)
                return made.invite_code
            code = secrets.token_urlsafe(24)
            await graph_store.insert_invitation(
                conn, invitation_id=ids.new_id(), network_id=network["id"], email=email,
                token_hash=invitation_digest(code), invited_by=None)
            return code

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    async def start(self) -> None:
        self.nc = await bus.connect(self.settings, "hubbub-tests", user=OPERATOR, attempts=3)
        self.js = self.nc.jetstream()
        # As `hubbub up` does: the owner migrates, then every service runs as its own role.
        await db.migrate_all(self.settings)
        for service in self.services:
            await service.start(health=False)
        # The gateway's keep-alive (server.py): clients that poll, as Mastodon.py does an
        # upload every 5 s, must not race uvicorn's default 5 s close.
        config = uvicorn.Config(self.app, host=self.settings.host,
                                port=self.settings.port("gateway"), log_level="warning",
                                lifespan="on", timeout_keep_alive=KEEP_ALIVE_SECONDS)
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not (self._server.started and self.gateway.ready):
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._server:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 10)
        for service in reversed(self.services):
            await bounded_step(f"{service.name}.stop()", service.stop())
        if self.nc:
            with contextlib.suppress(Exception):  # bounded as the services' own (runtime.py)
                await asyncio.wait_for(self.nc.drain(), 5)
        await self.admin_redis.aclose()

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until every consumer has handled every event and every outbox is empty."""
        from shared.consumers import wait_consumers_idle

        js = self.js
        assert js is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for service in (self.posts, self.graph, self.notify):
            while await service.pool.fetchval(
                    "SELECT count(*) FROM outbox WHERE published_at IS NULL"):
                if loop.time() > deadline:
                    raise TimeoutError(f"{service.name} outbox not drained")
                await asyncio.sleep(0.02)
        await wait_consumers_idle(
            js, ["fanout-home", "notify", "notify-conversations", "notify-push", "notify-webhooks",
                 "graph-counters",
                 "posts-media", "posts-cards"],
            timeout=max(0.5, deadline - loop.time()))


@pytest.fixture(scope="session")
async def stack(settings: Settings):
    stack = Stack(settings)
    await stack.start()
    try:
        yield stack
    finally:
        await stack.stop()


@pytest.fixture
async def api(stack: Stack):
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=20) as client:
        yield Api(client, stack)
