"""Where a mailbox keeps attachments, and how each is sealed.

One table per mailbox database (`attachments`). A row is first a staged upload (sealed to the
mailbox's own key, bound to "staged" and its uploader; `item_id` is NULL), then, when the
message it goes with is sent, part of that message: re-sealed to the mailbox's own key bound
to the message and conversation (the sender's copy) and once more to the other mailbox's key
(the claim-checked copy the other side fetches). On the receiving side the row is the
fetched copy, already sealed to that side's key; its ciphertext is NULL until it arrives.

A staged upload carries its file name inside the sealed text (a name can say something
about the patient); a sent one does not: the name travels in the sealed message content."""

from __future__ import annotations

import base64
import json

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
)

from services.messaging.attachments.filecheck import Checked
from shared.crypto.sealing import Binding, Sealed


def define_attachments(metadata: MetaData) -> Table:
    return Table(
        "attachments", metadata,
        Column("attachment_id", String(100), primary_key=True),
        Column("owner_id", String(100), nullable=False),  # uploader (pseudonymous / HSA id)
        Column("item_id", String(100), index=True),  # message, reply or follow-up; NULL: staged
        Column("conversation_id", String(100), index=True),
        Column("media_type", String(50), nullable=False),
        Column("size", Integer, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("sealed_key_id", String(100)),
        Column("sealed_ciphertext", LargeBinary),  # NULL on the receiving side until fetched
        Column("outbound_key_id", String(100)),  # the copy for the other mailbox
        Column("outbound_ciphertext", LargeBinary),
    )


def staged_binding(attachment_id: str, owner_id: str) -> Binding:
    return Binding(f"staged:{attachment_id}", "staged", f"uploader:{owner_id}")


def sent_binding(item_id: str, attachment_id: str, conversation_id: str,
                 recipient: str) -> Binding:
    """Bound to the message it belongs to: a ciphertext moved to another row, message or
    mailbox fails to open."""
    return Binding(f"{item_id}/{attachment_id}", conversation_id, recipient)


def staged_plaintext(checked: Checked) -> bytes:
    header = json.dumps({"filename": checked.filename, "media_type": checked.media_type})
    return header.encode() + b"\n" + checked.data


def from_staged_plaintext(plaintext: bytes) -> tuple[dict, bytes]:
    header, _, data = plaintext.partition(b"\n")
    return json.loads(header), data


def columns(sealed: Sealed, prefix: str = "sealed") -> dict:
    return {f"{prefix}_key_id": sealed.key_id,
            f"{prefix}_ciphertext": base64.urlsafe_b64decode(sealed.ciphertext)}


def sealed_of(key_id: str, ciphertext: bytes) -> Sealed:
    return Sealed(key_id=key_id, ciphertext=base64.urlsafe_b64encode(ciphertext).decode())
