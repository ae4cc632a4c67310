"""Importing a FHIR Questionnaire (R4 JSON) into the unit's forms: the designer pastes it,
picks the e-service, and the forms service analyses it (refusals and warnings come in the
designer's language, from forms itself). An importable Questionnaire becomes the e-service's
draft (a new form, or the existing form's draft replaced), to edit and publish as usual.

The JSON comes as a file (real Questionnaires are often larger than the gateway's general
body cap, so this route has its own, `max_import_bytes`) or pasted into a text area; the
page is a plain multipart form (CSRF-checked like every other) that works without
JavaScript. A chosen file wins over the text area."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from services.gateway.ui.designer import problems, unit_forms, unit_of
from services.gateway.ui.forms import checked_form_with_files
from services.gateway.ui.i18n import request_language
from services.gateway.ui.kit import ServiceRefused, _, _l, api, render
from services.gateway.ui.staff.desk import known_unit_names
from services.gateway.ui.words import SERVICE_TYPES, service_name

router = APIRouter(include_in_schema=False,
                   dependencies=[Depends(request_language), Depends(known_unit_names)])
LANG_TAG = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
FILE_FIELD = "questionnaire_file"


def _page(request: Request, unit_id: str, *, values: dict[str, str] | None = None,
          errors: list[dict[str, Any]] | None = None, analysis: dict | None = None,
          imported: dict | None = None, status: int = 200) -> Response:
    return render(request, "designer/import.html", {
        "unit_id": unit_id, "v": values or {"source_language": "en"}, "errors": errors or [],
        "analysis": analysis, "imported": imported,
        "max_kb": request.app.state.settings.max_import_bytes // 1024,
        "services": [(code, service_name(code)) for code in SERVICE_TYPES]},
        title=_l("Import a FHIR Questionnaire"), status=status)


@router.get("/designer/units/{unit_id}/import")
async def import_page(request: Request, unit_id: str) -> Response:
    return _page(request, unit_of(request, unit_id))


@router.post("/designer/units/{unit_id}/import")
async def import_questionnaire(request: Request, unit_id: str) -> Response:
    unit_id = unit_of(request, unit_id)
    fields, files = await checked_form_with_files(request, 1)
    values = {name: fields.one(name).strip() for name in
              ("questionnaire", "service_type", "source_language")}
    resource, errors = _resource(request, values["questionnaire"], files)
    if values["service_type"] not in SERVICE_TYPES:
        errors.append({"message": _("Choose an e-service."), "anchor": "service_type"})
    if errors:
        return _page(request, unit_id, values=values, errors=errors, status=422)
    params = {"source_language": values["source_language"] or "en"}
    try:
        analysis = await api(request, "forms", "POST", "/v1/fhir/import", json=resource,
                             params=params)
    except ServiceRefused as exc:
        return _page(request, unit_id, values=values, errors=problems(exc), status=422)
    if analysis["refused"] or analysis["importable"] != 1:
        message = _("The Questionnaire cannot be imported as it is. See what is not "
                    "supported below.") if analysis["refused"] else \
            _("Paste exactly one Questionnaire.")
        return _page(request, unit_id, values=values, analysis=analysis,
                     errors=[{"message": message}], status=422)
    return await _import(request, unit_id, values, resource, params, analysis)


def _resource(request: Request, pasted: str, files: list[tuple[str, bytes]]
              ) -> tuple[Any, list[dict[str, Any]]]:
    """The chosen file's JSON, else the pasted JSON; or the reason it cannot be read."""
    if not files and not pasted:
        return None, [{"message": _("Choose a Questionnaire file or paste its JSON."),
                       "anchor": FILE_FIELD}]
    if files:
        name, data = files[0]
        limit = request.app.state.settings.max_import_bytes
        if len(data) > limit:
            return None, [{"anchor": FILE_FIELD, "message": _(
                "%(name)s is too large: a Questionnaire file can be at most %(size)s kB.") % {
                "name": name[:200], "size": limit // 1024}}]
        try:
            return json.loads(data.decode("utf-8-sig")), []
        except ValueError:  # UnicodeDecodeError is a ValueError too
            return None, [{"anchor": FILE_FIELD, "message": _(
                "%(name)s is not a JSON file. Choose a FHIR Questionnaire saved as JSON.") % {
                "name": name[:200]}}]
    try:
        return json.loads(pasted), []
    except ValueError:
        return None, [{"message": _("Paste the Questionnaire as JSON."),
                       "anchor": "questionnaire"}]


async def _import(request: Request, unit_id: str, values: dict[str, str], resource: Any,
                  params: dict[str, str], analysis: dict) -> Response:
    existing = next((f for f in await unit_forms(request, unit_id)
                     if f["service_type"] == values["service_type"]), None)
    try:
        if existing is None:
            done = await api(request, "forms", "POST", f"/v1/units/{unit_id}/forms/import",
                             json=resource, params={**params,
                                                    "service_type": values["service_type"]})
        else:
            done = await api(request, "forms", "PUT",
                             f"/v1/forms/{existing['form_id']}/draft/import", json=resource,
                             params=params)
    except ServiceRefused as exc:
        return _page(request, unit_id, values=values, analysis=analysis,
                     errors=problems(exc), status=422)
    return _page(request, unit_id, analysis=analysis,
                 imported={**done, "replaced": existing is not None})
