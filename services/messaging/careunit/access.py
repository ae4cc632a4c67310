"""Who may do what with a unit's messages (pure rules; checked by the service that owns
the data, whatever the UI shows)."""

from __future__ import annotations

from services.messaging.domain import UNASSIGNED, Case
from shared.auth import Principal
from shared.events.contracts import Role

ADMIN: Role = "message_administrator"
CLINICIAN: Role = "clinician"


def is_admin(staff: Principal, unit_id: str) -> bool:
    return staff.has_role(unit_id, ADMIN)


def is_clinician(staff: Principal, unit_id: str) -> bool:
    return staff.has_role(unit_id, CLINICIAN)


def clinician_sees(staff: Principal, unit_id: str, case: Case, groups: frozenset[str]) -> bool:
    """A clinician sees what they hold (or answered) and their groups' pools."""
    if not is_clinician(staff, unit_id):
        return False
    return case.assigned_to == staff.subject or (
        case.status == UNASSIGNED and case.group_id is not None and case.group_id in groups)


def reader_role(staff: Principal, unit_id: str, case: Case,
                groups: frozenset[str] = frozenset()) -> Role | None:
    """The role under which `staff` may read a message, or None. Administrators read to
    distribute; a clinician reads what they hold and what waits in their groups' pools. A
    person with both roles reads what they hold as its clinician (that is who answers)."""
    if clinician_sees(staff, unit_id, case, groups):
        return CLINICIAN
    if is_admin(staff, unit_id):
        return ADMIN
    return None


def may_list(staff: Principal, unit_id: str) -> bool:
    return is_admin(staff, unit_id) or is_clinician(staff, unit_id)
