"""Care-unit mailbox HTTP API for message administrators and clinicians."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from services.messaging.body import Content, FormRef
from services.messaging.careunit import commands, queries
from services.messaging.context import CommandError, MailboxContext
from shared.auth import StaffDep

router = APIRouter(prefix="/v1")


class MessageMeta(BaseModel):
    message_id: str
    conversation_id: str
    care_unit_id: str
    service_type: str
    status: str
    assigned_to: str | None
    submitted_at: datetime
    received_at: datetime
    assigned_at: datetime | None
    answered_at: datetime | None


class Unanswered(MessageMeta):
    age_seconds: int


class ReplyPublic(BaseModel):
    reply_id: str
    clinician_id: str
    sent_at: datetime
    subject: str
    text: str


class MessagePublic(MessageMeta):
    """The message as sent: text and, for a form, its answers and the exact form version
    (render them with forms' render-answers for that version)."""

    subject: str
    text: str
    form: FormRef | None = None
    answers: dict[str, Any] | None = None
    replies: list[ReplyPublic]


class Assign(BaseModel):
    model_config = ConfigDict(extra="forbid")
    clinician_id: str = Field(min_length=1, max_length=100)


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str = Field(default="", max_length=200)
    text: str = Field(min_length=1, max_length=10_000)


def _box(request: Request) -> MailboxContext:
    return request.app.state.mailbox


async def _run(coro):
    try:
        return await coro
    except CommandError as exc:
        raise HTTPException(exc.status, exc.detail) from exc


@router.get("/units/{unit_id}/messages")
async def list_messages(request: Request, unit_id: str, staff: StaffDep,
                        status: Literal["unassigned", "assigned", "answered"] | None = None,
                        ) -> list[MessageMeta]:
    rows = await _run(queries.list_messages(_box(request), staff, unit_id, status))
    return [MessageMeta.model_validate(r) for r in rows]


@router.get("/units/{unit_id}/unanswered")
async def unanswered(request: Request, unit_id: str, staff: StaffDep) -> list[Unanswered]:
    rows = await _run(queries.unanswered(_box(request), staff, unit_id))
    return [Unanswered.model_validate(r) for r in rows]


@router.get("/units/{unit_id}/clinicians")
async def clinicians(request: Request, unit_id: str, staff: StaffDep) -> list[dict]:
    return await _run(queries.clinicians(_box(request), staff, unit_id))


@router.get("/messages/{message_id}")
async def read(request: Request, message_id: str, staff: StaffDep) -> MessagePublic:
    return MessagePublic.model_validate(
        await _run(commands.read_message(_box(request), staff, message_id)))


@router.post("/messages/{message_id}/assign", status_code=204)
async def assign(request: Request, message_id: str, body: Assign, staff: StaffDep) -> None:
    await _run(commands.assign(_box(request), staff, message_id, body.clinician_id))


@router.post("/messages/{message_id}/take-back", status_code=204)
async def take_back(request: Request, message_id: str, staff: StaffDep) -> None:
    await _run(commands.take_back(_box(request), staff, message_id))


@router.post("/messages/{message_id}/reply", status_code=201)
async def answer(request: Request, message_id: str, body: Answer, staff: StaffDep) -> dict:
    content = Content(subject=body.subject, text=body.text)
    return {"reply_id": await _run(commands.reply(_box(request), staff, message_id, content))}
