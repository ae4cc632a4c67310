"""Events the care-unit mailbox applies (each inside its inbox transaction)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging.body import sealed_columns
from services.messaging.careunit import tables
from services.messaging.careunit.tables import staff_members, unit_messages
from services.messaging.context import MailboxContext
from services.messaging.keys import remember_peer_key
from shared import staff_access
from shared.events import Envelope, new_event
from shared.events.contracts import (MessageReceived, MessageRouted, StaffMembershipChanged,
                                     StaffRegistered, StaffRevoked)
from shared.events.topics import CAREUNIT_MAILBOX
from shared.ids import derived_uuid7
from shared.inbox import Handler


def build_handlers(box: MailboxContext) -> dict[str, Handler]:
    async def routed(conn: AsyncConnection, envelope: Envelope, data: MessageRouted):
        stored = (await conn.execute(insert(unit_messages).values(
            message_id=data.message_id, conversation_id=data.conversation_id,
            care_unit_id=data.care_unit_id, patient_id=data.patient_id,
            service_type=data.service_type, status="unassigned",
            submitted_at=data.submitted_at, received_at=datetime.now(UTC),
            **sealed_columns(data.sealed_body))
            .on_conflict_do_nothing().returning(unit_messages.c.message_id))).first()
        if stored is None:
            return  # the same message routed twice (e.g. routing re-processed its input)
        event = new_event(MessageReceived(
            conversation_id=data.conversation_id, message_id=data.message_id,
            care_unit_id=data.care_unit_id, service_type=data.service_type),
            source=box.source, subject=data.conversation_id, cause=envelope,
            event_id=derived_uuid7(envelope.event_id, "received"))
        await box.outbox.enqueue(conn, CAREUNIT_MAILBOX, data.conversation_id, event)

    async def staff_memberships(conn: AsyncConnection, _: Envelope,
                                data: StaffRegistered | StaffMembershipChanged):
        """Registered or changed: the event carries the complete list, so replace."""
        await conn.execute(delete(staff_members).where(staff_members.c.staff_id == data.staff_id))
        for m in data.memberships:
            await conn.execute(staff_members.insert().values(
                staff_id=data.staff_id, care_unit_id=m.unit_id, profession=data.profession,
                roles=list(m.roles)))
        await staff_access.set_memberships(conn, tables.staff_access, data.staff_id,
                                           staff_access.units_of(data))

    async def staff_revoked(conn: AsyncConnection, _: Envelope, data: StaffRevoked):
        await conn.execute(delete(staff_members).where(staff_members.c.staff_id == data.staff_id))
        await staff_access.revoke(conn, tables.staff_access, data.staff_id, data.revoked_at)

    return {
        "routing.message_routed.v1": routed,
        staff_access.REGISTERED: staff_memberships,
        staff_access.MEMBERSHIP_CHANGED: staff_memberships,
        staff_access.REVOKED: staff_revoked,
        "messaging.mailbox_key_published.v1": remember_peer_key(box.keyring, "patient"),
    }
