"""The gateway's lean Redis client (shared/fastredis.py) against the real Redis: redis-py's
answers for the commands it offers, errors where they belong, and no crossed replies when
callers give up or the connection drops."""

from __future__ import annotations

import asyncio

import pytest
from redis import asyncio as aioredis
from redis import exceptions

from shared import cache
from shared.fastredis import FastRedis
from shared.settings import Settings
from shared.timelines.reads import Bounds, home_state


@pytest.fixture
async def clients(servers: Settings):
    fast = FastRedis(servers.redis_url)
    slow = aioredis.from_url(servers.redis_url)
    try:
        yield fast, slow
    finally:
        await fast.aclose()
        await slow.aclose()


async def test_answers_as_redis_py_does(clients) -> None:
    fast, slow = clients
    await slow.mset({"fr:a": b"1", "fr:b": b"2"})
    await slow.hset("fr:h", mapping={"x": "1"})
    await slow.zadd("fr:z", {"00001": 0, "00002": 0, "00003": 0})
    assert await fast.get("fr:a") == await slow.get("fr:a") == b"1"
    assert await fast.get("fr:none") is None
    assert await fast.mget(["fr:a", "fr:none", "fr:b"]) == [b"1", None, b"2"]
    assert await fast.mget([]) == []
    assert await fast.hmget("fr:h", ["x", "y"]) == [b"1", None]
    for kwargs in ({"desc": True, "bylex": True, "offset": 0, "num": 2},
                   {"bylex": True, "offset": 0, "num": 5}):
        assert (await fast.zrange("fr:z", "+" if kwargs.get("desc") else "-",
                                  "-" if kwargs.get("desc") else "+", **kwargs)
                == await slow.zrange("fr:z", "+" if kwargs.get("desc") else "-",
                                     "-" if kwargs.get("desc") else "+", **kwargs))
    await slow.zadd("fr:scores", {"7": 1764000000})
    pipe = fast.pipeline()
    pipe.zscore("fr:scores", 7).zscore("fr:scores", 8).exists("fr:a", "fr:b").get("fr:b")
    assert await pipe.execute() == [1764000000.0, None, 2, b"2"]
    # (fanout's activity check: ids as ints, a member missing, an empty list sent nowhere)
    assert (await fast.zmscore("fr:scores", [7, 8]) == await slow.zmscore("fr:scores", [7, 8])
            == [1764000000.0, None])
    assert await fast.zmscore("fr:scores", []) == []
    # The timeline read helpers take either client.
    b = Bounds(limit=20)
    assert await home_state(fast, 1, b) == await home_state(slow, 1, b)


async def test_the_caches_writes_do_what_redis_pys_do(clients) -> None:
    """The writes the status and viewer caches make through either client (their helpers take
    both: shared/cache.py CacheClient)."""
    fast, slow = clients
    pipe = fast.pipeline()
    pipe.set("fr:w1", b"v", ex=60).set("fr:w2", b"w").incr("fr:gen").expire("fr:gen", 30)
    pipe.delete("fr:w2").hdel("fr:wh", "a")
    await slow.hset("fr:wh", mapping={"a": "1", "b": "2"})
    assert await pipe.execute() == [True, True, 1, True, 1, 1]
    assert await slow.get("fr:w1") == b"v" and 0 < await slow.ttl("fr:w1") <= 60
    assert await slow.get("fr:w2") is None and await slow.hgetall("fr:wh") == {b"b": b"2"}
    assert 0 < await slow.ttl("fr:gen") <= 30
    assert await fast.delete("fr:w1", "fr:gen", "fr:none") == 2
    # A script on the lean client, as redis-py's register_script runs it (loaded on NOSCRIPT).
    text = "return redis.call('SET', KEYS[1], ARGV[1])"
    await slow.script_flush()
    assert await cache.script(fast, text)(keys=["fr:s"], args=["x"]) == b"OK"
    assert await slow.get("fr:s") == b"x"


async def test_an_error_reply_raises_and_leaves_the_connection_in_step(clients) -> None:
    fast, slow = clients
    await slow.set("fr:str", b"v")
    with pytest.raises(exceptions.ResponseError):
        await fast.hmget("fr:str", ["x"])  # wrong type
    assert await fast.get("fr:str") == b"v"


async def test_callers_that_give_up_do_not_shift_the_replies(clients) -> None:
    fast, slow = clients
    await slow.mset({f"fr:k{i}": str(i).encode() for i in range(50)})
    tasks = [asyncio.create_task(fast.get(f"fr:k{i}")) for i in range(50)]
    await asyncio.sleep(0)
    for task in tasks[::3]:
        task.cancel()
    for i, task in enumerate(tasks):
        if i % 3:
            assert await task == str(i).encode()
    assert await fast.get("fr:k49") == b"49"


async def test_a_dropped_connection_fails_what_is_in_flight_then_reconnects(clients) -> None:
    fast, slow = clients
    await slow.set("fr:a", b"1")
    client_id = await fast.execute_command("CLIENT", "ID")
    waiting = asyncio.create_task(fast.execute_command("BLPOP", "fr:never", 10))
    await asyncio.sleep(0.1)
    await slow.execute_command("CLIENT", "KILL", "ID", client_id)
    with pytest.raises(exceptions.ConnectionError):
        await asyncio.wait_for(waiting, 5)
    assert await fast.get("fr:a") == b"1"  # a new connection
    assert await fast.execute_command("CLIENT", "ID") != client_id


async def test_an_unreachable_redis_is_a_connection_error() -> None:
    from shared.infra import free_port

    fast = FastRedis(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(exceptions.ConnectionError):
        await fast.get("x")
    await fast.aclose()
