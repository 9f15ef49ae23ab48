"""The one in-process memory cache: a dict bounded by its number of entries, optionally with a
time to live. Every cache a process keeps in its own memory is one of these (caches shared
through Redis are not: shared/viewer_cache.py, services/posts/status_cache.py, ...).

Eviction, one policy for all: past ``max_entries`` the least recently *stored* entry goes (a
``put``, of a new key or again of a known one, makes an entry the newest; a ``get`` does not).
Why not a classic LRU, which also reorders on every hit:

- Every user checks what it finds against what makes it true (a record's version, its exact
  cached bytes or its identity, a token's or a fetch's TTL), so the order of eviction changes
  the hit rate only, never an answer.
- The hottest users (a home page makes about a hundred lookups in pages.Fragments,
  hydrate.records and hydrate.timeline_page) look up with the dict's own ``get``, one C call;
  reordering on each hit makes it a Python call several times as costly (measured in
  tests/unit/test_bounded_cache.py's module docstring). A hot entry that ages out comes back on
  its next miss, once.
- The caches that were LRUs (the streaming RenderCache, StatusFetches) are read within moments
  of their put: the most recently stored is the most recently used.

The race every user must state is its own (what may change between a put and a get, and why a
get never serves a stale answer): this module holds only the bound and the expiry. Not
thread-safe; one event loop's tasks share it (no await inside).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
D = TypeVar("D")

_MISSING: Any = object()


class BoundedCache(Generic[K, V]):
    """At most ``max_entries`` entries, the least recently stored out first; with ``ttl_s``, an
    entry older than that is gone (dropped when read). ``clock`` is for tests."""

    __slots__ = ("_clock", "_entries", "get", "max_entries", "ttl_s")

    def __init__(self, max_entries: int, *, ttl_s: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError("a bounded cache holds at least one entry")
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self._clock = clock
        # With a TTL, a value is stored as (expires_at, value).
        self._entries: OrderedDict[K, Any] = OrderedDict()
        # Without a TTL, get is the dict's own method: one C call on the hot paths' lookups.
        lookup = self._entries.get if ttl_s is None else self._get_fresh
        self.get = lookup  # type: ignore[method-assign]

    if TYPE_CHECKING:
        @overload
        def get(self, key: K, /) -> V | None: ...
        @overload
        def get(self, key: K, default: D, /) -> V | D: ...
        def get(self, key: K, default: Any = None, /) -> Any:
            """The value stored under ``key`` (and still fresh), else ``default``."""

    def _get_fresh(self, key: K, default: Any = None, /) -> Any:
        entry = self._entries.get(key)
        if entry is None:
            return default
        if entry[0] <= self._clock():
            del self._entries[key]
            return default
        return entry[1]

    def put(self, key: K, value: V) -> V:
        """Store ``value`` as the newest entry; returns it (``found = cache.put(k, make())``)."""
        entries = self._entries
        if key in entries:
            entries.move_to_end(key)
        entries[key] = value if self.ttl_s is None else (self._clock() + self.ttl_s, value)
        if len(entries) > self.max_entries:
            entries.popitem(last=False)
        return value

    def forget(self, key: K) -> None:
        """Drop ``key`` if stored (e.g. a revoked token)."""
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        """Entries stored, including expired ones not read since."""
        return len(self._entries)
