"""Patient-side use cases. Each runs in one transaction of the patient database; events go
to the outbox in that same transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, select, update

from services.messaging.appointment_domain import LIVE
from services.messaging.attachments import store as attachment_store
from services.messaging.body import (
    Content,
    patient_recipient,
    seal_content,
    sealed_columns,
    unit_recipient,
)
from services.messaging.context import MailboxContext
from services.messaging.domain import SENT, Conversation, DomainError
from services.messaging.keys import peer_name
from services.messaging.patient.forms_client import FormsClient, FormsUnavailable
from services.messaging.patient.offers import Offer, refusal, unit_offers_at
from services.messaging.patient.tables import (
    appointments,
    attachments,
    care_units,
    conversations,
    messages,
)
from shared.auth import Principal
from shared.errors import CommandError
from shared.events import Actor, new_event
from shared.events.contracts import MessageSubmitted, PatientReplied, ServiceType
from shared.events.topics import PATIENT_MAILBOX
from shared.ids import uuid7


def _actor(patient: Principal) -> Actor:
    return Actor(id=patient.subject, role="patient")


async def submit_message(box: MailboxContext, forms: FormsClient, patient: Principal, *,
                         care_unit_id: str, service_type: ServiceType, content: Content,
                         language: str | None = None,
                         attachment_ids: list[str] | None = None) -> tuple[str, str]:
    async with box.engine.connect() as conn:
        unit = await unit_offers_at(conn, care_unit_id)
    if unit is None:
        raise CommandError(404, "unknown care unit")  # no echo of what was sent
    offers = unit.offers
    if service_type not in offers:
        raise CommandError(422, f"care unit {care_unit_id} does not offer {service_type}")
    if (reason := refusal(offers[service_type], care_unit_id, patient.listed_unit)) is not None:
        raise CommandError(403, reason)
    if content.appointment_id is not None:
        await _check_appointment(box, patient, care_unit_id, content.appointment_id)
    # Checked before the transaction: no lock is held while forms answers.
    await _check_against_form(forms, offers[service_type], content, language)
    return await _store_and_send(box, patient, care_unit_id, unit.region, service_type,
                                 content, attachment_ids or [])


async def _check_appointment(box: MailboxContext, patient: Principal, care_unit_id: str,
                             appointment_id: str) -> None:
    """A change or cancellation request must name a live appointment of the patient's at
    that unit."""
    async with box.engine.connect() as conn:
        status = (await conn.execute(select(appointments.c.status).where(
            appointments.c.appointment_id == appointment_id,
            appointments.c.patient_id == patient.subject,
            appointments.c.care_unit_id == care_unit_id))).scalar_one_or_none()
    if status is None:
        raise CommandError(422, f"appointment {appointment_id} is not one of yours at "
                                f"care unit {care_unit_id}")
    if status not in LIVE:
        raise CommandError(409, f"appointment {appointment_id} is {status}")


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
        verdict = await forms.validate(content.form.form_id, content.form.version,
                                       content.answers, language)
    except FormsUnavailable as exc:
        raise CommandError(503, "forms cannot check the answers right now; try again") from exc
    if not verdict.valid:
        raise CommandError(422, "the answers do not match the form", verdict.errors)


def _submission_statement():
    """The conversation and its first message in one statement (a data-modifying CTE; the
    message's foreign key is checked at the end of the statement). Built once, its values
    as parameters: building and keying it per submission cost more CPU than running it."""
    new_conversation = conversations.insert().values(
        conversation_id=bindparam("conv_id"), patient_id=bindparam("patient"),
        care_unit_id=bindparam("unit"), service_type=bindparam("service"), status=SENT,
        unread_reply=False, created_at=bindparam("now"), updated_at=bindparam("now"),
    ).cte("new_conversation")
    return messages.insert().values(
        message_id=bindparam("msg_id"), conversation_id=bindparam("conv_id"),
        direction="to_unit", author_id=bindparam("patient"), created_at=bindparam("now"),
        sealed_key_id=bindparam("key_id"), sealed_ciphertext=bindparam("ciphertext"),
    ).add_cte(new_conversation)


_SUBMISSION = _submission_statement()


async def _store_and_send(box: MailboxContext, patient: Principal, care_unit_id: str,
                          unit_region: str | None, service_type: ServiceType, content: Content,
                          attachment_ids: list[str]) -> tuple[str, str]:
    conversation_id, message_id, now = str(uuid7()), str(uuid7()), datetime.now(UTC)
    async with box.engine.begin() as conn:
        own_copy, for_unit = await _sealed_both_ways(
            box, conn, content, item_id=message_id, conversation_id=conversation_id,
            patient_id=patient.subject, unit_id=care_unit_id, unit_region=unit_region,
            attachment_ids=attachment_ids)
        sealed = sealed_columns(own_copy)
        await conn.execute(_SUBMISSION, {
            "conv_id": conversation_id, "msg_id": message_id, "patient": patient.subject,
            "unit": care_unit_id, "service": service_type, "now": now,
            "key_id": sealed["sealed_key_id"], "ciphertext": sealed["sealed_ciphertext"]})
        event = new_event(MessageSubmitted(
            conversation_id=conversation_id, message_id=message_id, patient_id=patient.subject,
            care_unit_id=care_unit_id, service_type=service_type, sealed_body=for_unit,
            submitted_at=now), source=box.source, subject=conversation_id, actor=_actor(patient))
        await box.outbox.enqueue(conn, PATIENT_MAILBOX, conversation_id, event)
    return conversation_id, message_id


async def _sealed_both_ways(box: MailboxContext, conn, content: Content, *, item_id: str,
                            conversation_id: str, patient_id: str, unit_id: str,
                            unit_region: str | None, attachment_ids: list[str]):
    """The content sealed for the patient's own copy and for the unit, with the named
    uploads attached to it first (their names and types go inside the sealed content).
    Sealed to the mailbox of the unit's own region (another region's: docs/regions.md)."""
    own_key, unit_key = await box.keyring.sealing_keys(conn, peer_name(
        "careunit", unit_region, box.source.region))
    if unit_key is None or own_key is None:
        raise CommandError(503, "mailbox keys are not yet distributed; try again shortly")
    if attachment_ids:
        refs = await attachment_store.attach(
            box, conn, attachments, patient_id, attachment_ids, item_id=item_id,
            conversation_id=conversation_id, own_recipient=patient_recipient(patient_id),
            peer_recipient=unit_recipient(unit_id), own_key=own_key, peer_key=unit_key)
        content = content.model_copy(update={"attachments": refs})
    own_copy = seal_content(content, public_key=own_key[1], key_id=own_key[0],
                            item_id=item_id, conversation_id=conversation_id,
                            recipient=patient_recipient(patient_id))
    for_unit = seal_content(content, public_key=unit_key[1], key_id=unit_key[0],
                            item_id=item_id, conversation_id=conversation_id,
                            recipient=unit_recipient(unit_id))
    return own_copy, for_unit


async def write_more(box: MailboxContext, patient: Principal, conversation_id: str,
                     content: Content, attachment_ids: list[str] | None = None) -> str:
    """The patient writes again in an open conversation; it travels sealed to the unit."""
    message_id, now = str(uuid7()), datetime.now(UTC)
    async with box.engine.begin() as conn:
        # The unit's region with it (only the conversation row is locked).
        conv = (await conn.execute(select(conversations, care_units.c.region).outerjoin(
            care_units, care_units.c.unit_id == conversations.c.care_unit_id).where(
            conversations.c.conversation_id == conversation_id,
            conversations.c.patient_id == patient.subject)
            .with_for_update(of=conversations))).first()
        if conv is None:
            raise CommandError(404, "no such conversation")
        try:
            after = Conversation(conv.status).patient_writes()
        except DomainError as exc:
            raise CommandError(exc.status, exc.reason) from exc
        own_copy, for_unit = await _sealed_both_ways(
            box, conn, content, item_id=message_id, conversation_id=conversation_id,
            patient_id=patient.subject, unit_id=conv.care_unit_id, unit_region=conv.region,
            attachment_ids=attachment_ids or [])
        await conn.execute(messages.insert().values(
            message_id=message_id, conversation_id=conversation_id, direction="to_unit",
            author_id=patient.subject, created_at=now, **sealed_columns(own_copy)))
        await conn.execute(update(conversations).where(
            conversations.c.conversation_id == conversation_id).values(
            status=after.status, updated_at=now))
        event = new_event(PatientReplied(
            conversation_id=conversation_id, message_id=message_id, patient_id=patient.subject,
            care_unit_id=conv.care_unit_id, sealed_body=for_unit, sent_at=now),
            source=box.source, subject=conversation_id, actor=_actor(patient))
        await box.outbox.enqueue(conn, PATIENT_MAILBOX, conversation_id, event)
    return message_id
