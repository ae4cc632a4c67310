"""Composition root of the audit service: database (migrated as its owner, run as the
insert-and-select role), one inbox consumer over every topic but its own, the signing key,
one outbox for checkpoints and the auditors' stream, reconciliation against the care-unit
mailbox's access log, token verification and the HTTP app. Nothing connects before the
lifespan starts."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from fastapi import FastAPI

from services.audit import api, api_auditors, api_patient, checkpointer, tables
from services.audit.handlers import AUDITED_TOPICS, make_batch_handler, make_handlers
from services.audit.reconcile import Reconciler
from services.audit.recording import Recording
from services.audit.review import ReviewPolicy
from services.audit.roles import OwnerMigrations
from services.audit.settings import AuditSettings
from services.audit.signing import Signer, trusted_keys
from services.audit.store import Chain
from shared import staff_access
from shared.auth import InternalCallers, TokenVerifier
from shared.db import make_engine
from shared.events import Source, topics
from shared.outbox import Outbox
from shared.runtime import EventRuntime
from shared.staff_access import StaffAccess, projection_loader
from shared.supervise import Supervised
from shared.web import create_app as create_web_app

CONSUMER = "audit"  # consumer group; dead letters go to dlq.audit
STAFF_CONSUMER = "audit-staff-access"


def review_policy(settings: AuditSettings) -> ReviewPolicy:
    return ReviewPolicy(work_start=settings.review_work_start,
                        work_end=settings.review_work_end,
                        weekdays_only=settings.review_weekdays_only,
                        timezone=settings.review_timezone,
                        sample_rate=settings.review_sample_rate)


def make_chain(settings: AuditSettings) -> Chain:
    """Refuses to start without a real key: the log would be unsigned."""
    signer = Signer.from_setting(settings.checkpoint_signing_key.get_secret_value(),
                                 settings.region)
    outbox = Outbox(tables.outbox, channel="audit_outbox")
    source = Source(service="audit", region=settings.region)
    recording = Recording(outbox=outbox, source=source, policy=review_policy(settings))
    return Chain(signer=signer, outbox=outbox, source=source,
                 checkpoint_every=settings.checkpoint_every_records,
                 after=recording.after_append, after_batch=recording.after_batch)


def _background(settings: AuditSettings, engine, chain: Chain,
                http: httpx.AsyncClient) -> list[Supervised]:
    reconciler = Reconciler(engine, chain, http, settings.reconcile_page_size,
                            timedelta(seconds=settings.reconcile_grace_s))
    return [
        Supervised("checkpoints", lambda: checkpointer.run(
            engine, chain, settings.checkpoint_every_s), service="audit",
            unhealthy_after_s=settings.task_unhealthy_after_s),
        Supervised("reconciliation", lambda: reconciler.run(settings.reconcile_interval_s),
                   service="audit", unhealthy_after_s=settings.task_unhealthy_after_s)]


def create_app(settings: AuditSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        chain = make_chain(settings)
        engine = make_engine(settings.database_url)
        runtime = EventRuntime(
            service="audit", engine=engine, bootstrap=settings.kafka_bootstrap_servers,
            migrations=OwnerMigrations(settings.owner_database_url, settings.database_url,
                                       settings.partition_months_ahead),
            outbox=chain.outbox, inbox=tables.inbox, settings=settings)
        runtime.consume(CONSUMER, AUDITED_TOPICS, make_handlers(chain),
                        batch_handler=make_batch_handler(chain))
        # Its own consumer group: auditors are authorized against the current catalogue.
        runtime.consume(STAFF_CONSUMER, [topics.IDENTITY],
                        staff_access.build_handlers(tables.staff_access),
                        ignore=staff_access.NOT_INTERESTED, batching=False)
        app.state.staff_access = StaffAccess(engine, projection_loader(tables.staff_access))
        await runtime.start()
        app.state.engine = engine
        app.state.chain = chain  # reviews are appended to the log like every record
        app.state.verify_keys = trusted_keys(chain.signer.public_key,
                                             settings.checkpoint_previous_public_keys)
        app.state.readiness.extend(runtime.readiness)
        http = httpx.AsyncClient(
            base_url=settings.careunit_mailbox_url, timeout=30,
            headers={"X-Internal-Api-Key": settings.internal_credential.get_secret_value()})
        jobs = [asyncio.create_task(s.run()) for s in _background(settings, engine, chain, http)]
        async with httpx.AsyncClient(
                base_url=settings.identity_url, timeout=5.0,
                headers={"X-Internal-Api-Key": settings.internal_credential.get_secret_value()}
        ) as identity:
            app.state.identity = identity
            try:
                yield
            finally:
                for job in jobs:
                    job.cancel()
                await asyncio.gather(*jobs, return_exceptions=True)
                await http.aclose()
                await runtime.stop()

    app = create_web_app(title="audit", lifespan=lifespan,
                         max_body_bytes=settings.max_request_body_bytes)
    app.state.internal_callers = InternalCallers.from_settings(settings)
    app.state.verify_batch_size = settings.verify_batch_size
    app.state.token_verifier = TokenVerifier(
        jwks_url=f"{settings.identity_url.rstrip('/')}/.well-known/jwks.json",
        issuer=settings.identity_url, audience=settings.token_audience)
    app.include_router(api.router)
    app.include_router(api_auditors.router)
    app.include_router(api_patient.router)
    return app
