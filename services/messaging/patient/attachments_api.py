"""The patient's attachments: upload a file (checked on content, refused with the reason
naming it, or kept sealed until a message takes it by its id) and download one of a
conversation's files. Both need the e-ID level."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from services.messaging.attachments import store
from services.messaging.attachments.download import file_response, filename_in
from services.messaging.body import Content, patient_recipient, sealed_from_row
from services.messaging.context import MailboxContext
from services.messaging.patient.tables import attachments, conversations, messages
from shared.auth import PatientEidDep
from shared.crypto.sealing import Binding
from shared.errors import CommandError

router = APIRouter()


def _box(request: Request) -> MailboxContext:
    return request.app.state.mailbox


@router.post("/attachments", status_code=201)
async def upload(request: Request, patient: PatientEidDep,
                 filename: str = Query(min_length=1, max_length=500)) -> dict:
    """The request body is the file itself (bounded by the mailbox's upload cap)."""
    return await store.stage(_box(request), attachments, patient.subject, filename,
                             await request.body())


@router.get("/conversations/{conversation_id}/attachments/{attachment_id}")
async def download(request: Request, conversation_id: str, attachment_id: str,
                   patient: PatientEidDep) -> Response:
    box, recipient = _box(request), patient_recipient(patient.subject)
    async with box.engine.begin() as conn:
        owned = (await conn.execute(select(conversations.c.conversation_id).where(
            conversations.c.conversation_id == conversation_id,
            conversations.c.patient_id == patient.subject))).first()
        if owned is None:
            raise CommandError(404, "no such attachment")
        media_type, data = await store.read(box, conn, attachments, attachment_id,
                                            conversation_id=conversation_id, recipient=recipient)
        item = (await conn.execute(select(messages).join(
            attachments, attachments.c.item_id == messages.c.message_id).where(
            attachments.c.attachment_id == attachment_id))).first()
    name = "attachment"
    if item is not None:
        content = Content.model_validate_json(await _open(box, item, recipient))
        name = filename_in(content, attachment_id)
    return file_response(media_type, data, name)


async def _open(box: MailboxContext, row, recipient: str) -> bytes:
    async with box.engine.connect() as conn:
        return await box.keyring.open(conn, sealed_from_row(row),
                                      Binding(row.message_id, row.conversation_id, recipient))
