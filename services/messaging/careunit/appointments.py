"""Appointments the unit proposes in a conversation (the authority's table): propose a
time (or a change of an existing appointment: the new proposal `replaces` it), cancel one,
list a case's; and the patient's answers as they arrive. Each command runs in one
transaction with its event in the outbox; the states are in appointment_domain."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging import appointment_domain as domain
from services.messaging import appointment_rows as rows
from services.messaging.careunit import access, groups
from services.messaging.careunit.cases import case_of, emit, locked, transition
from services.messaging.careunit.tables import appointments
from services.messaging.context import MailboxContext
from services.messaging.domain import CLOSED
from shared.auth import Principal
from shared.errors import CommandError
from shared.events import Envelope, EventData
from shared.events.contracts import AppointmentAnswered, AppointmentCancelled, AppointmentProposed
from shared.ids import uuid7

log = logging.getLogger(__name__)


async def _readable_case(conn: AsyncConnection, staff: Principal, message_id: str):
    row = await locked(conn, message_id)
    unit = row.care_unit_id if row is not None else ""
    if row is None or access.reader_role(
            staff, unit, case_of(row), await groups.groups_for(conn, staff, unit, row)) is None:
        raise CommandError(404, "no such message")
    return row


async def propose(box: MailboxContext, staff: Principal, message_id: str, *,
                  starts_at: datetime, minutes: int, replaces: str | None = None) -> str:
    if starts_at <= datetime.now(UTC):
        raise CommandError(422, "the proposed time has passed")
    appointment_id = str(uuid7())
    async with box.engine.begin() as conn:
        row = await _readable_case(conn, staff, message_id)
        if row.status == CLOSED:
            raise CommandError(409, "the conversation is closed")
        if replaces is not None:
            old = (await conn.execute(select(appointments).where(
                appointments.c.appointment_id == replaces,
                appointments.c.message_id == message_id).with_for_update())).first()
            if old is None:
                raise CommandError(422, f"appointment {replaces} is not one of this conversation")
            await rows.set_status(conn, appointments, replaces,
                                  transition(lambda: domain.replaced(old.status)))
        event = AppointmentProposed(
            appointment_id=appointment_id, conversation_id=row.conversation_id,
            message_id=message_id, care_unit_id=row.care_unit_id, patient_id=row.patient_id,
            starts_at=starts_at, minutes=minutes, replaces=replaces)
        await rows.store_proposal(conn, appointments, event, domain.PROPOSED)
        await emit(box, conn, staff, row.conversation_id, event)
    return appointment_id


async def cancel(box: MailboxContext, staff: Principal, appointment_id: str) -> None:
    async with box.engine.begin() as conn:
        found = (await conn.execute(select(appointments.c.message_id).where(
            appointments.c.appointment_id == appointment_id))).scalar_one_or_none()
        if found is None:
            raise CommandError(404, "no such appointment")
        row = await _readable_case(conn, staff, found)
        current = (await conn.execute(select(appointments.c.status).where(
            appointments.c.appointment_id == appointment_id).with_for_update())).scalar_one()
        await rows.set_status(conn, appointments, appointment_id,
                              transition(lambda: domain.unit_cancels(current)))
        await emit(box, conn, staff, row.conversation_id, AppointmentCancelled(
            appointment_id=appointment_id, conversation_id=row.conversation_id,
            care_unit_id=row.care_unit_id, patient_id=row.patient_id,
            cancelled_at=datetime.now(UTC)))


async def of_case(box: MailboxContext, staff: Principal, message_id: str) -> list[dict]:
    async with box.engine.begin() as conn:
        row = await _readable_case(conn, staff, message_id)
        return await rows.of_conversation(conn, appointments, row.conversation_id)


async def patient_answered(conn: AsyncConnection, _: Envelope, data: EventData) -> None:
    assert isinstance(data, AppointmentAnswered)
    """Applied when the answer fits the unit's state; an answer that crossed the unit's own
    change or cancellation (its event is on its way to the patient) changes nothing here."""
    current = (await conn.execute(select(appointments).where(
        appointments.c.appointment_id == data.appointment_id,
        appointments.c.patient_id == data.patient_id).with_for_update())).first()
    if current is None:
        log.warning("answer to an unknown appointment", extra={"event": data.appointment_id})
        return
    try:
        after = domain.patient_answers(current.status, data.answer)
    except domain.DomainError:
        log.info("patient's answer crossed the unit's change", extra={
            "appointment_id": data.appointment_id})
        return
    await rows.set_status(conn, appointments, data.appointment_id, after)
