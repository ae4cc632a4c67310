"""Editing a form's draft: the item list (move up/down, remove), one item's page (type,
required, texts in both languages, answer options, conditions), and the preview in Swedish
or English where the designer can try answers against the draft (the forms service's
validation of the draft).

Each edit reads the draft, changes it (designer_draft.py, pure) and saves it whole; the
forms service checks it and a refusal is shown with the designer's input kept."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from services.forms.domain.model import FormDefinition
from services.gateway.ui import designer_draft as draft
from services.gateway.ui import eforms
from services.gateway.ui.designer import form_record, problems, unit_of
from services.gateway.ui.i18n import request_language
from services.gateway.ui.kit import ServiceRefused, _, _l, api, checked_form, render, see_other
from services.gateway.ui.staff.desk import known_unit_names
from services.gateway.ui.words import service_name

router = APIRouter(include_in_schema=False,
                   dependencies=[Depends(request_language), Depends(known_unit_names)])
BASE = "/designer/units/{unit_id}/forms/{form_id}"


async def _draft(request: Request, form_id: str) -> dict[str, Any]:
    return await api(request, "forms", "GET", f"/v1/forms/{form_id}/draft",
                     params={"format": "native"})


async def _save(request: Request, form_id: str, definition: dict[str, Any]) -> None:
    await api(request, "forms", "PUT", f"/v1/forms/{form_id}/draft",
              json={"definition": definition})


async def _editor(request: Request, unit_id: str, form_id: str, *,
                  errors: list[dict[str, Any]] | None = None, status: int = 200) -> Response:
    form = await form_record(request, unit_id, form_id)
    definition = await _draft(request, form_id)
    return render(request, "designer/editor.html", {
        "unit_id": unit_id, "form": form, "definition": definition,
        "rows": list(draft.walk(definition["items"])), "errors": errors or [],
        "service": service_name(form["service_type"]),
        "base": BASE.format(unit_id=unit_id, form_id=form_id)},
        title=_l("Edit the form"), status=status)


@router.get(BASE)
async def editor(request: Request, unit_id: str, form_id: str) -> Response:
    return await _editor(request, unit_of(request, unit_id), form_id[:64])


@router.post(BASE + "/items/{link_id}/{action}")
async def item_action(request: Request, unit_id: str, form_id: str, link_id: str,
                      action: str) -> Response:
    """Move an item up or down among its siblings, or remove it."""
    unit_id, form_id = unit_of(request, unit_id), form_id[:64]
    await checked_form(request)
    await form_record(request, unit_id, form_id)
    definition = await _draft(request, form_id)
    try:
        if action in ("up", "down"):
            changed = draft.move(definition, link_id, -1 if action == "up" else 1)
        elif action == "remove":
            changed = draft.remove(definition, link_id)
        else:
            raise HTTPException(404, "no such action")
        await _save(request, form_id, changed)
    except draft.EditError as exc:
        return await _editor(request, unit_id, form_id, errors=[{"message": _(str(exc))}],
                             status=422)
    except ServiceRefused as exc:
        return await _editor(request, unit_id, form_id, errors=problems(exc), status=422)
    return see_other(BASE.format(unit_id=unit_id, form_id=form_id) + f"#item-{link_id}")


def _item_page(request: Request, unit_id: str, form: dict[str, Any],
               definition: dict[str, Any], link_id: str | None, values: dict[str, Any],
               errors: list[dict[str, Any]], status: int = 200) -> Response:
    return render(request, "designer/item.html", {
        "unit_id": unit_id, "form": form, "link_id": link_id, "v": values, "errors": errors,
        "types": draft.ITEM_TYPES, "operators": draft.OPERATORS,
        "questions": draft.questions_before(definition, link_id),
        "base": BASE.format(unit_id=unit_id, form_id=form["form_id"])},
        title=_l("Add an item") if link_id is None else _l("Edit an item"), status=status)


def _values_of(item: dict[str, Any] | None) -> dict[str, Any]:
    """The item page's fields, from a saved item (or empty for a new one)."""
    item = item or {}
    text = item.get("text") or {}
    conditions = [{"question": c["question"], "operator": c["operator"],
                   "answer": draft.condition_text(c["answer"])}
                  for c in item.get("enable_when") or []]
    return {"link_id": item.get("link_id", ""), "type": item.get("type", "string"),
            "text_sv": text.get("sv", ""), "text_en": text.get("en", ""),
            "required": item.get("required", False), "repeats": item.get("repeats", False),
            "options": draft.options_text(item), "conditions": conditions,
            "enable_behavior": item.get("enable_behavior", "all")}


def _values_posted(fields: dict[str, list[str]]) -> dict[str, Any]:
    rows = zip(fields.get("cond_question", []), fields.get("cond_operator", []),
               fields.get("cond_answer", []), strict=False)
    one = {name: (fields.get(name) or [""])[0][:draft.TEXT_MAX]
           for name in ("link_id", "type", "text_sv", "text_en", "options", "enable_behavior")}
    return {**one, "required": "yes" in fields.get("required", []),
            "repeats": "yes" in fields.get("repeats", []),
            "conditions": [{"question": q, "operator": o, "answer": a}
                           for q, o, a in list(rows)[:draft.MAX_CONDITIONS] if q]}


