"""Composition root of the gateway: one httpx client for all upstreams and the OIDC client
(built in the lifespan, sending through aiohttp's pool: shared.http_transport, which the
proxy uses directly), the shared session store (PostgreSQL, migrated at start, or memory in
development), the web UI and its assets, security headers and body limits on every
response, readiness = identity reachable."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway import api, auth, session_rows
from services.gateway.limits import BodyLimit, upload_routes
from services.gateway.migrations import MIGRATIONS
from services.gateway.oidc_client import OidcClient
from services.gateway.session import SESSION_COOKIE, SessionStore
from services.gateway.settings import GatewaySettings
from services.gateway.ui import i18n, routes
from services.gateway.ui.pages import error_page
from shared import db, logs, web
from shared.http_transport import AiohttpTransport, ExchangeOver

log = logging.getLogger(__name__)

SERVICE = "gateway"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    # frame-ancestors is not covered by default-src, hence spelt out (as X-Frame-Options).
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# Paths that never need the session (no database round trip for them).
SESSIONLESS = ("/assets/", "/healthz", "/readyz", "/metrics")


def create_app(settings: GatewaySettings | None = None, *,
               transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """`transport` lets tests put a fake upstream behind the real client."""
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = db.make_engine(settings.database_url, pool_size=5) if settings.database_url \
            else None
        if engine is not None:
            await MIGRATIONS.upgrade(engine)
            app.state.sessions = _store(settings, session_rows.PgRows(engine))
        # One pool: the proxy sends straight through it, everything else through httpx's
        # client on top of it.
        sending: httpx.AsyncBaseTransport
        if transport is None:
            sending = app.state.upstream = AiohttpTransport()
        else:
            sending, app.state.upstream = transport, ExchangeOver(transport)
        async with httpx.AsyncClient(transport=sending, follow_redirects=False,
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
                if engine is not None:
                    await engine.dispose()

    app = web.create_app(title="gateway", lifespan=lifespan, larger_bodies=upload_routes(settings))
    app.state.settings = settings
    app.state.sessions = _store(settings, session_rows.MemoryRows())
    _mount_assets(app, settings)
    app.include_router(auth.router)
    app.include_router(api.router)
    routes.include(app)

    app.add_middleware(SessionAndHeaders, settings=settings)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes,
                       larger=upload_routes(settings))
    return app


class SessionAndHeaders:
    """For every request: the 413 page when the body limit refused the body (BodyLimit marks
    it), else the language and the session (loaded here, once); on every response the
    session cookie's deletion when the session was idle or expired, and the security
    headers. Pure ASGI (not `@app.middleware("http")`, whose extra task and stream wrapping
    cost a large share of a small request's CPU), so streamed responses pass through as
    they are and only their start message is touched.

    A route that raises gets its 500 page here, with the security headers and the request's
    correlation id: Starlette's own last-resort handler sits outside every middleware, so
    its page had neither."""

    def __init__(self, app: ASGIApp, settings: GatewaySettings) -> None:
        self.app, self.settings = app, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                if getattr(request.state, "session_status", "") in ("idle", "expired"):
                    headers.append("set-cookie", _session_cookie_deletion())
                headers.update(SECURITY_HEADERS)
            await send(message)

        if getattr(request.state, "body_too_large", False):
            cap = getattr(request.state, "body_cap", self.settings.max_body_bytes)
            response = error_page(request, 413, f"the request body is larger than {cap} bytes")
            await response(scope, receive, with_headers)
            return
        i18n.current.set(i18n.language_of(request))  # for texts made outside templates
        await _load_session(request)
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await with_headers(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            if started:  # part of the response is out: nothing sane to add; the server logs it
                raise
            log.exception("unhandled error")
            page = error_page(request, 500)
            if cid := logs.correlation_id.get():  # set by the request observer, further in
                page.headers["x-correlation-id"] = cid
            await page(scope, receive, with_headers)


def _session_cookie_deletion() -> str:
    """The Set-Cookie value that deletes the session cookie (it carries the current date)."""
    response = Response()
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response.headers["set-cookie"]


def _store(settings: GatewaySettings, rows: session_rows.Rows) -> SessionStore:
    return SessionStore(rows, settings.session_secret.get_secret_value(),
                        idle_s=settings.session_idle_s, max_s=settings.session_max_s)


async def _load_session(request: Request) -> None:
    request.state.session, request.state.session_status = None, "none"
    if request.url.path.startswith(SESSIONLESS):
        return
    store: SessionStore = request.app.state.sessions
    session, status = await store.load(request.cookies.get(SESSION_COOKIE))
    request.state.session, request.state.session_status = session, status


def _mount_assets(app: FastAPI, settings: GatewaySettings) -> None:
    """The design system and htmx from npm's node_modules, and the UI's own files: all
    served here, never from a CDN. The GOV.UK stylesheet refers to /assets/images/."""
    from pathlib import Path

    own = Path(__file__).resolve().parent / "static"
    govuk = settings.assets_dir / "govuk-frontend" / "dist" / "govuk"
    app.mount("/assets/ui", StaticFiles(directory=own), name="ui-assets")
    if govuk.is_dir():  # absent only where `npm ci` has not run (unit tests of the API)
        app.mount("/assets/images", StaticFiles(directory=govuk / "assets" / "images"))
        app.mount("/assets/govuk", StaticFiles(directory=govuk), name="govuk")
        app.mount("/assets/htmx", StaticFiles(directory=settings.assets_dir / "htmx.org" / "dist"))
