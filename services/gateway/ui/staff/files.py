"""Staff actions on an opened message beyond distribution: downloading an attached file (a
POST: each download is an audited access, recorded before the bytes are sent) and accepting
a change of care centre (the patient is listed at the unit everywhere)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.gateway.ui import attachments
from services.gateway.ui.kit import ServiceRefused, _, api, checked_form, see_other
from services.gateway.ui.staff.case import page, safe_id

router = APIRouter(include_in_schema=False)


@router.post("/staff/messages/{message_id}/attachments/{attachment_id}")
async def download(request: Request, message_id: str, attachment_id: str) -> Response:
    await checked_form(request)
    return await attachments.download(
        request, "careunit", "POST",
        f"/v1/messages/{safe_id(message_id)}/attachments/{safe_id(attachment_id)}/download")


@router.post("/staff/messages/{message_id}/accept-listing")
async def accept_listing(request: Request, message_id: str) -> Response:
    await checked_form(request)
    message_id = safe_id(message_id)
    try:
        await api(request, "careunit", "POST", f"/v1/messages/{message_id}/accept-listing")
    except ServiceRefused as exc:
        return await page(request, message_id, status=exc.status, errors=[{
            "message": _("The change of care centre could not be accepted: it is already "
                         "accepted, or the conversation is closed.")
            if exc.status == 409 else exc.message}])
    return see_other(f"/staff/messages/{message_id}?done=listing")
