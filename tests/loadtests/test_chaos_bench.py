"""`hubbub bench chaos --short` on the cluster mode: a posts replica, a fanout replica and a NATS
node killed under load, with every acknowledged post in every follower's home and every
notification exactly once; and the checker itself over planted data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadtests.chaos_bench import Favourite, Follow, Post, Window, check, main


def _recorded() -> tuple[list[Window], list[Post], list[Follow], list[Favourite]]:
    windows = [Window("setup", 0.0, 10.0), Window("posts", 10.0, 20.0),
               Window("nats", 20.0)]
    follows = [Follow("reader", "author", 1.0, 2.0), Follow("other", "author", 1.0, 2.0),
               Follow("late", "author", 15.0, 16.0)]
    posts = [Post("1", "author", "aaaa", 11.0, 11.5),
             Post("2", "author", "bbbb", 21.0, 21.5, mention="reader"),
             Post("3", "author", "cccc", 14.0, 14.5)]  # before "late" followed
    favourites = [Favourite("reader", "1", "author", 12.0, 12.5)]
    return windows, posts, follows, favourites


def _complete() -> tuple[dict[str, list[tuple[str, str]]],
                         dict[str, list[tuple[str, str, str | None]]]]:
    homes = {"reader": [("2", "bbbb"), ("3", "cccc"), ("1", "aaaa")],
             "other": [("2", "bbbb"), ("3", "cccc"), ("1", "aaaa")],
             "late": [("2", "bbbb")]}
    notes: dict[str, list[tuple[str, str, str | None]]] = {
        "author": [("follow", "reader", None), ("follow", "other", None),
                   ("follow", "late", None), ("favourite", "reader", "1")],
        "reader": [("mention", "author", "2")]}
    return homes, notes


def test_the_checker_passes_complete_data() -> None:
    windows, posts, follows, favourites = _recorded()
    homes, notes = _complete()
    counts = check(windows, posts, follows, favourites, {}, homes, notes)
    assert all(c.posts_missing == c.posts_doubled == c.notifications_missing
               == c.notifications_doubled == 0 for c in counts.values())
    # 1 and 3 in two homes each (window "posts"), 2 in three ("nats"): "late" followed after 3.
    assert counts["posts"].posts_checked == 4
    assert counts["nats"].posts_checked == 3
    assert sum(c.notifications_checked for c in counts.values()) == 5


def test_the_checker_reports_a_planted_missing_and_double() -> None:
    windows, posts, follows, favourites = _recorded()
    homes, notes = _complete()
    homes["other"].remove(("1", "aaaa"))  # missing, made during "posts"
    homes["late"].append(("9", "bbbb"))  # post 2 made twice under another id, during "nats"
    notes["author"].append(("favourite", "reader", "1"))  # a doubled notification
    notes["reader"].clear()  # a missing mention
    counts = check(windows, posts, follows, favourites, {"bbbb": 21.0}, homes, notes)
    assert counts["posts"].posts_missing == 1
    assert counts["nats"].posts_doubled == 1
    assert counts["posts"].notifications_doubled == 1
    assert counts["nats"].notifications_missing == 1
    assert sum(c.posts_missing for c in counts.values()) == 1
    assert sum(c.posts_doubled for c in counts.values()) == 1


def test_a_double_of_an_unacknowledged_post_is_reported() -> None:
    windows, posts, follows, favourites = _recorded()
    homes, notes = _complete()
    homes["reader"] += [("7", "dddd"), ("8", "dddd")]  # sent at 12 s, never acknowledged
    counts = check(windows, posts, follows, favourites, {"dddd": 12.0}, homes, notes)
    assert counts["posts"].posts_doubled == 1


@pytest.mark.timeout(400)
def test_short_chaos_bench(tmp_path: Path) -> None:
    out = tmp_path / "chaos.json"
    code = main(["--short", "--out", str(out)])
    results = json.loads(out.read_text())
    rows = {row["fault"]: row for row in results["rows"]}
    assert {"posts", "fanout", "nats"} <= set(rows)
    for row in rows.values():
        assert row["posts_missing"] == 0, row
        assert row["posts_doubled"] == 0, row
        assert row["notifications_missing"] == 0, row
        assert row["notifications_doubled"] == 0, row
    for name in ("posts", "fanout"):
        assert rows[name]["failed"] == 0, rows[name]
    assert sum(row["posts_checked"] for row in rows.values()) > 100
    assert results["posts"] > 50
    assert code == 0
