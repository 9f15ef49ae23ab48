"""How the gateway matches a reader's content filters (services/gateway/hydrate/reader_filters.py):
keywords are literal text, whole words end at word boundaries, the trie expression finds what
the plain alternation of escaped keywords finds, and an expired filter does nothing even while
its set is cached."""

from __future__ import annotations

import random
import re
import time

from services.gateway.hydrate import reader_filters
from services.gateway.hydrate.reader_filters import ReaderFilters, keywords_pattern
from shared.contracts.filters import FilterKeyword, FilterRecord
from shared.records import StatusRecord


def _keyword(text: str, whole_word: bool = True, i: int = 0) -> FilterKeyword:
    return FilterKeyword(id=i, filter_id=1, keyword=text, whole_word=whole_word)


def _status(text: str, status_id: int = 1) -> StatusRecord:
    return StatusRecord(id=status_id, account_id=2, network_id=3, text=text,
                        content_html=f"<p>{text}</p>", visibility="public", created_at=0,
                        version=1)


def _filter(keywords: list[FilterKeyword], action: str = "warn",
            expires_at: float | None = None) -> FilterRecord:
    return FilterRecord(id=7, account_id=1, title="T", context=["home"], action=action,
                        expires_at=None if expires_at is None else int(expires_at),
                        keywords=keywords)


def test_keywords_are_literal_and_whole_words_bounded() -> None:
    pattern = keywords_pattern([_keyword("a.*b("), _keyword("cat"), _keyword("#tag"),
                                _keyword("dog", whole_word=False), _keyword("Caté")])
    assert pattern is not None
    for text, found in (("x a.*b( y", "a.*b("), ("aXXb(", None), ("Cat!", "Cat"),
                        ("concatenate", None), ("a#tag here", "#tag"), ("#tagged", None),
                        ("hotdogs", "dog"), ("[(*+?", None), ("CATÉ noir", "CATÉ"),
                        ("catégorie", None)):
        hit = pattern.search(text)
        assert (hit.group(0) if hit else None) == found, text


def test_the_trie_finds_what_the_plain_alternation_finds() -> None:
    rng = random.Random(7)
    alphabet = "abAB .*(#é_"
    for _ in range(2_000):
        keywords = [_keyword("".join(rng.choices(alphabet, k=rng.randint(1, 4))),
                             rng.random() < 0.5, i) for i in range(rng.randint(1, 6))]
        keywords = [k for k in keywords if k.keyword.strip()]
        if not keywords:
            continue
        trie = re.compile(reader_filters._trie_source(keywords), re.IGNORECASE)
        flat = re.compile(reader_filters._flat_source(keywords), re.IGNORECASE)
        for _ in range(5):
            text = "".join(rng.choices(alphabet, k=12))
            a, b = trie.search(text), flat.search(text)
            assert (a is None) == (b is None), (keywords, text)
            assert a is None or b is None or a.start() == b.start(), (keywords, text)


def test_long_and_deep_keyword_sets_compile_and_match() -> None:
    deep = keywords_pattern([_keyword("a" * n, whole_word=False, i=n) for n in range(1, 513)])
    assert deep is not None and deep.search("b" + "a" * 600)
    rng = random.Random(3)
    many = keywords_pattern([_keyword("".join(rng.choices("abcdefghij", k=100)), i=i)
                             for i in range(1_000)])
    assert many is not None
    # (a trie, not a flat alternation of 1,000 words: matching speed is not asserted here, as
    # timings in unit tests flake on a loaded machine; the trie's equivalence is tested above)
    assert many.search("lorem ipsum dolor " * 30) is None


def test_an_expired_filter_does_nothing_even_while_cached() -> None:
    now = time.time() * 1000
    status = _status("the finale")
    live = ReaderFilters("s1", [_filter([_keyword("finale")], "hide", now + 60_000)])
    assert live.judge(status, None, "home").hide
    assert live.judge(status, None, "public").results == []  # another context
    gone = ReaderFilters("s2", [_filter([_keyword("finale")], "hide", now - 1)])
    assert gone.judge(status, None, "home") == reader_filters.NOTHING
    kept, filtered = gone.apply([status], {}, "home")
    assert kept == [status] and filtered == {}


def test_a_reblog_is_matched_by_its_original() -> None:
    original = _status("big news", status_id=10)
    reblog = StatusRecord(id=11, account_id=4, network_id=3, text="", content_html="",
                          visibility="public", created_at=0, reblog_of_id=10, version=1)
    filters = ReaderFilters("s", [_filter([_keyword("news")])])
    kept, filtered = filters.apply([reblog], {10: original}, "home")
    assert kept == [reblog] and set(filtered) == {10, 11}
    assert filtered[11][0]["keyword_matches"] == ["news"]
