"""Appending to the audit log (its one write), and signing checkpoints; reads are in
queries.py. A consumed batch is appended at once by services.audit.batch, to the same
chain."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy import Row, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.audit.domain import AuditEntry, chain_hash, entry_from
from services.audit.signing import Signer
from services.audit.tables import chain_head, checkpoints, records
from shared.events import Envelope, Source, new_event
from shared.events.contracts import AuditCheckpointSigned
from shared.events.topics import AUDIT
from shared.outbox import Outbox

# What follows given records of a batch, by seq (their checkpoints): see Chain.after_batch.
Then = Mapping[int, Callable[[], Awaitable[Any]]]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Chain:
    """What appending needs besides the connection: the key, and where checkpoints go."""

    signer: Signer
    outbox: Outbox
    source: Source
    checkpoint_every: int
    # What follows each appended record in its transaction (services.audit.recording: facts,
    # review selection, the auditors' stream), for consumed and reconciled records alike.
    after: Callable[[AsyncConnection, AuditEntry], Awaitable[Any]] | None = None
    # The same for a batch of records (services.audit.batch), in a few statements; it calls
    # then[seq] right after that record's own work (its checkpoint, if due, follows it).
    after_batch: Callable[[AsyncConnection, list[AuditEntry], Then], Awaitable[Any]] | None \
        = None
    clock: Callable[[], datetime] = _now  # recorded_at and signed_at; tests fix it


async def append(conn: AsyncConnection, envelope: Envelope, chain: Chain) -> AuditEntry | None:
    return await append_entry(conn, str(envelope.event_id), chain,
                              lambda seq, now: entry_from(envelope, seq=seq, recorded_at=now))


async def append_entry(conn: AsyncConnection, event_id: str, chain: Chain,
                       make: Callable[[int, datetime], AuditEntry]) -> AuditEntry | None:
    """Add one record at the end of the chain, unless the event is already recorded (then
    None). The head row is locked until commit, so appends happen one after another, the
    chain cannot fork and the event_id check cannot race."""
    head = await head_for_append(conn)
    if (await conn.execute(select(records.c.seq).where(
            records.c.event_id == UUID(event_id)).limit(1))).first() is not None:
        return None
    entry = make(head.seq + 1, chain.clock())
    digest = chain_hash(head.hash, entry)
    values = {**entry.__dict__, "event_id": UUID(entry.event_id),
              "correlation_id": UUID(entry.correlation_id)}
    await conn.execute(records.insert().values(
        **values, prev_hash=head.hash, hash=digest,
        signature=chain.signer.sign_record(entry.seq, digest)))
    await conn.execute(update(chain_head).where(chain_head.c.id == 1)
                       .values(seq=entry.seq, hash=digest))
    remember_head(conn, Head(entry.seq, digest))
    if chain.after is not None:
        await chain.after(conn, entry)
    if entry.seq % chain.checkpoint_every == 0:
        await checkpoint(conn, chain, entry.seq, digest)
    return entry


class Head(NamedTuple):
    seq: int
    hash: str


_HEAD_KEY = "audit_chain_head"


async def head_for_append(conn: AsyncConnection) -> Row | Head:
    """The head, locked. Within one transaction (a consumed batch) only the first append
    reads it: the lock is held until commit, so nobody else can have moved it since, and
    this transaction's own appends are remembered below. Keyed on the transaction object, so
    a rolled-back batch (a new transaction then) reads the head again; never inside a
    savepoint, whose rollback would leave the remembered head ahead of the stored one."""
    if conn.in_nested_transaction():
        return await _locked_head(conn)
    remembered = conn.sync_connection.info.get(_HEAD_KEY) if conn.sync_connection else None
    transaction = conn.sync_connection.get_transaction() if conn.sync_connection else None
    if remembered is not None and transaction is not None and remembered[0] is transaction \
            and transaction.is_active:
        return remembered[1]
    return await _locked_head(conn)


def remember_head(conn: AsyncConnection, head: Head) -> None:
    if conn.sync_connection is not None and not conn.in_nested_transaction():
        conn.sync_connection.info[_HEAD_KEY] = (conn.sync_connection.get_transaction(), head)


async def _locked_head(conn: AsyncConnection) -> Row:
    return (await conn.execute(select(chain_head.c.seq, chain_head.c.hash)
                               .where(chain_head.c.id == 1).with_for_update())).one()


async def checkpoint(conn: AsyncConnection, chain: Chain, seq: int, digest: str) -> bool:
    """Sign (seq, hash), store it and publish it on the audit topic (outbox, same
    transaction). False if that seq already has its checkpoint."""
    signed_at = chain.clock()
    signature = chain.signer.sign_checkpoint(seq, digest, signed_at)
    stored = (await conn.execute(insert(checkpoints).values(
        seq=seq, hash=digest, region=chain.signer.region, signed_at=signed_at,
        key_id=chain.signer.key_id, signature=signature)
        .on_conflict_do_nothing().returning(checkpoints.c.seq))).first()
    if stored is None:
        return False
    event = new_event(AuditCheckpointSigned(
        region=chain.signer.region, seq=seq, chain_hash=digest, signed_at=signed_at,
        key_id=chain.signer.key_id, signature=signature), source=chain.source,
        subject=f"audit-chain:{chain.signer.region}")
    await chain.outbox.enqueue(conn, AUDIT, event.subject, event)
    return True


async def checkpoint_head(conn: AsyncConnection, chain: Chain) -> bool:
    """A checkpoint of the current head if it has none yet (the time-based ones)."""
    head = await _locked_head(conn)
    if head.seq == 0:
        return False
    return await checkpoint(conn, chain, head.seq, head.hash)
