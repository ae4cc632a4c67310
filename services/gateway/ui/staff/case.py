"""One message: its metadata page (GET, no content, no access record), opening it (a POST
the person clicks: exactly one audited read, the content shown in that POST's answer, never
on a GET), and the administrator's distribution: assign to a clinician or a group, take
back, reassign. A conflict (someone else has it) is shown with who has it."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from services.gateway.ui.kit import ServiceRefused, _, _l, api, checked_form, render, see_other
from services.gateway.ui.staff import rows
from services.gateway.ui.staff.answer_templates import templates_for
from services.gateway.ui.staff.desk import Desk, colleagues, desk
from services.gateway.ui.staff.inbox import groups_of

router = APIRouter(include_in_schema=False)
SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
HELD_BY = re.compile(r"held by clinician ([^\s;]+)")
IN_POOL = re.compile(r"pool of group ([^\s;]+)")
AWAY = re.compile(r"clinician ([^\s;]+) is marked away")


def safe_id(value: str) -> str:
    """An id as it may go into an upstream path (no dots or slashes: no path tricks)."""
    if not SAFE_ID.fullmatch(value):
        raise HTTPException(404, "not found")
    return value


async def _meta(request: Request, message_id: str) -> dict[str, Any]:
    return await api(request, "careunit", "GET", f"/v1/messages/{safe_id(message_id)}")


async def _clinicians(request: Request, d: Desk, people: dict[str, str]) -> list[dict]:
    if not d.admin:
        return []
    found = await api(request, "careunit", "GET", f"/v1/units/{d.unit}/clinicians") or []
    for c in found:
        c["id"] = c.get("hsa_id") or c.get("staff_id") or ""
        c["name"] = c.get("name") or people.get(c["id"]) or c["id"]
    return sorted(found, key=lambda c: c["name"])


def may_answer(d: Desk, meta: dict[str, Any], subject: str) -> bool:
    return d.clinician and meta.get("status") in ("assigned", "unassigned") and (
        meta.get("assigned_to") in (None, subject))


async def page(request: Request, message_id: str, *, errors: list[dict] | None = None,
               opened: dict[str, Any] | None = None, status: int = 200,
               draft_time: dict[str, str] | None = None) -> Response:
    meta = await _meta(request, message_id)
    d = await desk(request, unit=meta.get("care_unit_id"))
    people, groups = await asyncio.gather(colleagues(request, d.unit),
                                          groups_of(request, d.unit))
    clinicians = await _clinicians(request, d, people)
    rows.decorate([meta], people, groups)
    answering = opened is not None and may_answer(d, meta, request.state.session.subject)
    planned = await api(request, "careunit", "GET",
                        f"/v1/messages/{safe_id(message_id)}/appointments") if opened else []
    return render(request, "staff/opened.html" if opened else "staff/message.html", {
        "desk": d, "m": meta, "clinicians": clinicians, "groups": groups, "opened": opened,
        "appointments": planned, "draft_time": draft_time or {},
        "errors": errors or [], "done": request.query_params.get("done", ""),
        "templates": await templates_for(request, d) if answering else [],
        "answering": answering, "draft": {}},
        title=_l("Message opened") if opened else _l("Message"), status=status)


@router.get("/staff/messages/{message_id}")
async def message(request: Request, message_id: str) -> Response:
    return await page(request, message_id)


@router.post("/staff/messages/{message_id}/open")
async def open_message(request: Request, message_id: str) -> Response:
    await checked_form(request)
    content = await api(request, "careunit", "POST", f"/v1/messages/{safe_id(message_id)}/open")
    content["answers_text"] = await _answers_text(request, content)
    return await page(request, message_id, opened=content)


async def _answers_text(request: Request, content: dict[str, Any]) -> str:
    """The form's answers worded as in the version the patient filled in (forms renders
    them in the page's language); empty for a free-text message."""
    form, answers = content.get("form") or {}, content.get("answers")
    if not answers or not form.get("form_id"):
        return ""
    try:
        return str(await api(
            request, "forms", "POST",
            f"/v1/forms/{safe_id(str(form['form_id']))}/versions/{int(form['version'])}"
            "/render-answers", json=answers, text=True))
    except (ServiceRefused, KeyError, ValueError):
        return ""


def conflict(exc: ServiceRefused, people: dict[str, str], groups: dict[str, str]) -> str:
    """The service's reason as a sentence in the page's language, naming who has it."""
    reason = exc.detail if isinstance(exc.detail, str) else ""
    if held := HELD_BY.search(reason):
        return _("Already assigned to %(name)s. Take it back first.") % {
            "name": people.get(held.group(1), held.group(1))}
    if away := AWAY.search(reason):
        return _("%(name)s is marked away.") % {"name": people.get(away.group(1), away.group(1))}
    if pool := IN_POOL.search(reason):
        return _("It is in the pool of %(group)s. Take it back first, or assign it to a "
                 "member of that group.") % {"group": groups.get(pool.group(1), pool.group(1))}
    return exc.message


async def _refused(request: Request, message_id: str, exc: ServiceRefused) -> Response:
    meta = await _meta(request, message_id)
    unit = meta.get("care_unit_id", "")
    people, groups = await asyncio.gather(colleagues(request, unit), groups_of(request, unit))
    return await page(request, message_id, status=exc.status if exc.status < 500 else 409,
                      errors=[{"message": conflict(exc, people, groups), "anchor": "assignee"}])


@router.post("/staff/messages/{message_id}/assign")
async def assign(request: Request, message_id: str) -> Response:
    form = await checked_form(request)
    kind, _sep, target = form.one("assignee")[:120].partition(":")
    path = f"/v1/messages/{safe_id(message_id)}"
    if kind not in ("clinician", "group") or not target:
        return await page(request, message_id, status=422, errors=[{
            "message": _("Choose whom to assign the message to."), "anchor": "assignee"}])
    try:
        if form.one("reassign") == "1":
            await api(request, "careunit", "POST", f"{path}/take-back")
        await api(request, "careunit", "POST", f"{path}/assign",
                  json={"clinician_id" if kind == "clinician" else "group_id": target})
    except ServiceRefused as exc:
        return await _refused(request, message_id, exc)
    return see_other(f"/staff/messages/{safe_id(message_id)}?done=assigned")


@router.post("/staff/messages/{message_id}/take-back")
async def take_back(request: Request, message_id: str) -> Response:
    await checked_form(request)
    try:
        await api(request, "careunit", "POST", f"/v1/messages/{safe_id(message_id)}/take-back")
    except ServiceRefused as exc:
        return await _refused(request, message_id, exc)
    return see_other(f"/staff/messages/{safe_id(message_id)}?done=taken_back")


@router.post("/staff/messages/{message_id}/close")
async def close(request: Request, message_id: str) -> Response:
    await checked_form(request)
    try:
        await api(request, "careunit", "POST", f"/v1/messages/{safe_id(message_id)}/close")
    except ServiceRefused as exc:
        return await _refused(request, message_id, exc)
    return see_other(f"/staff/messages/{safe_id(message_id)}?done=closed")
