"""CPU time and resident memory of the stack's processes, read from /proc.

A component is a root pid and its process tree (PostgreSQL: the postmaster and every
backend). CPU is utime + stime of each live process plus cutime + cstime (the CPU of
children that have exited and were waited for: a PostgreSQL backend whose connection closed
is counted by its postmaster), in clock ticks turned into milliseconds."""

from __future__ import annotations

import os
from pathlib import Path

from devstack.proctree import children_map, descendants, vm_rss_bytes

TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int, stat: str = "stat", fields_at: tuple[int, ...] = (11, 12, 13, 14)
               ) -> int:
    try:
        fields = Path(f"/proc/{pid}/{stat}").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):  # ended meanwhile
        return 0
    # After the command: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
    return sum(int(fields[i]) for i in fields_at)


def cpu_ms(roots: dict[str, int]) -> dict[str, float]:
    """CPU milliseconds so far of each component's whole process tree."""
    children = children_map()
    return {name: TICK_MS * sum(_cpu_ticks(p) for p in [pid, *descendants(pid, children)])
            for name, pid in roots.items()}


def thread_cpu_ms(pid: int) -> dict[str, float]:
    """CPU milliseconds so far of one process's live threads (utime + stime), summed by
    thread name (a JVM's "C2 CompilerThread0", "GC Thread#0", ...)."""
    by_name: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
        except OSError:  # the thread ended meanwhile
            continue
        ticks = _cpu_ticks(pid, f"task/{task.name}/stat", (11, 12))
        by_name[name] = by_name.get(name, 0.0) + TICK_MS * ticks
    return by_name


def rss_bytes(roots: dict[str, int]) -> dict[str, int]:
    children = children_map()
    return {name: sum(vm_rss_bytes(p) for p in [pid, *descendants(pid, children)])
            for name, pid in roots.items()}


def delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {k: after[k] - before.get(k, 0.0) for k in after}


def self_cpu_ms() -> float:
    """This process (the load generator) and its threads."""
    t = os.times()
    return (t.user + t.system) * 1000
