"""identity follows listing changes: when a care unit accepts a patient's change of care
centre (the care-unit mailbox's ListingChanged), the patient's entry in identity's copy of
the population register is listed at that unit, so the patient's next token carries it as
`listed_unit` (tokens already issued keep the old value until they expire).

Run inside identity's inbox consumer (services/identity/bootstrap.py); idempotent: the
inbox records the event id in the same transaction."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.identity.patients.tables import population_register
from services.identity.tables import patients
from shared.events import Envelope, EventData
from shared.events.contracts import ListingChanged
from shared.events.topic_contracts import CONTRACTS_ON
from shared.events.topics import CAREUNIT_MAILBOX
from shared.inbox import Handler, RejectEvent

log = logging.getLogger(__name__)

CONSUMER = "identity-listing"
TOPICS = [CAREUNIT_MAILBOX]
NOT_INTERESTED = tuple(c for c in CONTRACTS_ON[CAREUNIT_MAILBOX] if c is not ListingChanged)


async def listing_changed(conn: AsyncConnection, envelope: Envelope, data: EventData) -> None:
    assert isinstance(data, ListingChanged)
    try:
        patient_id = uuid.UUID(data.patient_id)
    except ValueError as exc:
        raise RejectEvent("patient_id is not one of identity's patient ids") from exc
    number = (await conn.execute(select(patients.c.personnummer).where(
        patients.c.patient_id == patient_id))).scalar_one_or_none()
    if number is None:
        raise RejectEvent("no such patient")
    changed = await conn.execute(update(population_register).where(
        population_register.c.personnummer == number).values(listed_unit=data.care_unit_id))
    if changed.rowcount == 0:
        raise RejectEvent("the patient is not in the population register copy")
    log.info("listing changed", extra={"care_unit_id": data.care_unit_id,
                                       "event_id": str(envelope.event_id)})


def build_handlers() -> dict[type[EventData], Handler]:
    return {ListingChanged: listing_changed}
