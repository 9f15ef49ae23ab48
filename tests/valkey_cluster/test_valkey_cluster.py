"""Every Valkey access on a real Valkey Cluster: the lean client's slot routing and its
redirections (ASK during a slot migration, MOVED after it, a stale map, a failover), redis-py's
cluster client as shared/cache.py makes it, the gateway's hydration of records in many slots,
and each Lua script whose keys span users (split per slot)."""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import urlsplit

import pytest
import redis

from services.gateway.hydrate.fetch import Fetch
from services.gateway.hydrate.records import DecodedRecords
from services.graph import account_cache
from services.posts import status_cache
from shared import cache, viewer_cache
from shared.fastredis_cluster import ClusterFastRedis, slot_of
from shared.ids import member
from shared.infra import EmbeddedServers
from shared.records import (
    LAST_READ_KEY,
    AccountRecord,
    StatusRecord,
    account_key,
    home_key,
    pack,
    status_key,
)
from shared.settings import Settings
from shared.timelines.writes import TimelineWriter

Cluster = tuple[EmbeddedServers, Settings]


def _admin(settings: Settings, address: str) -> redis.Redis:
    parts = urlsplit(settings.redis_url)
    host, port = address.split(":")
    return redis.Redis(host=host, port=int(port), username=parts.username,
                       password=parts.password, decode_responses=True)


def _nodes(settings: Settings) -> dict[str, dict]:
    """address -> redis-py's parse of CLUSTER NODES (node_id, flags, master_id, slots...)."""
    seed = urlsplit(settings.redis_url)
    with _admin(settings, f"{seed.hostname}:{seed.port}") as r:
        return r.execute_command("CLUSTER NODES")


def _owner(settings: Settings, slot: int) -> tuple[str, str]:
    for address, node in _nodes(settings).items():
        if "master" in node["flags"]:
            for entry in node["slots"]:  # [first, last], or [slot] alone
                if int(entry[0]) <= slot <= int(entry[-1]):
                    return address, node["node_id"]
    raise AssertionError(f"slot {slot} has no owner")


def _keys_in_many_slots(prefix: str, count: int) -> list[str]:
    keys = [f"{prefix}:{i}" for i in range(count)]
    assert len({slot_of(k) for k in keys}) > 3
    return keys


async def test_cluster_forms_and_service_users_read_the_slot_map(valkey_cluster: Cluster
                                                                 ) -> None:
    _, settings = valkey_cluster
    nodes = _nodes(settings)
    assert len(nodes) == 6
    assert sum("master" in n["flags"] for n in nodes.values()) == 3
    # A service's own user (least privilege) runs a cluster client: slot map, MGET per slot.
    gateway = cache.client(settings.for_service("gateway"))
    try:
        keys = [f"tl:{{u{i}}}:home" for i in range(20)]
        for i, key in enumerate(keys):
            await gateway.zadd(key, {member(i + 1): 0})
        assert cache.is_cluster(gateway)
        assert len(await gateway.mget(keys)) == 20  # HubbubCluster: MGET split per slot
        with pytest.raises(redis.exceptions.NoPermissionError):
            await gateway.execute_command("CLUSTER FAILOVER",
                                          target_nodes=gateway.get_random_node())
    finally:
        await gateway.aclose()


async def test_lean_client_routes_by_slot(valkey_cluster: Cluster) -> None:
    _, settings = valkey_cluster
    lean = ClusterFastRedis(settings.redis_url)
    try:
        keys = _keys_in_many_slots("lean", 40)
        await lean.execute_many([("SET", k, k.encode()) for k in keys])
        assert await lean.mget(keys + ["lean:none"]) == [k.encode() for k in keys] + [None]
        assert await lean.get(keys[3]) == keys[3].encode()
        assert await lean.execute_command("EXISTS", *keys) == len(keys)
        pipe = lean.pipeline()
        pipe.get(keys[0])
        pipe.mget(keys[:10])
        pipe.exists(*keys[:5])
        assert await pipe.execute() == [keys[0].encode(), [k.encode() for k in keys[:10]], 5]
        import hiredis

        packed = b"".join(hiredis.pack_command(("GET", k)) for k in keys[:8])
        assert await lean.execute_packed(packed, 8) == [k.encode() for k in keys[:8]]
        # (fanout's activity check, routed by its one key)
        await lean.execute_many([("ZADD", keys[5] + ":z", 12, 7)])
        assert await lean.zmscore(keys[5] + ":z", [7, 8]) == [12.0, None]
        # Every node answered for its own slots.
        assert len(lean._nodes) == 3
    finally:
        await lean.aclose()


