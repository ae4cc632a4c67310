"""The print queue for operators (internal API key; never reachable through the gateway):
list queued letters, fetch one as PDF, and record what became of it (printing, posted,
back to the queue for a reprint, withdrawn). Posting drops the stored PDF."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict

from services.identity.context import ContextDep
from services.identity.patients.activation import Activation
from services.identity.patients.print_queue import IllegalMove, State
from shared.auth import internal_caller


def _activation(request: Request) -> Activation:
    return request.app.state.patient_activation


ActivationDep = Annotated[Activation, Depends(_activation)]


# The operator's letter printing only: letters carry codes, names and addresses.
router = APIRouter(prefix="/internal/v1/letters", tags=["internal"],
                   dependencies=[Depends(internal_caller("operator"))])


@router.get("")
async def list_letters(ctx: ContextDep, activation: ActivationDep,
                       state: State | None = "queued") -> list[dict]:
    async with ctx.engine.connect() as conn:
        return await activation.queue.letters(conn, state)


@router.get("/{letter_id}/pdf")
async def letter_pdf(letter_id: uuid.UUID, ctx: ContextDep, activation: ActivationDep
                     ) -> Response:
    async with ctx.engine.connect() as conn:
        pdf = await activation.queue.pdf(conn, letter_id)
    if pdf is None:
        raise HTTPException(404, "no such letter, or it has been posted or withdrawn")
    return Response(pdf, media_type="application/pdf", headers={"Cache-Control": "no-store"})


class Move(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: Literal["printing", "posted", "queued", "withdrawn"]


@router.post("/{letter_id}/state", status_code=204)
async def move_letter(letter_id: uuid.UUID, body: Move, ctx: ContextDep,
                      activation: ActivationDep) -> None:
    try:
        async with ctx.engine.begin() as conn:
            found = await activation.queue.move(conn, letter_id, body.state)
    except IllegalMove as exc:
        raise HTTPException(409, str(exc)) from None
    if not found:
        raise HTTPException(404, "no such letter")
