"""Pure rules of the catalogue: what a person may do today, and which event (if any) tells
the other services about a change. No I/O, so the importer and the validity sweep share it.

Services learn a person's *effective* memberships (those valid today, of a person valid
today), never the validity dates themselves; identity re-announces when a date passes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from services.identity.catalogue.model import Validity

SWEDEN = ZoneInfo("Europe/Stockholm")  # validity dates are Swedish calendar dates

Units = dict[str, list[str]]
Change = Literal["registered", "changed", "revoked"]


def today(now: datetime) -> date:
    return now.astimezone(SWEDEN).date()


def effective(person: Validity, memberships: Iterable[tuple[str, list[str], Validity]],
              day: date, *, removed: bool) -> Units | None:
    """Unit -> roles the person holds on `day`; None when they hold nothing at all because
    they were removed from the catalogue or are outside their own validity."""
    if removed or not person.covers(day):
        return None
    return {unit: sorted(roles) for unit, roles, window in sorted(memberships, key=_unit)
            if window.covers(day)}


def _unit(membership: tuple[str, list[str], Validity]) -> str:
    return membership[0]


@dataclass(frozen=True)
class Announced:
    """What the other services were last told about a person."""

    active: bool
    profession: str
    units: Units


def decide(announced: Announced | None, profession: str, target: Units | None) -> Change | None:
    """The event that brings the services from `announced` to `target`, if any."""
    if target is None:
        return "revoked" if announced is not None and announced.active else None
    if announced is None:
        return "registered"
    if not announced.active:
        return "changed"  # reinstated: old tokens stay refused (their not_before is kept)
    if announced.units != target or announced.profession != profession:
        return "changed"
    return None
