"""``hubbub bench write`` at a toy size (60 accounts, 2 s phases, one repeat), so that it keeps
running as the code changes: writes of every kind succeed against Hubbub and the bare endpoint,
every post reaches every listening follower (none missed), both loops are measured on both, and
the ratios come out of the same run. Timings are not checked (a shared machine)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from loadtests import write_bench
from loadtests.message_counts import STATEMENT
from services.cli import BENCHMARKS

TOY = ["--accounts", "60", "--follows", "3", "--follows-max", "20", "--listeners", "30",
       "--clients", "4", "--seconds", "2", "--rate", "20", "--repeats", "1", "--tail", "2",
       "--warmup", "0.5", "--idle", "0.5",
       # More favourites and reblogs than by default: a slow phase of a few dozen writes still
       # has some of each.
       "--favourites", "0.3", "--reblogs", "0.3"]


def test_runs_at_a_toy_size_and_reports_every_figure(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert BENCHMARKS["write"] == "loadtests.write_bench"
    out = tmp_path / "write.json"
    assert write_bench.main([*TOY, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "write (single mode), medians of 1 runs" in printed
    assert "ratios: posts/s" in printed

    report = json.loads(out.read_text())
    assert report["mode"] == "single"
    [run] = report["runs"]
    for target in ("hubbub", "bare"):
        for phase in ("closed", "open"):
            figures = run[target][phase]
            assert figures["posts"] > 0 and figures["errors"] == 0, (target, phase, figures)
            assert figures["writes"] >= figures["posts"]
            for key in ("posts_per_s", "writes_per_s", "http_p50_ms", "http_p99_ms"):
                assert figures[key] > 0, (target, phase, key)
            assert figures["http_p50_ms"] <= figures["http_p99_ms"] <= figures["http_max_ms"]
        # The mix: favourites and reblogs of recent statuses beside the posts.
        assert set(run[target]["closed"]["by_kind"]) == {"post", "favourite", "reblog"}
        # CPU per post by process in the open loop, the target's own process among them.
        assert run[target]["open"]["cpu_ms_per_post"]["bench"] >= 0
    assert {"gateway", "posts", "fanout", "postgres", "nats"} <= set(
        run["hubbub"]["open"]["cpu_ms_per_post"])
    assert "bare" in run["bare"]["open"]["cpu_ms_per_post"]
    # What each process spends idle, measured before the open loop, and the posts' CPU beyond.
    opened = run["hubbub"]["open"]
    assert set(opened["idle_cpu_ms_per_s"]) == set(opened["cpu_ms_per_post"])
    assert all(ms >= 0 for ms in opened["idle_cpu_ms_per_s"].values())
    assert set(opened["cpu_ms_per_post_beyond_idle"]) == set(opened["cpu_ms_per_post"])
    assert "idle CPU ms per second" in printed
    # What a write costs in messages (loadtests/message_counts.py): every post is one request
    # to posts, and fanout handles the events; the counters come from the services' metrics.
    messages = run["hubbub"]["open"]["messages_per_write"]
    assert 0 < messages["request posts.status.create"] <= 1
    assert messages["event fanout-home"] > 0
    assert messages["postgres transactions"] >= messages["request posts.status.create"]
    assert messages["valkey commands"] > 0
    by_command = {k: v for k, v in messages.items()
                  if k.startswith("valkey ") and k != "valkey commands"}
    assert by_command and sum(by_command.values()) <= messages["valkey commands"] * 1.05
    # Which statements PostgreSQL ran (pg_stat_statements, loaded in the bench's server): a
    # post's insert, once a post, the insert statement's text telling which it is.
    statements = {k.removeprefix(STATEMENT): v for k, v in messages.items()
                  if k.startswith(STATEMENT)}
    [insert] = [v for k, v in statements.items() if k.startswith("WITH s AS ( INSERT INTO "
                                                                   "statuses")]
    assert insert == pytest.approx(messages["request posts.status.create"], rel=0.05)
    assert "PostgreSQL statements per write, open loop" in printed
    assert "messages_per_write" not in run["bare"]["open"]

    # Every post reached every listening follower (and its author, when listening).
    assert run["hubbub"]["closed_early"] == 0
    for phase in ("closed", "open"):
        delivery = run["hubbub"][phase]["delivery"]
        assert delivery["deliveries"] > 0, phase
        assert delivery["missed"] == 0 and delivery["deliveries"] == delivery["expected"], phase
        assert 0 < delivery["p50_ms"] <= delivery["max_ms"]
    assert "delivery" not in run["bare"]["open"]

    # Medians with their spread for each figure, and the ratios against the baseline.
    medians, spread = report["medians"], report["spread"]
    assert set(medians) == set(spread)
    for key in ("posts_per_s_vs_bare", "writes_per_s_vs_bare", "open_p99_vs_bare"):
        ratio = report["ratios"][key]
        assert ratio == medians[key] and not math.isnan(ratio) and ratio > 0, key
    assert medians["bare_closed_posts_per_s"] > 0
    assert report["ratios"]["posts_per_s_vs_bare"] == pytest.approx(
        medians["hubbub_closed_posts_per_s"] / medians["bare_closed_posts_per_s"])
