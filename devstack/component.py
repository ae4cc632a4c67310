"""The one interface every part of the local stack has — Kafka, each PostgreSQL server, the
mail sink and each service — so the supervisor starts, waits for, stops, kills and measures
them all the same way.

`launch` starts without waiting and runs on the main thread (a child's parent-death signal is
tied to the thread that forks it); `wait_ready` may run in a worker thread, side by side with
the other components'."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from devstack.process import ManagedProcess
from devstack.procs import StackError, http_ok, port_in_use


class Component(Protocol):
    name: str
    ready_timeout: float

    @property
    def log_path(self) -> Path: ...
    def launch(self) -> None: ...
    def wait_ready(self, timeout: float) -> float: ...
    def running(self) -> bool: ...
    def stop(self) -> None: ...
    def kill(self) -> None: ...
    def rss_bytes(self, children: dict[int, list[int]] | None = None) -> int: ...
    def records(self) -> list[dict[str, Any]]: ...


class ProcessComponent:
    """A component that is one managed child process, ready when `ready()` is true."""

    def __init__(self, process: ManagedProcess, ready: Callable[[], bool], what: str, *,
                 ports: Sequence[int], ready_timeout: float) -> None:
        self.process, self._ready, self._what = process, ready, what
        self.name, self._ports, self.ready_timeout = process.name, list(ports), ready_timeout

    @property
    def log_path(self) -> Path:
        return self.process.log_path

    def launch(self) -> None:
        if self.process.running():
            return
        for port in self._ports:
            if port_in_use(port):
                raise StackError(f"{self.name}: port {port} is already in use")
        self.process.start()

    def wait_ready(self, timeout: float) -> float:
        return self.process.wait_until(self._ready, timeout, self._what, interval=0.25)

    def running(self) -> bool:
        return self.process.running()

    def stop(self) -> None:
        self.process.stop()

    def kill(self) -> None:
        self.process.kill()

    def rss_bytes(self, children: dict[int, list[int]] | None = None) -> int:
        return self.process.rss_bytes(children)

    def records(self) -> list[dict[str, Any]]:
        return [self.process.record()] if self.process.running() else []


def python_process(name: str, python: str, args: Sequence[str], log_path: Path, *,
                   env: dict[str, str], cwd: Path, stop_timeout: float) -> ManagedProcess:
    return ManagedProcess(name, [python, "-m", *args], log_path,
                          env=os.environ | env | {"PYTHONUNBUFFERED": "1"}, cwd=cwd,
                          stop_timeout=stop_timeout)


def http_ready(url: str) -> Callable[[], bool]:
    return lambda: http_ok(url)


def side_by_side(calls: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Run blocking waits in threads; every one finishes, then the first error is raised."""
    results: dict[str, float] = {}
    errors: list[BaseException] = []
    with ThreadPoolExecutor(max_workers=len(calls) or 1) as pool:
        futures = {name: pool.submit(call) for name, call in calls.items()}
        for name, fut in futures.items():
            try:
                results[name] = fut.result()
            except Exception as exc:  # noqa: BLE001 - reported, then the rest goes on
                errors.append(exc)
    if errors:
        raise errors[0]
    return results
