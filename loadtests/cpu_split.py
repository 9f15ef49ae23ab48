"""Where a measurement's CPU went: CPU seconds per named process (with its descendants, so that
Postgres counts its backends) between two samples, from /proc (Linux only; elsewhere empty).

On this 2-core machine a rate is bounded by whichever process saturates its core first, and
the wall-clock rate alone does not say which: the split per write does."""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of one process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()  # the name may hold spaces and parentheses
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _all() -> dict[int, tuple[int, float]]:
    found = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                found[int(entry.name)] = stat
    return found


class CpuMeter:
    """``roots``: a name per process id; each name counts that process and its descendants
    but for those that are roots themselves (the benchmark, parent of every service, counts
    only what is not named)."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots

    def sample(self) -> dict[str, float]:
        processes = _all()
        children: dict[int, list[int]] = {}
        for pid, (parent, _) in processes.items():
            children.setdefault(parent, []).append(pid)
        roots = set(self.roots.values())
        totals = {}
        for name, root in self.roots.items():
            seconds, todo = 0.0, [root]
            while todo:
                pid = todo.pop()
                if pid in processes:
                    seconds += processes[pid][1]
                    todo.extend(c for c in children.get(pid, ()) if c not in roots)
            totals[name] = seconds
        return totals

    @staticmethod
    def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        """CPU seconds per name between two samples. (A backend that exited in between loses
        its share: Postgres's pooled connections live for the whole run.)"""
        return {name: after[name] - before.get(name, 0.0) for name in after}


def per_write(spent: dict[str, float], writes: int) -> str:
    """'redis 8.1 fanout 6.0 ...' microseconds of CPU per write, biggest first."""
    parts = sorted(spent.items(), key=lambda kv: -kv[1])
    total = sum(spent.values())
    return " ".join(f"{name} {seconds * 1e6 / writes:.1f}" for name, seconds in parts
                    if seconds * 1e6 / writes >= 0.05) + f" (all {total * 1e6 / writes:.1f})"
