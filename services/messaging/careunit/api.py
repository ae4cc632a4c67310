"""Care-unit mailbox HTTP API for message administrators and clinicians (thin: parse, call
a command or query, shape the answer). Content leaves only through POST .../open."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.messaging import paging
from services.messaging.attachments.download import file_response
from services.messaging.body import AttachmentRef, Content, FormRef
from services.messaging.careunit import (
    appointments_api,
    commands,
    files,
    listing,
    promises,
    queries,
    reading,
    replying,
    templates,
)
from services.messaging.context import MailboxContext
from shared.auth import StaffDep

router = APIRouter(prefix="/v1")
Limit = Query(paging.DEFAULT_LIMIT, ge=1, le=paging.MAX_LIMIT)
After = Query(None, max_length=300)


class MessageMeta(BaseModel):
    message_id: str
    conversation_id: str
    care_unit_id: str
    service_type: str
    status: str  # unassigned | assigned | answered | waiting | closed
    assigned_to: str | None
    group_id: str | None
    assigned_to_name: str | None  # a pool's group name; None for a person (see queries)
    submitted_at: datetime
    received_at: datetime
    assigned_at: datetime | None
    answered_at: datetime | None
    due_at: datetime | None
    overdue: bool
    last_activity_at: datetime | None
    unread_from_patient: bool
    listing_accepted_at: datetime | None = None  # change of care centre accepted


class Unanswered(MessageMeta):
    age_seconds: int


class MetaPage(BaseModel):
    items: list[MessageMeta]
    next: str | None


class UnansweredPage(BaseModel):
    items: list[Unanswered]
    next: str | None


class ThreadItem(BaseModel):
    message_id: str
    direction: Literal["to_unit", "to_patient"]
    created_at: datetime
    author_id: str  # pseudonymous: the patient's id or the clinician's HSA id
    subject: str
    text: str
    form: FormRef | None = None
    answers: dict[str, Any] | None = None
    attachments: list[AttachmentRef] = []
    appointment_id: str | None = None  # the appointment a change request is about
    opened_at: datetime | None  # when the other side first opened it
    action: str | None = None  # for answers: answer | ask | close


class MessagePublic(MessageMeta):
    """The first message as sent (a form's answers with its exact version; render them
    with forms' render-answers for that version) and the whole thread in order."""

    subject: str
    text: str
    form: FormRef | None = None
    answers: dict[str, Any] | None = None
    attachments: list[AttachmentRef] = []
    messages: list[ThreadItem]


class Assign(BaseModel):
    model_config = ConfigDict(extra="forbid")
    clinician_id: str | None = Field(default=None, min_length=1, max_length=100)
    group_id: str | None = Field(default=None, min_length=1, max_length=50)

    @model_validator(mode="after")
    def _one_target(self) -> Assign:
        if (self.clinician_id is None) == (self.group_id is None):
            raise ValueError("give exactly one of clinician_id and group_id")
        return self


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str = Field(default="", max_length=200)
    text: str = Field(min_length=1, max_length=10_000)
    action: Literal["answer", "ask", "close"] = "answer"
    # Uploads made with POST /v1/units/{unit}/attachments (e.g. a record extract).
    attachment_ids: list[str] = Field(default_factory=list, max_length=20)


class Away(BaseModel):
    model_config = ConfigDict(extra="forbid")
    away: bool


class Promise(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int = Field(ge=0, le=365)


class NewTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: Literal["unit", "personal"]
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=10_000)


def _box(request: Request) -> MailboxContext:
    return request.app.state.mailbox


@router.get("/units/{unit_id}/messages")
async def list_messages(
        request: Request, unit_id: str, staff: StaffDep,
        view: Literal["unassigned", "mine", "others", "answered", "all"] = "all",
        group: str | None = Query(None, max_length=50), limit: int = Limit,
        after: str | None = After) -> MetaPage:
    return MetaPage.model_validate(await queries.list_messages(
        _box(request), staff, unit_id, view=view, group=group, limit=limit, after=after))


@router.get("/units/{unit_id}/unanswered")
async def unanswered(request: Request, unit_id: str, staff: StaffDep, limit: int = Limit,
                     after: str | None = After) -> UnansweredPage:
    return UnansweredPage.model_validate(await queries.unanswered(
        _box(request), staff, unit_id, limit=limit, after=after))


@router.get("/units/{unit_id}/groups")
async def unit_groups(request: Request, unit_id: str, staff: StaffDep) -> list[dict]:
    return await queries.unit_groups_of(_box(request), staff, unit_id)


@router.get("/units/{unit_id}/clinicians")
async def clinicians(request: Request, unit_id: str, staff: StaffDep) -> list[dict]:
    return await queries.clinicians(_box(request), staff, unit_id)


@router.post("/units/{unit_id}/clinicians/{hsa_id}/away", status_code=204)
async def away(request: Request, unit_id: str, hsa_id: str, body: Away,
               staff: StaffDep) -> None:
    await commands.set_away(_box(request), staff, unit_id, hsa_id, body.away)


@router.get("/messages/{message_id}")
async def meta(request: Request, message_id: str, staff: StaffDep) -> MessageMeta:
    """Metadata only: no content, so no access record."""
    return MessageMeta.model_validate(
        await queries.message_meta(_box(request), staff, message_id))


@router.post("/messages/{message_id}/open")
async def open_message(request: Request, message_id: str, staff: StaffDep) -> MessagePublic:
    return MessagePublic.model_validate(await reading.open_thread(_box(request), staff,
                                                                 message_id))


@router.post("/messages/{message_id}/assign", status_code=204)
async def assign(request: Request, message_id: str, body: Assign, staff: StaffDep) -> None:
    await commands.assign(_box(request), staff, message_id,
                          clinician_id=body.clinician_id, group_id=body.group_id)


@router.post("/messages/{message_id}/take-back", status_code=204)
async def take_back(request: Request, message_id: str, staff: StaffDep) -> None:
    await commands.take_back(_box(request), staff, message_id)


@router.post("/messages/{message_id}/reply", status_code=201)
async def answer(request: Request, message_id: str, body: Answer, staff: StaffDep) -> dict:
    content = Content(subject=body.subject, text=body.text)
    return {"reply_id": await replying.reply(_box(request), staff, message_id, content,
                                             body.action, body.attachment_ids)}


@router.post("/messages/{message_id}/close", status_code=204)
async def close(request: Request, message_id: str, staff: StaffDep) -> None:
    await commands.close(_box(request), staff, message_id)


@router.get("/units/{unit_id}/answer-templates")
async def list_templates(request: Request, unit_id: str, staff: StaffDep) -> list[dict]:
    return await queries.list_templates(_box(request), staff, unit_id)


@router.post("/units/{unit_id}/answer-templates", status_code=201)
async def create_template(request: Request, unit_id: str, body: NewTemplate,
                          staff: StaffDep) -> dict:
    return await templates.create(_box(request), staff, unit_id, level=body.level,
                                  title=body.title, text=body.text)


@router.delete("/answer-templates/{template_id}", status_code=204)
async def delete_template(request: Request, template_id: str, staff: StaffDep) -> None:
    await templates.remove(_box(request), staff, template_id)


@router.get("/units/{unit_id}/answer-promises")
async def answer_promises(request: Request, unit_id: str, staff: StaffDep) -> list[dict]:
    """The answer time the unit promises per e-service (its own, or the default)."""
    return await queries.list_promises(_box(request), staff, unit_id)


@router.put("/units/{unit_id}/answer-promises/{service_type}", status_code=204)
async def set_answer_promise(request: Request, unit_id: str, service_type: str, body: Promise,
                             staff: StaffDep) -> None:
    await promises.set_promise(_box(request), staff, unit_id, service_type, body.days)


@router.post("/units/{unit_id}/attachments", status_code=201)
async def upload(request: Request, unit_id: str, staff: StaffDep,
                 filename: str = Query(min_length=1, max_length=500)) -> dict:
    """The request body is the file itself; send its `attachment_id` with the answer."""
    return await files.upload(_box(request), staff, unit_id, filename, await request.body())


@router.post("/messages/{message_id}/attachments/{attachment_id}/download")
async def download(request: Request, message_id: str, attachment_id: str,
                   staff: StaffDep) -> Response:
    """A POST like open: the access record (AttachmentOpened) commits before the bytes."""
    media_type, data, name = await files.download(_box(request), staff, message_id,
                                                  attachment_id)
    return file_response(media_type, data, name)


@router.post("/messages/{message_id}/accept-listing")
async def accept_listing(request: Request, message_id: str, staff: StaffDep) -> dict:
    """Accept a change of care centre: the patient is listed at this unit from now."""
    return {"listing_accepted_at": await listing.accept(_box(request), staff, message_id)}


router.include_router(appointments_api.router)
