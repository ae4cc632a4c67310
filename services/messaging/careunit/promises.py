"""The answer time a unit promises per e-service: its own setting (answer_promises) or the
default below, which follows what Swedish regions commonly promise on 1177."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging.careunit import access
from services.messaging.careunit.tables import answer_promises
from services.messaging.context import MailboxContext
from shared.auth import Principal
from shared.errors import CommandError

DEFAULT_DAYS = {
    "advice": 1, "renew_prescription": 3, "renew_sick_leave": 3, "book_appointment": 3,
    "change_appointment": 3, "order_record_copy": 14, "change_care_centre": 14,
}


# Read with every arriving message: built once (see cases.py).
_OWN_PROMISE = select(answer_promises.c.days).where(
    answer_promises.c.care_unit_id == bindparam("unit_id"),
    answer_promises.c.service_type == bindparam("service_type"))


async def promised_days(conn: AsyncConnection, unit_id: str, service_type: str) -> int | None:
    own = (await conn.execute(_OWN_PROMISE, {"unit_id": unit_id, "service_type": service_type})
           ).scalar_one_or_none()
    return own if own is not None else DEFAULT_DAYS.get(service_type)


async def set_promise(box: MailboxContext, staff: Principal, unit_id: str, service_type: str,
                      days: int) -> None:
    """The unit's own promise; it applies to messages received from now on (a message keeps
    the due time it arrived with)."""
    if not access.is_admin(staff, unit_id):
        raise CommandError(403, "message administrators only")
    if service_type not in DEFAULT_DAYS:
        raise CommandError(422, f"unknown e-service {service_type}")
    async with box.engine.begin() as conn:
        await conn.execute(insert(answer_promises).values(
            care_unit_id=unit_id, service_type=service_type, days=days)
            .on_conflict_do_update(index_elements=["care_unit_id", "service_type"],
                                   set_={"days": days}))
