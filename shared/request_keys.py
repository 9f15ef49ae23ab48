"""Idempotency keys for service requests: a write sent again is applied at most once.

The gateway sends a request again when it got no answer (shared/bus.py ``call``): the replica
it reached may have died before or after applying it. A write (``Verb.kind == "write"``) is
sent again only with a key, in the ``Hubbub-Idempotency-Key`` header:

- the caller's side: the gateway opens a scope per HTTP request (``begin``) whose base is the
  client's ``Idempotency-Key`` (scoped to its credentials and route) or a fresh one; each write
  call of that request gets ``<base>:<n>``, n counting the request's write calls, so two writes
  of one HTTP request never share a key and the client's replay of it makes the same keys;
- the service's side (``ServiceHost``): a key whose answer is recorded is answered from the
  record. Otherwise the handler runs with a ``Claim``: the first transaction it commits also
  inserts the key into the service's ``request_keys`` table (``ClaimingConnection``), so the
  write and its key commit together. A second replica running the same key concurrently, or
  later, finds the key taken at commit (``AlreadyApplied``: its transaction rolls back) and
  answers with the first one's recorded answer. The answer is recorded just after the handler
  returns; a replica that dies between its commit and that record leaves a key without an
  answer, and a repeat gets 409 ("applied already") rather than a second write.

A write handler that commits no transaction (autocommit statements) has its key recorded only
with its answer, after the write: a death in between can apply such a write twice. The verbs
that matter use transactions (their row and outbox row commit together), or apply the key
themselves (``Verb.dedupes_itself``: status.create writes it into the status's idempotency
row, in the status's own statement, and answers a repeat with that status): for those the
service looks up and records nothing, and the handler reads the key from ``request_key()``.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import asyncpg.transaction

KEY_HEADER = "Hubbub-Idempotency-Key"
# Sent with a key's first attempt when the key was made for this HTTP request (the client gave
# no Idempotency-Key): no run of it can have come before, so the service does not look for a
# recorded answer (one read of request_keys less on every write). Retries go without it.
FIRST_RUN_HEADER = "Hubbub-First-Run"
KEEP_HOURS = 24  # a client's replay of a request is expected within minutes
ANSWER_WAIT_S = 2.0  # how long a repeat waits for the first one's answer to be recorded

# Each service schema has the table ``request_keys`` (posts 0010, graph 0018, notify 0010).


class AlreadyApplied(Exception):
    """Another run of this request committed its write: this transaction must not."""


# --- the caller's side --------------------------------------------------------------------------


@dataclass
class _Scope:
    base: str
    fresh: bool  # the base was made for this request, not derived from the client's key
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar(
    "hubbub_request_key_scope", default=None)


def scope_base(client_key: str | None, *parts: str) -> str:
    """The base key of one HTTP request: the client's ``Idempotency-Key`` bound to what
    identifies its author and route (``parts``: credentials, method, path), so that two clients'
    keys never meet; a fresh one when the client gave none."""
    if not client_key:
        return uuid.uuid4().hex
    digest = hashlib.sha256()
    for part in (client_key, *parts):
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
    return "c" + digest.hexdigest()[:40]


def begin(base: str, *, fresh: bool = False) -> contextvars.Token[_Scope | None]:
    """Open a request's scope; ``fresh``: its base was just made (``scope_base`` without the
    client's key), so that no earlier run can have used its keys."""
    return _scope.set(_Scope(base, fresh))


def end(token: contextvars.Token[_Scope | None]) -> None:
    _scope.reset(token)


@dataclass(frozen=True)
class CallKey:
    key: str
    fresh: bool  # made for this request: its first attempt is surely its first run


def next_key() -> CallKey | None:
    """The key of this write call, or None outside a request scope (such a write is sent once)."""
    scope = _scope.get()
    if scope is None:
        return None
    return CallKey(f"{scope.base}:{next(scope.counter)}", scope.fresh)


# --- the service's side -------------------------------------------------------------------------


@dataclass
class Claim:
    key: str
    verb: str
    owner: uuid.UUID = field(default_factory=uuid.uuid4)
    committed: bool = False  # a transaction of this run committed the key with its write


_claim: contextvars.ContextVar[Claim | None] = contextvars.ContextVar(
    "hubbub_request_key_claim", default=None)

# The key of the request being handled, for a verb that applies it itself.
_own_key: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "hubbub_request_key_own", default=None)


def request_key() -> str | None:
    """This request's idempotency key, inside a handler of a ``dedupes_itself`` verb (None
    without one: the caller sends it once)."""
    return _own_key.get()


def applying_own(key: str | None) -> contextvars.Token[str | None]:
    return _own_key.set(key)


def release_own(token: contextvars.Token[str | None]) -> None:
    _own_key.reset(token)


def claiming(claim: Claim | None) -> contextvars.Token[Claim | None]:
    return _claim.set(claim)


def release(token: contextvars.Token[Claim | None]) -> None:
    _claim.reset(token)


