"""Care-unit distribution use cases: assign (to a clinician or a group's pool), take back,
close, mark a clinician away. Each runs in one transaction of the care-unit database with
its events in the outbox; the rules themselves are in services.messaging.domain."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import and_, bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging.careunit import access, groups
from services.messaging.careunit.cases import case_of, emit, locked, store, transition
from services.messaging.careunit.tables import staff_away, staff_members, unit_messages
from services.messaging.context import MailboxContext
from services.messaging.domain import ASSIGNED
from shared.auth import Principal
from shared.errors import CommandError
from shared.events.contracts import (
    ClinicianAwayChanged,
    ConversationClosed,
    MessageAssigned,
    MessagePooled,
    MessageTakenBack,
)


async def _clinician_roles(conn: AsyncConnection, unit_id: str, staff_id: str):
    return (await conn.execute(select(staff_members.c.roles).where(
        staff_members.c.staff_id == staff_id, staff_members.c.care_unit_id == unit_id))
    ).scalar_one_or_none()


# Built once (see cases.py): a member's roles and absence, the unit of a message.
_ROLES_AND_AWAY = select(staff_members.c.roles, staff_away.c.away).outerjoin(
    staff_away, and_(staff_away.c.staff_id == staff_members.c.staff_id,
                     staff_away.c.care_unit_id == staff_members.c.care_unit_id)).where(
    staff_members.c.staff_id == bindparam("staff_id"),
    staff_members.c.care_unit_id == bindparam("unit_id"))
_UNIT_OF = select(unit_messages.c.care_unit_id).where(
    unit_messages.c.message_id == bindparam("case_id"))


async def _roles_and_away(conn: AsyncConnection, unit_id: str, staff_id: str):
    """(roles or None, away) of a member of the unit's staff, in one statement."""
    row = (await conn.execute(_ROLES_AND_AWAY, {"staff_id": staff_id, "unit_id": unit_id})
           ).first()
    return (None, False) if row is None else (row.roles, bool(row.away))


async def assign(box: MailboxContext, staff: Principal, message_id: str, *,
                 clinician_id: str | None = None, group_id: str | None = None) -> None:
    """An administrator assigns to anyone; a clinician may take a message from one of their
    groups' pools for themselves."""
    async with box.engine.begin() as conn:
        unit = (await conn.execute(_UNIT_OF, {"case_id": message_id})).scalar_one_or_none()
        if unit is None or not access.may_list(staff, unit):
            raise CommandError(404, "no such message")
        if clinician_id is not None:
            await groups.lock_clinician(conn, unit, clinician_id)
        row = await locked(conn, message_id)
        case = case_of(row)
        mine = await groups.groups_for(conn, staff, unit, row)
        claiming = clinician_id == staff.subject and access.clinician_sees(staff, unit, case,
                                                                            mine)
        if not access.is_admin(staff, unit) and not claiming:
            raise CommandError(404 if not access.clinician_sees(staff, unit, case, mine)
                               else 403, "message administrators only")
        if group_id is not None:
            if not await groups.group_exists(conn, unit, group_id):
                raise CommandError(422, f"group_id {group_id} is not a group of this unit")
            case = transition(lambda: case_of(row).assign_to_group(group_id))
            await store(conn, message_id, case)
            await emit(box, conn, staff, row.conversation_id, MessagePooled(
                conversation_id=row.conversation_id, message_id=message_id,
                care_unit_id=unit, group_id=group_id))
            return
        assert clinician_id is not None
        roles, away = await _roles_and_away(conn, unit, clinician_id)
        if roles is None or access.CLINICIAN not in roles:
            raise CommandError(422, "clinician_id is not a clinician of this care unit")
        # Membership matters only for a case in a group's pool (Case.assign_to_clinician).
        in_group = row.group_id is not None and row.group_id in await groups.groups_of(
            conn, unit, clinician_id)
        case = transition(lambda: case.assign_to_clinician(
            clinician_id, member_of_group=in_group, away=away))
        await store(conn, message_id, case, assigned_at=datetime.now(UTC))
        await emit(box, conn, staff, row.conversation_id, MessageAssigned(
            conversation_id=row.conversation_id, message_id=message_id, care_unit_id=unit,
            clinician_id=clinician_id))


