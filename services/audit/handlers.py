"""Inbox handlers: every registered event type, whatever its topic, becomes one record. The
shared inbox makes a redelivered event a no-op, so each event is recorded once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from services.audit import store
from shared.events import REGISTRY, Envelope, EventData
from shared.events import contracts as _contracts  # noqa: F401 - fills REGISTRY
from shared.events.topics import ALL, AUDIT
from shared.inbox import Handler

# Everything except the audit service's own topic (it would audit its own audit events).
AUDITED_TOPICS = [t for t in ALL if t != AUDIT]


async def record_event(conn: AsyncConnection, envelope: Envelope, data: EventData) -> None:
    await store.append(conn, envelope)


def make_handlers() -> dict[str, Handler]:
    return {f"{wire_type}.v{version}": record_event for wire_type, version in REGISTRY}
