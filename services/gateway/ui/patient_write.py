"""Writing to a care unit through one of its e-services: the form of the exact published
version (or a subject and text where the e-service has no form), conditions applied on the
server with an "update" button (htmx does the same on every change when JavaScript runs),
errors next to each field and summarised at the top, then POST-redirect-GET to the inbox.
Files can go with the message, checked as on a reply (each uploaded to the mailbox first; a
refused one is named next to the file field and nothing is sent)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from services.forms.domain.model import FormDefinition
from services.gateway.ui import eforms
from services.gateway.ui.attachments import ACCEPT, too_many, upload_all
from services.gateway.ui.forms import checked_form_with_files
from services.gateway.ui.i18n import language_of
from services.gateway.ui.kit import (
    ServiceRefused,
    _,
    _l,
    api,
    render,
    require,
    see_other,
)
from services.gateway.ui.words import service_name

router = APIRouter(include_in_schema=False)
EID_LOA = 3
TEXT_MAX, SUBJECT_MAX = 10_000, 200


async def _offer(request: Request, unit_id: str, service_type: str) -> tuple[dict, dict]:
    units = await api(request, "patient", "GET", "/v1/units")
    unit = next((u for u in units if u.get("unit_id") == unit_id), None)
    if unit is None:
        raise HTTPException(404, "unknown care unit")
    offers = await api(request, "patient", "GET", f"/v1/units/{unit_id}/services")
    offer = next((o for o in offers if o.get("service_type") == service_type), None)
    if offer is None:
        raise HTTPException(404, "the unit does not offer this e-service")
    return unit, offer


async def _definition(request: Request, offer: dict) -> FormDefinition | None:
    if not offer.get("form_id"):
        return None
    body = await api(request, "forms", "GET",
                     f"/v1/forms/{offer['form_id']}/versions/{int(offer['form_version'])}",
                     params={"format": "native"})
    return FormDefinition.model_validate(body)


def _page(request: Request, unit: dict, offer: dict, form: FormDefinition | None,
          raw: dict[str, list[str]], errors: list[dict[str, Any]], free: dict[str, str],
          status: int = 200) -> Response:
    lang = language_of(request)  # the form's own texts, in the page's language
    on = eforms.enabled(form, raw) if form else set()
    by_field = {e["link_id"]: e["message"] for e in errors if e.get("link_id")}
    template = "patient/write_form.html" if request.headers.get("hx-request") else \
        "patient/write.html"
    return render(request, template, {
        "unit": unit, "offer": offer, "service_name": service_name(offer["service_type"]),
        "form": form, "flang": lang, "raw": raw, "on": on, "errors": errors,
        "field_errors": by_field, "free": free, "sources": eforms.condition_sources(form),
        "action": f"/write/{unit['unit_id']}/{offer['service_type']}", "accept": ACCEPT},
        title=_l("Write to your care unit"), status=status)


@router.get("/write/{unit_id}/{service_type}")
async def write(request: Request, unit_id: str, service_type: str) -> Response:
    require(request, kind="patient", loa=EID_LOA)
    unit, offer = await _offer(request, unit_id[:100], service_type[:50])
    return _page(request, unit, offer, await _definition(request, offer), {}, [], {})


def _free_errors(free: dict[str, str]) -> list[dict[str, Any]]:
    errors = []
    if not free["text"]:
        errors.append({"link_id": "free-text", "anchor": "free-text",
                       "message": _("Write your message.")})
    if len(free["text"]) > TEXT_MAX or len(free["subject"]) > SUBJECT_MAX:
        errors.append({"link_id": "free-text", "anchor": "free-text",
                       "message": _("Your message is too long.")})
    return errors


async def _check(request: Request, offer: dict, form: FormDefinition,
                 answers: dict) -> list[dict[str, Any]]:
    verdict = await api(request, "forms", "POST",
                        f"/v1/forms/{offer['form_id']}/versions/{int(offer['form_version'])}"
                        "/validate", json=answers)
    return [{"link_id": e.get("link_id"), "anchor": f"q-{e['link_id']}" if e.get("link_id")
             else None, "message": e.get("message", "")} for e in verdict.get("errors", [])]


@router.post("/write/{unit_id}/{service_type}")
async def send(request: Request, unit_id: str, service_type: str) -> Response:
    require(request, kind="patient", loa=EID_LOA)
    most = request.app.state.settings.max_files_per_message
    fields, files = await checked_form_with_files(request, most + 1)
    unit, offer = await _offer(request, unit_id[:100], service_type[:50])
    form = await _definition(request, offer)
    raw = eforms.raw_values(form, fields) if form else {}
    free = {"subject": fields.one("subject").strip(), "text": fields.one("text").strip()}
    if fields.one("action") != "send":  # "update": apply the conditions, check nothing yet
        return _page(request, unit, offer, form, raw, [], free)
    body: dict[str, Any] = {"care_unit_id": unit["unit_id"], "service_type": service_type,
                            "subject": free["subject"][:SUBJECT_MAX]}
    if form is None:
        errors = _free_errors(free)
        body["text"] = free["text"]
    else:
        answers = eforms.response(form, raw, eforms.enabled(form, raw))
        errors = await _check(request, offer, form, answers)
        body |= {"form": {"form_id": offer["form_id"], "version": int(offer["form_version"])},
                 "answers": answers, "text": free["text"][:TEXT_MAX]}
    errors += too_many(request, files)
    if not errors and files:  # each file checked on its own; a refused one stops the message
        ids, errors = await upload_all(request, "patient", "/v1/attachments", files)
        body["attachment_ids"] = ids
    if not errors:
        try:
            created = await api(request, "patient", "POST", "/v1/conversations", json=body)
            return see_other(f"/inbox?sent=1#c-{created['conversation_id']}")
        except ServiceRefused as exc:
            errors = [{"link_id": e.get("link_id"), "anchor": f"q-{e['link_id']}"
                       if e.get("link_id") else None, "message": e.get("message", exc.message)}
                      for e in exc.errors] or [{"message": exc.message}]
    return _page(request, unit, offer, form, raw, errors, free, status=422)
