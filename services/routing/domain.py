"""The routing decision, pure: which care unit gets a submitted message, or why none can.

The unit directory is a projection of identity.care_unit_registered: unit id -> the
e-services the unit offers, its region and whether it takes messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.events.contracts import (
    CareUnitRegistered,
    MessageRouted,
    MessageSubmitted,
    MessageUnroutable,
)

DirectoryEntry = Mapping[str, Any]  # {"services": [...], "region": str, "active": bool}


def directory_entry(unit: CareUnitRegistered) -> dict[str, Any]:
    """The table value kept per unit: only what routing needs (no names, no addresses)."""
    return {"services": sorted(unit.services), "region": unit.region, "active": True}


@dataclass(frozen=True)
class Routed:
    event: MessageRouted


@dataclass(frozen=True)
class Unroutable:
    event: MessageUnroutable


Decision = Routed | Unroutable


def decide(submission: MessageSubmitted, entry: DirectoryEntry | None) -> Decision:
    reason = _refusal(submission, entry)
    if reason is not None:
        return Unroutable(MessageUnroutable(
            conversation_id=submission.conversation_id, message_id=submission.message_id,
            care_unit_id=submission.care_unit_id, reason=reason))
    return Routed(MessageRouted(
        conversation_id=submission.conversation_id, message_id=submission.message_id,
        patient_id=submission.patient_id, care_unit_id=submission.care_unit_id,
        service_type=submission.service_type, sealed_body=submission.sealed_body,
        submitted_at=submission.submitted_at))


def _refusal(submission: MessageSubmitted, entry: DirectoryEntry | None) -> str | None:
    if entry is None:
        return "unknown care unit"
    if not entry.get("active", False):
        return "care unit does not take messages"
    if submission.service_type not in entry.get("services", ()):
        return f"care unit does not offer {submission.service_type}"
    return None
