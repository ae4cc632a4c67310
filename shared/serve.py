"""Entrypoint helper: run a service's FastAPI app with uvicorn on its configured port."""

from __future__ import annotations

import uvicorn

from shared import logs
from shared.settings import ServiceSettings


def serve(app_factory, settings: ServiceSettings, service: str) -> None:
    logs.configure(service, settings.log_level)
    uvicorn.run(app_factory(settings), host=settings.http_host, port=settings.http_port,
                log_config=None, access_log=False)
