"""The patient's archive folder and the archive/unarchive buttons of a conversation,
downloading a conversation's files (a GET: nothing changes, nothing is recorded), and
answering the unit's proposed appointments."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.gateway.ui import attachments
from services.gateway.ui.kit import ServiceRefused, _l, checked_form, render, require, see_other
from services.gateway.ui.patient import EID_LOA, _conversations
from services.gateway.ui.staff.case import safe_id

router = APIRouter(include_in_schema=False)


@router.get("/archived")
async def archived(request: Request) -> Response:
    session = require(request, kind="patient")
    items, nxt = await _conversations(request, archived=True)
    return render(request, "patient/archived.html", {
        "conversations": items, "next": nxt, "eid": session.loa >= EID_LOA},
        title=_l("Archived"))


async def _set(request: Request, conversation_id: str, action: str) -> Response:
    require(request, kind="patient", loa=EID_LOA)
    await checked_form(request)
    cid = safe_id(conversation_id)
    await attachments.api(request, "patient", "POST", f"/v1/conversations/{cid}/{action}")
    return see_other(f"/conversations/{cid}?archived={action}")


@router.post("/conversations/{conversation_id}/archive")
async def archive(request: Request, conversation_id: str) -> Response:
    return await _set(request, conversation_id, "archive")


@router.post("/conversations/{conversation_id}/unarchive")
async def unarchive(request: Request, conversation_id: str) -> Response:
    return await _set(request, conversation_id, "unarchive")


@router.get("/conversations/{conversation_id}/attachments/{attachment_id}")
async def download(request: Request, conversation_id: str, attachment_id: str) -> Response:
    require(request, kind="patient", loa=EID_LOA)
    return await attachments.download(
        request, "patient", "GET",
        f"/v1/conversations/{safe_id(conversation_id)}/attachments/{safe_id(attachment_id)}")


@router.post("/conversations/{conversation_id}/appointments/{appointment_id}/{what}")
async def answer_appointment(request: Request, conversation_id: str, appointment_id: str,
                             what: str) -> Response:
    """Accept or decline a proposed time, or cancel an accepted one."""
    require(request, kind="patient", loa=EID_LOA)
    await checked_form(request)
    if what not in ("accept", "decline", "cancel"):
        return see_other(f"/conversations/{safe_id(conversation_id)}")
    cid = safe_id(conversation_id)
    try:
        await attachments.api(request, "patient", "POST",
                              f"/v1/appointments/{safe_id(appointment_id)}/{what}")
    except ServiceRefused as exc:
        if exc.status != 409:
            raise
        return see_other(f"/conversations/{cid}?appointment=stale")
    return see_other(f"/conversations/{cid}?appointment={what}")
