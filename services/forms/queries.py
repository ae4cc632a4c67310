"""Read-side use cases: drafts for designers; published versions, offered e-services and
answer validation for anyone logged in (patients fill the forms in, staff read messages)."""

from __future__ import annotations

from typing import Any

from services.forms import store
from services.forms.commands import designer_form
from services.forms.context import FormsContext
from services.forms.domain.model import Lang
from services.forms.domain.validate import FieldError, validate_response
from services.forms.store import FormRecord, VersionRecord
from shared.auth import Principal
from shared.errors import CommandError


async def draft(ctx: FormsContext, who: Principal, form_id: str) -> FormRecord:
    async with ctx.engine.connect() as conn:
        return await designer_form(conn, who, form_id)


async def unit_forms(ctx: FormsContext, who: Principal, unit_id: str) -> list[FormRecord]:
    if who.kind != "staff" or not who.units.get(unit_id):
        raise CommandError(403, "no role at this care unit")
    async with ctx.engine.connect() as conn:
        return await store.unit_forms(conn, unit_id)


async def version(ctx: FormsContext, form_id: str, number: int) -> VersionRecord:
    async with ctx.engine.connect() as conn:
        found = await store.version(conn, form_id, number)
    if found is None:
        raise CommandError(404, "no such form version")
    return found


async def offered(ctx: FormsContext, unit_id: str) -> list[dict[str, Any]]:
    """What a patient may use at the unit, with the form version to fill in."""
    async with ctx.engine.connect() as conn:
        offers = await store.offers(conn, unit_id)
        forms = [await store.form_for(conn, unit_id, o.service_type) for o in offers]
    return [{"service_type": o.service_type, "audience": o.audience,
             "form_id": f.form_id, "version": f.latest_version}
            for o, f in zip(offers, forms, strict=True) if f is not None]


async def validate(ctx: FormsContext, form_id: str, number: int, response: Any,
                   lang: Lang) -> tuple[VersionRecord, list[FieldError]]:
    found = await version(ctx, form_id, number)
    return found, validate_response(found.definition, response, lang=lang,
                                    canonical=versioned_canonical(ctx, form_id, number))


def versioned_canonical(ctx: FormsContext, form_id: str, number: int) -> str:
    """What a QuestionnaireResponse names as its form, if it names one."""
    return f"{ctx.canonical(form_id)}|{number}"
