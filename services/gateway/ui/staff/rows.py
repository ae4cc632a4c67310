"""Listings of the care-unit mailbox as pages: tolerant of a plain list or the paged
{"items", "next"} shape, rows decorated with names, and the cursor trail that gives keyset
paging a "previous" link without JavaScript or server state."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from services.gateway.ui.i18n import _, _l
from services.gateway.ui.words import service_name

PAGE_SIZE = 20
TRAIL_MAX = 20  # previous-page cursors carried in the link; older ones fall back to page 1
CURSOR_MAX = 300

CASE_STATUSES = {
    "unassigned": _l("Not assigned"), "assigned": _l("Assigned"), "answered": _l("Answered"),
    "waiting": _l("Waiting for the patient"), "closed": _l("Closed"),
}


def case_status(code: str | None) -> str:
    return _(CASE_STATUSES[code]) if code in CASE_STATUSES else (code or "")


def listing(body: Any) -> tuple[list[dict[str, Any]], str | None]:
    if isinstance(body, dict):
        return list(body.get("items") or []), body.get("next")
    return list(body or []), None


def age_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes = int(seconds) // 60
    days, hours = minutes // 1440, minutes % 1440 // 60
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes % 60}


def decorate(items: list[dict[str, Any]], people: dict[str, str],
             groups: dict[str, str]) -> list[dict[str, Any]]:
    for m in items:
        m["service_name"] = service_name(m.get("service_type", ""))
        m["status_name"] = case_status(m.get("status"))
        held = m.get("assigned_to")
        m["holder_name"] = (people.get(held) or held) if held else ""
        m["group_name"] = groups.get(m.get("group_id") or "", m.get("group_id") or "")
        m["age_text"] = age_text(m.get("age_seconds"))
    return items


class Pager:
    """Links to the next and previous pages of a keyset listing, keeping the filters."""

    def __init__(self, path: str, filters: dict[str, str], after: str | None,
                 trail: list[str], nxt: str | None) -> None:
        self.path, self.filters, self.after = path, filters, after or ""
        self.trail, self.nxt = trail[-TRAIL_MAX:], nxt

    def _url(self, after: str, trail: list[str]) -> str:
        query = {k: v for k, v in self.filters.items() if v}
        if after:
            query["after"] = after
        return f"{self.path}?{urlencode({**query, 'p': trail}, doseq=True)}"

    @property
    def next_url(self) -> str | None:
        return self._url(self.nxt, [*self.trail, self.after]) if self.nxt else None

    @property
    def previous_url(self) -> str | None:
        if not self.after:
            return None
        return self._url(self.trail[-1] if self.trail else "", self.trail[:-1])


def paging_params(query) -> tuple[str | None, list[str]]:
    after = (query.get("after") or "")[:CURSOR_MAX] or None
    trail = [p[:CURSOR_MAX] for p in query.getlist("p")][-TRAIL_MAX:]
    return after, trail
