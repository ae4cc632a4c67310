"""Entrypoint helper: run a service's FastAPI app with uvicorn on its configured port."""

from __future__ import annotations

from typing import Any

import uvicorn

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
    uvicorn.run(app_factory(settings), host=settings.http_host, port=settings.http_port,
                **UVICORN_OPTIONS)
