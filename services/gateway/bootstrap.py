"""Composition root of the gateway: one httpx client for all upstreams (built in the
lifespan), security headers on every response, readiness = identity reachable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request

from services.gateway import api
from services.gateway.settings import GatewaySettings
from shared import web

SERVICE = "gateway"

SECURITY_HEADERS = {
    # frame-ancestors is not covered by default-src, hence spelt out (as X-Frame-Options).
    "Content-Security-Policy": "default-src 'self'; base-uri 'self'; form-action 'self'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def create_app(settings: GatewaySettings | None = None, *,
               transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """`transport` lets tests put a fake upstream behind the real client."""
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(transport=transport, follow_redirects=False,
                                     timeout=settings.upstream_timeout_s) as client:
            app.state.http = client

            async def identity_reachable() -> bool:
                response = await client.get(f"{settings.identity_url.rstrip('/')}/healthz",
                                            timeout=2.0)
                return response.status_code == 200

            app.state.readiness = [identity_reachable]
            yield

    app = web.create_app(title="gateway", lifespan=lifespan)
    app.state.settings = settings
    app.include_router(api.router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    return app
