"""What an audit record is about, read from its (already stripped) payload: the care units,
the patient (pseudonym), the member of staff, the message and the conversation. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.audit.domain import AuditEntry

OPENED = "messaging.message_opened"
DENIED = "messaging.access_denied"
ASSIGNED = "messaging.message_assigned"
POOLED = "messaging.message_pooled"
REVIEWED = "audit.access_reviewed"  # the audit service's own record of a review


@dataclass(frozen=True)
class Facts:
    units: list[str] = field(default_factory=list)
    patient_id: str | None = None
    staff_id: str | None = None
    message_id: str | None = None
    conversation_id: str | None = None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= 100 else None


def _units(summary: dict[str, Any]) -> list[str]:
    found = [summary.get("care_unit_id"), summary.get("unit_id")]
    found += [m.get("unit_id") for m in summary.get("memberships") or []
              if isinstance(m, dict)]
    found += list(summary.get("unit_ids") or [])
    return sorted({u for u in map(_text, found) if u})


def _staff(entry: AuditEntry) -> str | None:
    summary = entry.summary
    for key in ("staff_id", "clinician_id", "reviewer_id"):
        value = _text(summary.get(key))
        if value and not value.startswith("group:"):
            return value
    return entry.actor_id if entry.actor_role == "staff" else None


def facts_of(entry: AuditEntry) -> Facts:
    summary = entry.summary
    patient = _text(summary.get("patient_id")) or (
        entry.actor_id if entry.actor_role == "patient" else None)
    if entry.event_type == "notifier.notification_sent" and \
            summary.get("recipient_kind") == "patient":
        patient = _text(summary.get("recipient_ref"))
    return Facts(units=_units(summary), patient_id=patient, staff_id=_staff(entry),
                 message_id=_text(summary.get("message_id")),
                 conversation_id=_text(summary.get("conversation_id")))
