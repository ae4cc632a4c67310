"""Attachment use cases shared by both mailboxes: stage an upload, attach staged uploads to
a message being sent (inside the sending transaction), take in a message's attachments on
the receiving side, and read one back for a download.

A message is never half-written: an upload is checked (and refused, storing nothing) before
the message exists; sending then either attaches every named upload or fails whole."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging.attachments import blobs, filecheck
from services.messaging.body import AttachmentRef
from services.messaging.context import MailboxContext
from shared.crypto.sealing import seal
from shared.errors import CommandError
from shared.ids import uuid7


async def stage(box: MailboxContext, table: Table, owner_id: str, filename: str,
                data: bytes) -> dict:
    """Check the file (422 naming it when refused) and keep it, sealed, until it is sent."""
    try:
        checked = filecheck.check(filename, data, max_bytes=box.attachment_max_bytes)
    except filecheck.Refused as exc:
        raise CommandError(413 if len(data) > box.attachment_max_bytes else 422,
                           exc.reason) from exc
    attachment_id = str(uuid7())
    async with box.engine.begin() as conn:
        own = await box.keyring.active(conn)
        if own is None:
            raise CommandError(503, "mailbox keys are not yet made; try again shortly")
        sealed = seal(blobs.staged_plaintext(checked), public_key=own[1], key_id=own[0],
                      binding=blobs.staged_binding(attachment_id, owner_id))
        await conn.execute(table.insert().values(
            attachment_id=attachment_id, owner_id=owner_id, media_type=checked.media_type,
            size=len(checked.data), created_at=datetime.now(UTC), **blobs.columns(sealed)))
    return {"attachment_id": attachment_id, "filename": checked.filename,
            "media_type": checked.media_type, "size": len(checked.data)}


async def attach(box: MailboxContext, conn: AsyncConnection, table: Table, owner_id: str,
                 attachment_ids: list[str], *, item_id: str, conversation_id: str,
                 own_recipient: str, peer_recipient: str, own_key: tuple[str, bytes],
                 peer_key: tuple[str, bytes]) -> list[AttachmentRef]:
    """Bind the owner's staged uploads to the message `item_id`: the sender's copy and the
    claim-checked copy for the other mailbox. Raises (nothing attached) if any is not theirs."""
    if len(set(attachment_ids)) != len(attachment_ids):
        raise CommandError(422, "an attachment is named twice")
    if len(attachment_ids) > box.attachments_per_message:
        raise CommandError(422, f"at most {box.attachments_per_message} attachments a message")
    refs = []
    for attachment_id in attachment_ids:
        row = (await conn.execute(select(table).where(
            table.c.attachment_id == attachment_id, table.c.owner_id == owner_id,
            table.c.item_id.is_(None)).with_for_update())).first()
        if row is None:
            raise CommandError(422, f"attachment {attachment_id} is not an upload of yours "
                                    "waiting to be sent")
        header, data = blobs.from_staged_plaintext(await box.keyring.open(
            conn, blobs.sealed_of(row.sealed_key_id, row.sealed_ciphertext),
            blobs.staged_binding(attachment_id, owner_id)))
        mine = seal(data, public_key=own_key[1], key_id=own_key[0], binding=blobs.sent_binding(
            item_id, attachment_id, conversation_id, own_recipient))
        theirs = seal(data, public_key=peer_key[1], key_id=peer_key[0],
                      binding=blobs.sent_binding(item_id, attachment_id, conversation_id,
                                                 peer_recipient))
        await conn.execute(update(table).where(table.c.attachment_id == attachment_id).values(
            item_id=item_id, conversation_id=conversation_id, **blobs.columns(mine),
            **blobs.columns(theirs, "outbound")))
        refs.append(AttachmentRef(attachment_id=attachment_id, filename=header["filename"],
                                  media_type=header["media_type"], size=len(data)))
    return refs


async def receive(box: MailboxContext, conn: AsyncConnection, table: Table,
                  refs: list[AttachmentRef], *, item_id: str, conversation_id: str,
                  owner_id: str) -> None:
    """The other side's message arrived with attachments: note them and fetch them now
    (a copy that cannot be fetched now is fetched at its first download)."""
    for ref in refs:
        await conn.execute(insert(table).values(
            attachment_id=ref.attachment_id, owner_id=owner_id, item_id=item_id,
            conversation_id=conversation_id, media_type=ref.media_type, size=ref.size,
            created_at=datetime.now(UTC)).on_conflict_do_nothing())
        await _fetch(box, conn, table, ref.attachment_id)


async def _fetch(box: MailboxContext, conn: AsyncConnection, table: Table,
                 attachment_id: str) -> bool:
    if box.peer is None:
        return False
    sealed = await box.peer.fetch(attachment_id)
    if sealed is None:
        return False
    await conn.execute(update(table).where(table.c.attachment_id == attachment_id,
                                           table.c.sealed_ciphertext.is_(None))
                       .values(**blobs.columns(sealed)))
    return True


async def read(box: MailboxContext, conn: AsyncConnection, table: Table, attachment_id: str,
               *, conversation_id: str, recipient: str) -> tuple[str, bytes]:
    """(media type, bytes) of an attachment of the conversation; 404 when it has none such,
    503 when the other mailbox has not handed it over yet."""
    query = select(table).where(table.c.attachment_id == attachment_id,
                                table.c.conversation_id == conversation_id)
    row = (await conn.execute(query)).first()
    if row is None:
        raise CommandError(404, "no such attachment")
    if row.sealed_ciphertext is None:
        if not await _fetch(box, conn, table, attachment_id):
            raise CommandError(503, "the attachment has not arrived yet; try again shortly")
        row = (await conn.execute(query)).first()
        assert row is not None  # it was there a moment ago, and rows are never deleted
    data = await box.keyring.open(conn, blobs.sealed_of(row.sealed_key_id, row.sealed_ciphertext),
                                  blobs.sent_binding(row.item_id, attachment_id, conversation_id,
                                                     recipient))
    return row.media_type, data
