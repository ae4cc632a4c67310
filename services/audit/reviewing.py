"""Marking a selected access as reviewed. The review is itself an audit record
(`audit.access_reviewed`, with the reviewer and the reviewed record's number; the note stays
in the audit database, off the stream), appended to the chain and published on the stream
in the same transaction as the mark."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import HTTPException
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from services.audit import store
from services.audit.facts import REVIEWED
from services.audit.tables_stream import reviews
from shared.events import Actor, Envelope
from shared.ids import uuid7


async def mark(engine: AsyncEngine, chain: store.Chain, *, seq: int, auditor: str,
               scope: frozenset[str], note: str) -> None:
    async with engine.begin() as conn:
        row = (await conn.execute(select(reviews).where(reviews.c.seq == seq)
                                  .with_for_update())).first()
        if row is None or row.unit_id not in scope:
            raise HTTPException(404, "no such access in your review queue")
        if row.reviewed_at is not None:
            raise HTTPException(409, "this access is already reviewed")
        now = datetime.now(UTC)
        await conn.execute(update(reviews).where(reviews.c.seq == seq).values(
            reviewed_at=now, reviewer_id=auditor, note=note))
        event_id = uuid7()
        envelope = Envelope(
            event_id=event_id, type=REVIEWED, version=1, source=chain.source,
            occurred_at=now, subject=str(seq), correlation_id=event_id,
            actor=Actor(id=auditor, role="staff"),
            data={"reviewed_seq": seq, "care_unit_id": row.unit_id, "reviewer_id": auditor,
                  "reasons": list(row.reasons)})
        await store.append(conn, envelope, chain)  # its facts and stream record follow
