"""The change of care centre (e-service change_care_centre) acts: when the unit accepts
it, the patient is listed at the unit everywhere. The mailbox records the acceptance and
emits ListingChanged in the same transaction; identity's copy of the population register
follows it (the patient's next token carries the new `listed_unit`), and the patient
mailbox shows the result in the conversation."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from services.messaging.careunit import access, groups
from services.messaging.careunit.cases import case_of, emit, locked
from services.messaging.careunit.tables import unit_messages
from services.messaging.context import MailboxContext
from services.messaging.domain import CLOSED
from shared.auth import Principal
from shared.errors import CommandError
from shared.events.contracts import ListingChanged

SERVICE = "change_care_centre"


async def accept(box: MailboxContext, staff: Principal, message_id: str) -> datetime:
    """Administrators, or the clinician who may read the request."""
    now = datetime.now(UTC)
    async with box.engine.begin() as conn:
        row = await locked(conn, message_id)
        unit = row.care_unit_id if row is not None else ""
        if row is None or access.reader_role(
                staff, unit, case_of(row), await groups.groups_for(conn, staff, unit, row)) \
                is None:
            raise CommandError(404, "no such message")
        if row.service_type != SERVICE:
            raise CommandError(409, f"the message is a {row.service_type}, not a request "
                                    "to change care centre")
        if row.listing_accepted_at is not None:
            raise CommandError(409, "the change of care centre was already accepted")
        if row.status == CLOSED:
            raise CommandError(409, "the conversation is closed")
        await conn.execute(update(unit_messages).where(
            unit_messages.c.message_id == message_id).values(listing_accepted_at=now))
        await emit(box, conn, staff, row.conversation_id, ListingChanged(
            conversation_id=row.conversation_id, message_id=message_id,
            patient_id=row.patient_id, care_unit_id=unit, changed_at=now))
    return now
