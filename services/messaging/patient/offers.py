"""Which e-services a care unit offers, and with which form, as the patient mailbox knows it.

forms is the authority once it has spoken about a unit (UnitServicesChanged snapshots);
before that, the services the unit registered with at identity apply. A service with a
published, active form must be sent as answers to that exact form version."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging.patient.tables import care_units, unit_forms, unit_offers


@dataclass(frozen=True)
class Offer:
    service_type: str
    form_id: str | None
    form_version: int | None


async def unit_offers_for(conn: AsyncConnection, unit_id: str) -> dict[str, Offer] | None:
    """The unit's offered e-services by type, or None if the unit is unknown."""
    unit = (await conn.execute(select(care_units.c.services).where(
        care_units.c.unit_id == unit_id))).first()
    if unit is None:
        return None
    snapshot = (await conn.execute(select(unit_offers.c.services).where(
        unit_offers.c.unit_id == unit_id))).scalar_one_or_none()
    offered = [s["service_type"] for s in snapshot] if snapshot is not None else unit.services
    forms = {r.service_type: r for r in (await conn.execute(select(unit_forms).where(
        unit_forms.c.unit_id == unit_id, unit_forms.c.retired.is_(False)))).all()}
    return {s: Offer(s, forms[s].form_id if s in forms else None,
                     forms[s].version if s in forms else None) for s in sorted(offered)}
