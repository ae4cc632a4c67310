"""Applying a catalogue to identity's database and telling the other services.

`apply` imports a catalogue (units, people, memberships) in one transaction: a *full* import
is the complete catalogue, so people missing from it are removed; a *merge* (the seed at
start-up) only adds and updates the people it lists. Every person touched is then
reconciled: their effective memberships today are written to `memberships` (what tokens
are issued from) and, when that differs from what the services were last told, exactly
one event goes to the outbox in the same transaction:

  StaffRegistered         first time the person holds anything
  StaffMembershipChanged  units, roles or profession changed (full new list), or reinstated
  StaffRevoked            removed from the catalogue, or their validity ended

`sweep` reconciles everyone with validity dates, so a date that passes takes effect
without an import (identity runs it periodically). Events carry pseudonymous ids only."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import delete, select, text, union, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.identity.catalogue import rules
from services.identity.catalogue.model import (
    Catalogue,
    CatalogueError,
    CatalogueStaff,
    CatalogueUnit,
    Validity,
)
from services.identity.catalogue.tables import catalogue_memberships, catalogue_staff
from services.identity.tables import care_units, memberships, staff
from shared.events import EventData, Source, new_event, topics
from shared.events.contracts import (
    CareUnitRegistered,
    StaffMembershipChanged,
    StaffRegistered,
    StaffRevoked,
    UnitMembership,
)
from shared.outbox import Outbox
from shared.staff_access import StaffState

_CATALOGUE_LOCK = 7342101  # the seeding lock: imports, seeding and sweeps never interleave


async def revoke_staff_sessions(conn: AsyncConnection, staff_id: uuid.UUID,
                                now: datetime) -> None:
    """End every OpenID Provider session of the person, so no refresh token of theirs mints
    another access token. (Access tokens already out are refused by the services through
    StaffRevoked.) Guarded: the provider's tables may not exist in an older database."""
    if (await conn.execute(text("SELECT to_regclass('oidc_sessions')"))).scalar() is None:
        return
    await conn.execute(text(
        "UPDATE oidc_sessions SET revoked_at = :now, revoked_reason = 'staff_revoked' "
        "WHERE subject = :sid AND kind = 'staff' AND revoked_at IS NULL"),
        {"now": now, "sid": str(staff_id)})


