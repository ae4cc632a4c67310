"""The worker's /healthz follows its supervised background tasks (the hand-back consumer), as
every other service's does: a task that keeps failing fails liveness."""

from __future__ import annotations

import asyncio

from services.routing.web import liveness
from shared.supervise import Supervised


async def test_a_crash_looping_hand_back_fails_the_worker_s_liveness() -> None:
    clock, crash = [1000.0], asyncio.Event()

    async def dies_on_demand() -> None:
        await crash.wait()
        crash.clear()
        raise RuntimeError("broker away")

    task = Supervised("hand-back", dies_on_demand, service="routing", first_backoff_s=0.0,
                      stable_after_s=60, unhealthy_after_s=120, clock=lambda: clock[0])
    running = asyncio.create_task(task.run())
    try:
        assert await liveness() == ({"status": "ok"}, 200)
        for _ in range(4):  # dies every 40 s: never up long enough to count as recovered
            clock[0] += 40
            crash.set()
            await asyncio.sleep(0.05)
        assert await liveness() == (
            {"status": "failing", "check": "background_tasks_healthy"}, 503)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert await liveness() == ({"status": "ok"}, 200)  # a stopped task is forgotten
