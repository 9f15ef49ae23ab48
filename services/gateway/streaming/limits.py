"""Connection limits: per token and per gateway process, answered with a clear refusal."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from shared import errors


class TooManyConnections(errors.HubbubError):
    code = "too_many_connections"
    http_status = 429


class ConnectionLimits:
    def __init__(self, per_token: int, per_process: int) -> None:
        self.per_token = per_token
        self.per_process = per_process
        self.by_token: Counter[int] = Counter()
        self.total = 0

    @contextmanager
    def hold(self, token_id: int) -> Iterator[None]:
        """Count one connection for its lifetime, or refuse it at once."""
        if self.total >= self.per_process:
            raise TooManyConnections("This server holds too many streaming connections; "
                                     "try again later")
        if self.by_token[token_id] >= self.per_token:
            raise TooManyConnections(f"Too many streaming connections for this access token "
                                     f"(at most {self.per_token})")
        self.total += 1
        self.by_token[token_id] += 1
        try:
            yield
        finally:
            self.total -= 1
            self.by_token[token_id] -= 1
            if not self.by_token[token_id]:
                del self.by_token[token_id]
