"""Staff logins and failed logins, for the audit log: one event through identity's outbox,
written in the login's own transaction (the one that counts failed attempts), so a login
is never without its record. The outbox is written synchronously here because the login
routes run on authlib's synchronous side; the relay publishes it as any other row."""

from __future__ import annotations

from sqlalchemy import Connection, select

from services.identity.tables import memberships, outbox, staff
from shared.events import Actor, EventData, Source, new_event
from shared.events.contracts import StaffLoggedIn, StaffLoginFailed
from shared.events.envelope import SYSTEM
from shared.events.topics import IDENTITY
from shared.outbox import Outbox

CHANNEL = "identity_outbox"  # services.identity.bootstrap's outbox
OUTBOX = Outbox(outbox, channel=CHANNEL)


def _staff(conn: Connection, hsa_id: str) -> tuple[str | None, list[str]]:
    staff_id = conn.scalar(select(staff.c.staff_id).where(staff.c.hsa_id == hsa_id))
    if staff_id is None:
        return None, []
    units = conn.scalars(select(memberships.c.unit_id)
                         .where(memberships.c.staff_id == staff_id)).all()
    return str(staff_id), sorted(units)


def record(conn: Connection, region: str, *, hsa_id: str, ok: bool, method: str,
           reason: str = "bad_credentials") -> None:
    staff_id, units = _staff(conn, hsa_id)
    data: EventData = (StaffLoggedIn(staff_id=staff_id, method=method, unit_ids=units)
                       if ok and staff_id else
                       StaffLoginFailed(staff_id=staff_id, reason=reason, unit_ids=units))
    key = staff_id or "unknown-staff"
    event = new_event(data, source=Source(service="identity", region=region), subject=key,
                      actor=Actor(id=staff_id, role="staff") if staff_id else SYSTEM)
    OUTBOX.enqueue_sync(conn, IDENTITY, key, event)
