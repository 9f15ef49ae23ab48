"""Timeline pages as JSON bytes spliced from cached pieces: the hottest read path.

Rendering twenty statuses into Mastodon JSON in Python (dicts, dates, the author's account and
its profile fields, then encoding) cost more than everything else in a home read. Most of it is
the same for every reader and changes rarely, so each piece is rendered once and kept as bytes:

- a status's own fields (``mastodon.status_fields``), by the exact cached record it came from
  (the record carries its row version, bumped on every change, e.g. a new favourite count);
- an account's JSON and its mention JSON, by the exact cached record too;
- a whole status up to the reader's flags (its fields, author and mentions), and for a reader
  without flags on it the whole status, while it is made of the very same record objects
  (the hydrator keeps one object per cached bytes, so a change is a new object: a miss).

A page is then those bytes joined with what depends on the reader (favourited, reblogged,
bookmarked, pinned, ``filtered`` by the reader's content filters, the poll with the reader's
votes) and the reblog nesting. The result is the
same JSON as ``mastodon.status`` gives (tests/gateway/test_pages.py holds them equal).

A status's fields hold its attachments' signed URLs, which expire: every piece is dropped when
the UTC day turns (media_urls.DayTurn), so no cached piece outlives the end of the day it was
rendered on, and its URLs have at least a day to go when served.
"""

from __future__ import annotations

from typing import NamedTuple

import msgspec

from services.gateway.media_urls import DayTurn
from services.gateway.presenters import mastodon
from services.gateway.presenters.media import MediaUrl
from shared.bounded_cache import BoundedCache
from shared.records import AccountRecord, StatusRecord
from shared.viewer_cache import NO_FLAGS, Flags

_encode = msgspec.json.Encoder().encode
_BOOL = {True: b"true", False: b"false"}


