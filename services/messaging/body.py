"""The clear-text content of a message or reply, which only ever exists inside a mailbox
process: it is sealed before it is stored or sent, and opened only to answer a request."""

from __future__ import annotations

import base64
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.crypto.sealing import Binding, Sealed, seal


class FormRef(BaseModel):
    """The exact form version a message was written against (versions never change)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    form_id: str = Field(min_length=1, max_length=100)
    version: int = Field(ge=1)


class AttachmentRef(BaseModel):
    """A file attached to a message; travels inside the sealed content (its name may say
    something about the patient), the bytes themselves only by claim check."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    attachment_id: str = Field(min_length=1, max_length=100)
    filename: str = Field(min_length=1, max_length=200)
    media_type: Literal["application/pdf", "image/jpeg", "image/png"]
    size: int = Field(ge=1)


class Content(BaseModel):
    """A message: free text, and for e-services with a form, the answers to that form
    (QuestionnaireResponse-shaped, validated by the forms service before storing)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    subject: str = Field(default="", max_length=200)
    text: str = Field(default="", max_length=10_000)
    form: FormRef | None = None
    answers: dict[str, Any] | None = None
    attachments: list[AttachmentRef] = Field(default_factory=list, max_length=20)
    # A change or cancellation request (change_appointment) names the appointment it is about.
    appointment_id: str | None = Field(default=None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _says_something(self) -> Content:
        if not self.text.strip() and self.answers is None:
            raise ValueError("a message needs a text or answers to a form")
        if (self.form is None) != (self.answers is None):
            raise ValueError("form answers need their form version, and the other way round")
        return self


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
