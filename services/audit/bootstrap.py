"""Composition root of the audit service: database, one inbox consumer over every topic but
its own, token verification and the HTTP app. Nothing connects before the lifespan starts."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.audit import api, tables
from services.audit.handlers import AUDITED_TOPICS, make_handlers
from services.audit.migrations import MIGRATIONS
from services.audit.settings import AuditSettings
from shared import staff_access
from shared.auth import InternalCallers, TokenVerifier
from shared.db import make_engine
from shared.events import topics
from shared.runtime import EventRuntime
from shared.staff_access import StaffAccess, projection_loader
from shared.web import create_app as create_web_app

CONSUMER = "audit"  # consumer group; dead letters go to dlq.audit
STAFF_CONSUMER = "audit-staff-access"


def create_app(settings: AuditSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        engine = make_engine(settings.database_url)
        runtime = EventRuntime(service="audit", engine=engine,
                               bootstrap=settings.kafka_bootstrap_servers,
                               migrations=MIGRATIONS, inbox=tables.inbox, settings=settings)
        runtime.consume(CONSUMER, AUDITED_TOPICS, make_handlers())
        # Its own consumer group: auditors are authorized against the current catalogue.
        runtime.consume(STAFF_CONSUMER, [topics.IDENTITY],
                        staff_access.build_handlers(tables.staff_access),
                        ignore=staff_access.NOT_INTERESTED)
        app.state.staff_access = StaffAccess(engine, projection_loader(tables.staff_access))
        await runtime.start()
        app.state.engine = engine
        app.state.readiness.extend(runtime.readiness)
        try:
            yield
        finally:
            await runtime.stop()

    app = create_web_app(title="audit", lifespan=lifespan,
                         max_body_bytes=settings.max_request_body_bytes)
    app.state.internal_callers = InternalCallers.from_settings(settings)
    app.state.verify_batch_size = settings.verify_batch_size
    app.state.token_verifier = TokenVerifier(
        jwks_url=f"{settings.identity_url.rstrip('/')}/.well-known/jwks.json",
        issuer=settings.identity_url, audience=settings.token_audience)
    app.include_router(api.router)
    return app
