"""``hubbub bench mixed`` at a toy size (20 accounts, two steps of a second), so that it
keeps running as the code changes: every kind of request is sent and answered 200, the seeded
network has content to read, the table, JSON and PNG are written. Timings are not checked (a
shared machine): the run's p99 limit is out of reach, and the stop rule is held by a test of its
own on made-up steps."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import pytest

from loadtests import mixed_bench
from services.cli import BENCHMARKS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EVEN_MIX = [arg for kind in mixed_bench.KINDS for arg in (f"--{kind.replace('_', '-')}", "1")]


def test_runs_at_a_toy_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert BENCHMARKS["mixed"] == "loadtests.mixed_bench"
    out, png = tmp_path / "mixed.json", tmp_path / "mixed.png"
    assert mixed_bench.main([
        "--accounts", "20", "--follows", "5", "--statuses", "2", "--replies", "1",
        "--start", "20", "--factor", "2", "--max", "40", "--seconds", "1", "--warmup", "0.5",
        "--repeats", "1", "--p99-limit-ms", "60000", *EVEN_MIX,
        "--out", str(out), "--plot", str(png)]) == 0

    printed = capsys.readouterr().out
    assert "offered/s achieved/s" in printed
    assert "highest rate with p99 < 60000 ms: 40 requests/s offered" in printed
    report = json.loads(out.read_text())
    assert report["seeded_statuses"] == 60  # 2 statuses and a reply by each of 20
    assert report["home_timelines_built"] == {"200": 20}
    assert report["seeded_content"]["home_statuses_per_page"] > 0
    assert report["seeded_content"]["statuses_per_context"] > 0
    steps = report["steps"]
    assert [s["offered_rps"] for s in steps] == [20, 40]
    assert report["stopped"] == "reached --max"
    assert report["best"]["offered_rps"] == 40
    for step in steps:
        # 1 s measured at the rate (the warm-up's requests are sent but not counted)
        assert step["requests"] == pytest.approx(step["offered_rps"], abs=2)
        assert step["errors"] == 0
        assert 0 < step["achieved_rps"] <= step["offered_rps"] * 1.2
        assert 0 < step["p50_ms"] <= step["p99_ms"] <= step["max_ms"]
        assert set(step["kinds"]) == set(mixed_bench.KINDS)
        for kind, figures in step["kinds"].items():
            assert figures["requests"] > 0 and figures["errors"] == 0, kind
            assert figures["http"] == {"200": figures["requests"]}, kind
            assert math.isfinite(figures["p99_ms"]), kind
        assert sum(k["requests"] for k in step["kinds"].values()) == step["requests"]
    data = png.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000


def made_up(p99_by_rate: dict[float, float]) -> Any:
    def measure(rate: float) -> dict[str, Any]:
        p99 = p99_by_rate[rate]
        figures = {"requests": 100, "errors": 0, "p50_ms": p99 / 4, "p99_ms": p99,
                   "max_ms": p99 * 2}
        return {**figures, "achieved_rps": rate,
                "kinds": {"home": {**figures, "http": {"200": 100}}}}
    return measure


def args(*extra: str) -> argparse.Namespace:
    return mixed_bench.parse(["--start", "10", "--factor", "2", "--max", "80", *extra])


def test_the_ramp_stops_after_the_first_step_past_the_limit() -> None:
    measure = made_up({10: 20.0, 20: 150.0, 40: 30.0, 80: 30.0})
    steps, stopped = mixed_bench.ramp(args("--repeats", "1"), measure, ["home"])
    assert [s["offered_rps"] for s in steps] == [10, 20]
    assert stopped == "p99 150.0 ms, 0 errors at 20/s"
    # A very low limit: the first step is already past it.
    steps, _ = mixed_bench.ramp(args("--p99-limit-ms", "1"), measure, ["home"])
    assert [s["offered_rps"] for s in steps] == [10]
    steps, stopped = mixed_bench.ramp(args(), made_up(dict.fromkeys((10, 20, 40, 80), 5.0)),
                                      ["home"])
    assert [s["offered_rps"] for s in steps] == [10, 20, 40, 80] and stopped == "reached --max"


def test_steps_by_addition_and_medians_of_repeats() -> None:
    assert mixed_bench.rates(args("--step", "25")) == [10, 35, 60]
    runs = iter([{"requests": 10, "errors": e, "p99_ms": p, "kinds": {"home": {"p99_ms": p,
                                                                             "http": {"200": 10}}}}
                 for e, p in ((0, 10.0), (5, 90.0), (0, 30.0))])
    step = mixed_bench.median_of(list(runs))
    assert step["p99_ms"] == 30.0 and step["errors"] == 0
    assert step["kinds"]["home"] == {"p99_ms": 30.0, "http": {"200": 30}}


def test_the_mix_is_even_in_any_short_run_and_kinds_follow_slots() -> None:
    weights = {name: weight for name, (weight, _) in mixed_bench.KINDS.items()}
    kinds = mixed_bench.interleave(weights, 200)
    for start in (0, 100):
        window = kinds[start:start + 100]
        assert {k: window.count(k) for k in weights} == weights
    # Samples (due, ms, status, slot): the kind is the slot's, the warm-up is left out.
    samples = [(1000.0 + slot / 10, 5.0 + slot, 200, slot) for slot in range(20)]
    summary = mixed_bench.summarise(samples, ["home", "post"], rate=10, warmup=1.0)
    assert summary["requests"] == 10  # slots 10..19
    assert summary["kinds"]["home"]["requests"] == summary["kinds"]["post"]["requests"] == 5
    assert summary["kinds"]["post"]["max_ms"] == 24.0  # slot 19
    # 10 answers from the first counted due time (1001.0) to the last answer (1001.9 + 24 ms)
    assert summary["achieved_rps"] == pytest.approx(10 / 0.924)
