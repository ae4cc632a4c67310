"""Answer templates: the national ones, the unit's (written by its message administrators)
and each clinician's personal ones; listing, writing and deleting them, and putting one
into the answer box with its variables filled in ({unit_name}, {clinician_name}, {date}),
on the server, so it works without JavaScript."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from services.gateway.ui.kit import ServiceRefused, _, _l, api, checked_form, render, see_other
from services.gateway.ui.staff.desk import Desk, desk
from services.gateway.ui.templating import SWEDEN

router = APIRouter(include_in_schema=False)
LEVELS = {"national": _l("National"), "unit": _l("The unit's"), "personal": _l("Personal")}
TITLE_MAX, TEXT_MAX = 200, 10_000
SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")


async def templates_for(request: Request, d: Desk) -> list[dict[str, Any]]:
    found = await api(request, "careunit", "GET", f"/v1/units/{d.unit}/answer-templates")
    for t in found or []:
        t["level_name"] = _(LEVELS.get(t.get("level", ""), t.get("level", "")))
    return list(found or [])


def filled(text: str, d: Desk) -> str:
    values = {"unit_name": d.unit_name, "clinician_name": d.name,
              "date": datetime.now(SWEDEN).strftime("%Y-%m-%d")}
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


async def _page(request: Request, d: Desk, *, errors: list[dict] | None = None,
                draft: dict[str, str] | None = None, status: int = 200) -> Response:
    return render(request, "staff/templates.html", {
        "desk": d, "templates": await templates_for(request, d), "errors": errors or [],
        "draft": draft or {}, "done": request.query_params.get("done", "")},
        title=_l("Answer templates"), status=status)


@router.get("/staff/templates")
async def templates(request: Request) -> Response:
    return await _page(request, await desk(request))


@router.post("/staff/templates")
async def create(request: Request) -> Response:
    form = await checked_form(request)
    d = await desk(request)
    draft = {k: form.one(k).strip() for k in ("title", "text", "level")}
    level = draft["level"] if draft["level"] == "unit" and d.admin else "personal"
    errors = []
    if not draft["title"] or len(draft["title"]) > TITLE_MAX:
        errors.append({"message": _("Give the template a title (at most 200 characters)."),
                       "anchor": "template-title"})
    if not draft["text"] or len(draft["text"]) > TEXT_MAX:
        errors.append({"message": _("Write the template's text (at most 10 000 characters)."),
                       "anchor": "template-text"})
    if not errors:
        try:
            await api(request, "careunit", "POST", f"/v1/units/{d.unit}/answer-templates",
                      json={"level": level, "title": draft["title"], "text": draft["text"]})
            return see_other("/staff/templates?done=created")
        except ServiceRefused as exc:
            if exc.status != 422:
                raise
            errors.append({"message": _("The text uses a variable that does not exist. Use "
                                        "only {unit_name}, {clinician_name} and {date}."),
                           "anchor": "template-text"})
    return await _page(request, d, errors=errors, draft=draft, status=422)


@router.post("/staff/templates/{template_id}/delete")
async def delete(request: Request, template_id: str) -> Response:
    await checked_form(request)
    if not SAFE_ID.fullmatch(template_id):
        raise HTTPException(404, "not found")
    await api(request, "careunit", "DELETE", f"/v1/answer-templates/{template_id}")
    return see_other("/staff/templates?done=deleted")
