"""Connection limits: per token, per account, per client address and per gateway process,
answered with a clear refusal.

Per token alone was not enough: an account mints tokens at will (each sign-in is one), and a
client address may open connections under many accounts; either could take every slot of a
gateway."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import Any

from shared import errors


class TooManyConnections(errors.HubbubError):
    code = "too_many_connections"
    http_status = 429


class ConnectionLimits:
    def __init__(self, per_token: int, per_process: int, *, per_account: int = 32,
                 per_ip: int = 1_000) -> None:
        self.per_token = per_token
        self.per_account = per_account
        self.per_ip = per_ip
        self.per_process = per_process
        self.by_token: Counter[int] = Counter()
        self.by_account: Counter[int] = Counter()
        self.by_ip: Counter[str] = Counter()
        self.total = 0

    @contextmanager
    def hold(self, token_id: int, account_id: int | None = None, ip: str | None = None
             ) -> Iterator[None]:
        """Count one connection for its lifetime, or refuse it at once."""
        if self.total >= self.per_process:
            raise TooManyConnections("This server holds too many streaming connections; "
                                     "try again later")
        if self.by_token[token_id] >= self.per_token:
            raise TooManyConnections(f"Too many streaming connections for this access token "
                                     f"(at most {self.per_token})")
        if account_id is not None and self.by_account[account_id] >= self.per_account:
            raise TooManyConnections(f"Too many streaming connections for this account "
                                     f"(at most {self.per_account})")
        if ip is not None and self.by_ip[ip] >= self.per_ip:
            raise TooManyConnections(f"Too many streaming connections from this address "
                                     f"(at most {self.per_ip})")
        self.total += 1
        counted: list[tuple[Counter[Any], Hashable]] = [(self.by_token, token_id)]
        if account_id is not None:
            counted.append((self.by_account, account_id))
        if ip is not None:
            counted.append((self.by_ip, ip))
        for counter, key in counted:
            counter[key] += 1
        try:
            yield
        finally:
            self.total -= 1
            for counter, key in counted:
                counter[key] -= 1
                if not counter[key]:
                    del counter[key]
