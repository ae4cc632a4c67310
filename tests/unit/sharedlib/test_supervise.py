"""A background task that dies is restarted with a growing (capped) backoff and counted; one
that keeps dying fails liveness, so the orchestrator restarts the process."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import httpx
from prometheus_client import REGISTRY

from shared.supervise import Supervised
from shared.web import create_app


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_dying_task_is_restarted_and_counted_until_it_stays_up():
    runs: list[int] = []
    up = asyncio.Event()

    async def flaky() -> None:
        runs.append(1)
        if len(runs) <= 3:
            raise RuntimeError("boom")
        up.set()
        await asyncio.Event().wait()  # then it stays up

    task = Supervised("flaky", flaky, service="t-restart", first_backoff_s=0.01,
                      max_backoff_s=0.02)
    running = asyncio.create_task(task.run())
    try:
        await asyncio.wait_for(up.wait(), 5)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert len(runs) == 4 and task.restarts == 3
    assert REGISTRY.get_sample_value("background_task_restarts_total",
                                     {"service": "t-restart", "task": "flaky"}) == 3


async def test_a_crash_looping_task_fails_healthz_and_a_recovered_one_passes_again():
    clock, crash = Clock(), asyncio.Event()

    async def dies_on_demand() -> None:
        await crash.wait()
        crash.clear()
        raise RuntimeError("boom")

    task = Supervised("looping", dies_on_demand, service="t-live", first_backoff_s=0.0,
                      stable_after_s=60, unhealthy_after_s=120, clock=clock)

    @asynccontextmanager
    async def lifespan(_app):
        yield

    transport = httpx.ASGITransport(app=create_app(title="t", lifespan=lifespan))
    running = asyncio.create_task(task.run())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        try:
            assert (await http.get("/healthz")).status_code == 200
            for _ in range(4):  # dies every 40 s: never up long enough to count as recovered
                clock.now += 40
                crash.set()
                await asyncio.sleep(0.05)
            assert not task.healthy()
            r = await http.get("/healthz")
            assert r.status_code == 503 and r.json()["check"] == "background_tasks_healthy"
            clock.now += 61  # it has now stayed up longer than stable_after_s
            assert task.healthy() and (await http.get("/healthz")).status_code == 200
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
    assert (await http_status_after_stop(transport)) == 200  # a stopped task is forgotten


async def http_status_after_stop(transport) -> int:
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        return (await http.get("/healthz")).status_code
