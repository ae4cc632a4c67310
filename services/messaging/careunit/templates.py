"""Answer templates at three levels: national (shipped with the service), the unit's own
(written by its message administrators) and personal (each clinician's own).

Variables: {unit_name}, {clinician_name}, {date}. The care-unit database holds no names of
people, so substitution is the UI's job when it puts a template into the answer box (it
knows the unit's and the signed-in person's names); this service only checks that a
template uses no other variable, so a typo cannot reach a patient as "{clinican_name}"."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging.careunit import access
from services.messaging.careunit.tables import answer_templates
from services.messaging.context import MailboxContext
from shared.auth import Principal
from shared.errors import CommandError
from shared.ids import uuid7

VARIABLES = frozenset({"unit_name", "clinician_name", "date"})
Level = Literal["unit", "personal"]

NATIONAL = [  # (template_id, title, text): shipped, the same in every region
    ("national-received", "Vi har tagit emot ditt ärende",
     ("Hej! Vi har tagit emot ditt ärende och återkommer så snart vi kan.\n\n"
     "Med vänliga hälsningar\n{clinician_name}\n{unit_name}")),
    ("national-prescription-renewed", "Receptet är förnyat",
     ("Hej! Ditt recept är förnyat {date} och finns hos apoteket.\n\n"
     "Med vänliga hälsningar\n{clinician_name}\n{unit_name}")),
    ("national-book-visit", "Boka besök",
     ("Hej! Vi behöver träffa dig för att kunna hjälpa dig. Ring oss eller boka en tid.\n\n"
     "Med vänliga hälsningar\n{clinician_name}\n{unit_name}")),
]


def unknown_variables(text: str) -> list[str]:
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:  # an unbalanced brace
        raise CommandError(422, f"template text: {exc}") from exc
    return sorted(n for n in used if n not in VARIABLES)


async def create(box: MailboxContext, staff: Principal, unit_id: str, *, level: Level,
                 title: str, text: str) -> dict:
    if level == "unit" and not access.is_admin(staff, unit_id):
        raise CommandError(403, "unit templates are written by message administrators")
    if not access.may_list(staff, unit_id):
        raise CommandError(403, "no role in this care unit")
    if unknown := unknown_variables(text) + unknown_variables(title):
        raise CommandError(422, f"unknown variables {unknown}; allowed: {sorted(VARIABLES)}")
    template_id = str(uuid7())
    async with box.engine.begin() as conn:
        await conn.execute(answer_templates.insert().values(
            template_id=template_id, level=level, care_unit_id=unit_id,
            owner_id=staff.subject if level == "personal" else None, title=title, text=text,
            created_at=datetime.now(UTC)))
    return {"template_id": template_id, "level": level, "title": title, "text": text}


async def remove(box: MailboxContext, staff: Principal, template_id: str) -> None:
    if re.fullmatch(r"national-.*", template_id):
        raise CommandError(403, "national templates cannot be deleted here")
    async with box.engine.begin() as conn:
        row = await _get(conn, template_id)
        allowed = row is not None and (
            (row.level == "unit" and access.is_admin(staff, row.care_unit_id))
            or (row.level == "personal" and row.owner_id == staff.subject))
        if not allowed:
            raise CommandError(404, "no such template of yours")
        await conn.execute(delete(answer_templates).where(
            answer_templates.c.template_id == template_id))


async def _get(conn: AsyncConnection, template_id: str):
    return (await conn.execute(select(answer_templates).where(
        answer_templates.c.template_id == template_id).with_for_update())).first()
