"""What follows each appended audit record, in the same transaction: its facts (unit,
patient, staff member) for the auditors' searches, its selection for review, and its
publication on the auditors' stream through the outbox (no loss, no duplicates: the stream
record's event id is derived from the record's, one per care unit). For a consumed batch
(services.audit.batch) the facts and units of all its records go in one insert each, and
its stream records in one outbox statement (split only where a checkpoint's event falls
between them), with the same rows and stream records, in the same order, as one by one."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.audit import balp, review
from services.audit.domain import AuditEntry
from services.audit.facts import ASSIGNED, OPENED, POOLED, Facts, facts_of
from services.audit.tables_stream import facts as facts_table
from services.audit.tables_stream import record_units, reviews
from shared.events import Source, new_event
from shared.events.contracts import AuditEventRecorded
from shared.events.topics import AUDIT
from shared.outbox import Item, Outbox

STREAM_NAMESPACE = uuid.UUID("6f1b8a52-7f0e-4b8e-9a51-2f0b6a0c4d11")
NO_UNIT = "-"  # the stream's key for records that concern no care unit


def _distributed_before_statement():
    """Whether a read's message was assigned to its reader, and whether it was assigned or
    pooled at all, before the read (built once; its values as parameters)."""
    same_message = facts_table.c.message_id == bindparam("message")
    before = facts_table.c.seq < bindparam("seq")
    return select(
        exists().where(and_(same_message, facts_table.c.event_type == ASSIGNED,
                            facts_table.c.staff_id == bindparam("reader"), before)),
        exists().where(and_(same_message, facts_table.c.event_type.in_([ASSIGNED, POOLED]),
                            before)))


_DISTRIBUTED_BEFORE = _distributed_before_statement()


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
        await conn.execute(facts_table.insert().values(**_fact_row(entry, facts)))
        if facts.units:
            await conn.execute(record_units.insert(),
                               [{"unit_id": u, "seq": entry.seq} for u in facts.units])
        if entry.event_type == OPENED:
            await self._select_for_review(conn, entry, facts)
        if self.outbox is not None:
            await self.publish(conn, entry, facts)
        return facts

    async def after_batch(self, conn: AsyncConnection, entries: list[AuditEntry],
                          then: Mapping[int, Callable[[], Awaitable[Any]]]) -> list[Facts]:
        """after_append for consecutive records; `then[seq]` (a checkpoint) is called right
        after that record's stream records, as one by one. The facts of all go in first, so
        each read's review selection sees the assignments earlier in the batch, as it would
        one by one."""
        found = await _with_patients(conn, [facts_of(entry) for entry in entries])
        # One multi-row insert each (RETURNING: see services.audit.batch).
        await conn.execute(facts_table.insert().returning(facts_table.c.seq), [
            _fact_row(entry, facts) for entry, facts in zip(entries, found, strict=True)])
        units = [{"unit_id": unit, "seq": entry.seq}
                 for entry, facts in zip(entries, found, strict=True) for unit in facts.units]
        if units:
            await conn.execute(record_units.insert().returning(record_units.c.seq), units)
        for entry, facts in zip(entries, found, strict=True):
            if entry.event_type == OPENED:
                await self._select_for_review(conn, entry, facts)
        stream: list[Item] = []
        for entry, facts in zip(entries, found, strict=True):
            if self.outbox is not None:
                stream += self.stream_records(entry, facts)
            if (follow := then.get(entry.seq)) is not None:
                await self._enqueue(conn, stream)  # what comes before its event, first
                stream = []
                await follow()
        await self._enqueue(conn, stream)
        return found

    async def _enqueue(self, conn: AsyncConnection, stream: list[Item]) -> None:
        if self.outbox is not None:
            await self.outbox.enqueue_many(conn, stream)

    async def _select_for_review(self, conn: AsyncConnection, entry: AuditEntry,
                                 facts: Facts) -> None:
        assigned, distributed = (await conn.execute(_DISTRIBUTED_BEFORE, {
            "message": facts.message_id, "reader": facts.staff_id, "seq": entry.seq})).one()
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
        await self.outbox.enqueue_many(conn, self.stream_records(entry, facts))

    def stream_records(self, entry: AuditEntry, facts: Facts) -> list[Item]:
        """The record's events on the auditors' stream: one per care unit it concerns."""
        items: list[Item] = []
        units: list[str | None] = list(facts.units) or [None]
        for unit in units:
            event_id = uuid.uuid5(STREAM_NAMESPACE, f"{entry.event_id}/{unit or NO_UNIT}")
            data = AuditEventRecorded(
                seq=entry.seq, record_event_id=entry.event_id, unit_id=unit,
                resource=balp.audit_event(entry, facts, unit, resource_id=str(event_id)))
            key = unit or NO_UNIT
            items.append((AUDIT, key, new_event(data, source=self.source, subject=key,
                                                event_id=event_id, correlation_id=uuid.UUID(
                                                    entry.correlation_id))))
        return items


async def _patient_of(conn: AsyncConnection, conversation_id: str) -> str | None:
    """An older producer's read names no patient: the conversation's earlier records do."""
    return await conn.scalar(select(facts_table.c.patient_id).where(
        facts_table.c.conversation_id == conversation_id,
        facts_table.c.patient_id.is_not(None)).limit(1))


async def _with_patients(conn: AsyncConnection, found: list[Facts]) -> list[Facts]:
    """_patient_of for a batch: one look-up of the conversations whose records name no
    patient; failing that, an earlier record of the batch names it."""
    wanted = {f.conversation_id for f in found if f.patient_id is None and f.conversation_id}
    if not wanted:
        return found
    known: dict[str, str] = {row.conversation_id: row.patient_id for row in await conn.execute(
        select(facts_table.c.conversation_id, facts_table.c.patient_id)
        .where(facts_table.c.conversation_id.in_(wanted), facts_table.c.patient_id.is_not(None))
        .distinct(facts_table.c.conversation_id))}
    completed = []
    for facts in found:
        if facts.conversation_id is not None:
            if facts.patient_id is None:
                facts = replace(facts, patient_id=known.get(facts.conversation_id))
            elif facts.conversation_id in wanted:
                known.setdefault(facts.conversation_id, facts.patient_id)
        completed.append(facts)
    return completed


def _fact_row(entry: AuditEntry, facts: Facts) -> dict[str, Any]:
    return {"seq": entry.seq, "event_type": entry.event_type, "patient_id": facts.patient_id,
            "staff_id": facts.staff_id, "message_id": facts.message_id,
            "conversation_id": facts.conversation_id, "occurred_at": entry.occurred_at}
