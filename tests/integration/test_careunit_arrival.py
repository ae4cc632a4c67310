"""A message arriving at the care-unit mailbox (its MessageRouted handler) on a real
PostgreSQL (the care-unit schema migrated into a private schema of the scratch database):

1. The unit's groups are inserted until they are known to be committed, then skipped; never
   skipped because of rows that a transaction still able to roll back inserted (a consumer's
   batch inserts them for its first message and finds them for its second), nor because of
   another transaction's rows before it has committed.
2. The body is opened once per arrival: the advice pool and the attachments both come from
   that one open; a body the mailbox cannot open is stored all the same, in the general
   pool and without files."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select, text

from services.messaging.body import AttachmentRef, Content, FormRef, seal_content, unit_recipient
from services.messaging.careunit import groups, tables
from services.messaging.careunit.handlers import build_handlers
from services.messaging.careunit.migrations import MIGRATIONS
from services.messaging.context import MailboxContext
from shared.crypto.keyring import Keyring, KeyWrapper
from shared.events import Source, new_event
from shared.events.contracts import MessageRouted
from shared.outbox import Outbox

pytestmark = pytest.mark.integration

SOURCE = Source(service="routing", region="stockholm")


@pytest.fixture
async def box(fresh_schema) -> MailboxContext:
    engine = await fresh_schema("arrival")
    await MIGRATIONS.upgrade(engine)
    return MailboxContext(
        engine=engine,
        keyring=Keyring("careunit", tables.mailbox_keys, tables.peer_keys,
                        KeyWrapper(os.urandom(32))),
        outbox=Outbox(tables.outbox_table, channel="it_careunit_outbox"),
        source=Source(service="careunit-mailbox", region="stockholm"))


def unit() -> str:
    return f"SE-ARRIVAL-{uuid.uuid4().hex[:8]}"


async def group_rows(box: MailboxContext, unit_id: str) -> int:
    async with box.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(tables.unit_groups).where(
            tables.unit_groups.c.care_unit_id == unit_id))).scalar_one()


async def test_groups_are_remembered_only_once_seen_committed(box) -> None:
    known, u = groups.KnownGroups(), unit()
    statements: list[str] = []
    event.listen(box.engine.sync_engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    async with box.engine.begin() as conn:
        await known.ensure(conn, u)  # inserted by this transaction: not trusted yet
    assert u not in known and await group_rows(box, u) == 3
    async with box.engine.begin() as conn:
        await known.ensure(conn, u)  # found, committed by an earlier transaction
    assert u in known
    statements.clear()
    async with box.engine.begin() as conn:
        await known.ensure(conn, u)
    assert statements == []  # skipped


async def test_rows_inserted_earlier_in_a_transaction_that_rolls_back_are_not_trusted(box):
    """A consumer's batch: the first message of a new unit inserts its groups, the second
    finds them; the batch then fails and rolls back (its events are applied one by one)."""
    known, u = groups.KnownGroups(), unit()
    async with box.engine.connect() as conn:
        transaction = await conn.begin()
        await known.ensure(conn, u)
        await known.ensure(conn, u)  # inserts nothing: the rows are this transaction's own
        await transaction.rollback()
    assert u not in known
    async with box.engine.begin() as conn:
        await known.ensure(conn, u)
    assert await group_rows(box, u) == 3


@pytest.mark.parametrize("ends", ["rollback", "commit"])
async def test_another_transactions_rows_count_only_once_committed(box, ends) -> None:
    known, u = groups.KnownGroups(), unit()
    async with box.engine.connect() as first:
        transaction = await first.begin()
        assert await groups.ensure_groups(first, u) == 3
        waiting = asyncio.create_task(ensure_in_own_transaction(box, known, u))
        await blocked_on_a_lock(box)  # the second insert waits for the first transaction
        await (transaction.rollback() if ends == "rollback" else transaction.commit())
        await waiting
    assert await group_rows(box, u) == 3
    assert (u in known) == (ends == "commit")  # after a rollback it inserted them itself


async def ensure_in_own_transaction(box: MailboxContext, known: groups.KnownGroups,
                                    unit_id: str) -> None:
    async with box.engine.begin() as conn:
        await known.ensure(conn, unit_id)


async def blocked_on_a_lock(box: MailboxContext) -> None:
    waiting = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                   "AND query LIKE 'INSERT INTO unit_groups%'")
    for _ in range(500):  # at most ~10 s
        async with box.engine.connect() as conn:
            if (await conn.execute(waiting)).scalar_one():
                return
        await asyncio.sleep(0.02)
    raise AssertionError("the second insert never waited for the first transaction")


async def routed_to(box: MailboxContext, unit_id: str, content: Content, *,
                    sealed_for: str | None = None) -> MessageRouted:
    async with box.engine.begin() as conn:
        key = await box.keyring.active(conn) or await box.keyring.rotate(conn)
    message_id, conversation_id = str(uuid.uuid4()), str(uuid.uuid4())
    return MessageRouted(
        conversation_id=conversation_id, message_id=message_id, patient_id="p",
        care_unit_id=unit_id, service_type="advice", submitted_at=datetime.now(UTC),
        sealed_body=seal_content(content, public_key=key[1], key_id=key[0], item_id=message_id,
                                 conversation_id=conversation_id,
                                 recipient=unit_recipient(sealed_for or unit_id)))


ADVICE_TO_NURSE = Content(
    form=FormRef(form_id="advice", version=1),
    answers={"item": [{"linkId": "recipient", "answer": [{"valueCoding": {"code": "nurse"}}]}]},
    attachments=[AttachmentRef(attachment_id=str(uuid.uuid4()), filename="utslag.jpg",
                               media_type="image/jpeg", size=1234)])


async def arrive(box: MailboxContext, data: MessageRouted):
    async with box.engine.begin() as conn:
        await build_handlers(box)[MessageRouted](
            conn, new_event(data, source=SOURCE, subject=data.conversation_id), data)
    async with box.engine.connect() as conn:
        row = (await conn.execute(select(tables.unit_messages).where(
            tables.unit_messages.c.message_id == data.message_id))).one()
        files = (await conn.execute(select(tables.attachments.c.attachment_id).where(
            tables.attachments.c.item_id == data.message_id))).scalars().all()
    return row, files


async def test_an_advice_message_is_pooled_and_its_files_taken_in_from_one_open(
        box, monkeypatch) -> None:
    opened = 0
    real_open = box.keyring.open

    async def counting_open(*args, **kwargs):
        nonlocal opened
        opened += 1
        return await real_open(*args, **kwargs)

    monkeypatch.setattr(box.keyring, "open", counting_open)
    row, files = await arrive(box, await routed_to(box, unit(), ADVICE_TO_NURSE))
    assert row.group_id == "nurses"
    assert files == [ADVICE_TO_NURSE.attachments[0].attachment_id]
    assert opened == 1


async def test_a_body_the_mailbox_cannot_open_is_stored_in_the_general_pool(box) -> None:
    u = unit()
    row, files = await arrive(box, await routed_to(box, u, ADVICE_TO_NURSE,
                                                   sealed_for="SE-SOMEONE-ELSE"))
    assert row.care_unit_id == u and row.group_id is None and files == []
