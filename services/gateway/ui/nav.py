"""Navigation by who is logged in: the patient's pages, or one group per staff role.

Areas register their links here, so the base layout stays one file."""

from __future__ import annotations

from dataclasses import dataclass

from services.gateway.session import Session
from services.gateway.ui.i18n import _l


@dataclass(frozen=True)
class Link:
    path: str
    label: str  # msgid, translated when rendered
    role: str | None = None  # staff role needed; None: every person of the kind


PATIENT: list[Link] = [Link("/start", _l("Start")), Link("/inbox", _l("Inbox")),
                       Link("/sent", _l("Sent")), Link("/archived", _l("Archived")),
                       Link("/settings", _l("Contact settings"))]
# Filled by the staff, designer and auditor areas (role -> links).
STAFF: list[Link] = []


def links(session: Session | None) -> list[Link]:
    if session is None:
        return []
    if session.kind == "patient":
        return PATIENT
    roles = {r for rs in (session.claims.get("units") or {}).values() for r in rs}
    shown = [link for link in STAFF if link.role is None or link.role in roles]
    # A page offered to several roles is listed once for a person who has more than one.
    return [link for n, link in enumerate(shown)
            if link.path not in {other.path for other in shown[:n]}]
