"""py-spy samples of the stack's processes during a benchmark's measured phase: collapsed
stacks, one file per process and phase, for any flame graph tool (or a quick self/inclusive
count). Used by ``--profile DIR`` of the benchmarks."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path


class Profilers:
    """``start`` before the phase, ``stop`` after it (py-spy writes its file on SIGINT)."""

    def __init__(self, folder: str | Path | None) -> None:
        self.folder = Path(folder) if folder else None
        self.running: list[subprocess.Popen] = []
        self.phases = 0

    def start(self, phase: str, pids: dict[str, int]) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self.phases += 1
        spy = Path(sys.executable).with_name("py-spy")
        for name, pid in pids.items():
            output = self.folder / f"{phase}-{self.phases}-{name}.txt"
            self.running.append(subprocess.Popen(
                [str(spy), "record", "--pid", str(pid), "--format", "raw", "--rate", "250",
                 "--nonblocking", "--output", str(output)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def stop(self) -> None:
        for profiler in self.running:
            profiler.send_signal(signal.SIGINT)
        for profiler in self.running:
            profiler.wait(60)
        self.running.clear()
