"""Which e-services a care unit offers, to whom, and with which form, as the patient mailbox
knows it.

forms is the authority once it has spoken about a unit (UnitServicesChanged snapshots);
before that, the services the unit registered with at identity apply, to all residents. A
service with a published, active form must be sent as answers to that exact form version. A
service offered to listed patients only is for those listed at the unit (the `listed_unit`
of their access token, from identity's copy of the population register)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging.patient.tables import care_units, unit_forms, unit_offers

ALL_RESIDENTS = "all_residents"
LISTED_PATIENTS = "listed_patients"


@dataclass(frozen=True)
class Offer:
    service_type: str
    form_id: str | None
    form_version: int | None
    audience: str = ALL_RESIDENTS


def refusal(offer: Offer, unit_id: str, listed_unit: str | None) -> str | None:
    """Why a patient listed at `listed_unit` (None: nowhere) may not use the unit's offer,
    or None if they may."""
    if offer.audience == ALL_RESIDENTS:
        return None
    if offer.audience == LISTED_PATIENTS:
        if listed_unit == unit_id:
            return None
        return (f"care unit {unit_id} offers {offer.service_type} only to patients listed "
                "there, and you are not listed at this care unit")
    return f"care unit {unit_id} does not offer {offer.service_type} to you"  # unknown: closed


@dataclass(frozen=True)
class UnitOffers:
    region: str | None  # where the unit's mailbox is (None: this region)
    offers: dict[str, Offer]


# Read with every submission: built once, the unit a parameter (docs/capacity.md, perf12).
_OFFERS = select(
    care_units.c.services, care_units.c.region, unit_offers.c.services.label("snapshot"),
    unit_forms.c.service_type, unit_forms.c.form_id, unit_forms.c.version).outerjoin(
    unit_offers, unit_offers.c.unit_id == care_units.c.unit_id).outerjoin(
    unit_forms, (unit_forms.c.unit_id == care_units.c.unit_id)
    & unit_forms.c.retired.is_(False)).where(care_units.c.unit_id == bindparam("unit_id"))


async def unit_offers_at(conn: AsyncConnection, unit_id: str) -> UnitOffers | None:
    """The unit's region and offered e-services by type, or None if the unit is unknown. One
    statement: the unit with its snapshot, once per active form (one form per service at
    most) or once with no form."""
    rows = (await conn.execute(_OFFERS, {"unit_id": unit_id})).all()
    if not rows:
        return None
    unit = rows[0]
    offered = ({s["service_type"]: s["audience"] for s in unit.snapshot}
               if unit.snapshot is not None else dict.fromkeys(unit.services, ALL_RESIDENTS))
    forms = {r.service_type: r for r in rows if r.service_type is not None}
    return UnitOffers(unit.region, {
        s: Offer(s, forms[s].form_id if s in forms else None,
                 forms[s].version if s in forms else None, offered[s])
        for s in sorted(offered)})


async def unit_offers_for(conn: AsyncConnection, unit_id: str) -> dict[str, Offer] | None:
    """The unit's offered e-services by type, or None if the unit is unknown."""
    found = await unit_offers_at(conn, unit_id)
    return None if found is None else found.offers
