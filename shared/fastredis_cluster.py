"""The lean client (shared/fastredis.py) on a Valkey/Redis Cluster (``HUBBUB_REDIS_CLUSTER``).

One ``FastRedis`` per primary, and a slot map (CLUSTER SLOTS) that routes each command by its
first key's hash slot (CRC16, hash tags honoured: redis-py's ``key_slot``). What the callers
send stays what they send on one node:
- multi-key reads and deletes (MGET, EXISTS, DEL, UNLINK) are split per slot and their replies
  put back together, so the gateway's hydration MGETs of many accounts or statuses work;
- a pipeline (``execute_many``, ``execute_packed``) is split per node, sent to all at once,
  replies in the callers' order;
- ``MOVED`` refreshes the map (and points the slot at the node named) and sends again; ``ASK``
  (a slot being migrated) sends ``ASKING`` and the command to the named node, map unchanged;
  a lost connection,
  ``CLUSTERDOWN`` or ``TRYAGAIN`` (a failover, a migration under way) refreshes the map and
  retries after a short pause, for up to ``RECOVER_S``, with a log line each time;
- ``SCRIPT LOAD`` goes to every primary (any of them may run the script).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import hiredis
from redis import exceptions
from redis.crc import key_slot

from shared.fastredis import FastRedis, Pipeline, zrange_args

log = logging.getLogger(__name__)

SLOTS = 16384
# A primary's death is noticed after the node timeout (2 s embedded, NODE_TIMEOUT_MS) and its
# replica elected soon after: keep retrying that long, pausing a little longer each time.
RECOVER_S = 10.0
PAUSE_S = 0.25
_SPLIT = {b"MGET", b"EXISTS", b"DEL", b"UNLINK"}
_KEYLESS_ANY = {b"PING", b"ECHO", b"TIME"}


def _name(arg: Any) -> bytes:
    return (arg if isinstance(arg, bytes) else str(arg).encode()).upper()


def _key_bytes(key: Any) -> bytes:
    if isinstance(key, bytes):
        return key
    if isinstance(key, (bytearray, memoryview)):
        return bytes(key)
    return str(key).encode()


def slot_of(key: Any) -> int:
    return int(key_slot(_key_bytes(key)))


def command_slot(command: tuple[Any, ...]) -> int | None:
    """The slot of a command's (first) key; None for a command without one."""
    name = _name(command[0])
    if name in (b"EVALSHA", b"EVAL", b"EVALSHA_RO", b"EVAL_RO"):
        return slot_of(command[3]) if int(command[2]) > 0 else None
    if name in _KEYLESS_ANY or name in (b"SCRIPT", b"ASKING") or len(command) < 2:
        return None
    return slot_of(command[1])


def _redirect(exc: BaseException) -> tuple[str, str] | None:
    """("MOVED"|"ASK", "host:port") for a redirection reply."""
    if isinstance(exc, exceptions.ResponseError):
        words = str(exc).split()
        if len(words) == 3 and words[0] in ("MOVED", "ASK"):
            return words[0], words[2]
    return None


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, (exceptions.ConnectionError, exceptions.TimeoutError)):
        return True
    return isinstance(exc, exceptions.ResponseError) and str(exc).startswith(
        ("CLUSTERDOWN", "TRYAGAIN", "LOADING", "MASTERDOWN"))


