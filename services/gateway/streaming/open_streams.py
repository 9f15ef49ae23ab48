"""The streaming connections open on this gateway, by token and by account, so that revoking a
token or deactivating an account ends them at once (services/gateway/offboarding.py).

A connection registers how to end it (``End``: a plain call, no await: it is made from a NATS
callback and must not block); ending one is asking its transport to close, which then leaves
the registry on its way out like any closing connection. The registry holds open connections
only, so it is bounded by the connection limits (streaming/limits.py)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

End = Callable[[], None]


class OpenStreams:
    def __init__(self) -> None:
        self.by_token: dict[str, set[End]] = {}
        self.by_account: dict[int, set[End]] = {}

    @contextmanager
    def held(self, token_digest: str, account_id: int, end: End) -> Iterator[None]:
        """Registered for the connection's lifetime."""
        self.by_token.setdefault(token_digest, set()).add(end)
        self.by_account.setdefault(account_id, set()).add(end)
        try:
            yield
        finally:
            _discard(self.by_token, token_digest, end)
            _discard(self.by_account, account_id, end)

    def end_token(self, token_digest: str) -> int:
        """End every connection opened with this token; returns how many."""
        return _end(self.by_token.get(token_digest))

    def end_account(self, account_id: int) -> int:
        """End every connection of this account; returns how many."""
        return _end(self.by_account.get(account_id))

    def __len__(self) -> int:
        return sum(len(ends) for ends in self.by_account.values())


def _discard(index: dict[Any, set[End]], key: Hashable, end: End) -> None:
    ends = index.get(key)
    if ends is not None:
        ends.discard(end)
        if not ends:
            del index[key]


def _end(ends: set[End] | None) -> int:
    found = list(ends or ())
    for end in found:
        end()
    return len(found)
