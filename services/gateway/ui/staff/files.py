"""Staff actions on an opened message beyond distribution: downloading an attached file (a
POST: each download is an audited access, recorded before the bytes are sent), accepting
a change of care centre (the patient is listed at the unit everywhere), and proposing,
changing and cancelling appointments in the conversation."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Request, Response

from services.gateway.ui import attachments
from services.gateway.ui.kit import ServiceRefused, _, api, checked_form, see_other
from services.gateway.ui.staff.case import page, safe_id
from services.gateway.ui.templating import SWEDEN

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


def _when(fields) -> datetime | None:
    """The form's date and time (Swedish local time), or None if they do not make one."""
    try:
        day = date.fromisoformat(fields.one("date").strip())
        hour, minute = (int(p) for p in fields.one("time").strip().split(":")[:2])
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SWEDEN)
    except ValueError:
        return None


@router.post("/staff/messages/{message_id}/appointments")
async def propose(request: Request, message_id: str) -> Response:
    """Propose a time (or, with `replaces`, a new time for an existing appointment)."""
    fields = await checked_form(request)
    message_id = safe_id(message_id)
    when, minutes = _when(fields), fields.one("minutes", "20").strip()
    draft = {k: fields.one(k)[:20] for k in ("date", "time", "minutes")}
    if when is None or not minutes.isdigit() or not 5 <= int(minutes) <= 480:
        return await page(request, message_id, status=422, draft_time=draft, errors=[{
            "anchor": "appointment-date", "message": _(
                "Give a date and a time, and a length of 5 to 480 minutes.")}],
            opened=await _opened(request, message_id))
    body: dict = {"starts_at": when.isoformat(), "minutes": int(minutes)}
    if replaces := fields.one("replaces"):
        body["replaces"] = safe_id(replaces)
    try:
        await api(request, "careunit", "POST", f"/v1/messages/{message_id}/appointments",
                  json=body)
    except ServiceRefused as exc:
        return await page(request, message_id, status=exc.status, draft_time=draft, errors=[{
            "anchor": "appointment-date",
            "message": _("The time has passed. Choose a time ahead.")
            if exc.status == 422 else exc.message}],
            opened=await _opened(request, message_id))
    return see_other(f"/staff/messages/{message_id}?done=appointment")


@router.post("/staff/messages/{message_id}/appointments/{appointment_id}/cancel")
async def cancel(request: Request, message_id: str, appointment_id: str) -> Response:
    await checked_form(request)
    message_id = safe_id(message_id)
    try:
        await api(request, "careunit", "POST",
                  f"/v1/appointments/{safe_id(appointment_id)}/cancel")
    except ServiceRefused as exc:
        return await page(request, message_id, status=exc.status,
                          errors=[{"message": exc.message}])
    return see_other(f"/staff/messages/{message_id}?done=cancelled")


async def _opened(request: Request, message_id: str) -> dict:
    """The thread again for the page that shows the form's error (it is a read: audited)."""
    return await api(request, "careunit", "POST", f"/v1/messages/{message_id}/open")
