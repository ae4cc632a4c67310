"""The auditor's pages: searching the audit log (by subject, e.g. a patient's pseudonym or a
conversation, and by event type), paged oldest first; one record in full; and running the
hash-chain verification.

The audit service filters by subject and event type only; staff member, unit and time range
filters need the service to offer them first (see the report of this change)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from services.gateway.ui import nav
from services.gateway.ui.i18n import request_language
from services.gateway.ui.kit import _, _l, api, checked_form, render, require

router = APIRouter(include_in_schema=False, dependencies=[Depends(request_language)])
ROLE = "auditor"
PAGE_SIZE = 25
FILTER_MAX = 200
nav.STAFF.append(nav.Link("/auditor", _l("Audit log"), ROLE))
_PRINTABLE = re.compile(r"^[^\x00-\x1f]*$")


def _filters(subject: str, event_type: str) -> tuple[dict[str, str], list[dict[str, Any]]]:
    values = {"subject": subject.strip()[:FILTER_MAX],
              "event_type": event_type.strip()[:FILTER_MAX]}
    errors = [{"message": _("Search terms cannot hold control characters."),
               "anchor": name} for name, v in values.items() if not _PRINTABLE.match(v)]
    return values, errors


@router.get("/auditor")
async def search(request: Request, subject: str = "", event_type: str = "",
                 after: int = 0) -> Response:
    require(request, kind="staff", role=ROLE)
    values, errors = _filters(subject, event_type)
    after = max(0, min(after, 2**62))
    records, total, next_after = [], 0, None
    if not errors:
        params = {k: v for k, v in values.items() if v}
        page = await api(request, "audit", "GET", "/v1/records",
                         params={**params, "after_seq": after, "limit": PAGE_SIZE})
        total = (await api(request, "audit", "GET", "/v1/records/count", params=params))["count"]
        records, next_after = page["records"], page["next_after_seq"]
    return render(request, "auditor/search.html", {
        "v": values, "errors": errors,
        "records": records, "total": total, "after": after, "next_after": next_after,
        "query": {k: v for k, v in values.items() if v}},
        title=_l("Audit log"), status=422 if errors else 200)


@router.get("/auditor/records/{seq}")
async def record(request: Request, seq: int) -> Response:
    require(request, kind="staff", role=ROLE)
    if not 1 <= seq <= 2**62:
        raise HTTPException(404, "no such record")
    page = await api(request, "audit", "GET", "/v1/records",
                     params={"after_seq": seq - 1, "limit": 1})
    found = next((r for r in page["records"] if r["seq"] == seq), None)
    if found is None:
        raise HTTPException(404, "no such record")
    return render(request, "auditor/record.html", {"r": found},
                  title=_l("Audit record"))


@router.get("/auditor/verify")
async def verify_page(request: Request) -> Response:
    require(request, kind="staff", role=ROLE)
    return render(request, "auditor/verify.html", {"result": None},
                  title=_l("Verify the audit log"))


@router.post("/auditor/verify")
async def verify(request: Request) -> Response:
    """A POST although it changes nothing: it reads the whole log, so no link or crawler
    should start it."""
    require(request, kind="staff", role=ROLE)
    await checked_form(request)
    result = await api(request, "audit", "GET", "/v1/verify")
    return render(request, "auditor/verify.html", {"result": result},
                  title=_l("Verify the audit log"))
