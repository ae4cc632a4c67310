"""The form designer's pages: the unit's forms (draft, published, retired), starting a form
from a built-in template, publishing and retiring, and which e-services the unit offers and
to whom. Editing a draft is in designer_edit.py, importing FHIR in designer_import.py.

Every page calls the forms service with the designer's own token; every change is a POST
(CSRF-checked) answered with a redirect, so the pages work without JavaScript."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from services.gateway.ui import nav
from services.gateway.ui.i18n import request_language
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
from services.gateway.ui.staff.desk import known_unit_names
from services.gateway.ui.words import SERVICE_TYPES, service_name

router = APIRouter(include_in_schema=False,
                   dependencies=[Depends(request_language), Depends(known_unit_names)])
ROLE = "form_designer"
AUDIENCES = {"all_residents": _l("Everyone who lives in the region"),
             "listed_patients": _l("Only patients listed at the unit")}
nav.STAFF.append(nav.Link("/designer", _l("Forms"), ROLE))


def designer_units(request: Request) -> list[str]:
    session = require(request, kind="staff", role=ROLE)
    units = session.claims.get("units") or {}
    return sorted(u for u, roles in units.items() if ROLE in roles)


def unit_of(request: Request, unit_id: str) -> str:
    if unit_id not in designer_units(request):
        raise HTTPException(403, "not a form designer at this unit")
    return unit_id


def problems(exc: ServiceRefused) -> list[dict[str, Any]]:
    """What the service said was wrong, as error-summary entries. forms' definition checks
    are English technical texts (the service has no translations of them): shown after a
    sentence in the page's language, marked as English."""
    detail = exc.detail
    found: list[str] = []
    if isinstance(detail, dict):
        found = [p if isinstance(p, str) else str(p.get("message", p))
                 for p in detail.get("problems") or []] or [str(detail.get("reason", ""))]
    elif isinstance(detail, list):
        found = [f"{'.'.join(map(str, d.get('loc', [])[1:]))}: {d.get('msg', '')}"
                 for d in detail if isinstance(d, dict)]
    elif isinstance(detail, str):
        found = [detail]
    return [{"message": exc.message}] + [{"message": p, "lang": "en"} for p in found if p]


async def unit_forms(request: Request, unit_id: str) -> list[dict[str, Any]]:
    forms = await api(request, "forms", "GET", f"/v1/units/{unit_id}/forms")
    return sorted(forms, key=lambda f: service_name(f["service_type"]))


async def form_record(request: Request, unit_id: str, form_id: str) -> dict[str, Any]:
    found = next((f for f in await unit_forms(request, unit_id) if f["form_id"] == form_id),
                 None)
    if found is None:
        raise HTTPException(404, "no such form at this unit")
    return found


def status_text(form: dict[str, Any]) -> str:
    if form["retired"]:
        return _("Retired (version %(v)s stays readable)") % {"v": form["latest_version"]}
    if form["latest_version"] == 0:
        return _("Draft, never published")
    return _("Published, version %(v)s") % {"v": form["latest_version"]}


@router.get("/designer")
async def home(request: Request) -> Response:
    units = designer_units(request)
    if len(units) == 1:
        return see_other(f"/designer/units/{units[0]}")
    return render(request, "designer/units.html", {"units": units}, title=_l("Forms"))


@router.get("/designer/units/{unit_id}")
async def forms_page(request: Request, unit_id: str, done: str = "") -> Response:
    return await _forms(request, unit_of(request, unit_id), [], done=done[:20])


async def _forms(request: Request, unit_id: str, errors: list[dict[str, Any]], *,
                 done: str = "", status: int = 200) -> Response:
    forms = await unit_forms(request, unit_id)
    taken = {f["service_type"] for f in forms}
    startable = [(code, service_name(code)) for code in SERVICE_TYPES if code not in taken]
    return render(request, "designer/forms.html", {
        "unit_id": unit_id, "forms": forms, "startable": startable, "errors": errors,
        "status_text": status_text, "service_name": service_name, "done": done},
        title=_l("The unit's forms"), status=status)


@router.post("/designer/units/{unit_id}/forms")
async def start_form(request: Request, unit_id: str) -> Response:
    unit_id = unit_of(request, unit_id)
    service_type = (await checked_form(request)).one("service_type")
    if service_type not in SERVICE_TYPES:
        return await _forms(request, unit_id, [{"message": _("Choose an e-service."),
                                                "anchor": "service_type"}], status=422)
    try:
        form = await api(request, "forms", "POST", f"/v1/units/{unit_id}/forms",
                         json={"service_type": service_type})
    except ServiceRefused as exc:
        return await _forms(request, unit_id, problems(exc), status=422)
    return see_other(f"/designer/units/{unit_id}/forms/{form['form_id']}")


@router.post("/designer/units/{unit_id}/forms/{form_id}/publish")
async def publish(request: Request, unit_id: str, form_id: str) -> Response:
    return await _act(request, unit_id, form_id, "publish")


@router.post("/designer/units/{unit_id}/forms/{form_id}/retire")
async def retire(request: Request, unit_id: str, form_id: str) -> Response:
    return await _act(request, unit_id, form_id, "retire")


async def _act(request: Request, unit_id: str, form_id: str, action: str) -> Response:
    unit_id = unit_of(request, unit_id)
    await checked_form(request)
    form = await form_record(request, unit_id, form_id)
    try:
        await api(request, "forms", "POST", f"/v1/forms/{form['form_id']}/{action}")
    except ServiceRefused as exc:
        return await _forms(request, unit_id, problems(exc), status=422)
    return see_other(f"/designer/units/{unit_id}?done={action}")


# -- e-services the unit offers ---------------------------------------------------------

@router.get("/designer/units/{unit_id}/services")
async def services_page(request: Request, unit_id: str, saved: str = "") -> Response:
    unit_id = unit_of(request, unit_id)
    offered = await api(request, "forms", "GET", f"/v1/units/{unit_id}/services")
    chosen = {o["service_type"]: o["audience"] for o in offered}
    return await _services(request, unit_id, chosen, [], saved=bool(saved))


async def _services(request: Request, unit_id: str, chosen: dict[str, str],
                    errors: list[dict[str, Any]], *, saved: bool = False,
                    status: int = 200) -> Response:
    forms = await unit_forms(request, unit_id)
    offerable = [f for f in forms if f["latest_version"] > 0 and not f["retired"]]
    return render(request, "designer/services.html", {
        "unit_id": unit_id, "offerable": offerable, "chosen": chosen, "errors": errors,
        "audiences": AUDIENCES, "service_name": service_name, "saved": saved},
        title=_l("E-services the unit offers"), status=status)


@router.post("/designer/units/{unit_id}/services")
async def save_services(request: Request, unit_id: str) -> Response:
    unit_id = unit_of(request, unit_id)
    fields = await checked_form(request)
    chosen = {code: fields.one(f"audience.{code}", "all_residents")
              for code in fields.get("offer", [])[:len(SERVICE_TYPES)] if code in SERVICE_TYPES}
    offers = [{"service_type": code, "audience": audience if audience in AUDIENCES
               else "all_residents"} for code, audience in chosen.items()]
    try:
        await api(request, "forms", "PUT", f"/v1/units/{unit_id}/services",
                  json={"services": offers})
    except ServiceRefused as exc:
        return await _services(request, unit_id, chosen, problems(exc), status=422)
    return see_other(f"/designer/units/{unit_id}/services?saved=1")
