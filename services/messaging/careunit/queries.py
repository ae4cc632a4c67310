"""Read-only views of a unit's inbox: metadata only, never content, in keyset pages."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging import paging
from services.messaging.careunit import access, groups, promises, templates
from services.messaging.careunit.cases import case_of
from services.messaging.careunit.tables import (
    answer_promises,
    answer_templates,
    staff_away,
    staff_members,
    unit_groups,
    unit_messages,
)
from services.messaging.context import MailboxContext
from services.messaging.domain import ANSWERED, ASSIGNED, CLOSED, UNASSIGNED, WAITING, overdue
from shared.auth import Principal
from shared.errors import CommandError

_META = [c for c in unit_messages.c if not c.name.startswith("sealed_")
         and c.name not in ("overdue_notified_at", "opened_at", "closed_at")]
_KEY = tuple_(unit_messages.c.received_at, unit_messages.c.message_id)


def _view_filter(view: str, me: str):
    m = unit_messages.c
    return {
        "unassigned": m.status == UNASSIGNED,
        "mine": and_(m.assigned_to == me, m.status.in_([ASSIGNED, WAITING])),
        "others": and_(m.status == ASSIGNED, m.assigned_to != me),
        "answered": m.status.in_([ANSWERED, WAITING, CLOSED]),
        "all": None,
    }[view]


async def _visible(conn: AsyncConnection, staff: Principal, unit_id: str):
    """What the person may see of the unit: all of it for administrators; for clinicians
    what they hold or answered, and their groups' pools."""
    if access.is_admin(staff, unit_id):
        return None
    mine = await groups.groups_of(conn, unit_id, staff.subject)
    m = unit_messages.c
    return or_(m.assigned_to == staff.subject,
               and_(m.status == UNASSIGNED, m.group_id.in_(sorted(mine))))


async def _names(conn: AsyncConnection, unit_id: str) -> dict[str, str]:
    rows = (await conn.execute(select(unit_groups.c.group_id, unit_groups.c.name).where(
        unit_groups.c.care_unit_id == unit_id))).all()
    return {r.group_id: r.name for r in rows}


def _shape(row, names: dict[str, str], now: datetime) -> dict:
    """assigned_to_name: the group's name for a pool; the care-unit database holds no
    people's names, so for a person it is None (the UI resolves HSA ids via identity)."""
    meta = dict(row._mapping)
    pooled = meta["status"] == UNASSIGNED and meta["group_id"] is not None
    return {**meta, "assigned_to_name": names.get(meta["group_id"]) if pooled else None,
            "overdue": overdue(case_of(row), meta["due_at"], now),
            "age_seconds": int((now - meta["received_at"]).total_seconds())}


async def _page(box: MailboxContext, staff: Principal, unit_id: str, conditions: list,
                limit: int, after: str | None) -> dict:
    start = paging.decode(after)
    async with box.engine.connect() as conn:
        visible = await _visible(conn, staff, unit_id)
        query = select(*_META).where(unit_messages.c.care_unit_id == unit_id,
                                     *[c for c in (visible, *conditions) if c is not None])
        if start is not None:
            query = query.where(_KEY > tuple_(*start))
        rows = (await conn.execute(query.order_by(*_KEY.clauses).limit(limit + 1))).all()
        names = await _names(conn, unit_id)
    rows, cursor = paging.page(rows, limit, lambda r: (r.received_at, r.message_id))
    now = datetime.now(UTC)
    return {"items": [_shape(r, names, now) for r in rows], "next": cursor}


async def list_messages(box: MailboxContext, staff: Principal, unit_id: str, *, view: str,
                        group: str | None, limit: int, after: str | None) -> dict:
    if not access.may_list(staff, unit_id):
        raise CommandError(403, "no role in this care unit")
    conditions = [_view_filter(view, staff.subject)]
    if group is not None:
        conditions.append(unit_messages.c.group_id == group)
    return await _page(box, staff, unit_id, conditions, limit, after)


async def unanswered(box: MailboxContext, staff: Principal, unit_id: str, *, limit: int,
                     after: str | None) -> dict:
    """The administrator's check that everything gets answered: oldest first, with age."""
    if not access.is_admin(staff, unit_id):
        raise CommandError(403, "message administrators only")
    return await _page(box, staff, unit_id,
                       [unit_messages.c.status.in_([UNASSIGNED, ASSIGNED])], limit, after)


async def message_meta(box: MailboxContext, staff: Principal, message_id: str) -> dict:
    async with box.engine.connect() as conn:
        row = (await conn.execute(select(*_META).where(
            unit_messages.c.message_id == message_id))).first()
        unit = row.care_unit_id if row is not None else ""
        mine = await groups.groups_of(conn, unit, staff.subject)
        if row is None or access.reader_role(staff, unit, case_of(row), mine) is None:
            raise CommandError(404, "no such message")
        names = await _names(conn, unit)
    return _shape(row, names, datetime.now(UTC))


async def clinicians(box: MailboxContext, staff: Principal, unit_id: str) -> list[dict]:
    if not access.is_admin(staff, unit_id):
        raise CommandError(403, "message administrators only")
    async with box.engine.connect() as conn:
        rows = (await conn.execute(select(staff_members, staff_away.c.away).join(
            staff_away, and_(staff_away.c.staff_id == staff_members.c.staff_id,
                             staff_away.c.care_unit_id == staff_members.c.care_unit_id),
            isouter=True).where(staff_members.c.care_unit_id == unit_id)
            .order_by(staff_members.c.staff_id))).all()
    return [{"staff_id": r.staff_id, "profession": r.profession, "away": bool(r.away)}
            for r in rows if access.CLINICIAN in r.roles]


async def unit_groups_of(box: MailboxContext, staff: Principal, unit_id: str) -> list[dict]:
    if not access.may_list(staff, unit_id):
        raise CommandError(403, "no role in this care unit")
    async with box.engine.begin() as conn:
        await groups.ensure_groups(conn, unit_id)  # a unit heard of only through staff
        return await groups.list_groups(conn, unit_id)


def _template(t) -> dict:
    return {"template_id": t.template_id, "level": t.level, "title": t.title, "text": t.text}


async def list_templates(box: MailboxContext, staff: Principal, unit_id: str) -> list[dict]:
    if not access.may_list(staff, unit_id):
        raise CommandError(403, "no role in this care unit")
    t = answer_templates.c
    async with box.engine.connect() as conn:
        rows = (await conn.execute(select(answer_templates).where(or_(
            and_(t.level == "unit", t.care_unit_id == unit_id),
            and_(t.level == "personal", t.care_unit_id == unit_id,
                 t.owner_id == staff.subject))).order_by(t.level, t.title))).all()
    national = [{"template_id": i, "level": "national", "title": ti, "text": tx}
                for i, ti, tx in templates.NATIONAL]
    return national + [_template(r) for r in rows]


async def list_promises(box: MailboxContext, staff: Principal, unit_id: str) -> list[dict]:
    if not access.may_list(staff, unit_id):
        raise CommandError(403, "no role in this care unit")
    async with box.engine.connect() as conn:
        own = {r.service_type: r.days for r in (await conn.execute(select(
            answer_promises).where(answer_promises.c.care_unit_id == unit_id))).all()}
    return [{"service_type": s, "days": own.get(s, d), "default": s not in own}
            for s, d in sorted(promises.DEFAULT_DAYS.items())]
