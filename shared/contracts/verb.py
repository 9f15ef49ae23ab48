"""A service verb, declared once: which service answers it, its name, what it takes, what it
answers.

Both ends go through the declaration, so a type checker ties them together:

    # shared/contracts/graph.py: the one place that lists graph's verbs
    ACCOUNT_GET = VERBS.declare("account.get", GetAccounts, Accounts)

    # the caller (any process):   reply is an ``Accounts``
    reply = await bus.call(nc, graph_api.ACCOUNT_GET, graph_api.GetAccounts(ids=[1]))

    # graph itself:                the handler must take GetAccounts and return Accounts
    host.serve(graph_api.ACCOUNT_GET, get_accounts)

A ``ServiceHost`` refuses to start unless it serves exactly its service's declared verbs, so a
verb declared but never served (or served twice) fails at start, not at the first request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar

import msgspec

from shared import subjects

Req = TypeVar("Req")
Rep = TypeVar("Rep")


class Verb(Generic[Req, Rep]):
    """``hubbub.svc.<service>.<name>``, its request type and its reply type."""

    __slots__ = ("service", "name", "request", "reply", "subject", "_reply_decoder")

    def __init__(self, service: str, name: str, request: type[Req], reply: type[Rep]) -> None:
        self.service = service
        self.name = name
        self.request = request
        self.reply = reply
        self.subject = subjects.service(service, name)
        self._reply_decoder: msgspec.json.Decoder[Rep] = msgspec.json.Decoder(reply)

    def decode_reply(self, data: bytes) -> Rep:
        return self._reply_decoder.decode(data)

    def __repr__(self) -> str:
        return f"Verb({self.service}.{self.name})"


class VerbSet:
    """Every verb of one service, in declaration order."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._verbs: dict[str, Verb[Any, Any]] = {}

    def declare(self, name: str, request: type[Req], reply: type[Rep]) -> Verb[Req, Rep]:
        if name in self._verbs:
            raise ValueError(f"{self.service}.{name} declared twice")
        verb = Verb(self.service, name, request, reply)
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
