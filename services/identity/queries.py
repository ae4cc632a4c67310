"""Reads of identity's catalogue: who someone is, which units exist, who works where, and
contact addresses for the notifier. Writes live with their subdomain (seed.py, catalogue/,
patients/)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.identity import domain
from services.identity.tables import care_units, memberships, patients, staff


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def staff_units(conn: AsyncConnection, staff_id: uuid.UUID) -> dict[str, list[str]]:
    rows = await conn.execute(select(memberships.c.unit_id, memberships.c.roles)
                              .where(memberships.c.staff_id == staff_id)
                              .order_by(memberships.c.unit_id))
    return {row.unit_id: list(row.roles) for row in rows}


async def staff_subject_by_hsa_id(conn: AsyncConnection, hsa_id: str) -> domain.Subject | None:
    row = (await conn.execute(select(staff.c.staff_id, staff.c.profession)
                              .where(staff.c.hsa_id == hsa_id))).first()
    if row is None:
        return None
    units = await staff_units(conn, row.staff_id)
    if not units:  # revoked, outside their validity, or in no unit: nothing to log in to
        return None
    return domain.staff_subject(str(row.staff_id), row.profession, units)


async def list_units(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(select(care_units.c.unit_id, care_units.c.name,
                                     care_units.c.services).order_by(care_units.c.name))
    return [{"unit_id": r.unit_id, "name": r.name, "services": list(r.services)} for r in rows]


async def unit_staff(conn: AsyncConnection, unit_id: str) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(staff.c.staff_id, staff.c.given_name, staff.c.family_name, staff.c.profession,
               memberships.c.roles)
        .join(memberships, memberships.c.staff_id == staff.c.staff_id)
        .where(memberships.c.unit_id == unit_id)
        .order_by(staff.c.family_name, staff.c.given_name))
    return [{"staff_id": str(r.staff_id), "name": f"{r.given_name} {r.family_name}",
             "profession": r.profession, "roles": list(r.roles)} for r in rows]


async def patient_profile(conn: AsyncConnection, patient_id: str) -> dict[str, Any] | None:
    pid = _uuid(patient_id)
    if pid is None:
        return None
    row = (await conn.execute(select(patients).where(patients.c.patient_id == pid))).first()
    if row is None:
        return None
    return {"given_name": row.given_name, "family_name": row.family_name,
            "name": f"{row.given_name} {row.family_name}", "email": row.email,
            "email_verified": row.email_verified_at is not None,
            "notify": {"answer": row.notify_answer, "reminder": row.notify_reminder}}


async def staff_profile(conn: AsyncConnection, staff_id: str) -> dict[str, Any] | None:
    sid = _uuid(staff_id)
    if sid is None:
        return None
    row = (await conn.execute(select(staff).where(staff.c.staff_id == sid))).first()
    if row is None:
        return None
    units = await staff_units(conn, row.staff_id)
    names = dict((await conn.execute(select(care_units.c.unit_id, care_units.c.name)
                                     .where(care_units.c.unit_id.in_(units)))).tuples().all())
    return {"hsa_id": row.hsa_id, "given_name": row.given_name, "family_name": row.family_name,
            "name": f"{row.given_name} {row.family_name}", "profession": row.profession,
            "units": [{"unit_id": u, "name": names.get(u), "roles": roles}
                      for u, roles in units.items()]}


async def patient_contact(conn: AsyncConnection, patient_id: str) -> dict[str, Any] | None:
    """What the notifier may use: the address only once verified, and the patient's choices."""
    pid = _uuid(patient_id)
    if pid is None:
        return None
    row = (await conn.execute(select(patients.c.email, patients.c.email_verified_at,
                                     patients.c.notify_answer, patients.c.notify_reminder)
                              .where(patients.c.patient_id == pid))).first()
    if row is None:
        return None
    return {"email": row.email if row.email_verified_at is not None else None,
            "notify": {"answer": row.notify_answer, "reminder": row.notify_reminder}}


async def unit_email(conn: AsyncConnection, unit_id: str) -> str | None:
    return (await conn.execute(select(care_units.c.functional_email)
                               .where(care_units.c.unit_id == unit_id))).scalar_one_or_none()
