"""Appending a consumed batch of events to the audit log in a few statements: one look-up of
the event ids already recorded, the chain (hashes, signatures) computed here for every new
record, one insert of all records and one move of the head; then what follows them (the
chain's `after_batch`: facts, reviews, the auditors' stream in one outbox statement) and the
checkpoints that fall in the batch, each after the stream records of the records up to it.

The records, hashes, signatures and checkpoints are those that store.append would make one
by one in the same order (tests/integration/test_audit_batch.py compares both). The shared
inbox calls this for a fetched batch's fresh events, and store.append for single events and
when a batch fails and is applied one event at a time."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from uuid import UUID

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.audit import store
from services.audit.domain import AuditEntry, chain_hash, entry_from
from services.audit.tables import chain_head, records
from shared.events import Envelope

# The multi-row inserts here and in services.audit.recording are executemany with RETURNING:
# SQLAlchemy then sends the rows as one INSERT .. VALUES (..), (..) from a statement compiled
# once ("insertmanyvalues"), where insert().values([...]) is compiled anew for every batch
# (tens of milliseconds for 50 records) and a plain executemany is one INSERT per row.
# The other statements of a batch are built once too, their values as parameters.
_RECORDED = select(records.c.event_id).where(
    records.c.event_id.in_(bindparam("ids", expanding=True)))
_MOVE_HEAD = update(chain_head).where(chain_head.c.id == 1).values(
    seq=bindparam("new_seq"), hash=bindparam("new_hash"))


async def append_batch(conn: AsyncConnection, envelopes: Sequence[Envelope],
                       chain: store.Chain) -> list[AuditEntry]:
    """The records appended, in order; an event already recorded (or earlier in the batch)
    is skipped, as store.append would. The head stays locked until commit."""
    head = await store.head_for_append(conn)
    recorded = set((await conn.execute(_RECORDED, {
        "ids": [e.event_id for e in envelopes]})).scalars())
    entries: list[AuditEntry] = []
    rows: list[dict] = []
    seq, digest = head.seq, head.hash
    for envelope in envelopes:
        if envelope.event_id in recorded:
            continue
        recorded.add(envelope.event_id)
        entry = entry_from(envelope, seq=seq + 1, recorded_at=chain.clock())
        prev, digest, seq = digest, chain_hash(digest, entry), entry.seq
        rows.append({**entry.__dict__, "event_id": UUID(entry.event_id),
                     "correlation_id": UUID(entry.correlation_id), "prev_hash": prev,
                     "hash": digest, "signature": chain.signer.sign_record(seq, digest)})
        entries.append(entry)
    if not entries:
        return []
    await conn.execute(records.insert().returning(records.c.seq), rows)
    # One move of the head over the whole batch: its guard (migration 0005) lets it move
    # forward only onto a stored record.
    await conn.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": digest})
    store.remember_head(conn, store.Head(seq, digest))
    checkpoints: store.Then = {
        row["seq"]: partial(store.checkpoint, conn, chain, row["seq"], row["hash"])
        for row in rows if row["seq"] % chain.checkpoint_every == 0}
    if chain.after_batch is not None:
        await chain.after_batch(conn, entries, checkpoints)
    else:
        for entry in entries:
            if chain.after is not None:
                await chain.after(conn, entry)
            if (checkpoint := checkpoints.get(entry.seq)) is not None:
                await checkpoint()
    return entries
