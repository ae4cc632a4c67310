"""One long-running child of the local stack (ManagedProcess): launched in its own process
group with a log file, readiness polling, stopping (SIGTERM, then SIGKILL), resident memory,
and finding it again after a supervisor crash (kill_recorded)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from devstack.procs import StackError, tail
from devstack.proctree import pid_alive, proc_start_time, tree_rss_bytes


def _pdeathsig_prefix() -> list[str]:
    """`setpriv --pdeathsig TERM` makes the kernel send SIGTERM to the child when the
    supervisor dies (even by SIGKILL), so a crashed `python -m devstack up` or pytest leaves
    no broker or service behind. The kernel ties it to the *thread* that forked, so it is only
    used from the main thread (a worker thread's exit would otherwise kill the child)."""
    if threading.current_thread() is not threading.main_thread():
        return []
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []


class ManagedProcess:
    """One long-running child in its own process group, output appended to a log file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        stop_timeout: float = 15.0,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.stop_timeout = stop_timeout
        self.popen: subprocess.Popen[bytes] | None = None
        self.started_at: float | None = None

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def start(self) -> None:
        if self.running():
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(
                f"\n===== {time.strftime('%Y-%m-%d %H:%M:%S')} starting {self.name}: "
                f"{' '.join(self.argv)}\n".encode()
            )
            log.flush()
            self.popen = subprocess.Popen(
                [*_pdeathsig_prefix(), *self.argv],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,  # own process group: signals reach its children too
            )
        self.started_at = time.monotonic()

    def _signal_group(self, sig: int) -> None:
        if self.popen is None:
            return
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, timeout: float | None = None) -> int | None:
        """SIGTERM to the whole group, SIGKILL after `timeout`; returns the exit code."""
        if self.popen is None:
            return None
        timeout = self.stop_timeout if timeout is None else timeout
        if self.popen.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.popen.wait(10)
        # Leftover group members (a child that ignored SIGTERM) go too.
        self._signal_group(signal.SIGKILL)
        return self.popen.returncode

    def kill(self) -> None:
        """SIGKILL the whole group at once (crash simulation)."""
        if self.popen is None:
            return
        self._signal_group(signal.SIGKILL)
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            pass

    def rss_bytes(self, children: dict[int, list[int]] | None = None) -> int:
        if not self.running() or self.popen is None:
            return 0
        return tree_rss_bytes(self.popen.pid, children)

    def record(self) -> dict[str, Any]:
        """Enough to find (and only find) this exact process again after a supervisor crash."""
        pid = self.pid
        return {"name": self.name, "pid": pid, "start_time": proc_start_time(pid) if pid else None}

    def fail(self, why: str, lines: int = 40) -> StackError:
        return StackError(
            f"{self.name}: {why}\n--- last lines of {self.log_path} ---\n"
            f"{tail(self.log_path, lines)}\n--- end of log ---"
        )

    def wait_until(
        self, check: Callable[[], bool], timeout: float, what: str, interval: float = 0.2
    ) -> float:
        """Poll `check` until it is true; fail at once (with the log tail) if the process
        exits, or after `timeout`. Returns the seconds since the process was started."""
        deadline = time.monotonic() + timeout
        while True:
            if self.popen is not None and self.popen.poll() is not None:
                raise self.fail(f"exited with code {self.popen.returncode} before {what}")
            if check():
                return time.monotonic() - (self.started_at or time.monotonic())
            if time.monotonic() > deadline:
                raise self.fail(f"not {what} after {timeout:.0f}s")
            time.sleep(interval)


def kill_recorded(record: Mapping[str, Any]) -> bool:
    """SIGKILL the process group of a process recorded by `ManagedProcess.record`, if that
    very process (same pid and start time) still runs. Returns whether one was found."""
    pid, start = record.get("pid"), record.get("start_time")
    if not pid or start is None or not pid_alive(pid) or proc_start_time(pid) != start:
        return False
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return True
