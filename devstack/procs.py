"""Child-process plumbing for the local stack: launching in its own process group with a log
file, readiness polling, stopping (SIGTERM, then SIGKILL), resident memory, stale-process
reaping. Standard library only, so the supervisor starts fast."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class StackError(RuntimeError):
    """A stack component failed to start or stop; the message says which and why."""


# ---------------------------------------------------------------------------------------------
# /proc helpers


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is not alive for our purposes.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def proc_start_time(pid: int) -> int | None:
    """Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat):
    with the pid, identifies a process even after pid reuse."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def descendants(pid: int, children: dict[int, list[int]] | None = None) -> list[int]:
    children = _children_map() if children is None else children
    out, todo = [], list(children.get(pid, []))
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def vm_rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def tree_rss_bytes(pid: int, children: dict[int, list[int]] | None = None) -> int:
    """Resident memory of a process and all its descendants (shared pages counted in each)."""
    return sum(vm_rss_bytes(p) for p in [pid, *descendants(pid, children)])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def tail(path: Path, lines: int = 40) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(data.splitlines()[-lines:])


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def run_blocking(coro_factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from synchronous code, also when the caller is itself
    inside a running event loop (e.g. an async test calling `stack.kill_service`): then it
    runs on a fresh loop in a helper thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro_factory())
    result: list[Any] = []
    error: list[BaseException] = []

    def runner() -> None:
        try:
            result.append(asyncio.run(coro_factory()))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            error.append(exc)

    t = threading.Thread(target=runner, name="devstack-blocking", daemon=True)
    t.start()
    t.join()
    if error:
        raise error[0]
    return result[0]


# ---------------------------------------------------------------------------------------------
# Managed processes


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