async def test_ask_during_a_slot_migration_then_moved(valkey_cluster: Cluster) -> None:
    _, settings = valkey_cluster
    key = "migrating:{m1}"
    slot = slot_of(key)
    lean = ClusterFastRedis(settings.redis_url)
    main = cache.client(settings)
    try:
        await lean.execute_command("SET", key, b"v")
        await lean.execute_command("SET", "migrating:{m1}:left", b"stays")
        source, source_id = _owner(settings, slot)
        target, target_id = next((a, n["node_id"]) for a, n in _nodes(settings).items()
                                 if "master" in n["flags"] and a != source)
        refreshes = lean.refreshes
        parts = urlsplit(settings.redis_url)
        with _admin(settings, source) as src, _admin(settings, target) as dst:
            dst.execute_command("CLUSTER SETSLOT", slot, "IMPORTING", source_id)
            src.execute_command("CLUSTER SETSLOT", slot, "MIGRATING", target_id)
            host, port = target.split(":")
            src.execute_command("MIGRATE", host, port, "", 0, 5000, "AUTH2", parts.username,
                                parts.password, "KEYS", key)
            # Mid-migration: the moved key is answered through ASK (map unchanged), the key
            # not moved yet by its old owner.
            assert await lean.get(key) == b"v"
            assert await lean.get("migrating:{m1}:left") == b"stays"
            assert lean.refreshes == refreshes
            assert await main.get(key) == b"v"
            src.execute_command("MIGRATE", host, port, "", 0, 5000, "AUTH2", parts.username,
                                parts.password, "KEYS", "migrating:{m1}:left")
            for node in (dst, src):
                node.execute_command("CLUSTER SETSLOT", slot, "NODE", target_id)
        # Done: the old owner answers MOVED, the client reads the map again and follows.
        assert await lean.get(key) == b"v"
        assert lean.refreshes == refreshes + 1
        assert await main.get(key) == b"v"
    finally:
        await lean.aclose()
        await main.aclose()


async def test_a_stale_slot_map_recovers(valkey_cluster: Cluster,
                                         caplog: pytest.LogCaptureFixture) -> None:
    _, settings = valkey_cluster
    lean = ClusterFastRedis(settings.redis_url)
    try:
        keys = _keys_in_many_slots("stale", 30)
        await lean.execute_many([("SET", k, b"1") for k in keys])
        # Every slot pointed at the wrong primary (a map read before a resharding).
        addresses = sorted(set(lean._slots))
        wrong = {a: addresses[(i + 1) % len(addresses)] for i, a in enumerate(addresses)}
        lean._slots = [wrong[a] for a in lean._slots]
        with caplog.at_level(logging.INFO, logger="shared.fastredis_cluster"):
            assert await lean.mget(keys) == [b"1"] * len(keys)
        assert "moved" in caplog.text
        assert await lean.mget(keys) == [b"1"] * len(keys)
    finally:
        await lean.aclose()


def _account(i: int) -> AccountRecord:
    return AccountRecord(id=i, username=f"user{i}", network_id=1, network_domain="example.com")


def _status(i: int, version: int = 1) -> StatusRecord:
    return StatusRecord(id=i, account_id=1, network_id=1, text=f"s{i}", content_html=f"s{i}",
                        visibility="public", created_at=0, version=version)


async def test_hydration_reads_records_across_slots(valkey_cluster: Cluster) -> None:
    _, settings = valkey_cluster
    lean = ClusterFastRedis(settings.redis_url)
    main = cache.client(settings)
    try:
        ids = list(range(1000, 1060))
        assert len({slot_of(account_key(i)) for i in ids}) > 3
        pipe = main.pipeline(transaction=False)
        for i in ids:
            pipe.set(account_key(i), pack(_account(i)))
            pipe.set(status_key(i), b"1|" + pack(_status(i)))
        await pipe.execute()
        fetch = Fetch(None, lean, DecodedRecords())  # type: ignore[arg-type]  # no misses
        accounts = await fetch.accounts(ids)
        statuses = await fetch.statuses(ids)
        assert sorted(accounts) == ids and accounts[1033].username == "user1033"
        assert sorted(statuses) == ids and statuses[1042].text == "s1042"
    finally:
        await lean.aclose()
        await main.aclose()


