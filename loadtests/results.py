"""Where a benchmark's figures go: JSON under loadtests/results/, with how long the run took and
the machine's load around it (the machine is shared: the load says how much the figures are
worth)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any


def write_results(out: dict[str, Any], path: str | Path, began: float,
                  load_before: tuple[float, float, float]) -> Path:
    """Adds ``seconds`` (since ``began``, a perf_counter) and the load averages before and
    after, prints them, and writes ``out`` as JSON to ``path``."""
    out["seconds"] = time.perf_counter() - began
    after = os.getloadavg()
    out["load_average_before_after"] = [load_before, after]
    print(f"load average (1, 5, 15 min) before {load_before[0]:.1f} {load_before[1]:.1f} "
          f"{load_before[2]:.1f}, after {after[0]:.1f} {after[1]:.1f} {after[2]:.1f} on "
          f"{os.cpu_count()} CPUs")
    written = Path(path)
    written.parent.mkdir(parents=True, exist_ok=True)
    written.write_text(json.dumps(out, indent=2))
    print(f"wrote {written} ({out['seconds']:.0f}s in all)")
    return written
