"""The auditors' searches over the log, always within the units the caller audits: by
patient, staff member, unit and time, keyset paged by record number; the review queue; and
a patient's own access log (the staff reads of their messages)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.audit.facts import OPENED
from services.audit.tables import records
from services.audit.tables_stream import facts, record_units, reviews

Scope = frozenset[str] | None  # the units audited; None: every unit (operators)


@dataclass(frozen=True)
class Filters:
    patient_id: str | None = None
    staff_id: str | None = None
    unit_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def in_scope(scope: Scope, unit_id: str | None = None):
    """Records of the scope's units (and of `unit_id`, if given)."""
    units = select(record_units.c.seq)
    if scope is not None:
        units = units.where(record_units.c.unit_id.in_(scope))
    if unit_id is not None:
        units = units.where(record_units.c.unit_id == unit_id)
    return records.c.seq.in_(units)


def _query(scope: Scope, f: Filters) -> Select:
    query = select(records, facts.c.patient_id, facts.c.staff_id, facts.c.message_id,
                   facts.c.conversation_id).join(facts, facts.c.seq == records.c.seq)
    if scope is not None or f.unit_id is not None:
        query = query.where(in_scope(scope, f.unit_id))
    if f.patient_id:
        query = query.where(facts.c.patient_id == f.patient_id)
    if f.staff_id:
        query = query.where(facts.c.staff_id == f.staff_id)
    if f.since:
        query = query.where(records.c.occurred_at >= f.since)
    if f.until:
        query = query.where(records.c.occurred_at < f.until)
    return query


async def find(conn: AsyncConnection, scope: Scope, f: Filters, *, after_seq: int,
               limit: int) -> list[Row]:
    query = _query(scope, f).where(records.c.seq > after_seq)
    return list((await conn.execute(query.order_by(records.c.seq).limit(limit))).all())


async def units_of(conn: AsyncConnection, seqs: Collection[int],
                   scope: Scope) -> dict[int, list[str]]:
    query = select(record_units).where(record_units.c.seq.in_(list(seqs)))
    if scope is not None:
        query = query.where(record_units.c.unit_id.in_(scope))
    found: dict[int, list[str]] = {}
    for row in (await conn.execute(query.order_by(record_units.c.unit_id))).all():
        found.setdefault(row.seq, []).append(row.unit_id)
    return found


async def review_queue(conn: AsyncConnection, scope: Scope, *, reviewed: bool,
                       after_seq: int, limit: int, newest_first: bool = False,
                       before_seq: int | None = None) -> list[Row]:
    """Oldest first after `after_seq`, or newest first (below `before_seq` when given)."""
    query = (select(reviews, records.c.occurred_at, records.c.event_type, facts.c.staff_id,
                    facts.c.patient_id, facts.c.message_id)
             .join(records, records.c.seq == reviews.c.seq)
             .join(facts, facts.c.seq == reviews.c.seq)
             .where(reviews.c.reviewed_at.is_not(None) if reviewed
                    else reviews.c.reviewed_at.is_(None)))
    if scope is not None:
        query = query.where(reviews.c.unit_id.in_(scope))
    if newest_first:
        if before_seq is not None:
            query = query.where(reviews.c.seq < before_seq)
        query = query.order_by(reviews.c.seq.desc())
    else:
        query = query.where(reviews.c.seq > after_seq).order_by(reviews.c.seq)
    return list((await conn.execute(query.limit(limit))).all())


async def accesses_of_patient(conn: AsyncConnection, patient_id: str, *, after_seq: int,
                              limit: int, newest_first: bool = False,
                              before_seq: int | None = None) -> list[Row]:
    """Oldest first after `after_seq`; or newest first (below `before_seq` when given): the
    patient's page shows the latest reads first however many there are."""
    query = (select(records.c.seq, records.c.occurred_at, records.c.summary,
                    facts.c.staff_id, facts.c.message_id, facts.c.conversation_id)
             .join(facts, facts.c.seq == records.c.seq)
             .where(facts.c.patient_id == patient_id, facts.c.event_type == OPENED))
    if newest_first:
        if before_seq is not None:
            query = query.where(records.c.seq < before_seq)
        query = query.order_by(records.c.seq.desc())
    else:
        query = query.where(records.c.seq > after_seq).order_by(records.c.seq)
    return list((await conn.execute(query.limit(limit))).all())
