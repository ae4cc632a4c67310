"""Inbox handlers: every event type on the audited topics becomes one record. The
shared inbox makes a redelivered event a no-op, so each event is recorded once; what
follows a record (facts, review selection, the auditors' stream) commits with it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from services.audit import store
from services.audit.recording import Recording
from shared.events import Envelope, EventData
from shared.events.topics import ALL, AUDIT
from shared.events.wiring import on_topics
from shared.inbox import Handler

# Everything except the audit service's own topic (it would audit its own audit events).
AUDITED_TOPICS = [t for t in ALL if t != AUDIT]


def make_handlers(recording: Recording | None = None) -> dict[type[EventData], Handler]:
    after = recording or Recording(outbox=None)

    async def record_event(conn: AsyncConnection, envelope: Envelope, data: EventData) -> None:
        entry = await store.append(conn, envelope)
        await after.after_append(conn, entry)

    return {contract: record_event for contract in on_topics(AUDITED_TOPICS)}
