"""Who may do what with a unit's messages (pure rules; checked by the service that owns
the data, whatever the UI shows)."""

from __future__ import annotations

from shared.auth import Principal

ADMIN = "message_administrator"
CLINICIAN = "clinician"


def is_admin(staff: Principal, unit_id: str) -> bool:
    return staff.has_role(unit_id, ADMIN)


def reader_role(staff: Principal, unit_id: str, assigned_to: str | None) -> str | None:
    """The role under which `staff` may read a message, or None. Administrators read to
    distribute; a clinician reads only what is assigned to them."""
    if is_admin(staff, unit_id):
        return ADMIN
    if staff.has_role(unit_id, CLINICIAN) and assigned_to == staff.subject:
        return CLINICIAN
    return None


def may_list(staff: Principal, unit_id: str) -> bool:
    return is_admin(staff, unit_id) or staff.has_role(unit_id, CLINICIAN)