async def test_lua_scripts_run_per_slot(valkey_cluster: Cluster) -> None:
    _, settings = valkey_cluster
    main = cache.client(settings)
    lean = ClusterFastRedis(settings.redis_url)
    try:
        # posts' status cache, graph's account cache (key and generation share a slot).
        await status_cache.put(main, [_status(i) for i in range(2000, 2050)])
        assert all(await main.mget([status_key(i) for i in range(2000, 2050)]))
        seen = await account_cache.generations(main, list(range(3000, 3050)))
        await account_cache.invalidate(main, 3001)  # changed since: not stored
        stored = await account_cache.fill(main, [_account(i) for i in range(3000, 3050)], seen)
        assert stored == 49
        # A viewer cache (key and generation tagged by user).
        generation = await viewer_cache.generation(main, viewer_cache.hidden_key(7))
        await viewer_cache.fill_hidden(main, 7, generation,
                                       viewer_cache.Hidden(ids=[8], notification_ids=[]))
        # Fanout's timeline scripts over readers in many slots, on both clients.
        writer = TimelineWriter(main, cap=100, lean=lean)
        readers = list(range(4000, 4100))
        await main.zadd(LAST_READ_KEY, {str(i): time.time() for i in readers[::2]})
        # readers[0] unchecked (the author), the active half: 50 (readers[0] is among them)
        assert await writer.deliver(readers, 5001, unchecked=1) == 50
        assert await writer.deliver(readers, 5001, unchecked=1) == 0  # a redelivery
        assert await writer.add([home_key(i) for i in readers], 5002) == 100
        got = await writer.deliver_reblog(readers[1:] + readers[:1], 5003, 4, unchecked=0)
        assert sorted(got) == readers[::2]
        assert await writer.deliver_reblog(readers, 5003, 4) == []  # deduplicated
        assert await writer.remove([home_key(i) for i in readers], [5002]) == 100
        await writer.forget_reblog(readers, 5003, 4)
        assert await main.zscore(home_key(readers[2]), member(5001)) is not None
    finally:
        await main.aclose()
        await lean.aclose()


async def test_failover_and_clients_recover(valkey_cluster: Cluster,
                                            caplog: pytest.LogCaptureFixture) -> None:
    _, settings = valkey_cluster
    key = "failover:{f1}"
    lean = ClusterFastRedis(settings.redis_url)
    main = cache.client(settings)
    try:
        await lean.execute_command("SET", key, b"kept")
        await lean.execute_command("WAIT", 1, 2000)  # (to the slot's owner) on its replica
        primary, primary_id = _owner(settings, slot_of(key))
        replica = next(a for a, n in _nodes(settings).items() if n["master_id"] == primary_id)
        with _admin(settings, replica) as r:
            r.execute_command("CLUSTER FAILOVER")
        deadline = time.monotonic() + 15
        while _owner(settings, slot_of(key))[0] != replica:
            assert time.monotonic() < deadline, "the replica did not take over"
            await asyncio.sleep(0.1)
        with caplog.at_level(logging.INFO, logger="shared.fastredis_cluster"):
            assert await lean.get(key) == b"kept"
            await lean.execute_command("SET", key, b"after")
        assert "refreshing the slot map" in caplog.text
        assert await main.get(key) == b"after"
    finally:
        await lean.aclose()
        await main.aclose()


async def test_a_killed_primary_is_replaced_and_clients_recover(
        valkey_cluster: Cluster, caplog: pytest.LogCaptureFixture) -> None:
    """(Last: the cluster is left with a primary fewer.) kill -9 of a primary: its replica is
    elected after the node timeout; the lean client retries meanwhile and then answers."""
    embedded, settings = valkey_cluster
    key = "killed:{k1}"
    lean = ClusterFastRedis(settings.redis_url)
    main = cache.client(settings)
    try:
        await lean.execute_command("SET", key, b"kept")
        await lean.execute_command("WAIT", 1, 2000)
        primary, _ = _owner(settings, slot_of(key))
        seed = urlsplit(settings.redis_url)
        if primary == f"{seed.hostname}:{seed.port}":
            pytest.skip("the key's primary is the seed node")  # (slot ranges are fixed)
        [server] = [s for s in embedded.servers if urlsplit(s.url).port == int(
            primary.split(":")[1])]
        server.process.kill()
        server.process.wait(5)
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="shared.fastredis_cluster"):
            assert await lean.get(key) == b"kept"
        assert time.monotonic() - started < 10
        assert "retrying" in caplog.text
        deadline = time.monotonic() + 10
        while True:  # redis-py's cluster client too, once it has read the new map
            try:
                assert await main.get(key) == b"kept"
                break
            except (redis.exceptions.ConnectionError, redis.exceptions.ClusterDownError,
                    redis.exceptions.RedisClusterException):
                assert time.monotonic() < deadline
                await asyncio.sleep(0.2)
    finally:
        await lean.aclose()
        await main.aclose()
