"""The care-unit staff's pages: the message administrator's unit inbox (a pool with tabs,
filters and paging), distribution (assign, take back, reassign), the unanswered overview
and clinicians' away marks; the clinician's messages, answers and answer templates; a unit
chooser for people working at several units. Strings live in the `staff` catalog domain."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from services.gateway.ui import i18n, nav
from services.gateway.ui.i18n import _l
from services.gateway.ui.staff import (
    answer_templates,
    case,
    desk,
    files,
    inbox,
    people,
    promises,
    replies,
)

ADMIN, CLINICIAN = desk.ADMIN, desk.CLINICIAN


async def _in_page_language(request: Request) -> None:
    """Texts made by a handler (errors, conflicts) are in the page's language too, not only
    those the template renders (an async dependency: it runs in the handler's context)."""
    i18n.current.set(i18n.language_of(request))


router = APIRouter(include_in_schema=False, dependencies=[Depends(_in_page_language)])
for area in (desk, inbox, case, replies, people, answer_templates, promises, files):
    router.include_router(area.router)

nav.STAFF.extend([
    nav.Link("/staff/inbox", _l("Unit inbox"), ADMIN),
    nav.Link("/staff/unanswered", _l("Unanswered"), ADMIN),
    nav.Link("/staff/clinicians", _l("Clinicians"), ADMIN),
    nav.Link("/staff/promises", _l("Answer times"), ADMIN),
    nav.Link("/staff/mine", _l("My messages"), CLINICIAN),
    nav.Link("/staff/templates", _l("Answer templates"), CLINICIAN),
    nav.Link("/staff/templates", _l("Answer templates"), ADMIN),
])
