"""The patient's pages: start (units and their e-services, the listed care centre first),
inbox, sent, a conversation as a thread with its status, and replying.

Works with patient-mailbox's list answer both as a plain list (unread_reply) and as
{"items", "next"} (unread counts, paging); fields it does not send are shown as absent. A
password-level login (loa 2) sees that messages exist and how to read them (e-ID)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response

from services.gateway.ui.attachments import ACCEPT, too_many, upload_all
from services.gateway.ui.forms import checked_form_with_files
from services.gateway.ui.kit import (
    ServiceRefused,
    _,
    _l,
    api,
    render,
    require,
    see_other,
)
from services.gateway.ui.words import service_name, status_name

router = APIRouter(include_in_schema=False)
EID_LOA = 3
PAGE_SIZE = 20
REPLY_MAX = 10_000


@router.get("/start")
async def start(request: Request) -> Response:
    session = require(request, kind="patient")
    units = await api(request, "patient", "GET", "/v1/units")
    listed = session.claims.get("listed_unit")
    units = sorted(units, key=lambda u: (u.get("unit_id") != listed, u.get("name") or ""))
    offers = await asyncio.gather(*(
        api(request, "patient", "GET", f"/v1/units/{u['unit_id']}/services") for u in units),
        return_exceptions=True)
    shown = []
    for unit, offered in zip(units, offers, strict=True):
        if isinstance(offered, BaseException):
            if not isinstance(offered, ServiceRefused):
                raise offered
            offered = []
        usable = [o for o in offered if o.get("audience") != "listed_patients"
                  or unit["unit_id"] == listed]
        shown.append({"unit": unit, "listed": unit["unit_id"] == listed,
                      "services": [{**o, "name": service_name(o["service_type"])}
                                   for o in usable]})
    return render(request, "patient/start.html", {"units": shown, "eid": session.loa >= EID_LOA},
                  title=_l("Start"))


def _listing(body: Any) -> tuple[list[dict[str, Any]], str | None]:
    if isinstance(body, dict):
        return list(body.get("items") or []), body.get("next")
    return list(body or []), None


def _unread(c: dict[str, Any]) -> int:
    if isinstance(c.get("unread"), int):
        return int(c["unread"])
    return 1 if c.get("unread_reply") else 0


async def _conversations(request: Request, archived: bool = False
                         ) -> tuple[list[dict[str, Any]], str | None]:
    params: dict[str, Any] = {"limit": PAGE_SIZE, **({"archived": "true"} if archived else {})}
    after = request.query_params.get("after")
    if after:
        params["after"] = after[:200]
    items, nxt = _listing(await api(request, "patient", "GET", "/v1/conversations",
                                    params=params))
    for c in items:
        c["unread_count"] = _unread(c)
        c["service_name"] = service_name(c.get("service_type", ""))
        c["status_name"] = status_name(c.get("status"))
    return items, nxt


@router.get("/inbox")
async def inbox(request: Request) -> Response:
    session = require(request, kind="patient")
    items, nxt = await _conversations(request)
    return render(request, "patient/inbox.html", {
        "conversations": items, "next": nxt, "unread": sum(c["unread_count"] for c in items),
        "eid": session.loa >= EID_LOA, "sent": request.query_params.get("sent") == "1"},
        title=_l("Inbox"))


@router.get("/sent")
async def sent(request: Request) -> Response:
    session = require(request, kind="patient")
    items, nxt = await _conversations(request)
    waiting = [c for c in items if c.get("status") not in ("answered", "closed")]
    return render(request, "patient/sent.html", {
        "conversations": waiting, "next": nxt, "eid": session.loa >= EID_LOA},
        title=_l("Sent"))


@router.get("/conversations/{conversation_id}")
async def conversation(request: Request, conversation_id: str) -> Response:
    session = require(request, kind="patient")
    if session.loa < EID_LOA:
        return render(request, "patient/eid_needed.html", {}, title=_l("Log in with e-ID"))
    conv = await api(request, "patient", "GET", f"/v1/conversations/{conversation_id[:100]}")
    return _thread(request, conv, {})


def _thread(request: Request, conv: dict[str, Any], form: dict[str, Any],
            status: int = 200) -> Response:
    conv["service_name"] = service_name(conv.get("service_type", ""))
    conv["status_name"] = status_name(conv.get("status"))
    replyable = conv.get("status") != "closed" and conv.get("can_reply", True) is not False
    return render(request, "patient/conversation.html", {
        "c": conv, "replyable": replyable, "form": form, "accept": ACCEPT,
        "replied": request.query_params.get("replied") == "1",
        "archived": request.query_params.get("archived"),
        "appointment": request.query_params.get("appointment")},
        title=_l("Conversation"), status=status)


@router.post("/conversations/{conversation_id}/reply")
async def reply(request: Request, conversation_id: str) -> Response:
    require(request, kind="patient", loa=EID_LOA)
    most = request.app.state.settings.max_files_per_message
    fields, files = await checked_form_with_files(request, most + 1)
    cid = conversation_id[:100]
    text, subject = fields.one("text").strip(), fields.one("subject").strip()[:200]
    errors = []
    if not text:
        errors.append({"anchor": "reply-text", "message": _("Write your message.")})
    elif len(text) > REPLY_MAX:
        errors.append({"anchor": "reply-text",
                       "message": _("Your message is too long.")})
    errors += too_many(request, files)
    ids: list[str] = []
    if not errors and files:  # each file checked on its own; a refused one stops the reply
        ids, errors = await upload_all(request, "patient", "/v1/attachments", files)
    if not errors:
        try:
            await api(request, "patient", "POST", f"/v1/conversations/{cid}/messages",
                      json={"subject": subject, "text": text, "attachment_ids": ids})
            return see_other(f"/conversations/{cid}?replied=1")
        except ServiceRefused as exc:
            errors.append({"anchor": "reply-text", "message": {
                404: _("Replies cannot be sent here yet."),
                405: _("Replies cannot be sent here yet."),
                409: _("The conversation is closed. Start a new one from the start page."),
            }.get(exc.status, exc.message)})
    conv = await api(request, "patient", "GET", f"/v1/conversations/{cid}")
    return _thread(request, conv, {"errors": errors, "text": text, "subject": subject},
                   status=422)
