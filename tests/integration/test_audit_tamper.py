"""The audit log against its own database's owner (issue 9): the runtime role cannot change
the log; the owner can, and recomputes the chain the way an insider would, but verification
catches every rewrite and names the first broken record, because records and checkpoints
are signed with a key outside the database."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.audit import store
from tests.integration import audit_log as log

pytestmark = pytest.mark.integration
RECORDS = 20  # checkpoints (every 5) at 5, 10, 15, 20


@pytest.fixture
async def audit(infra, fresh_schema, request):
    owner, runtime = await log.make_log(infra, fresh_schema, request.node.name[:20].lower())
    await log.append(runtime, RECORDS)
    yield owner, runtime
    await runtime.dispose()


async def test_an_untouched_log_verifies_with_its_checkpoints(audit):
    _owner, runtime = audit
    result = await log.verify(runtime)
    assert (result.ok, result.records, result.checkpoints) == (True, RECORDS, 4)
    assert [c.seq for c in await log.checkpoints(runtime)] == [5, 10, 15, 20]


@pytest.mark.parametrize("statement", [
    "UPDATE audit_records SET summary = '{}' WHERE seq = 3",
    "DELETE FROM audit_records WHERE seq = 3",
    "TRUNCATE audit_records",
    "UPDATE audit_checkpoints SET hash = repeat('0', 64)",
    "DELETE FROM audit_checkpoints",
    "TRUNCATE audit_checkpoints",
    "ALTER TABLE audit_records DISABLE TRIGGER USER",
    "UPDATE audit_records__pdefault SET summary = '{}'",
])
async def test_the_runtime_role_cannot_change_the_log(audit, statement):
    _owner, runtime = audit
    with pytest.raises(DBAPIError, match="permission denied|must be owner"):
        async with runtime.begin() as conn:
            await conn.execute(text(statement))
    assert (await log.verify(runtime)).ok


async def test_owner_edits_a_record_and_recomputes_the_chain(audit):
    owner, runtime = audit
    async with owner.begin() as conn:
        await log.disable_guards(conn)
        await conn.execute(text("UPDATE audit_records SET actor_id = 'someone-else' "
                                "WHERE seq = 7"))
        await log.rechain(conn, 7)
    result = await log.verify(runtime)
    assert (result.ok, result.first_broken_seq) == (False, 7)
    assert result.reason == "signature is not valid for this record"


async def test_owner_edits_a_record_without_recomputing(audit):
    owner, runtime = audit
    async with owner.begin() as conn:
        await log.disable_guards(conn)
        await conn.execute(text("UPDATE audit_records SET actor_id = 'x' WHERE seq = 12"))
    result = await log.verify(runtime)
    assert (result.first_broken_seq, result.reason) == (12, "content does not match its hash")


async def test_owner_deletes_a_record(audit):
    owner, runtime = audit
    async with owner.begin() as conn:
        await log.disable_guards(conn)
        await conn.execute(text("DELETE FROM audit_records WHERE seq = 9"))
    result = await log.verify(runtime)
    assert result.first_broken_seq == 9 and "missing" in (result.reason or "")


async def test_owner_deletes_a_record_renumbers_and_rechains(audit):
    owner, runtime = audit
    async with owner.begin() as conn:
        await log.disable_guards(conn)
        await conn.execute(text("DELETE FROM audit_records WHERE seq = 9"))
        await conn.execute(text("UPDATE audit_records SET seq = seq - 1 WHERE seq > 9"))
        await log.rechain(conn, 9)
    result = await log.verify(runtime)
    assert (result.first_broken_seq, result.reason) == (
        9, "signature is not valid for this record")


async def test_owner_reorders_records_and_rechains(audit):
    owner, runtime = audit
    async with owner.begin() as conn:
        await log.disable_guards(conn)
        await conn.execute(text("UPDATE audit_records SET seq = CASE seq WHEN 14 THEN 16 "
                                "WHEN 16 THEN 14 END WHERE seq IN (14, 16)"))
        await log.rechain(conn, 14)
    result = await log.verify(runtime)
    assert (result.first_broken_seq, result.reason) == (
        14, "signature is not valid for this record")


async def test_owner_truncates_a_suffix_and_rechains_new_records(audit):
    owner, runtime = audit
    async with owner.begin() as conn:
        await log.disable_guards(conn)
        await conn.execute(text("DELETE FROM audit_records WHERE seq >= 13"))
        for seq in (13, 14, 15):
            await log.forge(conn, seq, template_seq=2)
        await log.rechain(conn, 13)
    result = await log.verify(runtime)
    assert (result.first_broken_seq, result.reason) == (
        13, "signature is not valid for this record")


async def test_owner_truncates_a_suffix_and_deletes_the_stored_checkpoints(audit):
    """The database alone then looks whole; the checkpoints published on the audit topic
    (here: as they were published, read before the tampering) name the first lost record."""
    owner, runtime = audit
    published = await log.checkpoints(runtime)
    async with owner.begin() as conn:
        await log.disable_guards(conn)
        await conn.execute(text("DELETE FROM audit_records WHERE seq >= 13"))
        await conn.execute(text("DELETE FROM audit_checkpoints WHERE seq > 10"))
        await log.rechain(conn, 13)  # the head back at 12
    assert (await log.verify(runtime)).ok  # what the database alone can tell
    result = await log.verify(runtime, published)
    assert result.first_broken_seq == 13 and "missing" in (result.reason or "")


async def test_a_forged_checkpoint_is_refused(audit):
    owner, runtime = audit
    async with owner.begin() as conn:
        await log.disable_guards(conn)
        await conn.execute(text("INSERT INTO audit_checkpoints SELECT 21, hash, region, "
                                "signed_at, key_id, signature FROM audit_checkpoints "
                                "WHERE seq = 20"))
    result = await log.verify(runtime)
    assert (result.first_broken_seq, result.reason) == (
        21, "checkpoint at seq 21 has no valid signature")


async def test_appends_batched_in_one_transaction_chain_like_single_ones(audit):
    """A consumed batch appends under one read of the head (store.head_for_append): the
    chain stays whole, a repeat in the batch is skipped, and after a rolled-back batch the
    next one starts from the stored head, not from what the failed one had appended."""
    _owner, runtime = audit
    batch = [log.opened(n) for n in range(100, 107)]
    async with runtime.begin() as conn:
        seqs = [e.seq if (e := await store.append(conn, ev, log.chain())) else None
                for ev in [*batch, batch[2]]]
    assert seqs == [*range(RECORDS + 1, RECORDS + 8), None]
    with pytest.raises(RuntimeError):
        async with runtime.begin() as conn:
            for n in range(200, 203):
                await store.append(conn, log.opened(n), log.chain())
            raise RuntimeError("the batch's transaction fails")
    async with runtime.begin() as conn:
        entry = await store.append(conn, log.opened(300), log.chain())
    assert entry is not None and entry.seq == RECORDS + 8
    result = await log.verify(runtime)
    assert (result.ok, result.records) == (True, RECORDS + 8)
    assert [c.seq for c in await log.checkpoints(runtime)] == [5, 10, 15, 20, 25]
