"""The patient mailbox's submission and answer arrival on a real PostgreSQL (the patient
schema migrated into a private schema of the scratch database): the unit's offers read in
one statement (snapshot, active forms, retired ones left out), the conversation and its first
message written by one statement with the outbox event beside them, a refused submission
writes nothing; an arriving answer is stored with the conversation's new state in one
statement, and the same answer arriving again changes nothing; the unit's progress (received,
assigned, closed, undeliverable) and its read receipts are one statement each, never step
back, and an event about a conversation unknown here is rejected (dead-lettered) with nothing
written."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, select

from services.messaging.body import Content, patient_recipient, seal_content, sealed_from_row
from services.messaging.context import MailboxContext
from services.messaging.patient import commands, tables
from services.messaging.patient.handlers import build_handlers
from services.messaging.patient.migrations import MIGRATIONS
from services.messaging.patient.offers import Offer, unit_offers_at
from shared.auth import Principal
from shared.crypto import sealing
from shared.crypto.keyring import Keyring, KeyWrapper
from shared.errors import CommandError
from shared.events import Source, new_event
from shared.events.contracts import (
    ConversationClosed,
    MessageAssigned,
    MessageOpened,
    MessageReceived,
    MessageUnroutable,
    ReplySent,
)
from shared.inbox import RejectEvent
from shared.outbox import Outbox

pytestmark = pytest.mark.integration

UNIT, FORMLESS = "SE-SUBMIT-UNIT", "SE-SUBMIT-FORMLESS"
NO_FORMS: Any = None  # the e-service submitted below has no form: forms is never asked


@pytest.fixture
async def box(fresh_schema) -> MailboxContext:
    box = MailboxContext(
        engine=await fresh_schema("submit"),
        keyring=Keyring("patient", tables.mailbox_keys, tables.peer_keys,
                        KeyWrapper(os.urandom(32))),
        outbox=Outbox(tables.outbox_table, channel="it_patient_outbox"),
        source=Source(service="patient-mailbox", region="stockholm"))
    await MIGRATIONS.upgrade(box.engine)
    t = tables
    async with box.engine.begin() as conn:
        await box.keyring.rotate(conn)
        await box.keyring.remember_peer_key(
            conn, "careunit", "careunit-it", sealing.public_bytes(
                sealing.generate_private_key()), datetime.now(UTC), version=1)
        await conn.execute(t.care_units.insert().values([
            {"unit_id": UNIT, "name": "Vårdcentralen", "services": ["advice"],
             "region": "stockholm"},
            {"unit_id": FORMLESS, "name": "Mottagningen", "services": ["advice"], "region": None}]))
        await conn.execute(t.unit_offers.insert().values(
            unit_id=UNIT, changed_at=datetime.now(UTC), services=[
                {"service_type": "advice", "audience": "all_residents"},
                {"service_type": "renew_prescription", "audience": "listed_patients"},
                {"service_type": "order_record_copy", "audience": "all_residents"}]))
        await conn.execute(t.unit_forms.insert().values([
            {"unit_id": UNIT, "service_type": "advice", "form_id": "f-advice", "version": 3,
             "retired": False},
            {"unit_id": UNIT, "service_type": "order_record_copy", "form_id": "f-record",
             "version": 1, "retired": True},
            {"unit_id": "SE-SOMEWHERE-ELSE", "service_type": "renew_prescription",
             "form_id": "f-other", "version": 1, "retired": False}]))
    return box


async def test_offers_come_from_one_statement(box) -> None:
    statements: list[str] = []
    event.listen(box.engine.sync_engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    async with box.engine.connect() as conn:
        found = await unit_offers_at(conn, UNIT)
        formless = await unit_offers_at(conn, FORMLESS)
        unknown = await unit_offers_at(conn, "SE-NOWHERE")
    assert len(statements) == 3
    assert found is not None and found.region == "stockholm"
    assert found.offers == {
        "advice": Offer("advice", "f-advice", 3, "all_residents"),
        "order_record_copy": Offer("order_record_copy", None, None, "all_residents"),
        "renew_prescription": Offer("renew_prescription", None, None, "listed_patients")}
    assert formless is not None and formless.region is None
    assert formless.offers == {"advice": Offer("advice", None, None, "all_residents")}
    assert unknown is None


async def rows(box: MailboxContext, table, **where) -> list:
    async with box.engine.connect() as conn:
        return list((await conn.execute(select(table).where(
            *(table.c[k] == v for k, v in where.items())))).all())


async def test_a_submission_writes_its_conversation_message_and_event_together(box) -> None:
    patient = Principal(subject=str(uuid.uuid4()), kind="patient", loa=3)
    conversation_id, message_id = await commands.submit_message(
        box, NO_FORMS, patient, care_unit_id=FORMLESS, service_type="advice",
        content=Content(subject="Fråga", text="Hej!"))
    [conv] = await rows(box, tables.conversations, conversation_id=conversation_id)
    assert (conv.patient_id, conv.care_unit_id, conv.service_type, conv.status) == (
        patient.subject, FORMLESS, "advice", "sent")
    [message] = await rows(box, tables.messages, conversation_id=conversation_id)
    assert (message.message_id, message.direction, message.author_id) == (
        message_id, "to_unit", patient.subject)
    assert message.created_at == conv.created_at == conv.updated_at
    async with box.engine.connect() as conn:  # the patient's own copy opens for them
        own = Content.model_validate_json(await box.keyring.open(
            conn, sealed_from_row(message), sealing.Binding(
                message_id, conversation_id, patient_recipient(patient.subject))))
    assert own.text == "Hej!"
    assert len(await rows(box, tables.outbox_table, key=conversation_id)) == 1


async def test_a_refused_submission_writes_nothing(box) -> None:
    patient = Principal(subject=str(uuid.uuid4()), kind="patient", loa=3)
    with pytest.raises(CommandError) as refused:  # listed patients only, and not listed
        await commands.submit_message(
            box, NO_FORMS, patient, care_unit_id=UNIT, service_type="renew_prescription",
            content=Content(text="Förnya, tack."))
    assert refused.value.status == 403
    async with box.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(
            tables.conversations).where(tables.conversations.c.patient_id == patient.subject))
        ).scalar_one() == 0


async def test_an_answer_arrives_once(box) -> None:
    patient = Principal(subject=str(uuid.uuid4()), kind="patient", loa=3)
    conversation_id, message_id = await commands.submit_message(
        box, NO_FORMS, patient, care_unit_id=FORMLESS, service_type="advice",
        content=Content(text="Hej!"))
    reply_id = str(uuid.uuid4())
    async with box.engine.connect() as conn:
        key = await box.keyring.active(conn)
    assert key is not None
    data = ReplySent(
        conversation_id=conversation_id, message_id=message_id, reply_id=reply_id,
        patient_id=patient.subject, care_unit_id=FORMLESS, clinician_id="doc",
        sent_at=datetime.now(UTC), action="close", sealed_body=seal_content(
            Content(text="Svar."), public_key=key[1], key_id=key[0], item_id=reply_id,
            conversation_id=conversation_id, recipient=patient_recipient(patient.subject)))
    handler = build_handlers(box)[ReplySent]
    source = Source(service="careunit-mailbox", region="stockholm")

    async def arrive() -> None:  # each time under a new event id: the inbox cannot tell
        async with box.engine.begin() as conn:
            await handler(conn, new_event(data, source=source, subject=conversation_id), data)

    await arrive()
    [first] = await rows(box, tables.conversations, conversation_id=conversation_id)
    await arrive()
    [conv] = await rows(box, tables.conversations, conversation_id=conversation_id)
    assert (conv.status, conv.unread_reply) == ("closed", True)
    assert conv.updated_at == first.updated_at  # not touched again
    [answer] = await rows(box, tables.messages, message_id=reply_id)
    assert (answer.direction, answer.author_id) == ("to_patient", "doc")
    delivered = [r for r in await rows(box, tables.outbox_table, key=conversation_id)
                 if r.event_type.startswith("messaging.reply_delivered")]
    assert len(delivered) == 1


async def test_progress_and_receipts_are_one_statement_each_and_never_step_back(box) -> None:
    patient = Principal(subject=str(uuid.uuid4()), kind="patient", loa=3)
    conversation_id, message_id = await commands.submit_message(
        box, NO_FORMS, patient, care_unit_id=FORMLESS, service_type="advice",
        content=Content(text="Hej!"))
    handlers = build_handlers(box)
    source = Source(service="careunit-mailbox", region="stockholm")
    ids = {"conversation_id": conversation_id, "message_id": message_id,
           "care_unit_id": FORMLESS}
    statements: list[str] = []
    event.listen(box.engine.sync_engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))

    async def arrive(data) -> list[str]:
        statements.clear()
        async with box.engine.begin() as conn:
            await handlers[type(data)](conn, new_event(data, source=source,
                                                       subject=conversation_id), data)
        return [s for s in statements if s.split()[0] in ("SELECT", "UPDATE", "WITH")]

    async def status() -> tuple[str, int | None]:
        [conv] = await rows(box, tables.conversations, conversation_id=conversation_id)
        return conv.status, conv.promised_answer_days

    received = MessageReceived(**ids, service_type="advice", promised_answer_days=5)
    assert len(await arrive(received)) == 1
    assert await status() == ("received", 5)
    opened = MessageOpened(**ids, staff_id="admin", staff_role="message_administrator",
                           seen_message_ids=[message_id])
    assert len(await arrive(opened)) == 1
    [mine] = await rows(box, tables.messages, message_id=message_id)
    assert mine.opened_at is not None
    assert len(await arrive(opened)) == 1  # shown again: the first receipt stays
    [again] = await rows(box, tables.messages, message_id=message_id)
    assert again.opened_at == mine.opened_at
    assert len(await arrive(MessageAssigned(**ids, clinician_id="doc"))) == 1
    assert await status() == ("in_progress", 5)
    # Late: received again (with a new promise) and unroutable; neither steps back.
    assert len(await arrive(received.model_copy(update={"promised_answer_days": 3}))) == 1
    assert await status() == ("in_progress", 3)
    late = MessageUnroutable(**ids, reason="no such unit")
    assert len(await arrive(late)) == 2  # nothing to change: is the conversation known?
    assert await status() == ("in_progress", 3)
    assert len(await arrive(ConversationClosed(**ids, closed_at=datetime.now(UTC)))) == 1
    assert await status() == ("closed", 3)


@pytest.mark.parametrize("kind", ["received", "assigned", "opened"])
async def test_an_event_about_an_unknown_conversation_is_rejected(box, kind) -> None:
    ids = {"conversation_id": str(uuid.uuid4()), "message_id": str(uuid.uuid4()),
           "care_unit_id": FORMLESS}
    data = {"received": MessageReceived(**ids, service_type="advice"),
            "assigned": MessageAssigned(**ids, clinician_id="doc"),
            "opened": MessageOpened(**ids, staff_id="doc", staff_role="clinician")}[kind]
    with pytest.raises(RejectEvent, match="unknown conversation"):
        async with box.engine.begin() as conn:
            await build_handlers(box)[type(data)](conn, new_event(
                data, source=Source(service="careunit-mailbox", region="stockholm"),
                subject=ids["conversation_id"]), data)
    assert await rows(box, tables.conversations, conversation_id=ids["conversation_id"]) == []
