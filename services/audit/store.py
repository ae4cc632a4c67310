"""Appending to and reading the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import Row, Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.audit.domain import AuditEntry, chain_hash, entry_from
from services.audit.tables import chain_head, records
from shared.events import Envelope

_ENTRY_COLUMNS = [c for c in records.c if c.name not in ("prev_hash", "hash")]


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


def entry_of(row: Row) -> AuditEntry:
    m = row._mapping
    return AuditEntry(**{c.name: m[c.name] for c in _ENTRY_COLUMNS}
                      | {"event_id": str(m["event_id"]),
                         "correlation_id": str(m["correlation_id"])})


def _filtered(query: Select, subject: str | None, event_type: str | None) -> Select:
    if subject:
        query = query.where(records.c.subject == subject)
    if event_type:
        # Accept a wire name with its version ("x.y.v1") as well as the bare type.
        base, _, version = event_type.rpartition(".v")
        if base and version.isdigit():
            query = query.where(records.c.event_type == base,
                                records.c.event_version == int(version))
        else:
            query = query.where(records.c.event_type == event_type)
    return query


async def find(conn: AsyncConnection, *, subject: str | None, event_type: str | None,
               after_seq: int, limit: int) -> list[Row]:
    query = _filtered(select(records).where(records.c.seq > after_seq), subject, event_type)
    return list((await conn.execute(query.order_by(records.c.seq).limit(limit))).all())


async def count(conn: AsyncConnection, *, subject: str | None, event_type: str | None) -> int:
    query = _filtered(select(func.count()).select_from(records), subject, event_type)
    return (await conn.execute(query)).scalar_one()


async def head(conn: AsyncConnection) -> Row:
    return (await conn.execute(select(chain_head.c.seq, chain_head.c.hash)
                               .where(chain_head.c.id == 1))).one()


async def walk(conn: AsyncConnection, *, up_to_seq: int,
               batch: int = 1000) -> AsyncIterator[Row]:
    """Every record up to `up_to_seq` in order, a batch at a time (the log can be large)."""
    after = 0
    while True:
        rows = (await conn.execute(
            select(records).where(records.c.seq > after, records.c.seq <= up_to_seq)
            .order_by(records.c.seq).limit(batch))).all()
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        after = rows[-1].seq
