"""What follows each appended audit record, in the same transaction: its facts (unit,
patient, staff member) for the auditors' searches, its selection for review, and its
publication on the auditors' stream through the outbox (no loss, no duplicates: the stream
record's event id is derived from the record's, one per care unit)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.audit import balp, review
from services.audit.domain import AuditEntry
from services.audit.facts import ASSIGNED, OPENED, POOLED, Facts, facts_of
from services.audit.tables_stream import facts as facts_table
from services.audit.tables_stream import record_units, reviews
from shared.events import Source, new_event
from shared.events.contracts import AuditEventRecorded
from shared.events.topics import AUDIT
from shared.outbox import Outbox

STREAM_NAMESPACE = uuid.UUID("6f1b8a52-7f0e-4b8e-9a51-2f0b6a0c4d11")
NO_UNIT = "-"  # the stream's key for records that concern no care unit


@dataclass(frozen=True)
class Recording:
    outbox: Outbox | None  # None: facts and reviews only (unit tests of the chain)
    source: Source = field(default_factory=lambda: Source(service="audit", region="local"))
    policy: review.ReviewPolicy = field(default_factory=review.ReviewPolicy)

    async def after_append(self, conn: AsyncConnection, entry: AuditEntry) -> Facts:
        facts = facts_of(entry)
        if facts.patient_id is None and facts.conversation_id is not None:
            facts = Facts(**{**facts.__dict__,
                             "patient_id": await _patient_of(conn, facts.conversation_id)})
        await conn.execute(facts_table.insert().values(
            seq=entry.seq, event_type=entry.event_type, patient_id=facts.patient_id,
            staff_id=facts.staff_id, message_id=facts.message_id,
            conversation_id=facts.conversation_id, occurred_at=entry.occurred_at))
        if facts.units:
            await conn.execute(record_units.insert(),
                               [{"unit_id": u, "seq": entry.seq} for u in facts.units])
        if entry.event_type == OPENED:
            await self._select_for_review(conn, entry, facts)
        if self.outbox is not None:
            await self.publish(conn, entry, facts)
        return facts

    async def _select_for_review(self, conn: AsyncConnection, entry: AuditEntry,
                                 facts: Facts) -> None:
        reader, message = facts.staff_id, facts.message_id
        same_message = facts_table.c.message_id == message
        assigned = await conn.scalar(select(exists().where(and_(
            same_message, facts_table.c.event_type == ASSIGNED,
            facts_table.c.staff_id == reader, facts_table.c.seq < entry.seq))))
        distributed = await conn.scalar(select(exists().where(and_(
            same_message, facts_table.c.event_type.in_([ASSIGNED, POOLED]),
            facts_table.c.seq < entry.seq))))
        found = review.reasons(self.policy, event_id=entry.event_id,
                               occurred_at=entry.occurred_at,
                               basis=entry.summary.get("access_basis"),
                               assigned_to_reader=bool(assigned),
                               distributed_before=bool(distributed))
        if found and facts.units:
            await conn.execute(reviews.insert().values(
                seq=entry.seq, unit_id=facts.units[0], reasons=found,
                selected_at=datetime.now(UTC)))

    async def publish(self, conn: AsyncConnection, entry: AuditEntry, facts: Facts) -> None:
        assert self.outbox is not None
        units: list[str | None] = list(facts.units) or [None]
        for unit in units:
            event_id = uuid.uuid5(STREAM_NAMESPACE, f"{entry.event_id}/{unit or NO_UNIT}")
            data = AuditEventRecorded(
                seq=entry.seq, record_event_id=entry.event_id, unit_id=unit,
                resource=balp.audit_event(entry, facts, unit, resource_id=str(event_id)))
            key = unit or NO_UNIT
            event = new_event(data, source=self.source, subject=key, event_id=event_id,
                              correlation_id=uuid.UUID(entry.correlation_id))
            await self.outbox.enqueue(conn, AUDIT, key, event)


async def _patient_of(conn: AsyncConnection, conversation_id: str) -> str | None:
    """An older producer's read names no patient: the conversation's earlier records do."""
    return await conn.scalar(select(facts_table.c.patient_id).where(
        facts_table.c.conversation_id == conversation_id,
        facts_table.c.patient_id.is_not(None)).limit(1))