@router.get(BASE + "/items/new")
async def new_item(request: Request, unit_id: str, form_id: str) -> Response:
    unit_id = unit_of(request, unit_id)
    form = await form_record(request, unit_id, form_id[:64])
    definition = await _draft(request, form["form_id"])
    return _item_page(request, unit_id, form, definition, None, _values_of(None), [])


@router.get(BASE + "/items/{link_id}")
async def edit_item(request: Request, unit_id: str, form_id: str, link_id: str) -> Response:
    unit_id = unit_of(request, unit_id)
    form = await form_record(request, unit_id, form_id[:64])
    definition = await _draft(request, form["form_id"])
    try:
        item = draft.find(definition, link_id)
    except draft.EditError as exc:
        raise HTTPException(404, "no such item") from exc
    return _item_page(request, unit_id, form, definition, link_id, _values_of(item), [])


@router.post(BASE + "/items/new")
async def add_item(request: Request, unit_id: str, form_id: str) -> Response:
    return await _put_item(request, unit_id, form_id, None)


@router.post(BASE + "/items/{link_id}")
async def save_item(request: Request, unit_id: str, form_id: str, link_id: str) -> Response:
    return await _put_item(request, unit_id, form_id, link_id)


async def _put_item(request: Request, unit_id: str, form_id: str,
                    link_id: str | None) -> Response:
    unit_id = unit_of(request, unit_id)
    fields = await checked_form(request)
    form = await form_record(request, unit_id, form_id[:64])
    definition = await _draft(request, form["form_id"])
    try:
        changed, saved_id = draft.put_item(definition, link_id, fields)
        await _save(request, form["form_id"], changed)
    except draft.EditError as exc:
        errors = [{"message": _(str(exc))}]
    except ServiceRefused as exc:
        errors = problems(exc)
    else:
        return see_other(BASE.format(unit_id=unit_id, form_id=form["form_id"])
                         + f"#item-{saved_id}")
    return _item_page(request, unit_id, form, definition, link_id, _values_posted(fields),
                      errors, status=422)


# -- preview ------------------------------------------------------------------------------

async def _preview(request: Request, unit_id: str, form_id: str, flang: str,
                   raw: dict[str, list[str]], errors: list[dict[str, Any]],
                   checked: bool = False, status: int = 200) -> Response:
    form = await form_record(request, unit_id, form_id)
    definition = FormDefinition.model_validate(await _draft(request, form_id))
    base = BASE.format(unit_id=unit_id, form_id=form_id)
    template = "designer/preview_form.html" if request.headers.get("hx-request") else \
        "designer/preview.html"
    # The whole page in the preview's language, as a patient choosing it would see it.
    return render(request, template, {
        "unit_id": unit_id, "form": form, "definition": definition, "flang": flang,
        "raw": raw, "on": eforms.enabled(definition, raw), "errors": errors,
        "field_errors": {e["link_id"]: e["message"] for e in errors if e.get("link_id")},
        "sources": eforms.condition_sources(definition), "checked": checked,
        "base": base, "action": f"{base}/preview/{flang}"},
        title=_l("Preview of the form"), status=status, lang=flang)


@router.get(BASE + "/preview/{flang}")
async def preview(request: Request, unit_id: str, form_id: str, flang: str) -> Response:
    if flang not in ("sv", "en"):
        raise HTTPException(404, "no such language")
    return await _preview(request, unit_of(request, unit_id), form_id[:64], flang, {}, [])


@router.post(BASE + "/preview/{flang}")
async def try_answers(request: Request, unit_id: str, form_id: str, flang: str) -> Response:
    """Apply the conditions to the answers tried, or check them against the draft."""
    if flang not in ("sv", "en"):
        raise HTTPException(404, "no such language")
    unit_id, form_id = unit_of(request, unit_id), form_id[:64]
    fields = await checked_form(request)
    definition = FormDefinition.model_validate(await _draft(request, form_id))
    raw = eforms.raw_values(definition, fields)
    if fields.one("action") != "validate":
        return await _preview(request, unit_id, form_id, flang, raw, [])
    answers = eforms.response(definition, raw, eforms.enabled(definition, raw))
    verdict = await api(request, "forms", "POST", f"/v1/forms/{form_id}/draft/validate",
                        json=answers, params={"lang": flang})
    errors = [{"link_id": e.get("link_id"), "message": e.get("message", ""),
               "anchor": f"q-{e['link_id']}" if e.get("link_id") else None}
              for e in verdict.get("errors", [])]
    return await _preview(request, unit_id, form_id, flang, raw, errors, checked=True,
                          status=422 if errors else 200)
