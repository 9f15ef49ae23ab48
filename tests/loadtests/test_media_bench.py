"""``hubbub bench media`` at a toy size (5 small photos, one repeat), so that it keeps running as
the code changes: every figure is reported, every upload is processed and seen ready through
the API, and its files lose their GPS position. Timings are not checked (a shared machine)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from loadtests import media_bench
from loadtests.photos import has_location, photo_set
from services.cli import BENCHMARKS

FIGURES = ("upload_photos_s", "upload_mb_s", "upload_p50_ms", "upload_p99_ms", "solo_ready_s",
           "ready_p50_s", "ready_p99_s", "processed_photos_s", "home_idle_p50_ms",
           "home_idle_p99_ms")
# Windows of a few milliseconds at this size: a read may or may not fall in them (NaN if not).
WINDOWED = ("home_uploading_p99_ms", "home_draining_p99_ms", "home_p99_uploading_vs_idle",
            "home_p99_draining_vs_idle")


def test_photos_are_distinct_jpegs_with_a_location() -> None:
    photos = photo_set(3, 64, 48)
    assert len({p.data for p in photos}) == 3
    assert all(p.data[:2] == b"\xff\xd8" and has_location(p.data) for p in photos)


def test_runs_at_a_toy_size_and_reports_every_figure(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert BENCHMARKS["media"] == "loadtests.media_bench"
    out = tmp_path / "media.json"
    assert media_bench.main(["--photos", "5", "--size", "64x48", "--distinct", "3",
                             "--repeats", "1", "--solo", "1", "--readers", "3",
                             "--statuses", "1", "--idle-seconds", "1", "--read-rate", "50",
                             "--out", str(out)]) == 0

    printed = capsys.readouterr().out
    for label in ("upload throughput", "202 -> processed, backlog p99",
                  "processing throughput", "home read worker idle (baseline) p99",
                  "home read draining / idle"):
        assert label in printed
    report = json.loads(out.read_text())
    results = report["results"]
    assert results["photos_accepted"] == [5]
    assert results["photos_refused"] == [0] and results["photos_failed"] == [0]
    assert results["home_idle_errors"] == [0] and results["home_idle_reads"][0] > 0
    for figure in FIGURES:
        [value] = results[figure]
        assert math.isfinite(value) and value > 0, figure
    for figure in WINDOWED:
        [value] = results[figure]
        assert math.isnan(value) or value > 0, figure
    [check] = report["checks"]
    assert check["api_ready"] == check["uploads"] == 5
    assert check["preview_format"] == "JPEG" and check["original_has_location"] is False
