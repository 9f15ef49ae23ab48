"""A lean Redis client for the gateway's hot reads: one connection, every caller's commands
written to it as they come and answered in order (Redis answers a connection's commands in the
order they were sent), packed and parsed by hiredis in C.

Why: redis-py's asyncio client spent ~200 us of Python per command (pool checkout under a
condition variable, a timeout wrapper per read, packing in Python); a home timeline read issues
several, and they were most of its cost. Here a command costs a pack, a write and a future.
Only the reads the gateway's hot paths use are offered, with redis-py's signatures and reply
types, so the read helpers in shared/timelines/reads.py take either client. Everything else
stays on redis-py.

Failures: a lost connection fails every command in flight with ``redis.ConnectionError`` and
the next command reconnects; a command unanswered for ``timeout_s`` closes the connection (so a
hung Redis surfaces as errors, not as requests waiting forever).
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import time
from typing import Any
from urllib.parse import unquote, urlsplit

import hiredis
from redis import exceptions

from shared.tls import redis_ssl_context


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.reader = hiredis.Reader()
        self.waiting: collections.deque[tuple[asyncio.Future[Any], float]] = collections.deque()
        self.transport: asyncio.Transport | None = None
        self.outgoing: list[bytes] = []
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # (uvloop's transports are not asyncio.Transport subclasses, but behave as one)
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        waiting = self.waiting
        while True:
            reply = self.reader.gets()
            if reply is False:
                return
            future = waiting.popleft()[0]
            if future.done():  # its caller gave up (cancelled): the reply is dropped
                continue
            if isinstance(reply, hiredis.ReplyError):
                future.set_exception(exceptions.ResponseError(str(reply)))
            else:
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        error = exceptions.ConnectionError(f"Redis connection lost: {exc or 'closed'}")
        while self.waiting:
            future = self.waiting.popleft()[0]
            if not future.done():
                future.set_exception(error)
        if not self.closed.done():
            self.closed.set_result(None)

    def send(self, packed: bytes, count: int) -> list[asyncio.Future[Any]]:
        """Queue commands; they are written together with every other caller's at the end of
        this turn of the event loop (one write for many concurrent requests)."""
        loop = asyncio.get_running_loop()
        now = time.monotonic()
        futures = [loop.create_future() for _ in range(count)]
        self.waiting.extend((f, now) for f in futures)
        self.outgoing.append(packed)
        if len(self.outgoing) == 1:
            loop.call_soon(self._flush)
        return futures

    def _flush(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"".join(self.outgoing))
        self.outgoing.clear()


class FastRedis:
    """See the module's docstring. ``url``: redis://, rediss:// or unix:// (password, user and
    database number as redis-py reads them)."""

    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self._protocol: _Protocol | None = None
        self._connecting = asyncio.Lock()
        self._watchdog: asyncio.Task[None] | None = None

    # --- connection ----------------------------------------------------------------------

    async def _connected(self) -> _Protocol:
        protocol = self._protocol
        if protocol is not None and not protocol.closed.done():
            return protocol
        async with self._connecting:
            if self._protocol is None or self._protocol.closed.done():
                self._protocol = await self._open()
                if self._watchdog is None:
                    self._watchdog = asyncio.create_task(self._watch())
            return self._protocol

    async def _open(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        parts = urlsplit(self.url)
        try:
            if parts.scheme == "unix":
                _, protocol = await loop.create_unix_connection(_Protocol, parts.path)
            else:
                # rediss://: the CA and checks of the URL's query, as redis-py reads them
                _, protocol = await loop.create_connection(
                    _Protocol, parts.hostname or "localhost", parts.port or 6379,
                    ssl=redis_ssl_context(self.url))
        except OSError as exc:
            raise exceptions.ConnectionError(f"Redis not reachable: {exc}") from exc
        setup: list[tuple[str, ...]] = []
        if parts.password:
            setup.append(("AUTH", *([unquote(parts.username)] if parts.username else []),
                          unquote(parts.password)))
        db = parts.path.strip("/") if parts.scheme != "unix" else ""
        if db and db != "0":
            setup.append(("SELECT", db))
        for command in setup:
            # hiredis's stub types the command as a 1-tuple (Tuple[X]); it takes any length
            [future] = protocol.send(hiredis.pack_command(command), 1)  # type: ignore[arg-type]
            await future
        return protocol

    async def _watch(self) -> None:
        """Close a connection whose oldest command waits too long: its callers get errors."""
        while True:
            await asyncio.sleep(min(1.0, self.timeout_s / 2))
            protocol = self._protocol
            if protocol is None or not protocol.waiting or protocol.transport is None:
                continue
            if time.monotonic() - protocol.waiting[0][1] > self.timeout_s:
                protocol.transport.abort()

    async def aclose(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
            await self._protocol.closed
        self._protocol = None

    # --- commands --------------------------------------------------------------------------

    async def execute_command(self, *args: Any) -> Any:
        protocol = await self._connected()
        [future] = protocol.send(hiredis.pack_command(args), 1)
        return await future

    async def execute_many(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """Several commands in one write; their replies in order (the first error raises)."""
        if not commands:
            return []
        protocol = await self._connected()
        packed = b"".join(hiredis.pack_command(c) for c in commands)
        return [await future for future in protocol.send(packed, len(commands))]

    async def execute_packed(self, packed: bytes, count: int) -> list[Any]:
        """``count`` commands packed beforehand (``hiredis.pack_command``, joined), for a caller
        that sends the same ones again and again; their replies in order (the first error
        raises)."""
        protocol = await self._connected()
        return [await future for future in protocol.send(packed, count)]

    async def get(self, key: str) -> bytes | None:
        value: bytes | None = await self.execute_command("GET", key)
        return value

    async def delete(self, *keys: str) -> int:
        removed: int = await self.execute_command("DEL", *keys)
        return removed

    async def mget(self, keys: list[str]) -> list[bytes | None]:
        if not keys:
            return []
        values: list[bytes | None] = await self.execute_command("MGET", *keys)
        return values

    async def hmget(self, key: str, fields: list[str]) -> list[bytes | None]:
        values: list[bytes | None] = await self.execute_command("HMGET", key, *fields)
        return values

    async def zrange(self, key: str, start: Any, end: Any, desc: bool = False,
                     withscores: bool = False, byscore: bool = False, bylex: bool = False,
                     offset: int | None = None, num: int | None = None) -> list[bytes]:
        members: list[bytes] = await self.execute_command(
            *zrange_args(key, start, end, desc, byscore, bylex, offset, num))
        return members

    async def zmscore(self, key: str, members: list[Any]) -> list[float | None]:
        """(redis-py's reply: each member's score, None for one not in the set)"""
        if not members:
            return []
        scores: list[bytes | None] = await self.execute_command("ZMSCORE", key, *members)
        return [None if score is None else float(score) for score in scores]

    def pipeline(self, transaction: bool = False) -> Pipeline:
        if transaction:
            raise ValueError("FastRedis pipelines are not transactions")
        return Pipeline(self)


def zrange_args(key: str, start: Any, end: Any, desc: bool, byscore: bool, bylex: bool,
                offset: int | None, num: int | None) -> tuple[Any, ...]:
    args: list[Any] = ["ZRANGE", key, start, end]
    if byscore:
        args.append("BYSCORE")
    if bylex:
        args.append("BYLEX")
    if desc:
        args.append("REV")
    if offset is not None and num is not None:
        args.extend(("LIMIT", offset, num))
    return tuple(args)


class Pipeline:
    """Commands queued, then written at once by ``execute`` (replies as redis-py types)."""

    def __init__(self, client: FastRedis) -> None:
        self.client = client
        self.commands: list[tuple[Any, ...]] = []
        self.convert: list[Any] = []

    def _add(self, command: tuple[Any, ...], convert: Any = None) -> Pipeline:
        self.commands.append(command)
        self.convert.append(convert)
        return self

    def get(self, key: str) -> Pipeline:
        return self._add(("GET", key))

    def mget(self, keys: list[str]) -> Pipeline:
        return self._add(("MGET", *keys))

    def hmget(self, key: str, fields: list[str]) -> Pipeline:
        return self._add(("HMGET", key, *fields))

    def exists(self, *keys: str) -> Pipeline:
        return self._add(("EXISTS", *keys))

    # The writes the caches make (shared/viewer_cache, services/posts/status_cache), as
    # redis-py's pipeline takes them.
    def set(self, key: str, value: Any, ex: int | None = None) -> Pipeline:
        return self._add(("SET", key, value, "EX", ex) if ex is not None else ("SET", key, value),
                         _ok)

    def incr(self, key: str) -> Pipeline:
        return self._add(("INCR", key))

    def expire(self, key: str, seconds: int) -> Pipeline:
        return self._add(("EXPIRE", key, seconds), bool)

    def delete(self, *keys: str) -> Pipeline:
        return self._add(("DEL", *keys))

    def hdel(self, key: str, *fields: str) -> Pipeline:
        return self._add(("HDEL", key, *fields))

    def zscore(self, key: str, member: Any) -> Pipeline:
        return self._add(("ZSCORE", key, member), _float_or_none)

    def zrange(self, key: str, start: Any, end: Any, desc: bool = False,
               withscores: bool = False, byscore: bool = False, bylex: bool = False,
               offset: int | None = None, num: int | None = None) -> Pipeline:
        return self._add(zrange_args(key, start, end, desc, byscore, bylex, offset, num))

    async def execute(self) -> list[Any]:
        replies = await self.client.execute_many(self.commands)
        return [convert(reply) if convert else reply
                for reply, convert in zip(replies, self.convert, strict=True)]


def _ok(reply: bytes | None) -> bool | None:
    return True if reply == b"OK" else None  # (redis-py's SET: None when NX/XX kept it out)


def _float_or_none(reply: bytes | None) -> float | None:
    return float(reply) if reply is not None else None


class LeanScript:
    """A script called on the lean client as redis-py's register_script calls it: EVALSHA, and
    after a NOSCRIPT (a restarted Redis) SCRIPT LOAD and again. redis-py's own overhead was
    ~0.2 ms of CPU a call (fanout makes one per 2,000 timelines; the caches one per write)."""

    def __init__(self, client: FastRedis, text: str) -> None:
        self.client = client
        self.text = text
        self.sha = hashlib.sha1(text.encode()).hexdigest()

    async def __call__(self, keys: list[str], args: list[Any]) -> Any:
        try:
            return await self.client.execute_command("EVALSHA", self.sha, len(keys), *keys,
                                                     *args)
        except exceptions.ResponseError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
        await self.client.execute_command("SCRIPT", "LOAD", self.text)
        return await self.client.execute_command("EVALSHA", self.sha, len(keys), *keys, *args)