async def _claim_in(conn: asyncpg.Connection, claim: Claim) -> None:
    """Insert the key inside the committing transaction; a key held by another run (which
    committed, or commits first: the insert waits for it) means this run must roll back."""
    owner = await conn.fetchval(
        "INSERT INTO request_keys (key, verb, owner) VALUES ($1, $2, $3) "
        "ON CONFLICT (key, verb) DO NOTHING RETURNING owner", claim.key, claim.verb, claim.owner)
    if owner is None:
        owner = await conn.fetchval(
            "SELECT owner FROM request_keys WHERE key = $1 AND verb = $2", claim.key, claim.verb)
        if owner != claim.owner:
            raise AlreadyApplied(f"{claim.verb} {claim.key}")


class ClaimingTransaction(asyncpg.transaction.Transaction):  # type: ignore[misc]
    """A transaction that, inside a request holding a claim, commits the key with the write;
    and runs the connection's after-commit callbacks once its top level has committed (see
    ``ClaimingConnection.after_commit``)."""

    __slots__ = ("_callbacks_before",)

    async def __aenter__(self) -> ClaimingTransaction:
        await super().__aenter__()
        # A savepoint rolled back takes back the callbacks registered inside it.
        self._callbacks_before = len(self._connection.committed_callbacks)
        return self

    async def __aexit__(self, extype: Any, ex: Any, tb: Any) -> None:
        claim = _claim.get()
        if extype is None and claim is not None and not self._nested and not self._readonly:
            try:
                await _claim_in(self._connection, claim)
            except BaseException as exc:
                await self._end(type(exc), exc, exc.__traceback__)
                raise
            await self._end(None, None, None)
            claim.committed = True
            return
        await self._end(extype, ex, tb)

    async def _end(self, extype: Any, ex: Any, tb: Any) -> None:
        conn: ClaimingConnection = self._connection
        try:
            await super().__aexit__(extype, ex, tb)
        except BaseException:
            del conn.committed_callbacks[self._callbacks_before:]
            raise
        if extype is not None:
            del conn.committed_callbacks[self._callbacks_before:]
        elif not self._nested:
            conn.run_committed_callbacks()


class ClaimingConnection(asyncpg.Connection):  # type: ignore[misc]
    """The connection class of the services' pools (shared/db.py): transactions claim keys,
    and code inside a transaction can ask to be called once it has committed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.committed_callbacks: list[Callable[[], None]] = []

    def transaction(self, *, isolation: str | None = None, readonly: bool = False,
                    deferrable: bool = False) -> asyncpg.transaction.Transaction:
        self._check_open()
        return ClaimingTransaction(self, isolation, readonly, deferrable)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when what was just written is committed: at once outside a
        transaction (the statement committed itself), else when the transaction's top level
        commits; never when it (or the savepoint it was registered in) rolls back. For work
        that must not run on a write that did not happen (the outbox's hand-off to its relay,
        shared/outbox.py). Only for transactions opened with ``transaction()``."""
        if not self.is_in_transaction():
            callback()
        else:
            self.committed_callbacks.append(callback)

    def run_committed_callbacks(self) -> None:
        callbacks, self.committed_callbacks = self.committed_callbacks, []
        for callback in callbacks:
            callback()


@dataclass(frozen=True)
class Answer:
    reply: bytes | None
    error_code: str | None
    error_message: str | None
    error_details: bytes | None


class RequestKeys:
    """A service's recorded answers, in its own schema."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._recorded = 0

    async def answer(self, key: str, verb: str) -> tuple[bool, Answer | None]:
        """(taken, answer): whether the key is known, and its answer once recorded."""
        row = await self.pool.fetchrow(
            "SELECT reply, error_code, error_message, error_details FROM request_keys "
            "WHERE key = $1 AND verb = $2", key, verb)
        if row is None:
            return False, None
        if row["reply"] is None and row["error_code"] is None:
            return True, None
        return True, Answer(_bytes(row["reply"]), row["error_code"], row["error_message"],
                            _bytes(row["error_details"]))

    async def wait_answer(self, key: str, verb: str, timeout: float = ANSWER_WAIT_S
                          ) -> Answer | None:
        """The first run's answer, waiting a moment for it to be recorded."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            _taken, answer = await self.answer(key, verb)
            if answer is not None or loop.time() >= deadline:
                return answer
            await asyncio.sleep(0.05)

    async def record(self, claim: Claim, *, reply: bytes | None = None,
                     error: tuple[str, str, bytes | None] | None = None) -> None:
        """Record this run's answer (and the key, when no transaction committed it)."""
        code, message, details = error if error else (None, None, None)
        await self.pool.execute(
            "INSERT INTO request_keys (key, verb, owner, reply, error_code, error_message, "
            "error_details) VALUES ($1, $2, $3, $4, $5, $6, $7) "
            "ON CONFLICT (key, verb) DO UPDATE SET reply = EXCLUDED.reply, "
            "error_code = EXCLUDED.error_code, error_message = EXCLUDED.error_message, "
            "error_details = EXCLUDED.error_details WHERE request_keys.owner = EXCLUDED.owner",
            claim.key, claim.verb, claim.owner, reply, code, message, details)
        self._recorded += 1
        if self._recorded % 1000 == 1:
            await self.forget_old()

    async def forget_old(self) -> None:
        await self.pool.execute(
            "DELETE FROM request_keys WHERE created_at < now() - make_interval(hours => $1)",
            KEEP_HOURS)


def _bytes(value: Any) -> bytes | None:
    return None if value is None else bytes(value)
