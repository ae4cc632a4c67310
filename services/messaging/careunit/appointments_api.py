"""The unit's appointment routes (see API.md): propose a time or a change, cancel, list."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.messaging.careunit import appointments
from shared.auth import StaffDep

router = APIRouter()


class Propose(BaseModel):
    model_config = ConfigDict(extra="forbid")
    starts_at: AwareDatetime
    minutes: int = Field(default=20, ge=5, le=480)
    replaces: str | None = Field(default=None, min_length=1, max_length=100)


class AppointmentPublic(BaseModel):
    appointment_id: str
    conversation_id: str
    message_id: str
    care_unit_id: str
    starts_at: datetime
    minutes: int
    status: str  # proposed | accepted | declined | cancelled | replaced
    replaces: str | None
    updated_at: datetime


@router.post("/messages/{message_id}/appointments", status_code=201)
async def propose(request: Request, message_id: str, body: Propose, staff: StaffDep) -> dict:
    return {"appointment_id": await appointments.propose(
        request.app.state.mailbox, staff, message_id, starts_at=body.starts_at,
        minutes=body.minutes, replaces=body.replaces)}


@router.get("/messages/{message_id}/appointments")
async def of_case(request: Request, message_id: str, staff: StaffDep
                  ) -> list[AppointmentPublic]:
    return [AppointmentPublic.model_validate(a) for a in await appointments.of_case(
        request.app.state.mailbox, staff, message_id)]


@router.post("/appointments/{appointment_id}/cancel", status_code=204)
async def cancel(request: Request, appointment_id: str, staff: StaffDep) -> None:
    await appointments.cancel(request.app.state.mailbox, staff, appointment_id)
