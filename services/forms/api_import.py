"""forms' HTTP API for FHIR: importing Questionnaires (alone or in a Bundle) and exporting
answers as a QuestionnaireResponse of an exact form version.

- POST /v1/fhir/import: analysis only (nothing is written). 200 with one entry per form found:
  status "importable" (with the native definition) or "refused", and its problems and
  warnings, each {code, where, feature, message} in the designer's language.
- POST /v1/units/{unit_id}/forms/import?service_type=: creates the unit's form for that
  e-service from one Questionnaire (201 {form, warnings}); 422 {reason, problems} if refused.
- PUT /v1/forms/{form_id}/draft/import: replaces a draft the same way (200 {form, warnings}).
- POST /v1/forms/{form_id}/versions/{version}/questionnaire-response: the answers as a
  QuestionnaireResponse referring to {canonical}|{version}; 422 with field errors if invalid.
- GET /v1/instruments and /v1/instruments/{id}?format=fhir|native: validated instruments
  (PHQ-9, GAD-7, AUDIT) with their licences, to start a form from.
`source_language` (default en) is the language of Questionnaires that do not state theirs."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from services.forms import commands, queries
from services.forms.context import ContextDep
from services.forms.domain.fhir_import import ImportedForm, import_resource
from services.forms.domain.fhir_response import to_questionnaire_response
from services.forms.domain.model import Lang
from services.forms.instruments import INSTRUMENTS, LICENCES
from services.forms.schemas import FormPublic, Version, language
from shared.auth import PrincipalDep, StaffDep
from shared.events.contracts import ServiceType

router = APIRouter(prefix="/v1")
LangDep = Annotated[Lang, Depends(language)]
SourceLanguage = Annotated[str, Query(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
                                      max_length=20)]
MAX_BYTES = 5 * 1024 * 1024


async def _json(request: Request) -> Any:
    body = await request.body()
    if len(body) > MAX_BYTES:
        raise HTTPException(413, f"at most {MAX_BYTES // (1024 * 1024)} MB")
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise HTTPException(422, "the body is not JSON") from exc


def _issues(issues: list, lang: Lang) -> list[dict[str, Any]]:
    return [i.public(lang) for i in issues]


def _entry(form: ImportedForm, lang: Lang) -> dict[str, Any]:
    definition = form.definition
    return {"label": form.label, "status": "importable" if definition else "refused",
            "title": definition.title.model_dump(mode="json") if definition else None,
            "definition": definition.model_dump(mode="json") if definition else None,
            "problems": _issues(form.problems, lang), "warnings": _issues(form.warnings, lang)}


def _one(forms: list[ImportedForm], lang: Lang) -> ImportedForm:
    if len(forms) != 1:
        raise HTTPException(422, {"reason": f"one Questionnaire per form; found {len(forms)}",
                                  "problems": []})
    if forms[0].definition is None:
        raise HTTPException(422, {"reason": "the Questionnaire cannot be supported",
                                  "problems": _issues(forms[0].problems, lang)})
    return forms[0]



@router.post("/fhir/import")
async def analyse(request: Request, _: StaffDep, lang: LangDep,
                  source_language: SourceLanguage = "en") -> dict[str, Any]:
    forms = import_resource(await _json(request), source_language=source_language)
    entries = [_entry(f, lang) for f in forms]
    return {"forms": entries,
            "importable": sum(e["status"] == "importable" for e in entries),
            "refused": sum(e["status"] == "refused" for e in entries)}


@router.post("/units/{unit_id}/forms/import", status_code=201)
async def import_form(unit_id: str, service_type: ServiceType, request: Request,
                      ctx: ContextDep, who: StaffDep, lang: LangDep,
                      source_language: SourceLanguage = "en") -> dict[str, Any]:
    imported = _one(import_resource(await _json(request), source_language=source_language),
                    lang)
    form = await commands.create_form(ctx, who, unit_id=unit_id, service_type=service_type,
                                      definition=imported.definition)
    return {"form": FormPublic.of(form).model_dump(mode="json"),
            "warnings": _issues(imported.warnings, lang)}


@router.put("/forms/{form_id}/draft/import")
async def import_draft(form_id: str, request: Request, ctx: ContextDep, who: StaffDep,
                       lang: LangDep, source_language: SourceLanguage = "en") -> dict[str, Any]:
    imported = _one(import_resource(await _json(request), source_language=source_language),
                    lang)
    assert imported.definition is not None
    form = await commands.update_draft(ctx, who, form_id, imported.definition)
    return {"form": FormPublic.of(form).model_dump(mode="json"),
            "warnings": _issues(imported.warnings, lang)}


@router.post("/forms/{form_id}/versions/{version}/questionnaire-response")
async def questionnaire_response(form_id: str, version: Version, request: Request,
                                 ctx: ContextDep, _: PrincipalDep,
                                 lang: LangDep) -> dict[str, Any]:
    answers = await _json(request)
    found, errors = await queries.validate(ctx, form_id, version, answers, lang)
    if errors:
        raise HTTPException(422, {"reason": "the answers are not valid for this form version",
                                  "errors": [e.__dict__ for e in errors]})
    return to_questionnaire_response(found.definition, answers,
                                     canonical=f"{ctx.canonical(form_id)}|{version}", lang=lang)


@router.get("/instruments")
async def instruments(_: StaffDep) -> list[dict[str, Any]]:
    """Validated instruments (PHQ-9, GAD-7, AUDIT) with their licences."""
    return [{"id": key, "title": form.title.model_dump(mode="json"), "licence": LICENCES[key]}
            for key, (_, form) in INSTRUMENTS.items()]


@router.get("/instruments/{key}")
async def instrument(key: str, _: StaffDep,
                     format: Literal["fhir", "native"] = "fhir") -> dict[str, Any]:
    if key not in INSTRUMENTS:
        raise HTTPException(404, "no such instrument")
    resource, form = INSTRUMENTS[key]
    return resource if format == "fhir" else form.model_dump(mode="json")
