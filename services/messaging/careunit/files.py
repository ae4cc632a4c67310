"""The care unit's side of attachments: the patient's files taken in when their message
arrives, the unit's uploads for an answer, and staff downloads, each of which is an
access record (AttachmentOpened) committed before the bytes leave, like opening a message."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging.attachments import store as attachment_store
from services.messaging.body import Content, unit_recipient
from services.messaging.careunit import access, groups
from services.messaging.careunit.cases import case_of, emit, locked
from services.messaging.careunit.reading import thread_of
from services.messaging.careunit.tables import attachments
from services.messaging.context import MailboxContext
from shared.auth import Principal
from shared.crypto.sealing import Binding, Sealed, SealError
from shared.errors import CommandError
from shared.events.contracts import AttachmentOpened

log = logging.getLogger(__name__)


async def open_arrived(box: MailboxContext, conn: AsyncConnection, sealed: Sealed, *,
                       item_id: str, conversation_id: str, unit_id: str) -> Content | None:
    """An arriving message or follow-up opened by the mailbox itself, once, for what the
    mailbox must know of it (the advice pool, the attachments to take in); no member of staff
    reads it, so no access record. None when this mailbox cannot open it: it is stored all
    the same (as before), in the general pool and without files."""
    try:
        return Content.model_validate_json(await box.keyring.open(
            conn, sealed, Binding(item_id, conversation_id, unit_recipient(unit_id))))
    except (SealError, ValidationError):
        log.warning("arrived message could not be opened: general pool, no attachments",
                    exc_info=True)
        return None


async def take_in(box: MailboxContext, conn: AsyncConnection, content: Content | None, *,
                  item_id: str, conversation_id: str, patient_id: str) -> None:
    """The files named in an arrived message's content (open_arrived), fetched now."""
    if content is not None and content.attachments:
        await attachment_store.receive(box, conn, attachments, content.attachments,
                                       item_id=item_id, conversation_id=conversation_id,
                                       owner_id=patient_id)


async def upload(box: MailboxContext, staff: Principal, unit_id: str, filename: str,
                 data: bytes) -> dict:
    if not access.may_list(staff, unit_id):
        raise CommandError(403, "staff of this care unit only")
    return await attachment_store.stage(box, attachments, staff.subject, filename, data)


async def download(box: MailboxContext, staff: Principal, message_id: str,
                   attachment_id: str) -> tuple[str, bytes, str]:
    """(media type, bytes, file name) for whoever may read the message."""
    async with box.engine.begin() as conn:
        row = await locked(conn, message_id)
        unit = row.care_unit_id if row is not None else ""
        role = row and access.reader_role(staff, unit, case_of(row),
                                          await groups.groups_for(conn, staff, unit, row))
        if role is None:
            raise CommandError(404, "no such message")
        media_type, data = await attachment_store.read(
            box, conn, attachments, attachment_id, conversation_id=row.conversation_id,
            recipient=unit_recipient(unit))
        name = next((a["filename"] for item in await thread_of(box, conn, row)
                     for a in item.get("attachments", []) if a["attachment_id"] == attachment_id),
                    "attachment")
        await emit(box, conn, staff, row.conversation_id, AttachmentOpened(
            conversation_id=row.conversation_id, message_id=message_id,
            attachment_id=attachment_id, care_unit_id=unit, staff_id=staff.subject,
            staff_role=role))
    return media_type, data, name
