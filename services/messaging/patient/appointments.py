"""The patient's side of appointments: the mirror of what the unit proposes, changes and
cancels (events from the care-unit mailbox), and the patient's answers (accept or decline a
proposal, cancel an accepted time), each sent to the unit as AppointmentAnswered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Query, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging import appointment_domain as domain
from services.messaging import appointment_rows as rows
from services.messaging.context import MailboxContext
from services.messaging.patient.tables import appointments
from shared.auth import PatientDep, PatientEidDep, Principal
from shared.errors import CommandError
from shared.events import Actor, Envelope, EventData, new_event
from shared.events.contracts import AppointmentAnswered, AppointmentCancelled, AppointmentProposed
from shared.events.topics import PATIENT_MAILBOX

router = APIRouter()


async def proposed(conn: AsyncConnection, _: Envelope, data: EventData) -> None:
    assert isinstance(data, AppointmentProposed)
    if await rows.store_proposal(conn, appointments, data, domain.PROPOSED) and data.replaces:
        await rows.set_status(conn, appointments, data.replaces, domain.REPLACED)


async def cancelled(conn: AsyncConnection, _: Envelope, data: EventData) -> None:
    assert isinstance(data, AppointmentCancelled)
    await rows.set_status(conn, appointments, data.appointment_id, domain.CANCELLED)


Answer = Literal["accept", "decline", "cancel"]


async def answer(box: MailboxContext, patient: Principal, appointment_id: str,
                 what: Answer) -> None:
    async with box.engine.begin() as conn:
        row = (await conn.execute(select(appointments).where(
            appointments.c.appointment_id == appointment_id,
            appointments.c.patient_id == patient.subject).with_for_update())).first()
        if row is None:
            raise CommandError(404, "no such appointment")
        try:
            after = domain.patient_answers(row.status, what)
        except domain.DomainError as exc:
            raise CommandError(exc.status, exc.reason) from exc
        await rows.set_status(conn, appointments, appointment_id, after)
        event = new_event(AppointmentAnswered(
            appointment_id=appointment_id, conversation_id=row.conversation_id,
            care_unit_id=row.care_unit_id, patient_id=patient.subject, answer=what,
            answered_at=datetime.now(UTC)), source=box.source, subject=row.conversation_id,
            actor=Actor(id=patient.subject, role="patient"))
        await box.outbox.enqueue(conn, PATIENT_MAILBOX, row.conversation_id, event)


@router.get("/appointments")
async def list_appointments(request: Request, patient: PatientDep,
                            limit: int = Query(50, ge=1, le=200)) -> list[dict]:
    """The patient's appointments, soonest first; times only (no content), so the password
    level may see them too."""
    async with request.app.state.mailbox.engine.connect() as conn:
        found = (await conn.execute(select(appointments).where(
            appointments.c.patient_id == patient.subject)
            .order_by(appointments.c.starts_at).limit(limit))).all()
    return [rows.public(r) for r in found]


@router.post("/appointments/{appointment_id}/{what}", status_code=204)
async def answer_route(request: Request, appointment_id: str, what: Answer,
                       patient: PatientEidDep) -> None:
    await answer(request.app.state.mailbox, patient, appointment_id, what)
