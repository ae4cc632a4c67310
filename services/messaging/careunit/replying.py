"""A clinician writes to the patient: an answer, a follow-up question (the conversation
stays open, awaiting the patient), or an answer that closes the conversation."""

from __future__ import annotations

from datetime import UTC, datetime

from services.messaging.attachments import store as attachment_store
from services.messaging.body import (
    Content,
    patient_recipient,
    seal_content,
    sealed_columns,
    unit_recipient,
)
from services.messaging.careunit import access, groups
from services.messaging.careunit.cases import case_of, emit, locked, store, transition
from services.messaging.careunit.tables import attachments, replies
from services.messaging.context import MailboxContext
from services.messaging.domain import CLOSED, Action
from services.messaging.keys import peer_name
from shared.auth import Principal
from shared.errors import CommandError
from shared.events.contracts import ReplySent
from shared.ids import uuid7

_INSERT_REPLY = replies.insert()


async def reply(box: MailboxContext, staff: Principal, message_id: str, content: Content,
                action: Action = "answer", attachment_ids: list[str] | None = None) -> str:
    """`attachment_ids`: the clinician's uploads (e.g. a record extract) sent with it."""
    reply_id, now = str(uuid7()), datetime.now(UTC)
    async with box.engine.begin() as conn:
        row = await locked(conn, message_id)
        unit = row.care_unit_id if row is not None else ""
        mine = await groups.groups_for(conn, staff, unit, row)
        if row is None or not access.clinician_sees(staff, unit, case_of(row), mine):
            raise CommandError(404, "no such message assigned to you")
        case = transition(lambda: case_of(row).reply(staff.subject, mine, action))
        own_key, patient_key = await box.keyring.sealing_keys(conn, peer_name(
            "patient", row.patient_region, box.source.region))
        if patient_key is None or own_key is None:
            raise CommandError(503, "mailbox keys are not yet distributed; try again shortly")
        if attachment_ids:
            refs = await attachment_store.attach(
                box, conn, attachments, staff.subject, attachment_ids, item_id=reply_id,
                conversation_id=row.conversation_id, own_recipient=unit_recipient(unit),
                peer_recipient=patient_recipient(row.patient_id),
                own_key=own_key, peer_key=patient_key)
            content = content.model_copy(update={"attachments": refs})
        to_patient = seal_content(content, public_key=patient_key[1], key_id=patient_key[0],
                                  item_id=reply_id, conversation_id=row.conversation_id,
                                  recipient=patient_recipient(row.patient_id))
        own_copy = seal_content(content, public_key=own_key[1], key_id=own_key[0],
                                item_id=reply_id, conversation_id=row.conversation_id,
                                recipient=unit_recipient(unit))
        await conn.execute(_INSERT_REPLY, {  # built once, as cases.py's statements
            "reply_id": reply_id, "message_id": message_id, "clinician_id": staff.subject,
            "sent_at": now, "action": action, **sealed_columns(own_copy)})
        stamps: dict = {"answered_at": now}
        if case.status == CLOSED:
            stamps["closed_at"] = now
        await store(conn, message_id, case, **stamps)
        await emit(box, conn, staff, row.conversation_id, ReplySent(
            conversation_id=row.conversation_id, message_id=message_id, reply_id=reply_id,
            patient_id=row.patient_id, care_unit_id=unit, clinician_id=staff.subject,
            sealed_body=to_patient, sent_at=now, action=action))
    return reply_id
