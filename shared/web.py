"""FastAPI application shell shared by every service: health, readiness, metrics, request
logging with correlation ids, and error bodies that say what was wrong (invalid requests,
and shared.errors.CommandError from any use case).

`/healthz` runs the liveness checks (a background task crash-looping for too long fails it,
so the orchestrator restarts the process); `/readyz` runs the service's readiness checks
(database reachable, consumers running, ...) and answers 503 until they pass. Request bodies
are capped (shared.bodylimit): 413 with the limit, before the application reads them."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import Counter, Histogram, make_asgi_app

from shared import errors, logs, openapi_errors
from shared.bodylimit import DEFAULT_MAX_BODY_BYTES, BodySizeLimit
from shared.supervise import background_tasks_healthy

log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], Awaitable[bool]]

REQUESTS = Counter("http_requests_total", "HTTP requests", ["route", "method", "status"])
SLOW_REQUEST_S = 1.0
LATENCY = Histogram("http_request_duration_seconds", "HTTP request latency", ["route", "method"])


def create_app(*, title: str, lifespan, readiness: list[ReadinessCheck] | None = None,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
               larger_bodies: tuple[tuple[str, int], ...] = ()) -> FastAPI:
    app = FastAPI(title=title, lifespan=lifespan)
    app.state.readiness = readiness or []
    # Every supervised background task of the process (shared.supervise); more may be added.
    app.state.liveness = [background_tasks_healthy]
    app.mount("/metrics", make_asgi_app())
    errors.install(app)  # CommandError -> its 4xx, for every service
    openapi_errors.install(app)  # ... and those answers in the OpenAPI document

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        failing = await _first_failing(app.state.liveness)
        if failing is not None:
            return JSONResponse({"status": "failing", "check": failing}, 503)
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        failing = await _first_failing(app.state.readiness)
        if failing is not None:
            return JSONResponse({"status": "not ready", "check": failing}, 503)
        return JSONResponse({"status": "ready"})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Field paths and messages only; the submitted values are not echoed back or logged.
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
                  for e in exc.errors()]
        return JSONResponse({"detail": "invalid request", "errors": errors}, 422)

    @app.middleware("http")
    async def observe(request: Request, call_next):
        cid = request.headers.get("x-correlation-id") or str(uuid.uuid4())
        logs.correlation_id.set(cid)
        started = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")  # template, no ids
        elapsed = time.perf_counter() - started
        REQUESTS.labels(route, request.method, response.status_code).inc()
        LATENCY.labels(route, request.method).observe(elapsed)
        response.headers["x-correlation-id"] = cid
        level = _request_log_level(response.status_code, elapsed)
        if log.isEnabledFor(level) and not route.startswith(("/healthz", "/readyz", "/metrics")):
            log.log(level, "request", extra={"method": request.method, "path": route,
                                             "status": response.status_code,
                                             "duration_ms": round(elapsed * 1000, 1)})
        return response

    # Outermost: an oversized body is refused before any other middleware or route reads it.
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes, larger=larger_bodies)
    return app


def _request_log_level(status: int, elapsed_s: float) -> int:
    """Failures and slow requests for the operator; every request only at DEBUG (counts and
    latencies are in the metrics), so logs stay proportionate under load."""
    if status >= 500:
        return logging.WARNING
    if elapsed_s >= SLOW_REQUEST_S:
        return logging.INFO
    return logging.DEBUG


async def _first_failing(checks: list[ReadinessCheck]) -> str | None:
    for check in checks:
        try:
            ok = await check()
        except Exception:  # noqa: BLE001 - a failing dependency means "not ready", not a crash
            ok = False
        if not ok:
            return check.__name__
    return None
