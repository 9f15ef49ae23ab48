"""The cluster mode's servers (shared/infra_cluster.py), real processes: three NATS nodes that
route to each other and hold an R3 stream, a PostgreSQL standby fed by streaming replication,
a multi-host URL that finds the primary, and a ``hubbub infra --cluster`` that leaves nothing
behind when stopped."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import nats
import pytest
from nats.js.api import StreamConfig

from services.supervisor import REPLICA_PORT_STEP
from shared import credentials, infra, infra_valkey_cluster, nats_users
from shared.infra_cluster import (
    NATS_NODES,
    ClusterServers,
    start_nats_cluster,
    start_postgres_cluster,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[infra.EmbeddedServers, ClusterServers]]:
    servers = infra.EmbeddedServers(tmp_path_factory.mktemp("cluster").resolve(),
                                    preferred_ports={})
    info = ClusterServers()
    try:
        start_nats_cluster(servers, info)
        start_postgres_cluster(servers, info)
        yield servers, info
    finally:
        servers.stop()


def _json(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 (loopback)
        found: dict[str, object] = json.loads(resp.read())
        return found


def _superuser_url(servers: infra.EmbeddedServers, hostport: str) -> str:
    return credentials.with_user(f"postgresql://{hostport}/{infra.DATABASE}", "postgres",
                                 credentials.password(servers.data_dir,
                                                      credentials.EMBEDDED_SUPERUSER_SECRET))


def test_every_nats_node_routes_to_the_two_others(cluster: tuple[infra.EmbeddedServers,
                                                                 ClusterServers]) -> None:
    _, info = cluster
    names = set()
    for monitor in info.nats_monitors:
        routez = _json(f"{monitor}/routez")
        routes = routez["routes"]
        assert isinstance(routes, list)
        peers = {route["remote_name"] for route in routes}
        assert len(peers) == NATS_NODES - 1, routez
        names.add(str(_json(f"{monitor}/varz")["server_name"]))
    assert len(names) == NATS_NODES


async def test_an_r3_stream_lives_on_the_three_nodes(
        cluster: tuple[infra.EmbeddedServers, ClusterServers]) -> None:
    servers, info = cluster
    passwords = nats_users.load(servers.data_dir)
    assert passwords
    secret = passwords[nats_users.OPERATOR]
    urls = [credentials.with_user(url, nats_users.OPERATOR, secret) for url in info.nats_urls]
    nc = await nats.connect(servers=urls, connect_timeout=2)
    try:
        js = nc.jetstream()
        await js.add_stream(StreamConfig(name="CLUSTERCHECK", subjects=["clustercheck.>"],
                                         num_replicas=3))
        await js.publish("clustercheck.one", b"x")
        deadline = time.monotonic() + 15
        while True:
            stream = await js.stream_info("CLUSTERCHECK")
            assert stream.config.num_replicas == 3
            cluster_info = stream.cluster
            assert cluster_info is not None
            replicas = cluster_info.replicas or []
            if cluster_info.leader and len(replicas) == 2 and all(r.current for r in replicas):
                break
            assert time.monotonic() < deadline, cluster_info
            await asyncio.sleep(0.2)
        hosts = {cluster_info.leader, *(r.name for r in replicas)}
        assert hosts == {f"nats-{n}" for n in range(1, NATS_NODES + 1)}
        assert stream.state.messages == 1
    finally:
        await nc.close()


async def test_the_standby_is_in_recovery_and_receives_the_primarys_rows(
        cluster: tuple[infra.EmbeddedServers, ClusterServers]) -> None:
    servers, info = cluster
    primary = await asyncpg.connect(_superuser_url(servers, info.postgres_primary))
    standby = await asyncpg.connect(_superuser_url(servers, info.postgres_standby))
    try:
        assert await primary.fetchval("SELECT pg_is_in_recovery()") is False
        assert await standby.fetchval("SELECT pg_is_in_recovery()") is True
        await primary.execute("CREATE TABLE IF NOT EXISTS cluster_check (id int PRIMARY KEY)")
        await primary.execute("INSERT INTO cluster_check VALUES (42) ON CONFLICT DO NOTHING")
        deadline = time.monotonic() + 10
        while await _replicated_row(standby) != 42:
            assert time.monotonic() < deadline, "the row never reached the standby"
            await asyncio.sleep(0.1)
        state = await primary.fetchval(
            "SELECT state FROM pg_stat_replication WHERE application_name = 'postgres-standby'")
        assert state == "streaming"
    finally:
        await primary.close()
        await standby.close()


async def _replicated_row(standby: asyncpg.Connection) -> object:
    try:
        return await standby.fetchval("SELECT id FROM cluster_check WHERE id = 42")
    except asyncpg.UndefinedTableError:  # the CREATE TABLE has not arrived yet either
        return None


async def test_a_restarted_cluster_streams_again_on_its_new_ports(tmp_path: Path) -> None:
    ports = []
    for _ in range(2):  # the second start finds both data folders and picks other ports
        servers = infra.EmbeddedServers(tmp_path.resolve(), preferred_ports={})
        info = ClusterServers()
        try:
            await asyncio.to_thread(start_postgres_cluster, servers, info)
            ports.append(info.postgres_primary)
            primary = await asyncpg.connect(_superuser_url(servers, info.postgres_primary))
            try:
                deadline = time.monotonic() + 10
                while await primary.fetchval(
                        "SELECT state FROM pg_stat_replication "
                        "WHERE application_name = 'postgres-standby'") != "streaming":
                    assert time.monotonic() < deadline, "the standby is not streaming"
                    await asyncio.sleep(0.1)
            finally:
                await primary.close()
        finally:
            await asyncio.to_thread(servers.stop)
    assert ports[0] != ports[1]


async def test_the_multi_host_url_lands_on_the_primary_even_with_the_standby_first(
        cluster: tuple[infra.EmbeddedServers, ClusterServers]) -> None:
    servers, info = cluster
    url = servers.database_urls["posts"]
    assert url.endswith("?target_session_attrs=read-write")
    assert f"{info.postgres_primary},{info.postgres_standby}" in url
    flipped = url.replace(f"{info.postgres_primary},{info.postgres_standby}",
                          f"{info.postgres_standby},{info.postgres_primary}")
    for dsn in (url, flipped):
        conn = await asyncpg.connect(dsn)
        try:
            assert await conn.fetchval("SELECT pg_is_in_recovery()") is False
            port = await conn.fetchval("SELECT inet_server_port()")
            assert f"127.0.0.1:{port}" == info.postgres_primary
        finally:
            await conn.close()


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
# SIGKILL: no stopping in order, but the parent-death signal still ends every server.
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_infra_cluster_stops_every_process_it_started(tmp_path: Path, sig: int) -> None:
    # A Redis URL of one's own: this test is about NATS, PostgreSQL and stopping, and works
    # before the Valkey Cluster does (a configured server is never started, as in `hubbub up`).
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HUBBUB_DATA_DIR": str(tmp_path / "data"),
           "HUBBUB_REDIS_URL": "redis://127.0.0.1:1/0"}
    for name in ("HUBBUB_NATS_URL", "HUBBUB_DATABASE_URL", "HUBBUB_MIGRATION_DATABASE_URL"):
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "infra", "--cluster"],
                            env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines: dict[str, str] = {}
        while "HUBBUB_DATA_DIR" not in lines:  # the last line
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "infra --cluster ended"
            name, _, value = line.strip().partition("=")
            lines[name] = value
        assert len(lines["HUBBUB_NATS_URL"].split(",")) == NATS_NODES
        assert "target_session_attrs=read-write" in lines["HUBBUB_DATABASE_URL"]
        assert lines["HUBBUB_DATA_DIR"].endswith("cluster")
        assert lines["HUBBUB_STREAM_REPLICAS"] == "3"
        assert "HUBBUB_REDIS_CLUSTER" not in lines  # a Redis URL of one's own
        children = _descendants(proc.pid)
        # three nats-server, two postmasters and their own children
        assert len(children) >= NATS_NODES + 2
        proc.send_signal(sig)
        assert proc.wait(30) == (-signal.SIGKILL if sig == signal.SIGKILL else 0)
        deadline = time.monotonic() + 10
        while left := {pid for pid in children if _alive(pid)}:
            assert time.monotonic() < deadline, f"still running: {left}"
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _gateway_port() -> int:
    # Below the ephemeral range, where no outgoing connection takes it first; the second
    # gateway prefers this port plus REPLICA_PORT_STEP.
    return next(port for port in range(20080, 30000, 7)
                if infra.port_is_free(port) and infra.port_is_free(port + REPLICA_PORT_STEP))


def _up_cluster_serves_both_gateways_then_stops(env: dict[str, str], cwd: Path) -> list[str]:
    """Run `hubbub up --cluster` until ready, read /api/v1/instance from each gateway, Ctrl-C
    it; every process it started must be gone. Returns its output."""
    env = {**env, "PYTHONPATH": str(ROOT), "HUBBUB_PORT": str(_gateway_port()),
           "HUBBUB_RATE_LIMITS": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "up", "--cluster"],
                            env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 90
        line = ""
        while not line.startswith("hubbub: ready at "):
            line = proc.stdout.readline()
            assert line and time.monotonic() < deadline, "".join(seen[-40:])
            seen.append(line)
        urls = line.removeprefix("hubbub: ready at ").split("  ")[0].split(" and ")
        assert len(urls) == 2
        for url in urls:
            assert _json(f"{url}/api/v1/instance")["title"]
        children = _descendants(proc.pid)
        services = [pid for pid in children
                    if b"services.cli\0service" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(services) == 2 * 5
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0
        seen += proc.stdout.readlines()
        deadline = time.monotonic() + 10
        while left := {pid for pid in children if _alive(pid)}:
            assert time.monotonic() < deadline, f"still running: {left}"
            time.sleep(0.1)
        return seen
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _fresh_env(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "HUBBUB_DATA_DIR": str(data_dir)}
    for name in ("HUBBUB_NATS_URL", "HUBBUB_DATABASE_URL", "HUBBUB_REDIS_URL", "HUBBUB_PORT",
                 "HUBBUB_MIGRATION_DATABASE_URL", "HUBBUB_REDIS_CLUSTER",
                 "HUBBUB_STREAM_REPLICAS"):
        env.pop(name, None)
    return env


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_up_cluster_runs_two_of_every_service_on_the_postgres_cluster(tmp_path: Path) -> None:
    """The supervisor's side (two processes of each service, two gateways, the multi-host
    database URL, Ctrl-C) with a single NATS and Valkey of one's own: it works before the
    Valkey Cluster and the NATS URL list do. Services connect to that NATS as the operator,
    since a server of one's own keeps its passwords to itself."""
    own = infra.EmbeddedServers((tmp_path / "own").resolve(), preferred_ports={})
    try:
        nats_url = own.start_nats()
        redis_url = own.start_valkey()
        passwords = nats_users.load(own.data_dir)
        assert passwords
        env = {**_fresh_env(tmp_path / "data"),
               "HUBBUB_NATS_URL": credentials.with_user(nats_url, nats_users.OPERATOR,
                                                        passwords[nats_users.OPERATOR]),
               "HUBBUB_REDIS_URL": redis_url}
        output = "".join(_up_cluster_serves_both_gateways_then_stops(env, tmp_path))
        assert "streaming standby at" in output
        assert "posts#2 |" in output
        assert output.rstrip().endswith("hubbub: stopped")
    finally:
        own.stop()


@pytest.mark.skipif(getattr(infra_valkey_cluster, "PLACEHOLDER", False),
                    reason="the Valkey Cluster comes with the valkey-cluster branch")
def test_up_cluster_serves_the_api_on_both_gateways(tmp_path: Path) -> None:
    output = "".join(_up_cluster_serves_both_gateways_then_stops(
        _fresh_env(tmp_path / "data"), tmp_path))
    assert output.count("hubbub: nats node") == NATS_NODES
    assert "valkey cluster seed at" in output
