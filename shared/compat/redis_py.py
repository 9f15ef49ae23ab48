"""redis-py's asyncio connection, subclassed to pack commands with hiredis; and the client for
fanout's bulk timeline writes, which uses it.

Checked on redis-py 8.2.0 with hiredis 3.5.0 (pyproject.toml: ``redis[hiredis]>=8.1,<9``).
What it relies on, held by tests/unit/test_compat_redis_py.py:
- ``Connection.pack_command(self, *args)`` returns a list of bytes chunks that the connection
  writes as they are, and ``pack_commands`` (pipelines) packs each command through it;
- ``Connection()`` builds without arguments (the test packs without a server);
- ``BlockingConnectionPool.from_url`` takes ``connection_class``, ``max_connections``,
  ``timeout`` and ``socket_timeout``; ``Redis.from_pool`` makes the client own its pool.

Why (measured when it was written): redis-py's asyncio connection packed every command in
Python, argument by argument (its sync client used hiredis): for a script call with 4,000 keys
that was most of fanout's CPU (7 ms a call). The same bytes, packed by hiredis in C (under
1 ms). redis-py 8.2's own ``pack_command`` goes through hiredis too when it is installed
(``HiredisRespSerializer``): whether this subclass still pays for itself is for
loadtests/fanout_bench.py to say before it goes.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as redis
from redis.asyncio.connection import Connection

try:
    import hiredis
    HIREDIS = True
except ImportError:  # optional: redis-py's own packer then
    HIREDIS = False

WRITER_CONNECTIONS = 16  # Redis runs one command at a time: more only queue there


class HiredisPackedConnection(Connection):
    """A connection whose commands hiredis packs, byte for byte as redis-py would."""

    def pack_command(self, *args: Any) -> list[bytes]:
        # A command name with spaces ("SCRIPT LOAD") is several arguments, as redis-py splits it.
        if isinstance(args[0], str):
            args = tuple(args[0].encode().split()) + args[1:]
        elif b" " in args[0]:
            args = tuple(args[0].split()) + args[1:]
        try:
            return [hiredis.pack_command(args)]
        except TypeError:  # a memoryview or bytearray: hiredis takes bytes
            # hiredis's stub types the command as a 1-tuple (Tuple[X]); it takes any length
            return [hiredis.pack_command(tuple(  # type: ignore[arg-type]
                bytes(a) if isinstance(a, (bytearray, memoryview)) else a for a in args))]


def writer_client(url: str, max_connections: int = WRITER_CONNECTIONS) -> redis.Redis:
    """A client for bulk timeline writes, packing in C over plain TCP. Its pool waits for a
    free connection: redis-py's default pool raises past 100 in use, which a burst of events
    with script calls in flight reached (each failure a redelivery later)."""
    options: dict[str, Any] = {"max_connections": max_connections, "timeout": None,
                     "decode_responses": False}
    if HIREDIS and url.startswith("redis://"):
        options.update(socket_timeout=30.0, connection_class=HiredisPackedConnection)
    pool = redis.BlockingConnectionPool.from_url(url, **options)
    return redis.Redis.from_pool(pool)  # closing the client closes its pool
