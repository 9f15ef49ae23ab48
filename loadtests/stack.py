"""Run Hubbub for a benchmark: embedded servers in a temporary folder and each service as its
own process (as in production), with helpers to seed users, follows and posts.

Users get in as a company's people do: the bench's network is made as `hubbub network create`
makes one (its first user is invited as the owner), and each user signs up with an invitation,
so is a member at once (no confirmation mail to follow)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import msgspec
import redis

from shared import db, infra, subjects, worker_lease
from shared.ids import new_id
from shared.settings import DEFAULT_PORTS, RATE_SETTINGS, Settings, server_env

if TYPE_CHECKING:
    from nats.js import JetStreamContext

BENCH_DOMAIN = "bench.test"
# The consumers that act on seeded statuses: wait for them before measuring.
SEEDING_CONSUMERS = ("fanout-home", "notify", "graph-counters")


def add_mode_options(parser: argparse.ArgumentParser, results: str, profiled: str) -> None:
    """``--out``, ``--cluster`` and ``--profile DIR``, as each benchmark on a BenchStack takes
    them; ``results`` names the JSON file (``results_path``), ``profiled`` what py-spy samples."""
    parser.add_argument("--out", help=f"the JSON results (default: loadtests/results/"
                                      f"{results}.json, {results}_cluster.json with --cluster)")
    parser.add_argument("--cluster", action="store_true",
                        help="on the servers' cluster modes (3 NATS nodes, PostgreSQL primary "
                             "+ standby, a Valkey Cluster)")
    parser.add_argument("--profile", metavar="DIR", help=f"py-spy {profiled}, into DIR")


def results_path(args: argparse.Namespace, results: str) -> str:
    """``--out``, or the mode's default: both modes' results side by side."""
    out: str | None = args.out
    return out or f"loadtests/results/{results}{'_cluster' if args.cluster else ''}.json"


def statement_statistics() -> dict[str, str]:
    """PostgreSQL settings that count the statements each query runs (pg_stat_statements,
    read by loadtests/message_counts.py), where the server's build has the module; none
    otherwise. Benchmarks only: Hubbub itself does not need it."""
    from shared.compat import embedded

    if not (embedded.postgres_bin_dir().parent / "lib" / "pg_stat_statements.so").exists():
        return {}
    return {"shared_preload_libraries": "pg_stat_statements",
            "pg_stat_statements.track": "all"}


class BenchStack:
    """The servers (single embedded ones, or with ``cluster=True`` their cluster modes as in
    ``hubbub up --cluster``: 3 NATS nodes with R3 streams, a PostgreSQL primary and streaming
    standby, a Valkey Cluster) and the service processes started on them.

    A process is known by its label: the service's name for the first (``"posts"``, as the
    benchmarks have always used it), ``"posts-2"``, ``"posts-3"`` for more replicas of it
    (``start_replicas``). ``kill``/``restart`` do that to a service process and
    ``kill_server``/``restart_server`` to a server (by its name in ``server_names()``), for
    fault injection."""

    def __init__(self, *, cluster: bool = False, count_statements: bool = False) -> None:
        """``count_statements``: PostgreSQL counts the statements it runs (``statement_
        statistics``; the write bench's, which reports them), at a small cost of its CPU."""
        self.cluster = cluster
        self.count_statements = count_statements and not cluster
        self.folder = Path(tempfile.mkdtemp(prefix="hubbub-bench-"))
        base = Settings(data_dir=str(self.folder),
                        nats_url=os.environ.get("HUBBUB_NATS_URL", ""),
                        database_url=os.environ.get("HUBBUB_DATABASE_URL", ""),
                        redis_url=os.environ.get("HUBBUB_REDIS_URL", ""))
        # What the services need beyond server_env to use the cluster's servers (R3 streams,
        # the cluster-aware Valkey client), as `hubbub up --cluster` gives them.
        self.cluster_env: dict[str, str] = {}
        if cluster:
            from shared import infra_cluster

            self.cluster_env = infra_cluster.cluster_env(base)
            self.settings, self.embedded, _ = infra_cluster.start_cluster(
                base, self.folder / infra_cluster.CLUSTER_DIR)
        else:
            self.settings, self.embedded = infra.start_missing(
                base, self.folder, preferred_ports={},
                postgres_settings=statement_statistics() if self.count_statements else {})
        self._no_snapshots()
        ports = {name: 0 for name in DEFAULT_PORTS}
        ports["gateway"] = infra.free_port()
        self.settings = msgspec.structs.replace(self.settings, ports=ports)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._launches: dict[str, tuple[str, dict[str, str]]] = {}  # label: (service, env)
        self.gateway_ports: dict[str, int] = {"gateway": ports["gateway"]}

    def _no_snapshots(self) -> None:
        """No RDB snapshots while measuring: a fork and a dump of every timeline in the middle
        of a run would count as Redis's CPU per write (the embedded default saves after 300 s,
        which a run of five repeats crosses). The bench's own server only, as its admin user;
        the cluster mode's nodes are configured without snapshots."""
        if any(server.name == "valkey" for server in self.embedded.servers):
            with redis.Redis.from_url(self.settings.redis_url) as r:
                r.config_set("save", "")

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    @property
    def gateway_urls(self) -> list[str]:
        """Every gateway process's base URL, the first one's first."""
        return [f"http://{self.settings.host}:{port}" for port in self.gateway_ports.values()]

    def process_roots(self) -> dict[str, int]:
        """A name per process of the stack (each service process by its label, each embedded
        server by its name), for loadtests/cpu_split's CpuMeter."""
        roots = {label: proc.pid for label, proc in self.procs.items()}
        roots.update((server.name, server.process.pid) for server in self.embedded.servers)
        return roots

    def start_service(self, name: str, extra_env: dict[str, str] | None = None, *,
                      label: str | None = None) -> None:
        """Start a process of service ``name`` under ``label`` (default: the service's name).
        A gateway under another label listens on a port of its own (``gateway_urls``)."""
        label = label or name
        # Rate limits counted (their cost is measured) but roomy: the seeder signs up
        # thousands of users from one address, and a load test is one client's flood.
        roomy = {f"HUBBUB_{setting.upper()}": "1000000000/1minute" for setting in RATE_SETTINGS}
        env = {**os.environ, **server_env(self.settings), **self.cluster_env, **roomy,
               **(extra_env or {}), "HUBBUB_LOG_LEVEL": "WARNING"}
        if name == "gateway":
            port = self.gateway_ports.setdefault(label, infra.free_port())
            env["HUBBUB_GATEWAY_PORT"] = str(port)
            env.pop("HUBBUB_PORT", None)  # it would override the gateway's own port
        self._launches[label] = (name, env)
        self._spawn(label)

    def start_streaming(self, connections: int, server: str = "") -> None:
        """Every service, one process each, the gateway with room for ``connections``
        streaming connections (every one comes from this machine's one address: the per-address
        cap, 1,000 by default, would cut those beyond it) on ASGI server ``server`` (default:
        HUBBUB_ASGI_SERVER's); then waits for the gateway and applies the migrations."""
        room = str(connections + 1000)
        env = {"HUBBUB_STREAM_MAX_CONNECTIONS": room, "HUBBUB_STREAM_MAX_PER_IP": room}
        if server:
            env["HUBBUB_ASGI_SERVER"] = server
        for name in ("graph", "posts", "fanout", "notify"):
            self.start_service(name)
        self.start_service("gateway", env)
        self.wait_gateway()
        asyncio.run(db.migrate_all(self.settings))

    def start_replicas(self, name: str, count: int,
                       extra_env: dict[str, str] | None = None) -> list[str]:
        """``count`` processes of service ``name``: labels ``name``, ``name-2``, ..."""
        labels = [name if n == 1 else f"{name}-{n}" for n in range(1, count + 1)]
        for label in labels:
            self.start_service(name, extra_env, label=label)
        return labels

    def _spawn(self, label: str) -> None:
        name, env = self._launches[label]
        log = open(self.folder / f"{label}.log", "ab")  # noqa: SIM115 (kept for the process)
        self.procs[label] = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "service", name], env=env, stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=infra.die_with_parent)

    def stop_service(self, label: str) -> None:
        proc = self.procs.pop(label, None)
        if proc:
            infra.stop_process(proc, sig=signal.SIGTERM)

    def kill(self, label: str) -> None:
        """kill -9 of a service process (``restart`` starts it again as it was)."""
        proc = self.procs.pop(label)
        proc.kill()
        proc.wait()

    def restart(self, label: str) -> None:
        self._spawn(label)

    def server_names(self) -> list[str]:
        """The servers this stack started: ``nats`` or ``nats-1``.., ``postgres`` or
        ``postgres-primary``/``postgres-standby``, ``valkey`` or ``valkey-cluster-0``.."""
        return [server.name for server in self.embedded.servers]

    def _server(self, name: str) -> infra.Server:
        return next(server for server in self.embedded.servers if server.name == name)

    def kill_server(self, name: str, timeout: float = 30) -> None:
        """kill -9 of one server process (``restart_server`` starts it again with the same
        command line, data and user). Waits for its children to go too (PostgreSQL's backends
        notice their postmaster's death and exit; a new postmaster refuses to start while they
        hold the old shared memory)."""
        import psutil

        server = self._server(name)
        try:
            children = psutil.Process(server.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        server.process.kill()
        server.process.wait()
        _, alive = psutil.wait_procs(children, timeout=timeout)
        for child in alive:  # still there: as the postmaster's kill -9 would leave them
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()

    def restart_server(self, name: str, attempts: int = 10) -> None:
        """Start a killed server again with the same argv. A start that exits at once (e.g.
        PostgreSQL's "pre-existing shared memory block is still in use" while an old backend
        lingers) is tried again."""
        server = self._server(name)
        argv = [str(arg) for arg in server.process.args]  # type: ignore[union-attr]
        # PostgreSQL runs as the owner of its data folder (not root).
        owner = Path(argv[argv.index("-D") + 1]).stat().st_uid if "-D" in argv else None
        for attempt in range(attempts):
            server.process = self.embedded._spawn(
                name, argv, user=owner or None,  # type: ignore[arg-type]
                death_signal=server.stop_signal)
            try:
                server.process.wait(1.5)
            except subprocess.TimeoutExpired:
                return  # still running
            if attempt == attempts - 1:
                raise RuntimeError(f"{name} exits at start: see {self.embedded._log_path(name)}")
            time.sleep(1)

    def server_port(self, name: str) -> int:
        """The port a server listens on (from its URL)."""
        from urllib.parse import urlsplit

        port = urlsplit(self._server(name).url.split(",")[0]).port
        assert port is not None, name
        return port

    def service_url(self, label: str) -> str | None:
        """A service process's base URL, from the port it (or a child of it) listens on: the
        stack gives the non-gateway services port 0, so each takes a free one. None while it
        listens on none yet."""
        import psutil

        if label in self.gateway_ports:
            return f"http://{self.settings.host}:{self.gateway_ports[label]}"
        proc = self.procs.get(label)
        if proc is None:
            return None
        try:
            root = psutil.Process(proc.pid)
            for process in [root, *root.children(recursive=True)]:
                for conn in process.net_connections(kind="tcp"):
                    if conn.status == psutil.CONN_LISTEN:
                        return f"http://127.0.0.1:{conn.laddr.port}"
        except psutil.NoSuchProcess:
            return None
        return None

    def wait_service(self, label: str, timeout: float = 60) -> None:
        """Until a service process answers its /readyz with 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            url = self.service_url(label)
            if url:
                try:
                    if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        raise RuntimeError(f"{label} not ready: {self.log_tail(label)}")

    def wait_ready(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{url} not ready")

    def wait_gateway(self, timeout: float = 60) -> None:
        for url in self.gateway_urls:
            self.wait_ready(f"{url}/readyz", timeout)

    def log_tail(self, name: str, lines: int = 20) -> str:
        path = self.folder / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def invitation_for(self, email: str, domain: str = BENCH_DOMAIN) -> str:
        """An invitation code for ``email``: the domain's first address gets the network made
        for it (CreateNetwork, `hubbub network create`'s code path) and is invited as its owner;
        later ones are invited as members, as an admin would invite them."""
        return asyncio.run(self._invitation_for(email, domain))

    async def _invitation_for(self, email: str, domain: str) -> str:
        import asyncpg

        from services.graph import store as graph_store
        from services.graph.store import membership as membership_store
        from services.graph.use_cases.create_network import CreateNetwork
        from services.graph.use_cases.register_account import invitation_digest

        url = self.settings.database_url  # the owner's: the stack's own servers
        pool = await asyncpg.create_pool(url, min_size=1, max_size=1,
                                         server_settings={"search_path": "graph"})
        try:
            # Ids under a leased worker, beside the running services' own.
            async with worker_lease.held(url), pool.acquire() as conn, conn.transaction():
                network = await membership_store.network_of_domain(conn, domain)
                if network is None:
                    made = await CreateNetwork(pool, self.settings)(
                        domain=domain, admin_email=email, name="Bench", conn=conn)
                    return made.invite_code
                code = secrets.token_urlsafe(24)
                await graph_store.insert_invitation(
                    conn, invitation_id=new_id(), network_id=network["id"], email=email,
                    token_hash=invitation_digest(code), invited_by=None)
                return code
        finally:
            await pool.close()

    def close(self) -> None:
        for name in list(self.procs):
            self.stop_service(name)
        self.embedded.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class Seeder:
    """Register users and post through the public API, as clients would (each with an
    invitation from the stack)."""

    def __init__(self, client: httpx.Client, stack: BenchStack) -> None:
        self.client = client
        self.stack = stack
        app = client.post("/api/v1/apps", data={"client_name": "bench", "scopes":
                                                "read write follow"}).json()
        self.creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
        token = client.post("/oauth/token", data={**self.creds, "grant_type":
                                                  "client_credentials",
                                                  "scope": "read write follow"}).json()
        self.app_headers = {"Authorization": f"Bearer {token['access_token']}"}

    def user(self, name: str) -> tuple[str, dict[str, str]]:
        email = f"{name}@{BENCH_DOMAIN}"
        r = self.client.post("/api/v1/accounts", headers=self.app_headers, json={
            "username": name, "email": email, "password": "bench password", "agreement": True,
            "invite_code": self.stack.invitation_for(email)})
        r.raise_for_status()
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        me = self.client.get("/api/v1/accounts/verify_credentials", headers=headers)
        me.raise_for_status()
        return me.json()["id"], headers


async def wait_consumers(js: JetStreamContext, durables: tuple[str, ...],
                         timeout: float = 300.0) -> None:
    """Until none of these consumers of the events stream has anything pending or unacked."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = False
        for durable in durables:
            info = await js.consumer_info(subjects.EVENTS_STREAM, durable)
            busy = busy or bool(info.num_pending or info.num_ack_pending)
        if not busy:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{', '.join(durables)} did not catch up")
