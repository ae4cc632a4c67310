"""The clinician's answer: send it as an answer, a follow-up question, or an answer that
closes the case; or put an answer template into the box first. Inserting a template renders
the answer box again with the message's metadata only: it is not a read of the content, so
it writes no access record (the clinician reads the message on the page they came from)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response

from services.gateway.ui.attachments import too_many, upload_all
from services.gateway.ui.forms import checked_form_with_files
from services.gateway.ui.kit import ServiceRefused, _, _l, api, render, see_other
from services.gateway.ui.staff import rows
from services.gateway.ui.staff.answer_templates import TEXT_MAX, filled, templates_for
from services.gateway.ui.staff.case import safe_id
from services.gateway.ui.staff.desk import colleagues, desk
from services.gateway.ui.staff.inbox import groups_of

router = APIRouter(include_in_schema=False)
ACTIONS = ("answer", "ask", "close")
SUBJECT_MAX = 200


async def _compose(request: Request, message_id: str, draft: dict[str, str],
                   errors: list[dict], status: int) -> Response:
    meta = await api(request, "careunit", "GET", f"/v1/messages/{message_id}")
    d = await desk(request, unit=meta.get("care_unit_id"))
    people, groups = await asyncio.gather(colleagues(request, d.unit),
                                          groups_of(request, d.unit))
    rows.decorate([meta], people, groups)
    return render(request, "staff/compose.html", {
        "desk": d, "m": meta, "draft": draft, "errors": errors,
        "templates": await templates_for(request, d), "answering": True},
        title=_l("Answer the message"), status=status)


@router.post("/staff/messages/{message_id}/reply")
async def reply(request: Request, message_id: str) -> Response:
    most = request.app.state.settings.max_files_per_message
    form, files = await checked_form_with_files(request, most + 1)
    message_id = safe_id(message_id)
    draft = {"subject": form.one("subject").strip()[:SUBJECT_MAX],
             "text": form.one("text")[:TEXT_MAX], "template_id": form.one("template_id")}
    action = form.one("action")
    if action == "insert":  # the template's text goes into the box, after what is there
        meta = await api(request, "careunit", "GET", f"/v1/messages/{message_id}")
        d = await desk(request, unit=meta.get("care_unit_id"))
        chosen = [t for t in await templates_for(request, d)
                  if t["template_id"] == draft["template_id"]]
        if not chosen:
            return await _compose(request, message_id, draft, [{
                "message": _("Choose a template to insert."), "anchor": "template"}], 422)
        text = filled(chosen[0]["text"], d)
        draft["text"] = f"{draft['text'].rstrip()}\n\n{text}" if draft["text"].strip() else text
        draft["subject"] = draft["subject"] or filled(chosen[0]["title"], d)
        return await _compose(request, message_id, draft, [], 200)
    if action not in ACTIONS or not draft["text"].strip():
        return await _compose(request, message_id, draft, [{
            "message": _("Write your answer."), "anchor": "answer-text"}], 422)
    ids: list[str] = []
    if errors := too_many(request, files):
        return await _compose(request, message_id, draft, errors, 422)
    if files:  # each file checked on its own; a refused one stops the answer
        meta = await api(request, "careunit", "GET", f"/v1/messages/{message_id}")
        ids, errors = await upload_all(
            request, "careunit", f"/v1/units/{safe_id(meta['care_unit_id'])}/attachments", files)
        if errors:
            return await _compose(request, message_id, draft, errors, 422)
    try:
        await api(request, "careunit", "POST", f"/v1/messages/{message_id}/reply",
                  json={"subject": draft["subject"], "text": draft["text"].strip(),
                        "action": action, "attachment_ids": ids})
    except ServiceRefused as exc:
        return await _compose(request, message_id, draft, [{"message": exc.message}],
                              exc.status)
    return see_other(f"/staff/messages/{message_id}?done={action}")
