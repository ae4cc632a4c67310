"""Read-only views of a unit's inbox: metadata only, never content."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from services.messaging.careunit import access
from services.messaging.careunit.tables import staff_members, unit_messages
from services.messaging.context import CommandError, MailboxContext
from shared.auth import Principal

_META = [c for c in unit_messages.c if not c.name.startswith("sealed_")]


async def list_messages(box: MailboxContext, staff: Principal, unit_id: str,
                        status: str | None) -> list[dict]:
    if not access.may_list(staff, unit_id):
        raise CommandError(403, "no role in this care unit")
    query = select(*_META).where(unit_messages.c.care_unit_id == unit_id)
    if not access.is_admin(staff, unit_id):  # clinicians see only their own assignments
        query = query.where(unit_messages.c.assigned_to == staff.subject)
    if status:
        query = query.where(unit_messages.c.status == status)
    async with box.engine.connect() as conn:
        rows = (await conn.execute(query.order_by(unit_messages.c.received_at))).all()
    return [dict(r._mapping) for r in rows]


async def unanswered(box: MailboxContext, staff: Principal, unit_id: str) -> list[dict]:
    """The administrator's check that everything gets answered: oldest first, with age."""
    if not access.is_admin(staff, unit_id):
        raise CommandError(403, "message administrators only")
    now = datetime.now(UTC)
    async with box.engine.connect() as conn:
        rows = (await conn.execute(select(*_META).where(
            unit_messages.c.care_unit_id == unit_id, unit_messages.c.status != "answered")
            .order_by(unit_messages.c.submitted_at))).all()
    return [{**r._mapping, "age_seconds": int((now - r.submitted_at).total_seconds())}
            for r in rows]


async def clinicians(box: MailboxContext, staff: Principal, unit_id: str) -> list[dict]:
    if not access.is_admin(staff, unit_id):
        raise CommandError(403, "message administrators only")
    async with box.engine.connect() as conn:
        rows = (await conn.execute(select(staff_members).where(
            staff_members.c.care_unit_id == unit_id))).all()
    return [{"staff_id": r.staff_id, "profession": r.profession} for r in rows
            if access.CLINICIAN in r.roles]
