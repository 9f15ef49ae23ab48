"""A service verb, declared once: which service answers it, its name, what it takes, what it
answers.

Both ends go through the declaration, so a type checker ties them together:

    # shared/contracts/graph.py: the one place that lists graph's verbs
    ACCOUNT_GET = VERBS.declare("account.get", GetAccounts, Accounts, kind=READ)

    # the caller (any process):   reply is an ``Accounts``
    reply = await bus.call(nc, graph_api.ACCOUNT_GET, graph_api.GetAccounts(ids=[1]))

    # graph itself:                the handler must take GetAccounts and return Accounts
    host.serve(graph_api.ACCOUNT_GET, get_accounts)

A ``ServiceHost`` refuses to start unless it serves exactly its service's declared verbs, so a
verb declared but never served (or served twice) fails at start, not at the first request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, Literal, TypeVar

import msgspec

from shared import subjects

# What a verb does to the service's state, which says whether a caller may send it again after
# it got no answer (no responders, a timeout: shared/bus.py ``call``):
# - "read" changes nothing: sent again freely;
# - "idempotent" is set-like (add to a set, remove from it, put a value): applying it twice
#   leaves what applying it once does, and answers the same, so it is sent again freely too;
# - "write" is sent again only with an idempotency key, which the service applies at most once
#   (shared/request_keys.py): a request whose answer was lost must not post twice.
VerbKind = Literal["read", "idempotent", "write"]
READ: VerbKind = "read"
IDEMPOTENT: VerbKind = "idempotent"
WRITE: VerbKind = "write"

Req = TypeVar("Req")
Rep = TypeVar("Rep")


class Verb(Generic[Req, Rep]):
    """``hubbub.svc.<service>.<name>``, its request type and its reply type."""

    __slots__ = ("service", "name", "request", "reply", "kind", "dedupes_itself", "subject",
                 "_reply_decoder")

    def __init__(self, service: str, name: str, request: type[Req], reply: type[Rep], *,
                 kind: VerbKind, dedupes_itself: bool = False) -> None:
        self.service = service
        self.name = name
        self.kind = kind
        # A write whose handler applies its idempotency key itself, in its own write, and
        # answers a repeat as it answered the first run (``request_keys.request_key``): the
        # service neither looks up nor records its answer (a statement less per request).
        self.dedupes_itself = dedupes_itself
        self.request = request
        self.reply = reply
        self.subject = subjects.service(service, name)
        self._reply_decoder: msgspec.json.Decoder[Rep] = msgspec.json.Decoder(reply)

    @property
    def retryable_without_key(self) -> bool:
        """May be sent again after no answer, with no idempotency key."""
        return self.kind != WRITE

    def decode_reply(self, data: bytes) -> Rep:
        return self._reply_decoder.decode(data)

    def __repr__(self) -> str:
        return f"Verb({self.service}.{self.name})"


class VerbSet:
    """Every verb of one service, in declaration order."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._verbs: dict[str, Verb[Any, Any]] = {}

    def declare(self, name: str, request: type[Req], reply: type[Rep], *, kind: VerbKind,
                dedupes_itself: bool = False) -> Verb[Req, Rep]:
        """``kind`` is required: every verb says whether it may be sent twice (see VerbKind).
        ``dedupes_itself``: see ``Verb``."""
        if name in self._verbs:
            raise ValueError(f"{self.service}.{name} declared twice")
        if kind not in (READ, IDEMPOTENT, WRITE):
            raise ValueError(f"{self.service}.{name}: unknown kind {kind!r}")
        if dedupes_itself and kind != WRITE:
            raise ValueError(f"{self.service}.{name}: only a write has a key to apply")
        verb = Verb(self.service, name, request, reply, kind=kind, dedupes_itself=dedupes_itself)
        self._verbs[name] = verb
        return verb

    def __iter__(self) -> Iterator[Verb[Any, Any]]:
        return iter(self._verbs.values())

    def __len__(self) -> int:
        return len(self._verbs)

    def __contains__(self, verb: object) -> bool:
        return isinstance(verb, Verb) and self._verbs.get(verb.name) is verb

    def names(self) -> set[str]:
        return set(self._verbs)
