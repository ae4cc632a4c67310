"""The routing decision, pure: which care unit gets a submitted message, or why none can.

The unit directory is a projection: identity.care_unit_registered makes a unit known and
active (with the e-services it registered with); forms.unit_services_changed, once a unit
has one, is the authority on which e-services it offers now. The two topics are not ordered
with respect to each other, so either may arrive first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.events.contracts import (
    CareUnitRegistered,
    MessageRouted,
    MessageSubmitted,
    MessageUnroutable,
    UnitServicesChanged,
)

# {"services": [...], "region": str | None, "active": bool,
#  "offered": [...] | None, "offered_at": iso str | None}  (no names, no addresses)
DirectoryEntry = Mapping[str, Any]
_EMPTY: dict[str, Any] = {"services": [], "region": None, "active": False,
                          "offered": None, "offered_at": None}


def directory_entry(unit: CareUnitRegistered,
                    current: DirectoryEntry | None = None) -> dict[str, Any]:
    """The entry after a registration; keeps a forms snapshot that arrived first."""
    return {**_EMPTY, **(current or {}), "services": sorted(unit.services),
            "region": unit.region, "active": True}


def with_offered_services(snapshot: UnitServicesChanged,
                          current: DirectoryEntry | None) -> dict[str, Any] | None:
    """The entry after a forms snapshot, or None when the snapshot is older than the one
    already applied (a redelivery must not roll the offer back)."""
    entry = {**_EMPTY, **(current or {})}
    changed_at = _utc(snapshot.changed_at).isoformat()  # one zone, so strings compare
    if entry["offered_at"] is not None and changed_at <= entry["offered_at"]:
        return None
    offered = sorted({s.service_type for s in snapshot.services})
    return {**entry, "offered": offered, "offered_at": changed_at}


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def offered_services(entry: DirectoryEntry) -> list[str]:
    offered = entry.get("offered")
    return list(offered) if offered is not None else list(entry.get("services", ()))


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
    if submission.service_type not in offered_services(entry):
        return f"care unit does not offer {submission.service_type}"
    return None
