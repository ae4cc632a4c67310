"""FastAPI application shell shared by every service: health, readiness, metrics, request
logging with correlation ids, and error bodies that say what was wrong (invalid requests,
and shared.errors.CommandError from any use case).

`/healthz` runs the liveness checks (a background task crash-looping for too long fails it,
so the orchestrator restarts the process); `/readyz` runs the service's readiness checks
(database reachable, consumers running, ...) and answers 503 until they pass. Request bodies
are capped (shared.bodylimit): 413 with the limit, before the application reads them."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import Counter, Histogram, make_asgi_app
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import errors, logs, openapi_errors
from shared.bodylimit import DEFAULT_MAX_BODY_BYTES, BodySizeLimit
from shared.supervise import background_tasks_healthy

log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], Awaitable[bool]]

REQUESTS = Counter("http_requests_total", "HTTP requests", ["route", "method", "status"])
SLOW_REQUEST_S = 1.0
# A caller's correlation id is taken as given only if it is short and plain: it goes into
# every log line of the request and on to the next hop.
_CORRELATION_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
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

    app.add_middleware(Observe)
    # Outermost: an oversized body is refused before any other middleware or route reads it.
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes, larger=larger_bodies)
    return app


class Observe:
    """Correlation id (taken from the request or made), the request's metrics labelled with
    its route template (never the ids in the path), the x-correlation-id response header and
    the request log line. Pure ASGI rather than `@app.middleware("http")`: Starlette's
    BaseHTTPMiddleware runs the app in a task of its own and passes every message through
    memory streams, a large share of a small request's CPU (bench/reqpath.py).

    Status and latency are taken when the response starts, as before. A route that raises
    (answered 500 by the outermost error handler) is counted and logged as a 500 too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = header(scope, b"x-correlation-id")
        cid = given if given and _CORRELATION_ID.fullmatch(given) else str(uuid.uuid4())
        logs.correlation_id.set(cid)
        started = time.perf_counter()
        recorded = False

        async def observed(message: Message) -> None:
            nonlocal recorded
            if message["type"] == "http.response.start":
                recorded = True
                _record(scope, message["status"], time.perf_counter() - started)
                message.setdefault("headers", [])
                MutableHeaders(scope=message)["x-correlation-id"] = cid
            await send(message)

        try:
            await self.app(scope, receive, observed)
        except Exception:
            if not recorded:
                _record(scope, 500, time.perf_counter() - started)
            raise


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header (`name` in lower case), as Starlette reads it."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def _record(scope: Scope, status: int, elapsed: float) -> None:
    route = getattr(scope.get("route"), "path", "unmatched")  # template, no ids
    method = scope["method"]
    REQUESTS.labels(route, method, status).inc()
    LATENCY.labels(route, method).observe(elapsed)
    level = _request_log_level(status, elapsed)
    if log.isEnabledFor(level) and not route.startswith(("/healthz", "/readyz", "/metrics")):
        log.log(level, "request", extra={"method": method, "path": route, "status": status,
                                         "duration_ms": round(elapsed * 1000, 1)})


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
