"""Reading the audit log: filtered pages, counts, the chain head, checkpoints, and a walk in
order for verification."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.audit.domain import AuditEntry
from services.audit.search import Scope, in_scope
from services.audit.tables import chain_head, checkpoints, records
from services.audit.verification import Checkpoint

_ENTRY_COLUMNS = [c for c in records.c if c.name not in ("prev_hash", "hash", "signature")]


def entry_of(row: Row) -> AuditEntry:
    m = row._mapping
    return AuditEntry(**{c.name: m[c.name] for c in _ENTRY_COLUMNS}
                      | {"event_id": str(m["event_id"]),
                         "correlation_id": str(m["correlation_id"])})


def _filtered(query: Select, subject: str | None, event_type: str | None,
              scope: Scope = None) -> Select:
    if scope is not None:  # an auditor sees the records of the units they audit only
        query = query.where(in_scope(scope))
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
               after_seq: int, limit: int, scope: Scope = None) -> list[Row]:
    query = _filtered(select(records).where(records.c.seq > after_seq), subject, event_type,
                      scope)
    return list((await conn.execute(query.order_by(records.c.seq).limit(limit))).all())


async def count(conn: AsyncConnection, *, subject: str | None, event_type: str | None,
                scope: Scope = None) -> int:
    query = _filtered(select(func.count()).select_from(records), subject, event_type, scope)
    return (await conn.execute(query)).scalar_one()


async def head(conn: AsyncConnection) -> Row:
    return (await conn.execute(select(chain_head.c.seq, chain_head.c.hash)
                               .where(chain_head.c.id == 1))).one()


async def stored_checkpoints(conn: AsyncConnection) -> list[Checkpoint]:
    rows = (await conn.execute(select(checkpoints).order_by(checkpoints.c.seq))).all()
    return [Checkpoint(**row._mapping) for row in rows]


async def walk(conn: AsyncConnection, *, up_to_seq: int,
               batch: int = 1000) -> AsyncIterator[Row]:
    """Every record up to `up_to_seq` in seq order, a batch at a time (the log can be large).
    Rows with the same seq (possible only in a tampered log) all come, so none hides."""
    after = 0
    while True:
        rows = (await conn.execute(
            select(records).where(records.c.seq > after, records.c.seq <= up_to_seq)
            .order_by(records.c.seq, records.c.recorded_at).limit(batch))).all()
        if rows and len(rows) == batch and rows[0].seq == rows[-1].seq:
            raise RuntimeError(f"more than {batch} records share seq {rows[0].seq}")
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        after = rows[-1].seq
