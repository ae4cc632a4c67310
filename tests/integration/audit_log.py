"""Helpers for the audit log's integration tests: a log in its own schema of the scratch
database, migrated by its owner (the scratch role) and written by the runtime role
(`audit_app`, made by the devstack), and the owner's tampering tools."""

from __future__ import annotations

import base64
import uuid
from dataclasses import replace

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.audit import queries, roles, store, tables
from services.audit.checking import verify_log
from services.audit.domain import chain_hash
from services.audit.migrations import MIGRATIONS
from services.audit.signing import Signer
from services.audit.verification import Checkpoint, Verification
from shared.events import Actor, Source, new_event
from shared.events.contracts import MessageOpened
from shared.outbox import Outbox

KEY = base64.b64encode(b"k" * 32).decode()
RUNTIME_ROLE = "audit_app"


def chain(every: int = 5) -> store.Chain:
    return store.Chain(signer=Signer.from_setting(KEY, "stockholm"),
                       outbox=Outbox(tables.outbox, channel="audit_outbox"),
                       source=Source(service="audit", region="stockholm"),
                       checkpoint_every=every)


async def make_log(infra, fresh_schema, prefix: str) -> tuple[AsyncEngine, AsyncEngine]:
    """(owner engine, runtime engine) on a new, migrated, granted schema."""
    owner = await fresh_schema(prefix)
    await MIGRATIONS.upgrade(owner)
    async with owner.begin() as conn:
        await conn.run_sync(roles.ensure_partitions, 2)
        await conn.run_sync(roles.grant_runtime, RUNTIME_ROLE)
        schema = (await conn.execute(text("SELECT current_schema()"))).scalar_one()
    url = infra.cfg.database_url("platform", "scratch", role=RUNTIME_ROLE)
    runtime = create_async_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    return owner, runtime


def opened(n: int):
    return new_event(MessageOpened(conversation_id=f"c{n}", message_id=f"m{n}",
                                   care_unit_id="u1", staff_id="s1", staff_role="clinician"),
                     source=Source(service="careunit-mailbox", region="stockholm"),
                     subject=f"c{n}", actor=Actor(id="s1", role="staff"))


async def append(runtime: AsyncEngine, count: int, every: int = 5) -> None:
    for n in range(count):
        async with runtime.begin() as conn:
            await store.append(conn, opened(n), chain(every))


async def verify(engine: AsyncEngine, published: list[Checkpoint] = ()) -> Verification:
    async with engine.connect() as conn:
        return await verify_log(conn, chain().signer.public_key, batch=7,
                                published=published)


async def checkpoints(engine: AsyncEngine) -> list[Checkpoint]:
    async with engine.connect() as conn:
        return await queries.stored_checkpoints(conn)


# -- the owner's tools -------------------------------------------------------------------

async def disable_guards(conn) -> None:
    """What the owner can do and the runtime role cannot: switch the triggers off."""
    parts = (await conn.execute(text(
        "SELECT inhrelid::regclass::text FROM pg_inherits "
        "WHERE inhparent = 'audit_records'::regclass"))).scalars().all()
    for table in ["audit_records", *parts, "audit_chain_head", "audit_checkpoints"]:
        await conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))


async def rechain(conn, from_seq: int) -> None:
    """Recompute prev_hash and hash from `from_seq` to the end, and the head, as an insider
    who knows the (public) hashing rule would. Signatures cannot be recomputed."""
    prev = (await conn.execute(text("SELECT hash FROM audit_records WHERE seq = :s"),
                               {"s": from_seq - 1})).scalar() or "0" * 64
    rows = (await conn.execute(text("SELECT * FROM audit_records WHERE seq >= :s ORDER BY seq"),
                               {"s": from_seq})).all()
    for row in rows:
        digest = chain_hash(prev, queries.entry_of(row))
        await conn.execute(text("UPDATE audit_records SET prev_hash = :p, hash = :h "
                                "WHERE seq = :s AND event_id = :e"),
                           {"p": prev, "h": digest, "s": row.seq, "e": row.event_id})
        prev = digest
    last = rows[-1].seq if rows else from_seq - 1
    await conn.execute(text("UPDATE audit_chain_head SET seq = :s, hash = :h"),
                       {"s": last, "h": prev})


async def forge(conn, seq: int, template_seq: int) -> None:
    """Insert a made-up record at `seq`, copying another record's facts."""
    row = (await conn.execute(text("SELECT * FROM audit_records WHERE seq = :s"),
                              {"s": template_seq})).one()
    entry = replace(queries.entry_of(row), seq=seq, event_id=str(uuid.uuid4()))
    await conn.execute(tables.records.insert().values(
        **{**entry.__dict__, "event_id": uuid.UUID(entry.event_id),
           "correlation_id": uuid.UUID(entry.correlation_id)},
        prev_hash="0" * 64, hash="0" * 64, signature=row.signature))
