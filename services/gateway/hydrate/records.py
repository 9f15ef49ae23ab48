"""The first of hydration's in-process cache layers: records decoded from the exact cached
bytes they came from. A page decodes twenty records per read, mostly the same ones as the read
before (same bytes: the same record object, which the page's fragments are keyed by); a change
is a new version of the bytes, so none of these can serve a stale record or flag."""

from __future__ import annotations

from shared import viewer_cache
from shared.bounded_cache import BoundedCache
from shared.records import AccountRecord, StatusRecord, unpack_account, unpack_cached_status
from shared.viewer_cache import Flags


class DecodedRecords:
    def __init__(self) -> None:
        # The last record decoded of each status and account, with the bytes it came from.
        self.statuses_seen: BoundedCache[int, tuple[bytes, StatusRecord]] = BoundedCache(20_000)
        self.accounts_seen: BoundedCache[int, tuple[bytes, AccountRecord]] = BoundedCache(20_000)
        self._decoded_accounts: BoundedCache[bytes, AccountRecord] = BoundedCache(10_000)
        # The reader's flags by their cached value ("", "f", "fb", ...: few distinct ones).
        self.decoded_flags: BoundedCache[bytes, Flags] = BoundedCache(10_000)

    def status_at(self, status_id: int, raw: bytes) -> StatusRecord:
        """The status record cached as ``raw`` (not a tombstone)."""
        seen = self.statuses_seen.get(status_id)
        if seen is not None and seen[0] == raw:
            return seen[1]
        record = unpack_cached_status(raw)
        self.statuses_seen.put(status_id, (raw, record))
        return record

    def account_at(self, account_id: int, raw: bytes) -> AccountRecord:
        seen = self.accounts_seen.get(account_id)
        if seen is not None and seen[0] == raw:
            return seen[1]
        record = unpack_account(raw)
        self.accounts_seen.put(account_id, (raw, record))
        return record

    def flags(self, raw: bytes) -> Flags:
        found = self.decoded_flags.get(raw)
        if found is None:
            found = self.decoded_flags.put(raw, viewer_cache.decode_flags(raw))
        return found

    def account(self, raw: bytes) -> AccountRecord:
        """An account record from its cached bytes (``acct:<id>``), whoever it is."""
        found = self._decoded_accounts.get(raw)
        if found is None:
            found = self._decoded_accounts.put(raw, unpack_account(raw))
        return found

    def add_accounts(self, accounts: dict[int, AccountRecord], ids: list[int],
                     raws: list[bytes | None]) -> None:
        seen = self.accounts_seen.get
        for account_id, raw in zip(ids, raws, strict=True):
            if raw is not None:
                last = seen(account_id)
                accounts[account_id] = last[1] if last is not None and last[0] == raw \
                    else self.account_at(account_id, raw)

    def add_flags(self, flags: dict[int, Flags], ids: list[int], raws: list[bytes | None]
                  ) -> None:
        decoded = self.decoded_flags.get
        for status_id, raw in zip(ids, raws, strict=True):
            if raw is not None:
                found = decoded(raw)
                flags[status_id] = found if found is not None else self.flags(raw)
