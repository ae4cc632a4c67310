"""Entrypoint helper: run a service's FastAPI app with uvicorn on its configured port."""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI

from shared import logs
from shared.settings import ServiceSettings

# How long an idle keep-alive connection stays open. It must outlast the callers' own idle
# expiry (shared.http_transport: 15 s; httpx's own: 5 s), so that a caller always drops an
# idle connection first: with both at uvicorn's default of 5 s, a caller could reuse a
# connection the server was closing that instant and get "server disconnected" (the
# gateway answered such a request 502).
KEEP_ALIVE_S = 75

# uvicorn's options for every service (also what tests start servers with).
UVICORN_OPTIONS: dict[str, Any] = {"log_config": None, "access_log": False,
                                   "timeout_keep_alive": KEEP_ALIVE_S}


def serve(app_factory, settings: ServiceSettings, service: str) -> None:
    logs.configure(service, settings.log_level)
    app = app_factory(settings)
    freeze_after_start(app)
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, **UVICORN_OPTIONS)


def freeze_after_start(app: FastAPI) -> None:
    """Once the app's lifespan has started (modules imported, engine built, migrations run),
    move every object alive then out of the garbage collector's reach (gc.freeze). Those
    objects live as long as the process, yet each full collection walked them all again:
    about 80 ms of CPU in a mailbox, with the event loop stopped, instead of about 17 ms
    after the freeze (docs/capacity.md, perf12). Only for a served process: a test process
    that starts many apps would keep each one's garbage for good."""
    started = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        async with started(app) as state:
            gc.collect()  # what start-up left behind goes now, not frozen with the rest
            gc.freeze()
            yield state

    app.router.lifespan_context = lifespan
