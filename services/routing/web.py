"""Health, readiness and metrics on the faust worker's own web server."""

from __future__ import annotations

from typing import Any, cast

import faust
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.supervise import background_tasks_healthy


def is_ready(app: faust.App, directory: faust.types.TableT) -> bool:
    """Ready once the consumer holds partitions and the directory has been recovered from its
    changelog: before that a submission could be judged against a half-loaded directory."""
    consumer = app.consumer
    return (not app.rebalancing
            # recovery exists on faust's TableManager but not on its type stub
            and cast(Any, app.tables).recovery.completed.is_set()
            and bool(consumer.assignment())
            and directory.changelog_topic is not None)


async def liveness() -> tuple[dict, int]:
    """/healthz's answer: failing while a background task (the hand-back consumer) keeps
    failing, so the orchestrator restarts the worker, as for the other services (shared.web)."""
    if not await background_tasks_healthy():
        return {"status": "failing", "check": "background_tasks_healthy"}, 503
    return {"status": "ok"}, 200


def register_views(app: faust.App, directory: faust.types.TableT) -> None:
    @app.page("/healthz")
    async def healthz(view: View, request: Request) -> Response:
        body, status = await liveness()
        return view.json(body, status=status)

    @app.page("/readyz")
    async def readyz(view: View, request: Request) -> Response:
        try:
            ready = is_ready(app, directory)
        except Exception:  # noqa: BLE001 - not started yet: not ready
            ready = False
        if ready:
            return view.json({"status": "ready", "units": len(directory)})
        return view.json({"status": "not ready"}, status=503)

    @app.page("/metrics")
    async def metrics(view: View, request: Request) -> Response:
        # As a header: aiohttp refuses a content_type argument that carries a charset.
        return view.bytes(generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})
