"""Patient mailbox HTTP API (thin: parse, call a command, shape the answer)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.messaging import paging
from services.messaging.body import Content, FormRef
from services.messaging.context import MailboxContext
from services.messaging.patient import commands, queries
from shared.auth import PatientDep, PatientEidDep
from shared.events.contracts import ServiceType

router = APIRouter(prefix="/v1")

# The answers travel sealed inside one event: bounded well below the broker's message size
# (1 MiB) with the text and the sealing overhead; the forms service checks their shape.
MAX_ANSWERS_BYTES = 128 * 1024


class SubmitMessage(BaseModel):
    """A text, or (for an e-service with a form) answers to the exact form version the
    patient was shown, QuestionnaireResponse-shaped; optionally a text besides."""

    model_config = ConfigDict(extra="forbid")
    care_unit_id: str = Field(min_length=1, max_length=100)
    service_type: ServiceType
    subject: str = Field(default="", max_length=200)
    text: str = Field(default="", max_length=10_000)
    form: FormRef | None = None
    answers: dict[str, Any] | None = Field(default=None, max_length=20)

    @field_validator("answers")
    @classmethod
    def _bounded(cls, answers: dict[str, Any] | None) -> dict[str, Any] | None:
        if answers is not None and len(json.dumps(answers)) > MAX_ANSWERS_BYTES:
            raise ValueError(f"answers larger than {MAX_ANSWERS_BYTES} bytes")
        return answers


class OfferPublic(BaseModel):
    service_type: str
    form_id: str | None
    form_version: int | None
    audience: str  # all_residents | listed_patients (those listed at the unit)


class Submitted(BaseModel):
    conversation_id: str
    message_id: str


class ConversationSummary(BaseModel):
    conversation_id: str
    care_unit_id: str
    care_unit_name: str | None  # None only until the unit's registration has arrived
    service_type: str
    # sent | received | in_progress | answered | closed, or undeliverable (no such unit)
    status: str
    unread: int  # the unit's messages the patient has not opened
    created_at: datetime
    updated_at: datetime


class ConversationPage(BaseModel):
    items: list[ConversationSummary]
    next: str | None


class MessagePublic(BaseModel):
    message_id: str
    direction: Literal["to_unit", "to_patient"]
    created_at: datetime
    subject: str
    text: str
    form: FormRef | None = None
    answers: dict[str, Any] | None = None
    opened_at: datetime | None  # when the other side first opened it


class ConversationPublic(ConversationSummary):
    promised_answer_days: int | None
    can_reply: bool
    messages: list[MessagePublic]


class WriteMore(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str = Field(default="", max_length=200)
    text: str = Field(min_length=1, max_length=10_000)


def _box(request: Request) -> MailboxContext:
    return request.app.state.mailbox


@router.get("/units")
async def list_units(request: Request, _: PatientDep) -> list[dict]:
    return await queries.list_units(_box(request))


@router.get("/units/{unit_id}/services")
async def offered(request: Request, unit_id: str, _: PatientDep) -> list[OfferPublic]:
    """What the patient can use at the unit, and the form version to fill in for each."""
    offers = await queries.offers_at(_box(request), unit_id)
    return [OfferPublic(service_type=o.service_type, form_id=o.form_id,
                        form_version=o.form_version, audience=o.audience)
            for o in offers.values()]


@router.post("/conversations", status_code=201)
async def submit(request: Request, body: SubmitMessage, patient: PatientEidDep) -> Submitted:
    try:
        content = Content(subject=body.subject, text=body.text, form=body.form,
                          answers=body.answers)
    except ValidationError as exc:
        raise HTTPException(422, "; ".join(e["msg"] for e in exc.errors())) from exc
    conversation_id, message_id = await commands.submit_message(
        _box(request), request.app.state.forms, patient, care_unit_id=body.care_unit_id,
        service_type=body.service_type, content=content,
        language=request.headers.get("accept-language"))
    return Submitted(conversation_id=conversation_id, message_id=message_id)


@router.get("/conversations")
async def list_conversations(
        request: Request, patient: PatientDep,
        limit: int = Query(paging.DEFAULT_LIMIT, ge=1, le=paging.MAX_LIMIT),
        after: str | None = Query(None, max_length=300)) -> ConversationPage:
    """Allowed at the password level too: shows that messages exist, never their content."""
    page = await queries.list_conversations(_box(request), patient, limit=limit,
                                            after=after)
    return ConversationPage.model_validate(page)


@router.get("/conversations/{conversation_id}")
async def read(request: Request, conversation_id: str, patient: PatientEidDep) -> ConversationPublic:
    conv = await queries.read_conversation(_box(request), patient, conversation_id)
    return ConversationPublic.model_validate(conv)


@router.post("/conversations/{conversation_id}/messages", status_code=201)
async def write_more(request: Request, conversation_id: str, body: WriteMore,
                     patient: PatientEidDep) -> dict:
    """Write again in an open conversation (409 with the reason when it is closed)."""
    content = Content(subject=body.subject, text=body.text)
    message_id = await commands.write_more(_box(request), patient, conversation_id,
                                           content)
    return {"message_id": message_id}
