"""Validity dates take effect without an import: identity sweeps the catalogue periodically
(CatalogueSync.sweep), announcing whoever a passing date revoked, reinstated or moved.
Started and stopped in identity's lifespan; a sweep that fails is logged and retried."""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.identity.catalogue.sync import CatalogueSync

log = logging.getLogger(__name__)


class ValidityWatcher:
    def __init__(self, engine: AsyncEngine, sync: CatalogueSync, interval_s: float) -> None:
        self._engine, self._sync, self._interval = engine, sync, interval_s
        self._task: asyncio.Task | None = None
        self.last_sweep = 0.0  # monotonic

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="catalogue-validity")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def alive(self) -> bool:
        return self._task is not None and not self._task.done()

    async def sweep_once(self) -> None:
        async with self._engine.begin() as conn:
            report = await self._sync.sweep(conn)
        self.last_sweep = time.monotonic()
        if report:
            log.info("catalogue validity changes announced",
                     extra={"count": sum(report.values())})

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.sweep_once()
            except (DBAPIError, OSError) as exc:
                log.warning("catalogue sweep failed; retrying",
                            extra={"error": type(exc).__name__})
