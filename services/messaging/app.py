"""Builds either mailbox's FastAPI app: the wiring is the same, only the tables, topics,
handlers and routes differ (each mailbox's bootstrap.py passes its own)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from fastapi import APIRouter, FastAPI
from sqlalchemy import Table

from services.messaging.attachments import peer as peer_api
from services.messaging.attachments.peer import PeerAttachments
from services.messaging.context import MailboxContext
from services.messaging.keys import (
    AnnouncementSigner,
    AnnouncementVerifier,
    Mailbox,
    ensure_active_key,
)
from shared import db
from shared.auth import InternalCallers, TokenVerifier
from shared.crypto.keyring import Keyring
from shared.events import EventData, Source
from shared.inbox import Handler
from shared.migrations import SchemaHistory
from shared.outbox import Outbox
from shared.runtime import EventRuntime
from shared.settings import PLACEHOLDER, MailboxSettings
from shared.staff_access import StaffAccess, projection_loader
from shared.web import create_app


@dataclass(frozen=True)
class MailboxSpec:
    service: str  # also the token audience and consumer group
    mailbox: Mailbox
    title: str
    tables: ModuleType  # outbox_table, inbox_table, mailbox_keys, peer_keys
    migrations: SchemaHistory  # the mailbox's Alembic environment
    own_topic: str
    consumes: list[str]
    handlers: Callable[[MailboxContext], dict[type[EventData], Handler]]
    # Contracts arriving on `consumes` that the mailbox does not handle, on purpose.
    not_interested: tuple[type[EventData], ...]
    router: APIRouter
    # Clients of other services, put on app.state by name and closed (aclose) at shutdown.
    clients: Callable[[MailboxSettings], dict[str, Any]] = lambda _settings: {}
    # The mailbox's projection of staff events (shared.staff_access), if it serves staff.
    staff_access: Table | None = None
    # A periodic job of the mailbox (e.g. the overdue check), run while the app runs.
    background: Callable[[MailboxContext, Any], Coroutine[Any, Any, None]] | None = None
    # The other mailbox's base URL (its internal API hands over attachments).
    peer_url: Callable[[Any], str] | None = None


# The one route of each mailbox that takes a file; everything else keeps the small cap.
UPLOAD_ROUTES = r"/v1/attachments|/v1/units/[^/]+/attachments"


def build_mailbox_app(spec: MailboxSpec, settings: MailboxSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        engine = db.make_engine(settings.database_url)
        outbox = Outbox(spec.tables.outbox_table, channel=f"{spec.mailbox}_mailbox_outbox")
        keyring = Keyring(spec.mailbox, spec.tables.mailbox_keys, spec.tables.peer_keys,
                          settings.key_wrapper())
        source = Source(service=spec.service, region=settings.region)
        signer = AnnouncementSigner(settings.announcement_signing_key.get_secret_value())
        pinned = settings.peer_announcement_public_key
        peer = (PeerAttachments(spec.peer_url(settings),
                                settings.internal_credential.get_secret_value())
                if spec.peer_url is not None else None)
        box = MailboxContext(engine=engine, keyring=keyring, outbox=outbox, source=source,
                             peer_announcements=None if pinned == PLACEHOLDER
                             else AnnouncementVerifier(
                                 pinned, settings.peer_keys_by_region()),
                             attachment_max_bytes=settings.attachment_max_bytes,
                             attachments_per_message=settings.attachments_per_message,
                             peer=peer)
        runtime = EventRuntime(spec.service, engine, settings.kafka_bootstrap_servers,
                               spec.migrations, outbox=outbox,
                               inbox=spec.tables.inbox_table, settings=settings)
        runtime.consume(spec.service, spec.consumes, spec.handlers(box),
                        ignore=spec.not_interested)
        app.state.mailbox = box
        app.state.internal_callers = InternalCallers.from_settings(settings)
        app.state.attachments_table = spec.tables.attachments
        clients = spec.clients(settings)
        for name, client in clients.items():
            setattr(app.state, name, client)
        app.state.token_verifier = TokenVerifier(
            jwks_url=f"{settings.identity_url}/.well-known/jwks.json",
            issuer=settings.identity_url, audience=spec.service)
        if spec.staff_access is not None:
            app.state.staff_access = StaffAccess(engine, projection_loader(spec.staff_access))
        app.state.readiness.extend(runtime.readiness)
        await runtime.start()
        await ensure_active_key(engine, keyring, outbox, mailbox=spec.mailbox,
                                topic=spec.own_topic, source=source, signer=signer)
        job = asyncio.create_task(spec.background(box, settings)) if spec.background else None
        try:
            yield
        finally:
            if job is not None:
                job.cancel()
                await asyncio.gather(job, return_exceptions=True)
            await runtime.stop()
            for client in clients.values():
                await client.aclose()
            if peer is not None:
                await peer.aclose()

    app = create_app(title=spec.title, lifespan=lifespan,
                     max_body_bytes=settings.max_request_body_bytes,
                     larger_bodies=((UPLOAD_ROUTES, settings.attachment_max_bytes + 64 * 1024),))
    app.include_router(spec.router)
    app.include_router(peer_api.internal)
    return app
