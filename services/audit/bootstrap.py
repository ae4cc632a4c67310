"""Composition root of the audit service: database, one inbox consumer over every topic but
its own, the outbox of the auditors' stream, token verification and the HTTP app. Nothing
connects before the lifespan starts."""

from __future__ import annotations

from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from services.audit import api, api_auditors, api_patient, tables, tables_stream
from services.audit.handlers import AUDITED_TOPICS, make_handlers
from services.audit.migrations import MIGRATIONS
from services.audit.recording import Recording
from services.audit.review import ReviewPolicy
from services.audit.settings import AuditSettings
from shared import staff_access
from shared.auth import InternalCallers, TokenVerifier
from shared.db import make_engine
from shared.events import Source, topics
from shared.outbox import Outbox
from shared.runtime import EventRuntime
from shared.staff_access import StaffAccess, projection_loader
from shared.web import create_app as create_web_app

CONSUMER = "audit"  # consumer group; dead letters go to dlq.audit
STAFF_CONSUMER = "audit-staff-access"


def review_policy(settings: AuditSettings) -> ReviewPolicy:
    return ReviewPolicy(work_start=settings.review_work_start,
                        work_end=settings.review_work_end,
                        weekdays_only=settings.review_weekdays_only,
                        timezone=settings.review_timezone,
                        sample_rate=settings.review_sample_rate)


def create_app(settings: AuditSettings) -> FastAPI:
    outbox = Outbox(tables_stream.outbox, channel="audit_outbox")
    recording = Recording(outbox=outbox, source=Source(service="audit", region=settings.region),
                          policy=review_policy(settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        engine = make_engine(settings.database_url)
        runtime = EventRuntime(service="audit", engine=engine,
                               bootstrap=settings.kafka_bootstrap_servers,
                               migrations=MIGRATIONS, outbox=outbox, inbox=tables.inbox,
                               settings=settings)
        runtime.consume(CONSUMER, AUDITED_TOPICS, make_handlers(recording))
        # Its own consumer group: auditors are authorized against the current catalogue.
        runtime.consume(STAFF_CONSUMER, [topics.IDENTITY],
                        staff_access.build_handlers(tables.staff_access),
                        ignore=staff_access.NOT_INTERESTED)
        app.state.staff_access = StaffAccess(engine, projection_loader(tables.staff_access))
        await runtime.start()
        app.state.engine = engine
        app.state.readiness.extend(runtime.readiness)
        async with httpx.AsyncClient(
                base_url=settings.identity_url, timeout=5.0,
                headers={"X-Internal-Api-Key": settings.internal_credential.get_secret_value()}
        ) as identity:
            app.state.identity = identity
            try:
                yield
            finally:
                await runtime.stop()

    app = create_web_app(title="audit", lifespan=lifespan,
                         max_body_bytes=settings.max_request_body_bytes)
    app.state.internal_callers = InternalCallers.from_settings(settings)
    app.state.verify_batch_size = settings.verify_batch_size
    app.state.recording = recording
    app.state.token_verifier = TokenVerifier(
        jwks_url=f"{settings.identity_url.rstrip('/')}/.well-known/jwks.json",
        issuer=settings.identity_url, audience=settings.token_audience)
    app.include_router(api.router)
    app.include_router(api_auditors.router)
    app.include_router(api_patient.router)
    return app
