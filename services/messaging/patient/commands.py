"""Patient-side use cases. Each runs in one transaction of the patient database; events go
to the outbox in that same transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from services.messaging.body import (Content, patient_recipient, seal_content, sealed_columns,
                                     sealed_from_row, unit_recipient)
from services.messaging.context import CommandError, MailboxContext
from services.messaging.patient.forms_client import FormsClient, FormsUnavailable
from services.messaging.patient.offers import Offer, refusal, unit_offers_for
from services.messaging.patient.tables import care_units, conversations, messages
from shared.auth import Principal
from shared.crypto.sealing import Binding
from shared.events import Actor, new_event
from shared.events.contracts import MessageRead, MessageSubmitted
from shared.events.topics import PATIENT_MAILBOX
from shared.ids import uuid7



def _actor(patient: Principal) -> Actor:
    return Actor(id=patient.subject, role="patient")


async def submit_message(box: MailboxContext, forms: FormsClient, patient: Principal, *,
                         care_unit_id: str, service_type: str, content: Content,
                         language: str | None = None) -> tuple[str, str]:
    async with box.engine.connect() as conn:
        offers = await unit_offers_for(conn, care_unit_id)
    if offers is None:
        raise CommandError(404, f"unknown care unit {care_unit_id}")
    if service_type not in offers:
        raise CommandError(422, f"care unit {care_unit_id} does not offer {service_type}")
    if (reason := refusal(offers[service_type], care_unit_id, patient.listed_unit)) is not None:
        raise CommandError(403, reason)
    # Checked before the transaction: no lock is held while forms answers.
    await _check_against_form(forms, offers[service_type], content, language)
    return await _store_and_send(box, patient, care_unit_id, service_type, content)


async def _check_against_form(forms: FormsClient, offer: Offer, content: Content,
                              language: str | None) -> None:
    if offer.form_id is None:
        if content.form is not None:
            raise CommandError(422, "this e-service has no form at this unit; send a text")
        return
    if content.form is None or content.answers is None:
        raise CommandError(422, f"this e-service is a form: send answers to form "
                                f"{offer.form_id} version {offer.form_version}")
    if (content.form.form_id, content.form.version) != (offer.form_id, offer.form_version):
        raise CommandError(409, "the form has changed since it was fetched; "
                                "fetch the current version and fill it in again")
    try:
        verdict = await forms.validate(offer.form_id, offer.form_version, content.answers,
                                       language)
    except FormsUnavailable as exc:
        raise CommandError(503, "forms cannot check the answers right now; try again") from exc
    if not verdict.valid:
        raise CommandError(422, "the answers do not match the form", verdict.errors)


async def _store_and_send(box: MailboxContext, patient: Principal, care_unit_id: str,
                          service_type: str, content: Content) -> tuple[str, str]:
    conversation_id, message_id, now = str(uuid7()), str(uuid7()), datetime.now(UTC)
    async with box.engine.begin() as conn:
        unit_key = await box.keyring.peer_key(conn, "careunit")
        own_key = await box.keyring.active(conn)
        if unit_key is None or own_key is None:
            raise CommandError(503, "mailbox keys are not yet distributed; try again shortly")
        own_copy = seal_content(content, public_key=own_key[1], key_id=own_key[0],
                                item_id=message_id, conversation_id=conversation_id,
                                recipient=patient_recipient(patient.subject))
        for_unit = seal_content(content, public_key=unit_key[1], key_id=unit_key[0],
                                item_id=message_id, conversation_id=conversation_id,
                                recipient=unit_recipient(care_unit_id))
        await conn.execute(conversations.insert().values(
            conversation_id=conversation_id, patient_id=patient.subject,
            care_unit_id=care_unit_id, service_type=service_type, status="submitted",
            unread_reply=False, created_at=now, updated_at=now))
        await conn.execute(messages.insert().values(
            message_id=message_id, conversation_id=conversation_id, direction="to_unit",
            author_id=patient.subject, created_at=now, **sealed_columns(own_copy)))
        event = new_event(MessageSubmitted(
            conversation_id=conversation_id, message_id=message_id, patient_id=patient.subject,
            care_unit_id=care_unit_id, service_type=service_type, sealed_body=for_unit,
            submitted_at=now), source=box.source, subject=conversation_id, actor=_actor(patient))
        await box.outbox.enqueue(conn, PATIENT_MAILBOX, conversation_id, event)
    return conversation_id, message_id


async def list_conversations(box: MailboxContext, patient: Principal) -> list[dict]:
    async with box.engine.connect() as conn:
        rows = (await conn.execute(
            select(conversations, care_units.c.name.label("care_unit_name"))
            .join(care_units, care_units.c.unit_id == conversations.c.care_unit_id, isouter=True)
            .where(conversations.c.patient_id == patient.subject)
            .order_by(conversations.c.updated_at.desc()))).all()
    return [dict(r._mapping) for r in rows]


async def read_conversation(box: MailboxContext, patient: Principal,
                            conversation_id: str) -> dict:
    """Open the conversation's messages; the first read of new replies emits MessageRead."""
    async with box.engine.begin() as conn:
        conv = (await conn.execute(select(conversations).where(
            conversations.c.conversation_id == conversation_id,
            conversations.c.patient_id == patient.subject).with_for_update())).first()
        if conv is None:  # someone else's id looks exactly like a missing one
            raise CommandError(404, "no such conversation")
        rows = (await conn.execute(select(messages).where(
            messages.c.conversation_id == conversation_id)
            .order_by(messages.c.created_at))).all()
        opened = []
        for row in rows:
            content = Content.model_validate_json(await box.keyring.open(
                conn, sealed_from_row(row),
                Binding(row.message_id, conversation_id, patient_recipient(patient.subject))))
            opened.append({"message_id": row.message_id, "direction": row.direction,
                           "created_at": row.created_at, **content.model_dump()})
        if conv.unread_reply:
            await conn.execute(update(conversations).where(
                conversations.c.conversation_id == conversation_id).values(unread_reply=False))
            replies = [r.message_id for r in rows if r.direction == "from_unit"]
            event = new_event(MessageRead(conversation_id=conversation_id,
                                          patient_id=patient.subject, reply_ids=replies),
                              source=box.source, subject=conversation_id, actor=_actor(patient))
            await box.outbox.enqueue(conn, PATIENT_MAILBOX, conversation_id, event)
    return {**dict(conv._mapping), "unread_reply": False, "messages": opened}
