"""``hubbub bench live`` at a toy size in the cluster mode (3 NATS nodes with R3 streams,
PostgreSQL primary + standby, a Valkey Cluster): idle connections held, every post delivered to
every follower's WebSocket (none missed), each hop traced through the NATS tap on the cluster's
URL list, and the JSON says which mode it came from. Timings are not checked (a shared
machine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadtests import live_bench


@pytest.mark.cluster_bench
def test_cluster_mode_at_a_toy_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "live.json"
    assert live_bench.main(["--idle", "100", "--users", "30", "--follows", "5", "--rate", "10",
                            "--seconds", "2", "--tail", "2", "--repeats", "1", "--trace",
                            "--cluster", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "live bench, cluster mode" in printed
    assert "live (cluster mode), median of 1 runs" in printed
    report = json.loads(out.read_text())
    assert report["mode"] == "cluster"
    idle = report["idle"]
    assert idle["connections"] == 50 and idle["alive"] == 50  # beyond the 50 warm ones
    [run] = report["live"]
    assert run["posts"] == 20 and run["post_errors"] == 0
    assert run["closed_early"] == 0
    assert run["deliveries"] > run["posts"]  # every author's own stream, and its followers'
    assert run["missed"] == 0 and run["deliveries"] == run["expected"]
    assert run["p50_ms"] > 0
    # The trace listened on the cluster's NATS (a list of URLs) and saw each hop.
    assert {"response_to_event", "event_to_first_live", "first_live_to_arrival"} <= set(
        run["hops"])
    # Every server of the cluster mode was metered.
    assert {"nats-1", "nats-2", "nats-3", "postgres-primary", "postgres-standby",
            "valkey-cluster-0"} <= set(run["cpu_ms_per_post"])
