"""Inbox handlers. Gives a newly registered care unit the built-in forms, published and offered, so the unit
can receive messages from its first day; its form designers customise from there.

Runs on identity.care_unit_registered. The forms use cases open their own transactions, so
the effect is not in the inbox transaction; every step is therefore idempotent (existing
forms, published versions and offers are left as they are) and a redelivery is harmless."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from services.forms import commands, store
from services.forms.context import FormsContext
from services.forms.store import Offer
from shared.auth import Principal
from shared.events import Envelope, EventData
from shared.events.contracts import CareUnitRegistered
from shared.inbox import Handler

ALL_RESIDENTS = "all_residents"


def provisioner(unit_id: str) -> Principal:
    """The system acting as the new unit's form designer (it has no designers yet)."""
    return Principal(subject="system:forms-provisioning", kind="staff", loa=3,
                     units={unit_id: [commands.DESIGNER]})


async def provision_unit(ctx: FormsContext, unit_id: str, services: list[str]) -> None:
    who = provisioner(unit_id)
    for service_type in services:
        async with ctx.engine.connect() as conn:
            form = await store.form_for(conn, unit_id, service_type)
        if form is None:
            form = await commands.create_form(ctx, who, unit_id=unit_id,
                                              service_type=service_type)
        if form.latest_version == 0:
            await commands.publish(ctx, who, form.form_id)
    async with ctx.engine.connect() as conn:
        already_offered = await store.offers(conn, unit_id)
    if not already_offered:  # never override what the unit's designers chose
        await commands.set_unit_services(
            ctx, who, unit_id, [Offer(s, ALL_RESIDENTS) for s in sorted(set(services))])


def build_handlers(ctx: FormsContext) -> dict[type[EventData], Handler]:
    async def unit_registered(_: AsyncConnection, __: Envelope, data: EventData) -> None:
        assert isinstance(data, CareUnitRegistered)  # the binding routes only these here
        await provision_unit(ctx, data.unit_id, list(data.services))

    return {CareUnitRegistered: unit_registered}