async def take_back(box: MailboxContext, staff: Principal, message_id: str) -> None:
    async with box.engine.begin() as conn:
        row = await locked(conn, message_id)
        if row is None or not access.is_admin(staff, row.care_unit_id):
            raise CommandError(404, "no such message")
        before = case_of(row)
        case = transition(before.take_back)
        await store(conn, message_id, case, **({"assigned_at": None}
                                                if before.status == ASSIGNED else {}))
        held_by = before.assigned_to if before.status == ASSIGNED else f"group:{before.group_id}"
        assert held_by is not None  # an assigned case always names its holder (domain.Case)
        await emit(box, conn, staff, row.conversation_id, MessageTakenBack(
            conversation_id=row.conversation_id, message_id=message_id,
            care_unit_id=row.care_unit_id, clinician_id=held_by, reason="taken_back"))


async def close(box: MailboxContext, staff: Principal, message_id: str) -> None:
    async with box.engine.begin() as conn:
        row = await locked(conn, message_id)
        unit = row.care_unit_id if row is not None else ""
        if row is None or access.reader_role(
                staff, unit, case_of(row), await groups.groups_for(conn, staff, unit, row)) \
                is None:
            raise CommandError(404, "no such message")
        case = transition(case_of(row).close)
        now = datetime.now(UTC)
        await store(conn, message_id, case, closed_at=now)
        await emit(box, conn, staff, row.conversation_id, ConversationClosed(
            conversation_id=row.conversation_id, message_id=message_id, care_unit_id=unit,
            closed_at=now))


async def set_away(box: MailboxContext, staff: Principal, unit_id: str, clinician_id: str,
                   away: bool) -> None:
    """Administrators mark anyone; clinicians themselves. Marking away returns the
    clinician's unanswered messages to their pools, each with a MessageTakenBack whose
    actor is who marked them, and one ClinicianAwayChanged listing what moved."""
    if not (access.is_admin(staff, unit_id) or (
            clinician_id == staff.subject and access.is_clinician(staff, unit_id))):
        raise CommandError(403, "message administrators, or clinicians for themselves")
    now, moved = datetime.now(UTC), []
    async with box.engine.begin() as conn:
        await groups.lock_clinician(conn, unit_id, clinician_id)
        roles = await _clinician_roles(conn, unit_id, clinician_id)
        if roles is None or access.CLINICIAN not in roles:
            raise CommandError(404, "no such clinician in this care unit")
        await conn.execute(insert(staff_away).values(
            care_unit_id=unit_id, staff_id=clinician_id, away=away, changed_by=staff.subject,
            changed_at=now).on_conflict_do_update(
            index_elements=["care_unit_id", "staff_id"],
            set_={"away": away, "changed_by": staff.subject, "changed_at": now}))
        if away:
            held = (await conn.execute(select(unit_messages).where(
                unit_messages.c.care_unit_id == unit_id,
                unit_messages.c.assigned_to == clinician_id,
                unit_messages.c.status == ASSIGNED).order_by(unit_messages.c.received_at)
                .with_for_update())).all()
            for row in held:
                await store(conn, row.message_id, case_of(row).clinician_away(clinician_id),
                            assigned_at=None)
                await emit(box, conn, staff, row.conversation_id, MessageTakenBack(
                    conversation_id=row.conversation_id, message_id=row.message_id,
                    care_unit_id=unit_id, clinician_id=clinician_id, reason="away"))
                moved.append(row.message_id)
        await emit(box, conn, staff, f"{unit_id}:{clinician_id}", ClinicianAwayChanged(
            care_unit_id=unit_id, staff_id=clinician_id, away=away, moved=moved))
