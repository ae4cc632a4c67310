"""The patient's contact settings: e-mail address and which notifications to get.

identity holds the address (GET /v1/me shows it). Saving needs an identity API that does not
exist yet; the page sends what it would send, `PUT /v1/me/contact` {"email": str | null,
"notify": {"answer": bool, "reminder": bool}}, and says so plainly while identity answers
404/405."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request, Response

from services.gateway.ui.kit import (
    ServiceRefused,
    _,
    _l,
    api,
    checked_form,
    render,
    require,
    see_other,
)

router = APIRouter(include_in_schema=False)
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,}$")
NOTICES = ("answer", "reminder")


@router.get("/settings")
async def settings(request: Request) -> Response:
    require(request, kind="patient")
    me = await api(request, "identity", "GET", "/v1/me")
    notify = me.get("notify") if isinstance(me.get("notify"), dict) else {}
    return _page(request, {"email": me.get("email") or "",
                           "notify": {k: notify.get(k, True) for k in NOTICES}}, [],
                 saved=request.query_params.get("saved") == "1")


def _page(request: Request, values: dict[str, Any], errors: list[dict[str, Any]],
          saved: bool = False, status: int = 200) -> Response:
    return render(request, "patient/settings.html",
                  {"values": values, "errors": errors, "saved": saved},
                  title=_l("Contact settings"), status=status)


@router.post("/settings")
async def save(request: Request) -> Response:
    require(request, kind="patient")
    fields = await checked_form(request)
    email = fields.one("email").strip()[:254]
    values = {"email": email, "notify": {k: k in fields.get("notify", []) for k in NOTICES}}
    if email and not EMAIL.match(email):
        return _page(request, values, [{"anchor": "email", "link_id": "email", "message": _(
            "Enter an e-mail address in the right format, like name@example.se.")}],
            status=422)
    try:
        await api(request, "identity", "PUT", "/v1/me/contact",
                  json={"email": email or None, "notify": values["notify"]})
    except ServiceRefused as exc:
        message = (_("Contact settings cannot be saved yet: the service does not offer it.")
                   if exc.status in (404, 405) else exc.message)
        return _page(request, values, [{"anchor": "email", "message": message}], status=422)
    return see_other("/settings?saved=1")
