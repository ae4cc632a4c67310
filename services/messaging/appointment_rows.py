"""The appointments table, the same in both mailbox databases: the care unit's (the
authority: the unit proposes, changes and cancels) and the patient's mirror of it, kept by
the events (AppointmentProposed, AppointmentCancelled, AppointmentAnswered)."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.events.contracts import AppointmentProposed


def define_appointments(metadata: MetaData) -> Table:
    return Table(
        "appointments", metadata,
        Column("appointment_id", String(100), primary_key=True),
        Column("conversation_id", String(100), nullable=False, index=True),
        Column("message_id", String(100), nullable=False),  # the case
        Column("care_unit_id", String(100), nullable=False),
        Column("patient_id", String(100), nullable=False, index=True),
        Column("starts_at", DateTime(timezone=True), nullable=False),
        Column("minutes", Integer, nullable=False),
        # proposed | accepted | declined | cancelled | replaced (appointment_domain)
        Column("status", String(20), nullable=False),
        Column("replaces", String(100)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )


PUBLIC = ("appointment_id", "conversation_id", "message_id", "care_unit_id", "starts_at",
          "minutes", "status", "replaces", "updated_at")


def public(row) -> dict:
    return {k: getattr(row, k) for k in PUBLIC}


@functools.cache
def _of_conversation(table: Table):
    """Built once per mailbox's table (read with every conversation a patient opens)."""
    return (select(table).where(table.c.conversation_id == bindparam("conv_id"))
            .order_by(table.c.created_at))


async def of_conversation(conn: AsyncConnection, table: Table, conversation_id: str) -> list:
    return [public(r) for r in (await conn.execute(
        _of_conversation(table), {"conv_id": conversation_id})).all()]


async def store_proposal(conn: AsyncConnection, table: Table, data: AppointmentProposed,
                         status: str) -> bool:
    """Inserts the proposal (False if it was there already: a redelivered event)."""
    now = datetime.now(UTC)
    row = (await conn.execute(insert(table).values(
        appointment_id=data.appointment_id, conversation_id=data.conversation_id,
        message_id=data.message_id, care_unit_id=data.care_unit_id,
        patient_id=data.patient_id, starts_at=data.starts_at, minutes=data.minutes,
        status=status, replaces=data.replaces, created_at=now, updated_at=now)
        .on_conflict_do_nothing().returning(table.c.appointment_id))).first()
    return row is not None


async def set_status(conn: AsyncConnection, table: Table, appointment_id: str,
                     status: str) -> None:
    await conn.execute(update(table).where(table.c.appointment_id == appointment_id).values(
        status=status, updated_at=datetime.now(UTC)))
