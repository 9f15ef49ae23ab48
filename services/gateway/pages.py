"""Timeline pages as JSON bytes spliced from cached pieces: the hottest read path.

Rendering twenty statuses into Mastodon JSON in Python (dicts, dates, the author's account and
its profile fields, then encoding) cost more than everything else in a home read. Most of it is
the same for every reader and changes rarely, so each piece is rendered once and kept as bytes:

- a status's own fields (``mastodon.status_fields``), by the exact cached record it came from
  (the record carries its row version, bumped on every change, e.g. a new favourite count);
- an account's JSON and its mention JSON, by the exact cached record too.

A page is then those bytes joined with what depends on the reader (favourited, reblogged,
bookmarked, pinned, the poll with the reader's votes) and the reblog nesting. The result is the
same JSON as ``mastodon.status`` gives (tests/gateway/test_pages.py holds them equal).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

import msgspec

from services.gateway import mastodon
from shared.records import AccountRecord, StatusRecord, pack
from shared.viewer_cache import NO_FLAGS, Flags

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_encode = msgspec.json.Encoder().encode
_BOOL = {True: b"true", False: b"false"}


class BoundedCache(Generic[K, V]):
    """A dict that forgets its oldest entries past ``max_entries`` (insertion order: cheaper than
    an LRU's reordering on every hit, and the hot entries come back at once when dropped)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        return self._entries.get(key)

    def put(self, key: K, value: V) -> V:
        entries = self._entries
        if len(entries) >= self.max_entries:
            for old in list(entries)[: max(1, self.max_entries // 10)]:
                del entries[old]
        entries[key] = value
        return value

    def __len__(self) -> int:
        return len(self._entries)


class Fragments:
    """The viewer-independent JSON pieces, cached by the record they were made from."""

    def __init__(self, base_url: str, max_entries: int = 20_000) -> None:
        self.base_url = base_url
        self._statuses: BoundedCache[tuple, bytes] = BoundedCache(max_entries)
        # Keyed by the record's msgpack bytes: an account record holds dicts (profile fields),
        # so it cannot be a key itself.
        self._accounts: BoundedCache[bytes, tuple[bytes, bytes]] = BoundedCache(max_entries)

    def status(self, s: StatusRecord, author_username: str) -> bytes:
        """The status's own fields as JSON object members, without the braces."""
        # Every change to a status row bumps its version: (id, version) names its content.
        key = (s.id, s.version, author_username) if s.version else (s, author_username)
        found = self._statuses.get(key)
        if found is None:
            fields = _encode(mastodon.status_fields(s, author_username, self.base_url))
            found = self._statuses.put(key, fields[1:-1])
        return found

    def account(self, a: AccountRecord) -> tuple[bytes, bytes]:
        """The account's JSON object and its mention JSON object."""
        key = pack(a)
        found = self._accounts.get(key)
        if found is None:
            found = self._accounts.put(key, (_encode(mastodon.account(a, self.base_url)),
                                           _encode(mastodon.mention(a, self.base_url))))
        return found

    def splice(self, s: StatusRecord, shaped: dict[int, tuple[bytes, bytes]],
               usernames: dict[int, str], flags: Flags, reblog: bytes | None = None
               ) -> bytes | None:
        """One status's JSON (``shaped``: account id -> its JSON and mention JSON); None when
        its author is gone (so is the post, for readers)."""
        author = shaped.get(s.account_id)
        if author is None:
            return None
        mentions = b",".join([shaped[i][1] for i in s.mentions if i in shaped])
        poll = b"null"
        if s.poll is not None:
            votes = list(flags.votes) if flags.poll_id == s.poll.id else None
            poll = _encode(mastodon.poll(s.poll, votes))
        return b"".join((
            b"{", self.status(s, usernames[s.account_id]),
            b',"account":', author[0],
            b',"mentions":[', mentions,
            _FLAGS_JSON[flags.favourited, flags.reblogged, flags.bookmarked, flags.pinned],
            b',"poll":', poll,
            b',"reblog":', reblog if reblog is not None else b"null",
            b"}",
        ))

    def page(self, statuses: list[StatusRecord], originals: dict[int, StatusRecord],
             accounts: dict[int, AccountRecord], flags: dict[int, Flags]) -> bytes:
        """A JSON array of the statuses in order; a reblog wraps its original and shows the
        original's flags, as Mastodon does (a reblog itself is never pinned)."""
        shaped = {i: self.account(a) for i, a in accounts.items()}
        usernames = {i: a.username for i, a in accounts.items()}
        rendered = []
        for s in statuses:
            if s.reblog_of_id is None:
                one = self.splice(s, shaped, usernames, flags.get(s.id, NO_FLAGS))
            else:
                original = originals.get(s.reblog_of_id)
                if original is None:
                    continue
                inner_flags = flags.get(original.id, NO_FLAGS)
                inner = self.splice(original, shaped, usernames, inner_flags)
                if inner is None:
                    continue
                outer_flags = Flags(favourited=inner_flags.favourited,
                                    reblogged=inner_flags.reblogged,
                                    bookmarked=inner_flags.bookmarked)
                one = self.splice(s, shaped, usernames, outer_flags, reblog=inner)
            if one is not None:
                rendered.append(one)
        return b"[" + b",".join(rendered) + b"]"


def _flags_json(favourited: bool, reblogged: bool, bookmarked: bool, pinned: bool) -> bytes:
    return (b'],"favourited":' + _BOOL[favourited] + b',"reblogged":' + _BOOL[reblogged]
            + b',"bookmarked":' + _BOOL[bookmarked] + b',"pinned":' + _BOOL[pinned])


# The reader's four flags, closing the mentions list before them: every combination, made once.
_FLAGS_JSON = {(f, r, b, p): _flags_json(f, r, b, p)
               for f in (False, True) for r in (False, True)
               for b in (False, True) for p in (False, True)}
