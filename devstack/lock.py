"""One supervisor per data dir: an exclusive lock on `<data_dir>/stack.lock`; taking it also
reaps what a crashed earlier supervisor of that dir left behind."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from devstack.leftovers import read_state, reap_processes
from devstack.procs import StackError


def acquire(data_dir: Path) -> int:
    """The lock's file descriptor (held until closed), or StackError if another holds it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        data_dir.chmod(0o755)  # the postgres user must be able to reach pg/ inside it
    fd = os.open(data_dir / "stack.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        owner = read_state(data_dir).get("supervisor_pid")
        raise StackError(
            f"another stack (pid {owner}) is already running on {data_dir}; stop it first"
        ) from None
    reap_processes(data_dir)  # anything a crashed earlier supervisor of this dir left behind
    return fd
