"""Appending to the audit log (its one write); reads are in queries.py."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.audit.domain import AuditEntry, chain_hash, entry_from
from services.audit.tables import chain_head, records
from shared.events import Envelope


async def append(conn: AsyncConnection, envelope: Envelope) -> AuditEntry:
    """Add one record at the end of the chain. The head row is locked until commit, so
    concurrent consumers append one after another and the chain cannot fork."""
    head = (await conn.execute(select(chain_head.c.seq, chain_head.c.hash)
                               .where(chain_head.c.id == 1).with_for_update())).one()
    entry = entry_from(envelope, seq=head.seq + 1, recorded_at=datetime.now(UTC))
    digest = chain_hash(head.hash, entry)
    values = {**entry.__dict__, "event_id": UUID(entry.event_id),
              "correlation_id": UUID(entry.correlation_id)}
    await conn.execute(records.insert().values(**values, prev_hash=head.hash, hash=digest))
    await conn.execute(update(chain_head).where(chain_head.c.id == 1)
                       .values(seq=entry.seq, hash=digest))
    return entry
