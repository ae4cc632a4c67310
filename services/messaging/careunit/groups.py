"""A unit's groups (pools): nurses, doctors, psychologists. Every unit gets them when the
mailbox first hears of it; a clinician belongs to the groups of their profession."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging.careunit.tables import staff_away, staff_members, unit_groups

DEFAULT_GROUPS = (  # group_id, name, profession of its members
    ("nurses", "Sjuksköterskor", "nurse"),
    ("doctors", "Läkare", "doctor"),
    ("psychologists", "Psykologer", "psychologist"),
)

# The advice e-service asks whom the patient wants to reach (answer "recipient"); that
# choice puts the message in the matching pool.
ADVICE_RECIPIENT_GROUP = {"nurse": "nurses", "psychologist": "psychologists",
                          "psychiatrist": "psychologists", "doctor": "doctors"}


async def ensure_groups(conn: AsyncConnection, unit_id: str) -> None:
    await conn.execute(insert(unit_groups).values([
        {"care_unit_id": unit_id, "group_id": g, "name": n, "profession": p}
        for g, n, p in DEFAULT_GROUPS]).on_conflict_do_nothing())


async def list_groups(conn: AsyncConnection, unit_id: str) -> list[dict]:
    rows = (await conn.execute(select(unit_groups.c.group_id, unit_groups.c.name).where(
        unit_groups.c.care_unit_id == unit_id).order_by(unit_groups.c.group_id))).all()
    return [dict(r._mapping) for r in rows]


async def group_exists(conn: AsyncConnection, unit_id: str, group_id: str) -> bool:
    return (await conn.execute(select(unit_groups.c.group_id).where(
        unit_groups.c.care_unit_id == unit_id, unit_groups.c.group_id == group_id))
    ).first() is not None


async def groups_of(conn: AsyncConnection, unit_id: str, staff_id: str) -> frozenset[str]:
    rows = (await conn.execute(select(unit_groups.c.group_id).join(
        staff_members, (staff_members.c.care_unit_id == unit_groups.c.care_unit_id)
        & (staff_members.c.profession == unit_groups.c.profession)).where(
        unit_groups.c.care_unit_id == unit_id, staff_members.c.staff_id == staff_id))).all()
    return frozenset(r.group_id for r in rows)


async def is_away(conn: AsyncConnection, unit_id: str, staff_id: str) -> bool:
    return bool((await conn.execute(select(staff_away.c.away).where(
        staff_away.c.care_unit_id == unit_id, staff_away.c.staff_id == staff_id))
    ).scalar_one_or_none())
