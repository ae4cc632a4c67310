"""The patient's contact settings: e-mail address and which notifications to get.

identity holds the address (GET /v1/me shows it, whether it is verified, and the choices);
saving sends `PUT /v1/me/contact` {"email": str | null, "notify": {"answer": bool,
"reminder": bool}}. A new address gets a mailed link, which leads to contact_verify.py."""

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
    stored = {"email": me.get("email") or "", "email_verified": me.get("email_verified") is True}
    return _page(request, {"email": me.get("email") or "",
                           "notify": {k: notify.get(k, True) for k in NOTICES}}, [],
                 saved=request.query_params.get("saved") == "1", stored=stored,
                 verified=request.query_params.get("verified") == "1")


def _page(request: Request, values: dict[str, Any], errors: list[dict[str, Any]],
          saved: bool = False, status: int = 200, stored: dict[str, Any] | None = None,
          verified: bool = False) -> Response:
    return render(request, "patient/settings.html",
                  {"values": values, "errors": errors, "saved": saved, "verified": verified,
                   "stored": stored or {}},
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
        if exc.status != 422:
            raise
        message = _("Enter an e-mail address in the right format, like name@example.se.")
        return _page(request, values, [{"anchor": "email", "link_id": "email",
                                        "message": message}], status=422)
    return see_other("/settings?saved=1")
