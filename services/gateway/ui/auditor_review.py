"""The auditor's search within their units (patient, staff member, unit, time) with exports
(CSV, FHIR Bundle), and the log-review queue with its mark-reviewed form. The audit service
decides what an auditor may see; these pages only ask it.

A patient may be given by pseudonym or personnummer (the audit service resolves it through
identity); a member of staff by HSA-id (resolved here through the staff catalogue) or
pseudonym. Staff are shown by name and HSA-id, looked up in the catalogue at display time."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

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

router = APIRouter(include_in_schema=False, dependencies=[Depends(request_language)])
ROLE = "auditor"
PAGE_SIZE = 25
TZ = ZoneInfo("Europe/Stockholm")
nav.STAFF.append(nav.Link("/auditor/search", _l("Search by patient or staff"), ROLE))
nav.STAFF.append(nav.Link("/auditor/reviews", _l("Log review"), ROLE))
_HSA = re.compile(r"^SE[0-9A-Z]{5,}-[0-9A-Za-z]{1,40}$")
_PRINTABLE = re.compile(r"^[^\x00-\x1f]{0,100}$")
FIELDS = ("patient", "staff", "unit", "since", "until")


def audited_units(request: Request) -> list[str]:
    session = require(request, kind="staff", role=ROLE)
    return sorted(u for u, roles in (session.claims.get("units") or {}).items()
                  if ROLE in roles)


async def staff_cards(request: Request, *, staff_ids=(), hsa_ids=()) -> dict[str, dict]:
    ids, hsas = sorted(set(filter(None, staff_ids)))[:200], sorted(set(hsa_ids))[:200]
    if not ids and not hsas:
        return {}
    cards = await api(request, "identity", "POST", "/v1/staff/cards",
                      json={"staff_ids": ids, "hsa_ids": hsas})
    return {c["staff_id"]: c for c in cards} | {c["hsa_id"]: c for c in cards}


def _day(value: str, errors: list, anchor: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        errors.append({"message": _("Enter a date as YYYY-MM-DD."), "anchor": anchor})
        return None


async def _params(request: Request, v: dict[str, str], units: list[str],
                  errors: list) -> dict[str, Any]:
    for name in FIELDS:
        if not _PRINTABLE.match(v[name]):
            errors.append({"message": _("Search terms cannot hold control characters."),
                           "anchor": name})
    if v["unit"] and v["unit"] not in units:
        errors.append({"message": _("Choose one of the units you audit."), "anchor": "unit"})
    since, until = _day(v["since"], errors, "since"), _day(v["until"], errors, "until")
    if errors:
        return {}
    params: dict[str, Any] = {k: v[k] for k in ("patient", "unit") if v[k]}
    if v["staff"]:
        found = await staff_cards(request, hsa_ids=[v["staff"]]) if _HSA.match(v["staff"]) \
            else {}
        params["staff"] = found[v["staff"]]["staff_id"] if v["staff"] in found else v["staff"]
    if since:
        params["since"] = datetime.combine(since, time(0), TZ).isoformat()
    if until:  # through the whole day given
        params["until"] = datetime.combine(until + timedelta(days=1), time(0), TZ).isoformat()
    return params


def _values(request: Request) -> dict[str, str]:
    return {k: request.query_params.get(k, "").strip()[:100] for k in FIELDS}


@router.get("/auditor/search")
async def search(request: Request, after: int = 0) -> Response:
    units = audited_units(request)
    v = _values(request)
    errors: list[dict[str, Any]] = []
    params = await _params(request, v, units, errors)
    records: list[dict] = []
    next_after, cards = None, {}
    if not errors:
        try:
            page = await api(request, "audit", "GET", "/v1/search", params={
                **params, "after_seq": max(0, min(after, 2**62)), "limit": PAGE_SIZE})
            records, next_after = page["records"], page["next_after_seq"]
            cards = await staff_cards(request, staff_ids=[r["staff_id"] for r in records])
        except ServiceRefused as exc:
            errors.append({"message": exc.message, "anchor": "patient"})
    query = {k: val for k, val in v.items() if val}
    return render(request, "auditor/find.html", {
        "v": v, "units": units, "errors": errors, "records": records, "cards": cards,
        "after": after, "next_after": next_after, "query": query},
        title=_l("Search by patient or staff"), status=422 if errors else 200)


@router.get("/auditor/search/export.{kind}")
async def export(request: Request, kind: str) -> Response:
    if kind not in ("csv", "fhir"):
        raise HTTPException(404, "no such export")
    units = audited_units(request)
    errors: list = []
    params = await _params(request, _values(request), units, errors)
    if errors:
        raise HTTPException(422, errors[0]["message"])
    if kind == "csv":
        body = await api(request, "audit", "GET", "/v1/search/export.csv", params=params,
                         text=True)
        return Response(body, media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": 'attachment; filename="audit-records.csv"'})

    bundle = await api(request, "audit", "GET", "/v1/search/export.fhir", params=params)
    return Response(json.dumps(bundle, ensure_ascii=False), media_type="application/fhir+json",
                    headers={"Content-Disposition": 'attachment; filename="audit-bundle.json"'})


REVIEW_PAGE = 50  # newest first: the reads staff still remember; older ones on next pages


async def _review_page(request: Request, reviewed: bool, before: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {"reviewed": str(reviewed).lower(), "limit": REVIEW_PAGE,
                              "newest_first": "true"}
    if before is not None:
        params["before_seq"] = before
    page = await api(request, "audit", "GET", "/v1/reviews", params=params)
    items = page["items"]
    cards = await staff_cards(request, staff_ids=[i["staff_id"] for i in items]
                              + [i["reviewer_id"] for i in items])
    return {"items": items, "cards": cards, "reviewed": reviewed, "before": before,
            "next_before": page.get("next_before_seq"), "errors": []}


@router.get("/auditor/reviews")
async def reviews(request: Request, reviewed: bool = False,
                  before: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> Response:
    audited_units(request)
    return render(request, "auditor/reviews.html", await _review_page(request, reviewed, before),
                  title=_l("Log review"))


@router.post("/auditor/reviews/{seq}")
async def mark_reviewed(request: Request, seq: int) -> Response:
    audited_units(request)
    form = await checked_form(request)
    note = (form.one("note") or "").strip()
    if not 1 <= seq <= 2**62:
        raise HTTPException(404, "no such access")
    if not note or len(note) > 2000:
        context = await _review_page(request, False, seq + 1)  # the page with this read
        context["errors"] = [{"message": _("Write a note of at most 2000 characters."),
                              "anchor": f"note-{seq}"}]
        return render(request, "auditor/reviews.html", context, title=_l("Log review"),
                      status=422)
    await api(request, "audit", "POST", f"/v1/reviews/{seq}", json={"note": note})
    return see_other("/auditor/reviews?reviewed=false")
