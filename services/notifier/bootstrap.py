"""Composition root of the notifier: database, event runtime (inbox consumer + outbox relay),
the sender task and the HTTP app. Nothing connects before the lifespan starts."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from services.notifier import api, handlers, tables
from services.notifier.contact_cache import PatientContactCache, announce_change
from services.notifier.contacts import IdentityContacts
from services.notifier.mail import SmtpMailer, template_env
from services.notifier.migrations import MIGRATIONS
from services.notifier.sender import Contacts, Mailer, Sender
from services.notifier.settings import NotifierSettings
from shared.auth import InternalCallers
from shared.db import make_engine
from shared.http_transport import AiohttpTransport
from shared.outbox import Outbox
from shared.runtime import EventRuntime
from shared.web import create_app as create_web_app

log = logging.getLogger(__name__)

CONSUMER = "notifier"  # consumer group; dead letters go to dlq.notifier


def create_app(settings: NotifierSettings, *, mailer: Mailer | None = None,
               contacts: Contacts | None = None) -> FastAPI:
    state: dict = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        engine = make_engine(settings.database_url)
        outbox = Outbox(tables.outbox, channel="notifier_outbox")
        runtime = EventRuntime(service="notifier", engine=engine,
                               bootstrap=settings.kafka_bootstrap_servers,
                               migrations=MIGRATIONS, outbox=outbox, inbox=tables.inbox,
                               settings=settings)
        cache = (PatientContactCache(ttl_s=settings.patient_contact_ttl_s,
                                     max_entries=settings.patient_contact_cache_max)
                 if contacts is None and settings.patient_contact_ttl_s > 0 else None)

        async def contact_changed(conn, patient_id: str) -> None:
            if cache is not None:
                cache.invalidate(patient_id)  # this replica at once; all of them at commit
            await announce_change(conn, patient_id)

        runtime.consume(CONSUMER, handlers.TOPICS,
                        handlers.make_handlers(reminder_after_s=settings.reminder_after_s,
                                               contact_changed=contact_changed),
                        ignore=handlers.NOT_INTERESTED)
        smtp: SmtpMailer | None = None  # ours to close at the end
        sending = mailer
        if sending is None:
            sending = smtp = SmtpMailer(settings)
        async with httpx.AsyncClient(timeout=5.0, transport=AiohttpTransport()) as client:
            sender = Sender(
                engine=engine, outbox=outbox, templates=template_env(), settings=settings,
                mailer=sending,
                contacts=contacts or IdentityContacts(
                    client, base_url=settings.identity_url,
                    api_key=settings.internal_credential.get_secret_value(),
                    unit_ttl_s=settings.unit_address_ttl_s, cache=cache))
            await runtime.start()
            if cache is not None:
                state["cache"] = asyncio.create_task(cache.listen(engine),
                                                     name="contact-cache-listener")
            state["sender"] = asyncio.create_task(sender.run(), name="notification-sender")
            app.state.engine = engine
            app.state.readiness.extend(runtime.readiness)
            try:
                yield
            finally:
                tasks = [state[name] for name in ("sender", "cache") if name in state]
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                if smtp is not None:
                    await smtp.aclose()
                await runtime.stop()

    async def sender_alive() -> bool:
        return "sender" in state and not state["sender"].done()

    app = create_web_app(title="notifier", lifespan=lifespan, readiness=[sender_alive],
                         max_body_bytes=settings.max_request_body_bytes)
    app.state.internal_callers = InternalCallers.from_settings(settings)
    app.include_router(api.router)
    return app
