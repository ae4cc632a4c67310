"""Supervision of a service's long-running background tasks (consumers, outbox relays).

A task that raises (or returns) is logged and started again after an exponential backoff
(capped), counted in `background_task_restarts_total`. A task that keeps failing without
ever staying up for `stable_after_s` is crash-looping: after `unhealthy_after_s` of that,
`healthy()` turns false and the service's /healthz fails, so the orchestrator restarts the
whole process (which also clears whatever state the task could not recover from)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from prometheus_client import Counter, Gauge

log = logging.getLogger(__name__)

RESTARTS = Counter("background_task_restarts_total", "Background tasks restarted after dying",
                   ["service", "task"])
DOWN = Gauge("background_task_crash_looping", "1 while a background task fails again and again",
             ["service", "task"])


_RUNNING: set[Supervised] = set()  # of this process: one service per process


async def background_tasks_healthy() -> bool:
    """Liveness of the whole process (shared.web's /healthz checks it for every service)."""
    return all(s.healthy() for s in list(_RUNNING))


class Supervised:
    def __init__(self, name: str, factory: Callable[[], Awaitable[object]], *, service: str,
                 first_backoff_s: float = 0.5, max_backoff_s: float = 30.0,
                 stable_after_s: float = 60.0, unhealthy_after_s: float = 180.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name, self.service, self._factory = name, service, factory
        self._first, self._max = first_backoff_s, max_backoff_s
        self._stable, self._unhealthy, self._clock = stable_after_s, unhealthy_after_s, clock
        self.restarts = 0
        self.failing_since: float | None = None  # first failure of the current streak
        self.running_since: float | None = None

    async def run(self) -> None:
        _RUNNING.add(self)
        try:
            await self._loop()
        finally:
            _RUNNING.discard(self)

    async def _loop(self) -> None:
        backoff = self._first
        while True:
            started = self.running_since = self._clock()
            try:
                await self._factory()
                reason = "returned"
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any death is restarted, none is final
                reason = type(exc).__name__
                log.error("background task died", exc_info=exc, extra={
                    "service": self.service, "task": self.name, "reason": reason})
            now, self.running_since = self._clock(), None
            if now - started >= self._stable:  # it had recovered: a new streak begins
                self.failing_since, backoff = None, self._first
            if self.failing_since is None:
                self.failing_since = now
            self.restarts += 1
            RESTARTS.labels(self.service, self.name).inc()
            DOWN.labels(self.service, self.name).set(0 if self.healthy() else 1)
            log.warning("restarting background task", extra={
                "service": self.service, "task": self.name, "reason": reason,
                "backoff_s": backoff})
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max)

    def healthy(self) -> bool:
        if self.failing_since is None:
            return True
        now = self._clock()
        if self.running_since is not None and now - self.running_since >= self._stable:
            return True
        return now - self.failing_since < self._unhealthy
