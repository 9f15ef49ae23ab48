"""Canary for shared/compat/redis_py.py: fails when redis-py changes the internals that fanout's
writer client relies on (the connection method it overrides, the pool options it passes), or
when its commands stop being what a plain client sends and gets back."""

from __future__ import annotations

import inspect

import pytest
import redis.asyncio as redis
from redis.asyncio.connection import BlockingConnectionPool, Connection

from shared.compat.redis_py import HiredisPackedConnection, writer_client
from shared.settings import Settings

COMMANDS = [
    ("EVALSHA", "a" * 40, 2, "tl:{u1}:home", b"\x00bytes", memoryview(b"mv"), 1.5, 10**19),
    ("SCRIPT LOAD", "return 1"),  # a name with a space: two arguments
    (b"CONFIG GET", "maxmemory"),
    ("SET", "k", bytearray(b"v"), "EX", 60),
    ("ZADD", "tl:{u1}:home", 0, "é" * 3),
]


def test_the_overridden_method_keeps_its_signature() -> None:
    params = list(inspect.signature(Connection.pack_command).parameters.values())
    assert [(p.name, p.kind) for p in params] == [
        ("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        ("args", inspect.Parameter.VAR_POSITIONAL)]
    # Pipelines pack through it, command by command.
    assert "self.pack_command(" in inspect.getsource(Connection.pack_commands)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: str(c[0]))
def test_commands_pack_as_redis_py_packs_them(command: tuple) -> None:
    ours = HiredisPackedConnection().pack_command(*command)
    assert isinstance(ours, list) and all(isinstance(chunk, bytes) for chunk in ours)
    assert b"".join(ours) == b"".join(Connection().pack_command(*command))
    assert b"".join(HiredisPackedConnection().pack_commands([command, command])) == \
        b"".join(Connection().pack_commands([command, command]))


def test_the_pool_takes_the_options_the_writer_passes() -> None:
    options = inspect.signature(BlockingConnectionPool.__init__).parameters
    assert {"max_connections", "timeout", "connection_class"} <= set(options)
    assert hasattr(redis.Redis, "from_pool")


async def test_scripts_answer_through_the_packed_connection_as_through_a_plain_client(
        servers: Settings) -> None:
    writer = writer_client(servers.redis_url)
    plain = redis.Redis.from_url(servers.redis_url)
    assert writer.connection_pool.connection_class is HiredisPackedConnection
    text = "redis.call('ZADD', KEYS[1], 0, ARGV[1]); return {redis.call('ZCARD', KEYS[1]), ARGV}"
    key = "compat:redis_py"
    try:
        await plain.delete(key)
        script_w, script_p = writer.register_script(text), plain.register_script(text)
        await writer.script_flush()  # the first call answers NOSCRIPT and loads it again
        args = [b"\x00bytes", "ü", 10**19, 1.5]
        written = await script_w(keys=[key], args=args)
        assert written == await script_p(keys=[key], args=args)
        assert written[0] == 1
        pipe = writer.pipeline(transaction=False)
        await script_w(keys=[key], args=args, client=pipe)  # queued, not sent
        pipe.zrange(key, 0, -1)
        assert await pipe.execute() == [written, [b"\x00bytes"]]
        assert await writer.zrange(key, 0, -1) == await plain.zrange(key, 0, -1)
    finally:
        await plain.delete(key)
        await writer.aclose()
        await plain.aclose()
