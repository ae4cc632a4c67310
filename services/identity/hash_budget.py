"""A memory budget for password hashing: argon2id with RFC 9106's parameters takes 64 MiB
per running hash, so a handful of parallel logins could take identity's memory. Every hash
or verification (patients' and staff's) first takes a permit; there are
budget // memory-per-hash permits. A caller waits a short while for one, then is told to come
back (HashingBusy: 429 with Retry-After), instead of queueing without end."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import Counter, Gauge
from starlette.responses import JSONResponse

BUSY = Counter("identity_password_hashing_busy_total",
               "Logins refused (429) because the password-hashing memory budget was full")
RUNNING = Gauge("identity_password_hashes_running", "Password hashes running now")


class HashingBusy(Exception):
    """Every permit is taken: try again after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"password hashing is at its memory budget; retry after {retry_after} s")
        self.retry_after = retry_after


class HashBudget:
    def __init__(self, budget_kib: int, per_hash_kib: int, wait_s: float) -> None:
        if per_hash_kib <= 0 or budget_kib < per_hash_kib:
            raise ValueError("the hashing memory budget must hold at least one hash")
        self.permits = budget_kib // per_hash_kib
        self._wait_s = wait_s
        self._semaphore = asyncio.Semaphore(self.permits)
        self.running = 0
        self.peak = 0  # the most hashes ever running at once (tests, and a sanity check)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        try:
            await asyncio.wait_for(self._semaphore.acquire(), self._wait_s)
        except TimeoutError:
            BUSY.inc()
            raise HashingBusy(max(1, math.ceil(self._wait_s * 2))) from None
        self.running += 1
        self.peak = max(self.peak, self.running)
        RUNNING.inc()
        try:
            yield
        finally:
            self.running -= 1
            RUNNING.dec()
            self._semaphore.release()


async def busy_response(request: object, exc: Exception) -> JSONResponse:
    """The JSON APIs' answer (the login pages show their own page with the same status)."""
    retry_after = exc.retry_after if isinstance(exc, HashingBusy) else 1
    return JSONResponse(
        {"code": "busy", "message_sv": "Många loggar in just nu. Försök igen om en stund.",
         "message_en": "Many people are logging in just now. Try again in a moment."},
        status_code=429, headers={"Retry-After": str(retry_after)})
