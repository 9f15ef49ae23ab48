"""``hubbub bench fanout`` at a toy size (1,000 accounts, one repeat), in the cluster mode (3 NATS
nodes with R3 streams, PostgreSQL primary + standby, a Valkey Cluster): every phase runs and is
measured, and the JSON says which mode it came from. (The single mode at this size took ~28 s
on a busy 2-core box: left out, as the single-mode bench's code path is the one `make bench`
has always run.) Timings are not
checked (a shared machine)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from loadtests import fanout_bench
from services.cli import BENCHMARKS

TINY = ["--accounts", "1000", "--burst", "3000", "--repeats", "1", "--seconds", "0.5",
        "--connections", "4"]
MEASURED = ("raw_script_wps", "raw_zadd_trim_wps", "fanout_wps", "fanout_untracked_wps",
            "mid_delivered_s", "mid_readable_s", "mid_untracked_readable_s",
            "mid_with_big_readable_s", "big_in_own_timeline_s", "big_readable_s", "home_rps",
            "bare_rps", "instance_rps")


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[dict, str]:
    out = tmp_path / "fanout.json"
    assert fanout_bench.main([*TINY, *extra, "--out", str(out)]) == 0
    return json.loads(out.read_text()), capsys.readouterr().out


def check(report: dict) -> None:
    # Scaled down with --accounts: big above the threshold, mid below it.
    assert report["sizes"] == {"big": 1000, "mid": 100, "threshold": 500}
    assert report["burst_writes"] >= 3000
    medians = report["medians"]
    for figure in MEASURED:
        value = medians[figure]
        assert not math.isnan(value) and value > 0, figure
    assert medians["home_errors"] == 0
    assert medians["home_size_before"] >= 0
    # Timelines filled past Valkey's default listpack limit (128; --fill 400) stay listpacks on
    # the embedded servers (shared/timelines/compact.py): ~12 bytes an entry (reversed ids
    # stored as int64s, shared/ids.py), not ~24 as zero-padded strings nor ~75 as a skiplist.
    assert report["args"]["fill"] == 400
    assert set(report["timeline_encodings"]) == {"listpack"}
    assert 11 < medians["home_bytes_per_entry"] < 13
    # Writes counted per phase, and Redis's own time for them (INFO commandstats).
    for phase in ("raw", "raw_zadd_trim", "fanout", "fanout_untracked"):
        assert report["cpu_seconds_by_phase"][phase]["writes"] > 0, phase
        assert report["redis_usec_by_phase"][phase].get("evalsha", 0) > 0, phase


@pytest.mark.cluster_bench
def test_cluster_mode_at_a_toy_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert BENCHMARKS["fanout"] == "loadtests.fanout_bench"
    report, printed = run(tmp_path, capsys, "--cluster")
    assert report["mode"] == "cluster"
    assert "cluster mode: median of 1 runs" in printed
    check(report)
    # Every process of the cluster was metered, and Redis's time is every primary's sum:
    # the raw loop's writes land on all three primaries.
    fanout_cpu = report["cpu_seconds_by_phase"]["fanout"]
    assert {"nats-1", "nats-2", "nats-3", "postgres-primary", "valkey-cluster-0"} <= set(
        fanout_cpu)
    # Each raw write is one ZADD in Redis, whichever node holds the timeline.
    writes = report["cpu_seconds_by_phase"]["raw_zadd_trim"]["writes"]
    assert report["redis_usec_by_phase"]["raw_zadd_trim"]["zadd"] > 0
    # the best of a few loops (calls in flight), each over big's 1,000 timelines
    assert writes == len(fanout_bench.RAW_IN_FLIGHT) * 1000


def test_sizes_scale_below_100k_accounts_only() -> None:
    assert fanout_bench.Sizes.for_accounts(100_000) == fanout_bench.Sizes(100_000, 10_000, 50_000)
    assert fanout_bench.Sizes.for_accounts(250_000) == fanout_bench.Sizes(100_000, 10_000, 50_000)
    assert fanout_bench.Sizes.for_accounts(20_000) == fanout_bench.Sizes(20_000, 2_000, 10_000)
