"""A unit's groups (pools): nurses, doctors, psychologists. Every unit gets them when the
mailbox first hears of it; a clinician belongs to the groups of their profession."""

from __future__ import annotations

import weakref

from sqlalchemy import String, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging.careunit import access
from services.messaging.careunit.tables import staff_away, staff_members, unit_groups
from services.messaging.domain import UNASSIGNED
from shared.auth import Principal

DEFAULT_GROUPS = (  # group_id, name, profession of its members
    ("nurses", "Sjuksköterskor", "nurse"),
    ("doctors", "Läkare", "doctor"),
    ("psychologists", "Psykologer", "psychologist"),
)

# The advice e-service asks whom the patient wants to reach (answer "recipient"); that
# choice puts the message in the matching pool.
ADVICE_RECIPIENT_GROUP = {"nurse": "nurses", "psychologist": "psychologists",
                          "psychiatrist": "psychologists", "doctor": "doctors"}


# Per transaction, the units whose groups it inserted itself (weakly: gone with it).
_inserted_by: weakref.WeakKeyDictionary[object, set[str]] = weakref.WeakKeyDictionary()


def _transaction(conn: AsyncConnection) -> object:
    """The connection's root transaction (a savepoint belongs to it); one always exists
    once a statement has run."""
    assert conn.sync_connection is not None
    transaction = conn.sync_connection.get_transaction()
    assert transaction is not None
    return transaction


async def ensure_groups(conn: AsyncConnection, unit_id: str) -> int:
    """Gives the unit its groups if it has none yet; returns how many rows were inserted."""
    inserted = len((await conn.execute(insert(unit_groups).values([
        {"care_unit_id": unit_id, "group_id": g, "name": n, "profession": p}
        for g, n, p in DEFAULT_GROUPS]).on_conflict_do_nothing()
        .returning(unit_groups.c.group_id))).all())
    if inserted:
        _inserted_by.setdefault(_transaction(conn), set()).add(unit_id)
    return inserted


class KnownGroups:
    """Units whose groups are known to be committed, so that `ensure` skips the insert for
    them (it ran on every routed message). A unit is remembered only when the insert found
    every row already there and none of them was inserted by the same transaction: an insert
    that meets a row of a transaction still in progress waits for it to end, so "nothing
    inserted" then means committed by someone (another transaction, process or replica), and
    the only other way to find them is an earlier insert of this very transaction, which may
    still roll back (a consumer's batch does) and is therefore not trusted. Nothing deletes
    a group (no code, no migration), so a remembered unit stays right for the life of the
    process, in every replica. One per mailbox (its handlers); bounded: past `limit` units
    the insert simply runs as before."""

    def __init__(self, limit: int = 100_000) -> None:
        self._known: set[str] = set()
        self._limit = limit

    def __contains__(self, unit_id: str) -> bool:
        return unit_id in self._known

    async def ensure(self, conn: AsyncConnection, unit_id: str) -> None:
        if unit_id in self._known:
            return
        if await ensure_groups(conn, unit_id) == 0 and len(self._known) < self._limit \
                and unit_id not in _inserted_by.get(_transaction(conn), ()):
            self._known.add(unit_id)


async def list_groups(conn: AsyncConnection, unit_id: str) -> list[dict]:
    rows = (await conn.execute(select(unit_groups.c.group_id, unit_groups.c.name).where(
        unit_groups.c.care_unit_id == unit_id).order_by(unit_groups.c.group_id))).all()
    return [dict(r._mapping) for r in rows]


async def group_exists(conn: AsyncConnection, unit_id: str, group_id: str) -> bool:
    return (await conn.execute(select(unit_groups.c.group_id).where(
        unit_groups.c.care_unit_id == unit_id, unit_groups.c.group_id == group_id))
    ).first() is not None


def groups_query(unit_id: str, staff_id: str):
    """The ids of the unit's groups `staff_id` belongs to, as a statement (also used as a
    subquery, so a clinician's inbox page is one statement)."""
    return select(unit_groups.c.group_id).join(
        staff_members, (staff_members.c.care_unit_id == unit_groups.c.care_unit_id)
        & (staff_members.c.profession == unit_groups.c.profession)).where(
        unit_groups.c.care_unit_id == unit_id, staff_members.c.staff_id == staff_id)


async def groups_of(conn: AsyncConnection, unit_id: str, staff_id: str) -> frozenset[str]:
    rows = (await conn.execute(groups_query(unit_id, staff_id))).all()
    return frozenset(r.group_id for r in rows)


async def groups_for(conn: AsyncConnection, staff: Principal, unit_id: str,
                     row) -> frozenset[str]:
    """`staff`'s groups as far as they can change an access decision on `row` (a case, or
    None): only a clinician of the unit looking at a case waiting in a group's pool needs
    them (access.clinician_sees, Case.may_answer); for everyone else the answer is the same
    with no groups, so the statement is skipped."""
    if row is None or row.status != UNASSIGNED or row.group_id is None \
            or not access.is_clinician(staff, unit_id):
        return frozenset()
    return await groups_of(conn, unit_id, staff.subject)


async def is_away(conn: AsyncConnection, unit_id: str, staff_id: str) -> bool:
    return bool((await conn.execute(select(staff_away.c.away).where(
        staff_away.c.care_unit_id == unit_id, staff_away.c.staff_id == staff_id))
    ).scalar_one_or_none())


# Taken with every assignment: built once (see cases.py).
_LOCK_CLINICIAN = select(func.pg_advisory_xact_lock(
    func.hashtextextended(bindparam("lock", type_=String), 0)))


async def lock_clinician(conn: AsyncConnection, unit_id: str, staff_id: str) -> None:
    """Serializes what concerns one clinician's availability (assigning to them, marking
    them away, reopening their case) until commit. Without it an assignment could commit
    just after "away" has swept their messages, leaving a message with someone away. Taken
    before any message row lock, in every path, so the two locks never deadlock."""
    await conn.execute(_LOCK_CLINICIAN, {"lock": f"clinician:{unit_id}:{staff_id}"})
