"""shared/bounded_cache.py: the one in-process cache (bound, eviction order, TTL).

Cost against the code it replaced, measured with timeit (ns per call, min of 30 interleaved
runs of 200,000 on the shared 2-core dev box under load, so +-10% is noise):

    pages.BoundedCache get hit / miss      24.8 / 23.2  ->  26.0 / 24.8  (both dict.get, in C)
    pages.BoundedCache put past the bound   168 -> 249  (one OrderedDict eviction per put instead
                                            of a tenth of a plain dict at once; on a miss only,
                                            after microseconds of rendering)
    Frames get hit / put past the bound    50.4 / 202 -> 26.1 / 225
    TokenCache get hit / put (TTL)          115 / 437 -> 132 / 360
    RenderCache get hit (was an LRU)       85.3 -> 57.7
    An LRU get (reorder on each hit, a Python method): 140-240 ns, against ~30 ns for dict.get.
"""

from __future__ import annotations

import pytest

from shared.bounded_cache import BoundedCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_least_recently_stored_goes_first() -> None:
    cache: BoundedCache[str, int] = BoundedCache(3)
    for i, key in enumerate("abc"):
        cache.put(key, i)
    assert cache.get("a") == 0  # a read does not make an entry newer
    cache.put("d", 3)
    assert cache.get("a") is None and [cache.get(k) for k in "bcd"] == [1, 2, 3]


def test_storing_a_known_key_again_makes_it_the_newest() -> None:
    cache: BoundedCache[str, int] = BoundedCache(3)
    for i, key in enumerate("abc"):
        cache.put(key, i)
    cache.put("a", 10)
    cache.put("d", 3)
    assert cache.get("b") is None
    assert [cache.get(k) for k in "acd"] == [10, 2, 3]
    assert len(cache) == 3


def test_the_bound_is_never_exceeded() -> None:
    cache: BoundedCache[int, int] = BoundedCache(10)
    for i in range(1000):
        assert cache.put(i % 37, i) == i
        assert len(cache) <= 10
    assert len(cache) == 10


def test_get_tells_a_stored_none_from_a_missing_key() -> None:
    missing = object()
    for cache in (BoundedCache[int, None](2), BoundedCache[int, None](2, ttl_s=5.0)):
        cache.put(1, None)
        assert cache.get(1, missing) is None
        assert cache.get(2, missing) is missing
        assert cache.get(2) is None


def test_entries_expire_on_read() -> None:
    clock = Clock()
    cache: BoundedCache[str, str] = BoundedCache(10, ttl_s=2.0, clock=clock)
    cache.put("a", "A")
    clock.now += 1.0
    cache.put("b", "B")
    clock.now += 0.5
    assert cache.get("a") == "A"
    clock.now += 0.5  # "a" is 2.0 old: gone
    assert cache.get("a") is None and len(cache) == 1
    assert cache.get("b") == "B"
    cache.put("b", "B2")  # stored again: a new lifetime
    clock.now += 1.9
    assert cache.get("b") == "B2"
    clock.now += 0.1
    assert cache.get("b", "gone") == "gone" and len(cache) == 0


def test_a_ttl_cache_is_bounded_and_evicts_the_same_way() -> None:
    clock = Clock()
    cache: BoundedCache[int, int] = BoundedCache(2, ttl_s=60.0, clock=clock)
    cache.put(1, 1)
    cache.put(2, 2)
    cache.put(1, 11)
    cache.put(3, 3)
    assert cache.get(2) is None and cache.get(1) == 11 and cache.get(3) == 3


def test_forget_and_clear() -> None:
    cache: BoundedCache[str, int] = BoundedCache(5)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.forget("a")
    cache.forget("never stored")
    assert cache.get("a") is None and len(cache) == 1
    cache.clear()
    assert len(cache) == 0


def test_an_empty_bound_is_refused() -> None:
    with pytest.raises(ValueError):
        BoundedCache(0)
