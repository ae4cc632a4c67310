"""Read-only views of a unit's inbox: metadata only, never content, in keyset pages."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import and_, or_, select, tuple_

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


def _visible(staff: Principal, unit_id: str):
    """What the person may see of the unit: all of it for administrators; for clinicians
    what they hold or answered, and their groups' pools (their groups a subquery, so a
    page is one statement)."""
    if access.is_admin(staff, unit_id):
        return None
    m = unit_messages.c
    return or_(m.assigned_to == staff.subject,
               and_(m.status == UNASSIGNED,
                    m.group_id.in_(groups.groups_query(unit_id, staff.subject))))


def meta_query():
    """A case's metadata with its pool's group name (the name shows only for a pool)."""
    m, g = unit_messages.c, unit_groups.c
    return select(*_META, g.name.label("group_name")).outerjoin(
        unit_groups, and_(g.care_unit_id == m.care_unit_id, g.group_id == m.group_id))


def shape(row, now: datetime, **changed) -> dict:
    """assigned_to_name: the group's name for a pool; the care-unit database holds no
    people's names, so for a person it is None (the UI resolves HSA ids via identity).
    `changed`: columns the caller's own transaction has just written."""
    meta = {c.name: row._mapping[c.name] for c in _META} | changed
    pooled = meta["status"] == UNASSIGNED and meta["group_id"] is not None
    return {**meta, "assigned_to_name": row.group_name if pooled else None,
            "overdue": overdue(case_of(row), meta["due_at"], now),
            "age_seconds": int((now - meta["received_at"]).total_seconds())}


async def _page(box: MailboxContext, staff: Principal, unit_id: str, conditions: list,
                limit: int, after: str | None) -> dict:
    start = paging.decode(after)
    query = meta_query().where(unit_messages.c.care_unit_id == unit_id, *[
        c for c in (_visible(staff, unit_id), *conditions) if c is not None])
    if start is not None:
        query = query.where(_KEY > tuple_(*start))
    async with box.engine.connect() as conn:
        rows = (await conn.execute(query.order_by(*_KEY.clauses).limit(limit + 1))).all()
    rows, cursor = paging.page(rows, limit, lambda r: (r.received_at, r.message_id))
    now = datetime.now(UTC)
    return {"items": [shape(r, now) for r in rows], "next": cursor}


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
        row = (await conn.execute(meta_query().where(
            unit_messages.c.message_id == message_id))).first()
        unit = row.care_unit_id if row is not None else ""
        mine = await groups.groups_for(conn, staff, unit, row)
        if row is None or access.reader_role(staff, unit, case_of(row), mine) is None:
            raise CommandError(404, "no such message")
    return shape(row, datetime.now(UTC))


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
