"""Staff authorization against the CURRENT catalogue, not only the access token's claims.

A staff token says which units and roles its holder had when it was issued. Removing someone
from a unit, or revoking them, must reach every running session within 60 seconds, so each
service that owns data keeps a small projection of identity's staff events (this module's
table, filled by its inbox handlers) and narrows every staff principal to it:

- a token issued at or before the person's `not_before` (their last revocation) is refused;
- a revoked person is refused;
- otherwise the token's units and roles are intersected with the current memberships, so a
  token can only lose rights (new rights arrive with the next token).

A person the projection has not heard of yet (their registration is still on its way) keeps
the token's claims: identity issued them from its catalogue a few minutes ago at most.

Services wire it in their composition root: `app.state.staff_access = StaffAccess(...)`;
shared.auth.current_principal then applies it to every staff request. Look-ups are cached
in-process for a few seconds (at most 5), which bounds how stale a decision can be."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import HTTPException
from sqlalchemy import JSON, Boolean, Column, DateTime, MetaData, String, Table, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.auth import InvalidToken, Principal
from shared.events import Envelope, EventData
from shared.events.contracts import (
    CareUnitRegistered,
    ContactSettingsChanged,
    ContactVerificationRequested,
    PatientActivated,
    PatientRegistered,
    StaffLoggedIn,
    StaffLoginFailed,
    StaffMembershipChanged,
    StaffRegistered,
    StaffRevoked,
)
from shared.inbox import Handler

CACHE_TTL_S = 3.0  # staleness bound of one replica's decisions (the requirement: <= 5 s)
_CACHE_MAX = 10_000

# Wire names: deprecated, for handler maps not yet keyed by contract class (messaging).
REGISTERED = "identity.staff_registered.v1"
MEMBERSHIP_CHANGED = "identity.staff_membership_changed.v1"
REVOKED = "identity.staff_revoked.v1"


def define_staff_access(metadata: MetaData) -> Table:
    return Table(
        "staff_access", metadata,
        Column("staff_id", String(100), primary_key=True),
        Column("units", JSON, nullable=False),  # unit id -> roles, as now in the catalogue
        Column("revoked", Boolean, nullable=False),
        # Tokens issued at or before this instant are refused (set by a revocation, kept
        # when the person is reinstated, so their old tokens stay dead).
        Column("not_before", DateTime(timezone=True)),
        Column("updated_at", DateTime(timezone=True), nullable=False,
               server_default=func.now()),
    )


@dataclass(frozen=True)
class StaffState:
    units: dict[str, list[str]]
    revoked: bool = False
    not_before: datetime | None = None


class Revoked(InvalidToken):
    """The token belongs to a revoked person, or predates their revocation (answered 401)."""


Loader = Callable[[AsyncConnection, str], Awaitable[StaffState | None]]


def narrow(principal: Principal, state: StaffState | None) -> Principal:
    """`principal` limited to what the current catalogue still grants (pure)."""
    if state is None or principal.kind != "staff":
        return principal
    if state.revoked:
        raise Revoked("staff member is revoked")
    if state.not_before is not None and (
            principal.issued_at is None or principal.issued_at <= state.not_before.timestamp()):
        raise Revoked("token issued before the staff member's revocation")
    units = {}
    for unit_id, roles in principal.units.items():
        kept = [r for r in roles if r in state.units.get(unit_id, [])]
        if kept:
            units[unit_id] = kept
    return principal if units == principal.units else principal.model_copy(
        update={"units": units})


# the projection: written by inbox handlers, read by StaffAccess ---------------------------

async def set_memberships(conn: AsyncConnection, table: Table, staff_id: str,
                          units: dict[str, list[str]]) -> None:
    await conn.execute(insert(table).values(staff_id=staff_id, units=units, revoked=False)
                       .on_conflict_do_update(index_elements=["staff_id"], set_={
                           "units": units, "revoked": False, "updated_at": func.now()}))


async def revoke(conn: AsyncConnection, table: Table, staff_id: str, at: datetime) -> None:
    await conn.execute(insert(table).values(staff_id=staff_id, units={}, revoked=True,
                                            not_before=at)
                       .on_conflict_do_update(index_elements=["staff_id"], set_={
                           "units": {}, "revoked": True, "not_before": at,
                           "updated_at": func.now()}))


def units_of(data: StaffRegistered | StaffMembershipChanged) -> dict[str, list[str]]:
    return {m.unit_id: list(m.roles) for m in data.memberships}


# The identity events that a consumer interested only in authorization does not handle.
NOT_INTERESTED = (CareUnitRegistered, PatientRegistered, PatientActivated,
                  ContactVerificationRequested, ContactSettingsChanged, StaffLoggedIn,
                  StaffLoginFailed)


def build_handlers(table: Table) -> dict[type[EventData], Handler]:
    """Inbox handlers for a service whose only interest in identity is authorization."""
    async def membership(conn: AsyncConnection, _: Envelope, data: EventData) -> None:
        assert isinstance(data, StaffRegistered | StaffMembershipChanged)
        await set_memberships(conn, table, data.staff_id, units_of(data))

    async def revoked(conn: AsyncConnection, _: Envelope, data: EventData) -> None:
        assert isinstance(data, StaffRevoked)
        await revoke(conn, table, data.staff_id, data.revoked_at)

    return {StaffRegistered: membership, StaffMembershipChanged: membership,
            StaffRevoked: revoked}


def projection_loader(table: Table) -> Loader:
    async def load(conn: AsyncConnection, staff_id: str) -> StaffState | None:
        row = (await conn.execute(select(table).where(table.c.staff_id == staff_id))).first()
        if row is None:
            return None
        return StaffState(units={u: list(r) for u, r in row.units.items()},
                          revoked=row.revoked, not_before=row.not_before)
    return load


class StaffAccess:
    """Narrows staff principals to the current catalogue, with a short in-process cache."""

    def __init__(self, engine: AsyncEngine, load: Loader, *, ttl_s: float = CACHE_TTL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._engine, self._load, self._ttl, self._clock = engine, load, ttl_s, clock
        self._cache: dict[str, tuple[float, StaffState | None]] = {}

    async def state(self, staff_id: str) -> StaffState | None:
        now = self._clock()
        cached = self._cache.get(staff_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            async with self._engine.connect() as conn:
                state = await self._load(conn, staff_id)
        except (OperationalError, OSError) as exc:  # fail closed, and say why
            raise HTTPException(503, "staff catalogue unavailable") from exc
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[staff_id] = (now + self._ttl, state)
        return state

    async def authorize(self, principal: Principal) -> Principal:
        if principal.kind != "staff":
            return principal
        return narrow(principal, await self.state(principal.subject))