class ClusterFastRedis:
    """``FastRedis``'s interface on a cluster; see the module's docstring. ``url``: one node's
    URL (credentials as for FastRedis); the others are learnt from it."""

    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self._nodes: dict[str, FastRedis] = {}
        self._slots: list[str] = []
        self._seeds = [self._address(url)]
        self._refreshing: asyncio.Lock | None = None
        self.refreshes = 0  # how many times the map was read (tests)

    # --- nodes and the slot map ----------------------------------------------------------

    @staticmethod
    def _address(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"

    def node(self, address: str) -> FastRedis:
        found = self._nodes.get(address)
        if found is None:
            parts = urlsplit(self.url)
            credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
            url = urlunsplit((parts.scheme, credentials + address, parts.path, parts.query, ""))
            found = self._nodes[address] = FastRedis(url, self.timeout_s)
        return found

    async def refresh(self) -> None:
        """Read the slot map (CLUSTER SLOTS) from the first node that answers."""
        if self._refreshing is None:
            self._refreshing = asyncio.Lock()
        async with self._refreshing:
            candidates = list(dict.fromkeys([*self._seeds, *self._nodes]))
            last: BaseException | None = None
            for address in candidates:
                try:
                    reply = await self.node(address).execute_command("CLUSTER", "SLOTS")
                except (exceptions.ConnectionError, exceptions.TimeoutError,
                        exceptions.ResponseError) as exc:
                    last = exc
                    continue
                slots = [""] * SLOTS
                for first, last_slot, primary, *_ in reply:
                    host = primary[0].decode() if isinstance(primary[0], bytes) else primary[0]
                    target = f"{host or address.rsplit(':', 1)[0]}:{primary[1]}"
                    slots[first:last_slot + 1] = [target] * (last_slot + 1 - first)
                self._slots = slots
                self.refreshes += 1
                return
            raise exceptions.ConnectionError(f"no Valkey Cluster node answered: {last}")

    async def _owner(self, slot: int | None) -> FastRedis:
        if not self._slots:
            await self.refresh()
        address = self._slots[slot] if slot is not None else next(a for a in self._slots if a)
        if not address:
            raise exceptions.ResponseError(f"CLUSTERDOWN slot {slot} is not served")
        return self.node(address)

    async def aclose(self) -> None:
        nodes, self._nodes = list(self._nodes.values()), {}
        for node in nodes:
            await node.aclose()

    # --- sending -------------------------------------------------------------------------

    async def _one(self, command: tuple[Any, ...]) -> Any:
        """One single-slot command, following redirections."""
        slot = command_slot(command)
        asking: str | None = None
        deadline = time.monotonic() + RECOVER_S
        attempt = 0
        while True:
            attempt += 1
            try:
                if asking is not None:
                    node = self.node(asking)
                    asking = None
                    return (await node.execute_many([("ASKING",), command]))[1]
                return await (await self._owner(slot)).execute_command(*command)
            except (exceptions.ConnectionError, exceptions.TimeoutError,
                    exceptions.ResponseError) as exc:
                moved = _redirect(exc)
                if moved is not None and moved[0] == "ASK" and attempt < 16:
                    asking = moved[1]
                    continue
                if moved is not None and attempt < 16:
                    log.info("valkey cluster: slot %s moved to %s; refreshing the slot map",
                             slot, moved[1])
                    await self.refresh()
                    # The node that answered MOVED knows: a map read from a node that has
                    # not heard of the move yet (gossip) would send us back there.
                    if slot is not None:
                        self._slots[slot] = moved[1]
                    continue
                if not _transient(exc) or time.monotonic() > deadline:
                    raise
                log.warning("valkey cluster: %s (attempt %d); refreshing the slot map and "
                            "retrying", exc, attempt)
                await asyncio.sleep(min(PAUSE_S * attempt, 1.0))
                try:
                    await self.refresh()
                except exceptions.ConnectionError:
                    pass

    async def _broadcast(self, command: tuple[Any, ...]) -> Any:
        if not self._slots:
            await self.refresh()
        replies = await asyncio.gather(*(self.node(a).execute_command(*command)
                                         for a in dict.fromkeys(self._slots) if a))
        return replies[0]

    @staticmethod
    def _special(command: tuple[Any, ...]) -> bool:
        """A command not sent as it is: split per slot, or sent to every primary."""
        name = _name(command[0])
        return (name in _SPLIT and len(command) > 2) or name == b"SCRIPT"

    async def execute_command(self, *args: Any) -> Any:
        if self._special(args):
            if _name(args[0]) == b"SCRIPT":
                return await self._broadcast(args)
            return await self._split(args)
        return await self._one(args)

    async def _routed(self, commands: list[tuple[Any, ...]],
                      slots: list[int] | None = None) -> list[Any]:
        """Single-slot commands, each node's written at once (the hot path: no task per
        command); replies or exceptions in order. Those answered with a redirection or a
        transient error go again one by one (``_one``: follows, refreshes, retries)."""
        if not self._slots:
            await self.refresh()
        first = next(a for a in self._slots if a)
        by_node: dict[str, list[int]] = {}
        for index, command in enumerate(commands):
            slot = command_slot(command) if slots is None else slots[index]
            by_node.setdefault(self._slots[slot] if slot is not None else first,
                               []).append(index)
        results: list[Any] = [None] * len(commands)
        again: list[int] = []
        sent: list[tuple[list[int], list[asyncio.Future[Any]]]] = []
        for address, positions in by_node.items():
            if not address:  # a slot nobody serves (mid-failover): retried below
                again += positions
                continue
            try:
                protocol = await self.node(address)._connected()
            except exceptions.ConnectionError:
                again += positions
                continue
            packed = b"".join(hiredis.pack_command(commands[i]) for i in positions)
            sent.append((positions, protocol.send(packed, len(positions))))
        for positions, futures in sent:
            for index, future in zip(positions, futures, strict=True):
                try:
                    results[index] = await future
                except (exceptions.ConnectionError, exceptions.TimeoutError,
                        exceptions.ResponseError) as exc:
                    if _redirect(exc) is not None or _transient(exc):
                        again.append(index)
                    else:
                        results[index] = exc
        for index in again:
            try:
                results[index] = await self._one(commands[index])
            except (exceptions.ConnectionError, exceptions.TimeoutError,
                    exceptions.ResponseError) as exc:
                results[index] = exc
        return results

    async def _split(self, command: tuple[Any, ...]) -> Any:
        name, keys = command[0], command[1:]
        groups: dict[int, list[int]] = {}
        for index, key in enumerate(keys):
            groups.setdefault(slot_of(key), []).append(index)
        if len(groups) == 1:
            return await self._one(command)
        parts = await self._routed([(name, *(keys[i] for i in positions))
                                    for positions in groups.values()], list(groups))
        for part in parts:
            if isinstance(part, BaseException):
                raise part
        if _name(name) != b"MGET":
            return sum(parts)  # EXISTS, DEL, UNLINK: counts
        values: list[Any] = [None] * len(keys)
        for positions, part in zip(groups.values(), parts, strict=True):
            for i, value in zip(positions, part, strict=True):
                values[i] = value
        return values

    async def execute_many(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """The commands, each to its node (all nodes at once); replies in order, the first
        error raises (as FastRedis)."""
        if not commands:
            return []
        plain = [i for i, c in enumerate(commands) if not self._special(c)]
        results: list[Any] = [None] * len(commands)
        for index, result in zip(plain, await self._routed([commands[i] for i in plain]),
                                 strict=True):
            results[index] = result
        for index, command in enumerate(commands):
            if self._special(command):
                results[index] = await self.execute_command(*command)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return results

    async def execute_packed(self, packed: bytes, count: int) -> list[Any]:
        """Packed commands (FastRedis's hot-path form): read back into commands to route them.
        A request is RESP arrays of bulk strings, which hiredis's reply parser reads."""
        reader = hiredis.Reader()
        reader.feed(packed)
        commands = [tuple(reader.gets()) for _ in range(count)]
        return await self.execute_many(commands)

    # --- FastRedis's reads ----------------------------------------------------------------

    async def get(self, key: str) -> bytes | None:
        value: bytes | None = await self.execute_command("GET", key)
        return value

    async def delete(self, *keys: str) -> int:
        """(Keys of many slots: DEL is split per slot, as MGET is.)"""
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
        return Pipeline(self)  # type: ignore[arg-type]  # duck-typed: execute_many
