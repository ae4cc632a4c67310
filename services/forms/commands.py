"""Form designers' use cases. Each runs in one transaction of forms' database (store functions
over its connection); events go to the outbox in that same transaction.

One form per unit and e-service: customising means editing its draft; publishing freezes the
draft as the next version; retiring stops new submissions (and stops offering the service)
while every version stays readable for the messages written against it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.forms import store
from services.forms.context import FormsContext
from services.forms.domain.model import DefinitionError, FormDefinition, check_definition
from services.forms.library import BUILTIN
from services.forms.store import FormRecord, Offer, VersionRecord
from shared.auth import Principal
from shared.errors import CommandError
from shared.events import Actor, new_event
from shared.events.contracts import FormPublished, FormRetired, OfferedService, UnitServicesChanged
from shared.events.topics import FORMS
from shared.ids import uuid7

DESIGNER = "form_designer"


def require_designer(who: Principal, unit_id: str) -> None:
    if not who.has_role(unit_id, DESIGNER):
        raise CommandError(403, "the form designer role at this care unit is required")


def checked(definition: FormDefinition) -> FormDefinition:
    try:
        return check_definition(definition)
    except DefinitionError as exc:
        raise CommandError(422, "the form definition is not valid", exc.problems) from exc


def content_hash(definition: FormDefinition) -> str:
    canonical = json.dumps(definition.model_dump(mode="json"), sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _actor(who: Principal) -> Actor:
    return Actor(id=who.subject, role="staff")


async def designer_form(conn: AsyncConnection, who: Principal, form_id: str, *,
                        for_update: bool = False) -> FormRecord:
    form = await store.form(conn, form_id, for_update=for_update)
    if form is None:
        raise CommandError(404, "no such form")
    require_designer(who, form.unit_id)
    return form


async def create_form(ctx: FormsContext, who: Principal, *, unit_id: str, service_type: str,
                      definition: FormDefinition | None = None) -> FormRecord:
    """A unit's form for an e-service, starting from the built-in template unless given."""
    require_designer(who, unit_id)
    draft = checked(definition or BUILTIN[service_type])
    form = FormRecord(form_id=str(uuid7()), unit_id=unit_id, service_type=service_type,
                      draft=draft, draft_updated_at=datetime.now(UTC))
    async with ctx.engine.begin() as conn:
        if await store.form_for(conn, unit_id, service_type) is not None:
            raise CommandError(409, f"this unit already has a form for {service_type}")
        await store.add_form(conn, form)
    return form


async def update_draft(ctx: FormsContext, who: Principal, form_id: str,
                       definition: FormDefinition) -> FormRecord:
    draft = checked(definition)
    async with ctx.engine.begin() as conn:
        form = await designer_form(conn, who, form_id, for_update=True)
        form = replace(form, draft=draft, draft_updated_at=datetime.now(UTC))
        await store.save_form(conn, form)
    return form


async def publish(ctx: FormsContext, who: Principal, form_id: str) -> tuple[VersionRecord, bool]:
    """Freeze the draft as the next version; (version, True if a new one was created).
    Publishing an unchanged draft returns the latest version (and re-activates a retired
    form) instead of minting a duplicate."""
    now = datetime.now(UTC)
    async with ctx.engine.begin() as conn:
        form = await designer_form(conn, who, form_id, for_update=True)
        digest = content_hash(form.draft)
        latest = await store.version(conn, form_id, form.latest_version)
        if latest is not None and latest.content_hash == digest:
            if form.retired_at is not None:
                await store.save_form(conn, replace(form, retired_at=None))
                await _announce(ctx, conn, who, latest, now)
            return latest, False
        version = VersionRecord(
            form_id=form_id, version=form.latest_version + 1, unit_id=form.unit_id,
            service_type=form.service_type, definition=form.draft, content_hash=digest,
            published_at=now, published_by=who.subject)
        await store.add_version(conn, version)
        await store.save_form(conn, replace(form, latest_version=version.version,
                                            retired_at=None))
        await _announce(ctx, conn, who, version, now)
    return version, True


async def _announce(ctx: FormsContext, conn: AsyncConnection, who: Principal,
                    v: VersionRecord, now: datetime) -> None:
    event = new_event(FormPublished(form_id=v.form_id, version=v.version, unit_id=v.unit_id,
                                    service_type=v.service_type, published_at=now),  # type: ignore[arg-type]
                      source=ctx.source, subject=v.form_id, actor=_actor(who))
    await ctx.outbox.enqueue(conn, FORMS, v.form_id, event)


async def retire(ctx: FormsContext, who: Principal, form_id: str) -> FormRecord:
    """No new submissions on this form; the unit stops offering its e-service too."""
    now = datetime.now(UTC)
    async with ctx.engine.begin() as conn:
        form = await designer_form(conn, who, form_id, for_update=True)
        if form.retired_at is not None:
            return form
        if form.latest_version == 0:
            raise CommandError(409, "a form that was never published cannot be retired")
        form = replace(form, retired_at=now)
        await store.save_form(conn, form)
        await ctx.outbox.enqueue(conn, FORMS, form_id, new_event(
            FormRetired(form_id=form_id, unit_id=form.unit_id,
                        service_type=form.service_type, retired_at=now),  # type: ignore[arg-type]
            source=ctx.source, subject=form_id, actor=_actor(who)))
        offers = await store.offers(conn, form.unit_id)
        remaining = [o for o in offers if o.service_type != form.service_type]
        if remaining != offers:
            await _change_offers(ctx, conn, who, form.unit_id, remaining, now)
    return form


async def set_unit_services(ctx: FormsContext, who: Principal, unit_id: str,
                            offers: list[Offer]) -> list[Offer]:
    """Replace the e-services the unit offers; each needs a published, active form."""
    require_designer(who, unit_id)
    if len({o.service_type for o in offers}) != len(offers):
        raise CommandError(422, "each e-service may be listed once")
    offers = sorted(offers, key=lambda o: o.service_type)
    async with ctx.engine.begin() as conn:
        for offer in offers:
            form = await store.form_for(conn, unit_id, offer.service_type)
            if form is None or form.latest_version == 0 or form.retired_at is not None:
                raise CommandError(409, f"{offer.service_type} has no published form here")
        if await store.offers(conn, unit_id) != offers:
            await _change_offers(ctx, conn, who, unit_id, offers, datetime.now(UTC))
    return offers


async def _change_offers(ctx: FormsContext, conn: AsyncConnection, who: Principal,
                         unit_id: str, offers: list[Offer], now: datetime) -> None:
    await store.set_offers(conn, unit_id, offers)
    services = [OfferedService(service_type=o.service_type, audience=o.audience)  # type: ignore[arg-type]
                for o in offers]
    await ctx.outbox.enqueue(conn, FORMS, unit_id, new_event(
        UnitServicesChanged(unit_id=unit_id, services=services, changed_at=now),
        source=ctx.source, subject=unit_id, actor=_actor(who)))
