"""Leftovers of crashed supervisors: the processes a dead supervisor recorded in its data
dir's stack.json, its PostgreSQL servers, and whole stale test data dirs."""

from __future__ import annotations

import fcntl
import glob
import json
import os
import shutil
from pathlib import Path
from typing import Any

from devstack.process import kill_recorded
from devstack.proctree import kill_tree, pid_alive


def read_state(data_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((data_dir / "stack.json").read_text())
    except (OSError, ValueError):
        return {}


def reap_processes(data_dir: Path, *, stop_pg: bool = False) -> list[str]:
    """Kill what a dead supervisor of `data_dir` left running (exactly the recorded
    processes: same pid and start time). PostgreSQL servers it left are kept (the next
    start reuses them) unless `stop_pg`. Call only while holding the data dir's lock.
    Returns the names of what was found."""
    state = read_state(data_dir)
    if state.get("supervisor_pid") == os.getpid():
        return []
    found = [r["name"] for r in state.get("processes", []) if kill_recorded(r)]
    if stop_pg:
        for pg_version in data_dir.glob("pg/*/PG_VERSION"):
            datadir = pg_version.parent
            try:
                pid = int((datadir / "postmaster.pid").read_text().splitlines()[0])
            except (OSError, ValueError, IndexError):
                continue
            if pid_alive(pid):
                found.append(f"pg-{datadir.name}")
                kill_tree(pid, wait_s=10)
    return found


def reap_stale_stacks(pattern: str, *, remove: bool = True) -> list[Path]:
    """For each data dir matching the glob `pattern` whose lock is free (its supervisor is
    gone): kill its leftovers and, with `remove`, delete it. Used by the test fixtures so
    each session's fresh /tmp dir does not pile up or leave servers behind."""
    reaped = []
    for d in map(Path, glob.glob(pattern)):
        lock = d / "stack.lock"
        if not lock.exists():
            continue
        fd = os.open(lock, os.O_RDWR)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live stack
            reap_processes(d, stop_pg=True)
            reaped.append(d)
            if remove:
                shutil.rmtree(d, ignore_errors=True)
        finally:
            os.close(fd)
    return reaped
