"""A served process moves what its start-up made out of the garbage collector's reach once
its lifespan has started, so full collections under load stop walking the imported modules,
the engine and the routes again and again. The app's own lifespan still runs, start and
stop, and what start-up left as garbage is collected first rather than frozen."""

from __future__ import annotations

import gc
import weakref
from contextlib import asynccontextmanager

from fastapi import FastAPI

from shared.serve import freeze_after_start


class Garbage:
    """A cycle that only the collector frees (reference counting cannot)."""

    def __init__(self) -> None:
        self.me = self


async def test_the_lifespan_runs_and_what_lived_at_start_is_frozen() -> None:
    steps: list[str] = []
    kept: list[object] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        steps.append("start")
        kept.append(object())
        yield {"ready": True}
        steps.append("stop")

    app = FastAPI(lifespan=lifespan)
    freeze_after_start(app)
    leftover = Garbage()
    leftover_ref = weakref.ref(leftover)
    del leftover
    gc.unfreeze()
    try:
        async with app.router.lifespan_context(app) as state:
            assert steps == ["start"]
            assert state == {"ready": True}
            assert gc.get_freeze_count() > 0
            assert leftover_ref() is None, "start-up garbage was frozen, not collected"
        assert steps == ["start", "stop"]
    finally:
        gc.unfreeze()  # the test process goes on making and dropping apps