class Fragments:
    """The viewer-independent JSON pieces, cached by the record they were made from."""

    def __init__(self, base_url: str, media_url: MediaUrl, max_entries: int = 20_000) -> None:
        self.base_url = base_url
        self.media_url = media_url
        self._day = DayTurn()
        # By (id, version, author's username), or by the record itself when it has no version.
        self._statuses: BoundedCache[tuple[int, int, str] | tuple[StatusRecord, str], bytes] = (
            BoundedCache(max_entries))
        # By account id: the record the JSON was made from (checked by identity, so a changed
        # record, which is a new object, misses), its JSON object and its mention JSON object.
        self._accounts: BoundedCache[int, tuple[AccountRecord, bytes, bytes]] = BoundedCache(
            max_entries)
        # By status id: a whole status's JSON up to its flags (_Head), for statuses without a
        # poll (a poll shows the time and the reader's votes, so it is rendered on each read).
        self._heads: BoundedCache[int, _Head] = BoundedCache(max_entries)

    def status(self, s: StatusRecord, author_username: str) -> bytes:
        """The status's own fields as JSON object members, without the braces."""
        # Every change to a status row bumps its version: (id, version) names its content.
        key: tuple[int, int, str] | tuple[StatusRecord, str] = (
            (s.id, s.version, author_username) if s.version else (s, author_username))
        found = self._statuses.get(key)
        if found is None:
            fields = _encode(mastodon.status_fields(s, author_username, self.base_url,
                                                    self.media_url))
            found = self._statuses.put(key, fields[1:-1])
        return found

    def account(self, a: AccountRecord) -> tuple[bytes, bytes]:
        """The account's JSON object and its mention JSON object."""
        found = self._accounts.get(a.id)
        if found is None or found[0] is not a:
            found = self._accounts.put(a.id, (a, _encode(mastodon.account(a, self.base_url)),
                                              _encode(mastodon.mention(a, self.base_url))))
        return found[1], found[2]

    def _head(self, s: StatusRecord, accounts: dict[int, AccountRecord]) -> _Head | None:
        """The status's JSON up to its flags, cached while the status, its author and its
        mentioned accounts are the very records it was made from; None when the author is gone
        (so is the post, for readers)."""
        author = accounts.get(s.account_id)
        if author is None:
            return None
        mentioned = tuple([accounts[i] for i in s.mentions if i in accounts]) if s.mentions \
            else ()
        head = self._heads.get(s.id)
        if (head is not None and head.status is s and head.author is author
                and (not mentioned and not head.mentioned or _same(head.mentioned, mentioned))):
            return head
        body = b"".join((
            b"{", self.status(s, author.username),
            b',"account":', self.account(author)[0],
            b',"mentions":[', b",".join([self.account(a)[1] for a in mentioned]),
        ))
        if s.poll is not None:
            return _Head(s, author, mentioned, body, None)
        return self._heads.put(s.id, _Head(s, author, mentioned, None, body + _PLAIN_TAIL))

    def _one(self, s: StatusRecord, accounts: dict[int, AccountRecord], flags: Flags,
             reblog: bytes | None = None, filtered: bytes | None = None) -> bytes | None:
        head = self._head(s, accounts)
        if head is None:
            return None
        if (reblog is None and filtered is None and head.plain is not None
                and flags.favourited is False and flags.reblogged is False
                and flags.bookmarked is False and flags.pinned is False):
            return head.plain
        poll = b"null"
        if s.poll is not None:
            votes = list(flags.votes) if flags.poll_id == s.poll.id else None
            poll = _encode(mastodon.poll(s.poll, votes))
        return b"".join((
            head.opening(),
            _FLAGS_JSON[flags.favourited, flags.reblogged, flags.bookmarked, flags.pinned],
            b',"filtered":', filtered if filtered is not None else b"[]",
            b',"poll":', poll,
            b',"reblog":', reblog if reblog is not None else b"null",
            b"}",
        ))

    def page(self, statuses: list[StatusRecord], originals: dict[int, StatusRecord],
             accounts: dict[int, AccountRecord], flags: dict[int, Flags],
             filtered: dict[int, bytes] | None = None) -> bytes:
        """A JSON array of the statuses in order (``accounts``: their authors and mentioned
        accounts); a reblog wraps its original and shows the original's flags, as Mastodon
        does (a reblog itself is never pinned). ``filtered``: the JSON of the reader's
        FilterResults of the statuses that have any, by status id."""
        if self._day.turned():  # signed URLs rendered yesterday: render them anew
            self._statuses.clear()
            self._heads.clear()
        filtered = filtered or {}
        # Each status followed by a comma; the last comma becomes the closing bracket, so that
        # the page is copied once.
        rendered = [b"["]
        one = self._one
        heads = self._heads.get
        for s in statuses:
            if s.reblog_of_id is None:
                status_flags = flags.get(s.id, NO_FLAGS)
                # The common case first: as rendered before, no flags set, no mentions.
                head = heads(s.id)
                if (head is not None and head.status is s and head.plain is not None
                        and not s.mentions and accounts.get(s.account_id) is head.author
                        and (status_flags is NO_FLAGS or status_flags == NO_FLAGS)
                        and (not filtered or s.id not in filtered)):
                    rendered.append(head.plain)
                    rendered.append(b",")
                    continue
                shaped = one(s, accounts, status_flags, filtered=filtered.get(s.id))
            else:
                original = originals.get(s.reblog_of_id)
                if original is None:
                    continue
                inner_flags = flags.get(original.id, NO_FLAGS)
                inner = one(original, accounts, inner_flags,
                            filtered=filtered.get(original.id) if filtered else None)
                if inner is None:
                    continue
                outer_flags = Flags(favourited=inner_flags.favourited,
                                    reblogged=inner_flags.reblogged,
                                    bookmarked=inner_flags.bookmarked)
                shaped = one(s, accounts, outer_flags, reblog=inner,
                             filtered=filtered.get(s.id) if filtered else None)
            if shaped is not None:
                rendered.append(shaped)
                rendered.append(b",")
        if len(rendered) == 1:
            return b"[]"
        rendered[-1] = b"]"
        return b"".join(rendered)


class _Head(NamedTuple):
    """A status's JSON up to its flags, and the records it was made from."""

    status: StatusRecord
    author: AccountRecord
    mentioned: tuple[AccountRecord, ...]
    # From "{" to the mentions list's last member: kept apart for a status with a poll only.
    json: bytes | None
    # Without a poll: the whole status as a reader without flags on it sees it (``json``,
    # then _PLAIN_TAIL). One copy in memory: ``json`` is its start.
    plain: bytes | None

    def opening(self) -> bytes:
        """From "{" to the mentions list's last member."""
        if self.json is not None:
            return self.json
        assert self.plain is not None
        return self.plain[:-len(_PLAIN_TAIL)]


def _same(a: tuple[AccountRecord, ...], b: tuple[AccountRecord, ...]) -> bool:
    """The same records, one by one (identity: a changed record is a new object)."""
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))




def _flags_json(favourited: bool, reblogged: bool, bookmarked: bool, pinned: bool) -> bytes:
    return (b'],"favourited":' + _BOOL[favourited] + b',"reblogged":' + _BOOL[reblogged]
            + b',"bookmarked":' + _BOOL[bookmarked] + b',"pinned":' + _BOOL[pinned])


# The reader's four flags, closing the mentions list before them: every combination, made once.
_FLAGS_JSON = {(f, r, b, p): _flags_json(f, r, b, p)
               for f in (False, True) for r in (False, True)
               for b in (False, True) for p in (False, True)}
_PLAIN_TAIL = (_FLAGS_JSON[False, False, False, False]
               + b',"filtered":[],"poll":null,"reblog":null}')
