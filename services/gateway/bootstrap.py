"""Composition root of the gateway: one httpx client for all upstreams and the OIDC client
(built in the lifespan), the in-memory session store, security headers on every response,
readiness = identity reachable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request

from services.gateway import api, auth
from services.gateway.oidc_client import OidcClient
from services.gateway.session import SessionStore
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
            app.state.oidc = OidcClient(settings, client, transport)

            async def identity_reachable() -> bool:
                response = await client.get(f"{settings.identity_url.rstrip('/')}/healthz",
                                            timeout=2.0)
                return response.status_code == 200

            app.state.readiness = [identity_reachable]
            try:
                yield
            finally:
                await app.state.oidc.aclose()

    app = web.create_app(title="gateway", lifespan=lifespan)
    app.state.settings = settings
    app.state.sessions = SessionStore(idle_s=settings.session_idle_s,
                                      max_s=settings.session_max_s)
    app.include_router(auth.router)
    app.include_router(api.router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    return app
