"""The clear-text content of a message or reply, which only ever exists inside a mailbox
process: it is sealed before it is stored or sent, and opened only to answer a request."""

from __future__ import annotations

import base64

from pydantic import BaseModel, ConfigDict, Field

from shared.crypto.sealing import Binding, Sealed, seal


class Content(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    subject: str = Field(default="", max_length=200)
    text: str = Field(min_length=1, max_length=10_000)


def patient_recipient(patient_id: str) -> str:
    return f"patient:{patient_id}"


def unit_recipient(unit_id: str) -> str:
    return f"careunit:{unit_id}"


def seal_content(content: Content, *, public_key: bytes, key_id: str, item_id: str,
                 conversation_id: str, recipient: str) -> Sealed:
    return seal(content.model_dump_json().encode(), public_key=public_key, key_id=key_id,
                binding=Binding(item_id, conversation_id, recipient))


def sealed_columns(sealed: Sealed) -> dict:
    return {"sealed_key_id": sealed.key_id,
            "sealed_ciphertext": base64.urlsafe_b64decode(sealed.ciphertext)}


def sealed_from_row(row) -> Sealed:
    return Sealed(key_id=row.sealed_key_id,
                  ciphertext=base64.urlsafe_b64encode(row.sealed_ciphertext).decode())
