"""Composition root of forms: engine, event runtime (outbox relay to forms.events) and the
context the use cases work with are built in the lifespan, so nothing connects at import time. Tests set
`app.state.forms` and `app.state.token_verifier` themselves and skip the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.forms import api, api_import, handlers, internal_api, tables
from services.forms.context import FormsContext
from services.forms.migrations import MIGRATIONS
from services.forms.settings import FormsSettings
from shared import staff_access, web
from shared.auth import InternalCallers, TokenVerifier
from shared.db import make_engine
from shared.events import Source, topics
from shared.outbox import Outbox
from shared.runtime import EventRuntime
from shared.staff_access import StaffAccess, projection_loader

SERVICE = "forms"


def create_app(settings: FormsSettings | None = None) -> FastAPI:
    settings = settings or FormsSettings()
    outbox = Outbox(tables.outbox, channel="forms_outbox")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        runtime = EventRuntime(service=SERVICE, engine=engine, migrations=MIGRATIONS,
                               bootstrap=settings.kafka_bootstrap_servers, outbox=outbox,
                               inbox=tables.inbox, settings=settings)
        ctx = FormsContext(
            engine=engine, outbox=outbox,
            source=Source(service=SERVICE, region=settings.region),
            canonical_base=settings.canonical_base)
        consumed = staff_access.build_handlers(tables.staff_access)
        if settings.provisioning:
            consumed |= handlers.build_handlers(ctx)
        runtime.consume(SERVICE, [topics.IDENTITY], consumed, ignore=[
            c for c in staff_access.NOT_INTERESTED if c not in consumed])
        # Designers are authorized against their current units, not only their token's.
        app.state.staff_access = StaffAccess(engine, projection_loader(tables.staff_access))
        app.state.readiness.extend(runtime.readiness)
        app.state.forms = ctx
        app.state.token_verifier = TokenVerifier(
            jwks_url=f"{settings.identity_url}/.well-known/jwks.json",
            issuer=settings.identity_url, audience=SERVICE)
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = web.create_app(title="forms", lifespan=lifespan,
                         max_body_bytes=settings.max_request_body_bytes)
    app.include_router(api.router)
    app.include_router(api_import.router)
    app.include_router(internal_api.router)
    app.state.internal_callers = InternalCallers.from_settings(settings)
    return app
