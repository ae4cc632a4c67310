"""Inbox handlers: every event type on the audited topics becomes one record, signed. The
shared inbox makes a redelivered event a no-op, and store.append skips an event already
recorded (e.g. recovered by reconciliation first), so each event is recorded once; what
follows a record (facts, review selection, the auditors' stream: the chain's `after`)
commits with it. A fetched batch's fresh events are appended at once (services.audit.batch:
a few statements for the batch instead of several per event)."""

from __future__ import annotations

from services.audit import batch, store
from shared.events import Envelope, EventData
from shared.events.topics import ALL, AUDIT
from shared.events.wiring import on_topics
from shared.inbox import BatchHandler, Handler

# Everything except the audit service's own topic (it would audit its own audit events).
AUDITED_TOPICS = [t for t in ALL if t != AUDIT]


def make_handlers(chain: store.Chain | None = None) -> dict[type[EventData], Handler]:
    """`chain` is None only where the handlers are listed, never run (wiring checks)."""

    async def record_event(conn, envelope: Envelope, data: EventData) -> None:
        assert chain is not None, "handlers built without a chain cannot record"
        await store.append(conn, envelope, chain)

    return {contract: record_event for contract in on_topics(AUDITED_TOPICS)}


def make_batch_handler(chain: store.Chain) -> BatchHandler:
    async def record_batch(conn, items: list[tuple[Envelope, EventData]]) -> None:
        await batch.append_batch(conn, [envelope for envelope, _data in items], chain)

    return record_batch