class CatalogueSync:
    def __init__(self, outbox: Outbox, source: Source) -> None:
        self._outbox, self._source = outbox, source

    async def apply(self, conn: AsyncConnection, catalogue: Catalogue, *, full: bool,
                    now: datetime | None = None) -> Counter[str]:
        """Counts of "registered", "changed", "revoked", "unchanged" and "units"."""
        now = now or datetime.now(UTC)
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CATALOGUE_LOCK})
        report: Counter[str] = Counter(units=await self._units(conn, catalogue.care_units))
        await self._check_units_known(conn, catalogue.staff)
        touched = [await self._upsert(conn, person) for person in catalogue.staff]
        if full:
            gone = await conn.execute(
                update(catalogue_staff).where(catalogue_staff.c.removed_at.is_(None),
                                              catalogue_staff.c.staff_id.not_in(touched))
                .values(removed_at=now).returning(catalogue_staff.c.staff_id))
            touched += list(gone.scalars())
        for staff_id in touched:
            report[await self.reconcile(conn, staff_id, now) or "unchanged"] += 1
        return report

    async def sweep(self, conn: AsyncConnection, now: datetime | None = None) -> Counter[str]:
        """Reconcile everyone whose own or membership validity is dated."""
        now = now or datetime.now(UTC)
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CATALOGUE_LOCK})
        dated = union(
            select(catalogue_staff.c.staff_id).where(
                (catalogue_staff.c.valid_from.is_not(None))
                | (catalogue_staff.c.valid_to.is_not(None))),
            select(catalogue_memberships.c.staff_id).where(
                (catalogue_memberships.c.valid_from.is_not(None))
                | (catalogue_memberships.c.valid_to.is_not(None))))
        report: Counter[str] = Counter()
        for staff_id in (await conn.execute(dated)).scalars().all():
            change = await self.reconcile(conn, staff_id, now)
            if change:
                report[change] += 1
        return report

    async def reconcile(self, conn: AsyncConnection, staff_id: uuid.UUID,
                        now: datetime) -> rules.Change | None:
        row = (await conn.execute(
            select(catalogue_staff, staff.c.profession)
            .join(staff, staff.c.staff_id == catalogue_staff.c.staff_id)
            .where(catalogue_staff.c.staff_id == staff_id)
            .with_for_update(of=catalogue_staff))).one()
        held = (await conn.execute(select(catalogue_memberships).where(
            catalogue_memberships.c.staff_id == staff_id))).all()
        removed = row.removed_at is not None
        target = rules.effective(
            Validity(valid_from=row.valid_from, valid_to=row.valid_to),
            [(m.unit_id, list(m.roles), Validity(valid_from=m.valid_from, valid_to=m.valid_to))
             for m in held], rules.today(now), removed=removed)
        await self._write_effective(conn, staff_id, target or {})
        announced = None if row.announced is None else rules.Announced(
            active=row.active, profession=row.announced["profession"],
            units=row.announced["units"])
        change = rules.decide(announced, row.profession, target)
        if change is None:
            return None
        values: dict = {"announced": {"profession": row.profession, "units": target or {}},
                        "active": target is not None, "updated_at": now}
        if change == "revoked":
            values["revoked_at"] = now
            await revoke_staff_sessions(conn, staff_id, now)
        await conn.execute(update(catalogue_staff)
                           .where(catalogue_staff.c.staff_id == staff_id).values(**values))
        await self._emit(conn, str(staff_id), self._event(
            change, str(staff_id), row.profession, target or {}, now,
            "removed" if removed else "expired"))
        return change

    def _event(self, change: rules.Change, staff_id: str, profession: str,
               units: rules.Units, now: datetime, reason: str) -> EventData:
        listed = [UnitMembership(unit_id=u, roles=r) for u, r in units.items()]  # type: ignore[arg-type]
        if change == "registered":
            return StaffRegistered(staff_id=staff_id, profession=profession, memberships=listed)
        if change == "changed":
            return StaffMembershipChanged(staff_id=staff_id, profession=profession,
                                          memberships=listed, changed_at=now)
        return StaffRevoked(staff_id=staff_id, reason=reason, revoked_at=now)  # type: ignore[arg-type]

    async def _emit(self, conn: AsyncConnection, staff_id: str, payload: EventData) -> None:
        # Keyed by the person, so their events keep their order on the partition.
        event = new_event(payload, source=self._source, subject=staff_id)
        await self._outbox.enqueue(conn, topics.IDENTITY, staff_id, event)

    async def _write_effective(self, conn: AsyncConnection, staff_id: uuid.UUID,
                               units: rules.Units) -> None:
        await conn.execute(delete(memberships).where(memberships.c.staff_id == staff_id))
        for unit_id, roles in units.items():
            await conn.execute(memberships.insert().values(staff_id=staff_id, unit_id=unit_id,
                                                           roles=roles))

    async def _units(self, conn: AsyncConnection, units: list[CatalogueUnit]) -> int:
        region = self._source.region
        foreign = sorted(u.unit_id for u in units if u.region != region)
        if foreign:
            raise CatalogueError(f"units of another region than {region}: {', '.join(foreign)}")
        known = set((await conn.execute(select(care_units.c.unit_id))).scalars())
        new = [u for u in units if u.unit_id not in known]
        for unit in new:
            await conn.execute(care_units.insert().values(**unit.model_dump()))
            await self._emit(conn, unit.unit_id, CareUnitRegistered(**unit.model_dump()))
        return len(new)

    async def _check_units_known(self, conn: AsyncConnection,
                                 people: list[CatalogueStaff]) -> None:
        known = set((await conn.execute(select(care_units.c.unit_id))).scalars())
        unknown = sorted({m.unit_id for p in people for m in p.memberships} - known)
        if unknown:
            raise CatalogueError(f"memberships in unknown care units: {', '.join(unknown)}")

    async def _upsert(self, conn: AsyncConnection, person: CatalogueStaff) -> uuid.UUID:
        details = person.model_dump(include={"given_name", "family_name", "profession",
                                             "email"})
        staff_id = (await conn.execute(select(staff.c.staff_id).where(
            staff.c.hsa_id == person.hsa_id))).scalar_one_or_none()
        if staff_id is None:
            # Random (v4): the pseudonym should reveal nothing, not even when.
            staff_id = uuid.uuid4()
            await conn.execute(staff.insert().values(staff_id=staff_id, hsa_id=person.hsa_id,
                                                     **details))
        else:
            await conn.execute(update(staff).where(staff.c.staff_id == staff_id)
                               .values(**details))
        window = {"valid_from": person.valid_from, "valid_to": person.valid_to}
        await conn.execute(insert(catalogue_staff).values(staff_id=staff_id, **window)
                           .on_conflict_do_update(index_elements=["staff_id"],
                                                  set_={**window, "removed_at": None}))
        await conn.execute(delete(catalogue_memberships).where(
            catalogue_memberships.c.staff_id == staff_id))
        for m in person.memberships:
            await conn.execute(catalogue_memberships.insert().values(
                staff_id=staff_id, unit_id=m.unit_id, roles=sorted(m.roles),
                valid_from=m.valid_from, valid_to=m.valid_to))
        return staff_id


async def access_state(conn: AsyncConnection, staff_id: str) -> StaffState | None:
    """identity's own answer for shared.staff_access: straight from the catalogue."""
    try:
        sid = uuid.UUID(staff_id)
    except ValueError:
        return None
    row = (await conn.execute(select(catalogue_staff.c.active, catalogue_staff.c.revoked_at)
                              .where(catalogue_staff.c.staff_id == sid))).first()
    if row is None:
        return None
    units = (await conn.execute(select(memberships.c.unit_id, memberships.c.roles)
                                .where(memberships.c.staff_id == sid))).all()
    return StaffState(units={u: list(r) for u, r in units}, revoked=not row.active,
                      not_before=row.revoked_at)
