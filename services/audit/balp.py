"""An audit record as a FHIR R4 AuditEvent, following IHE Basic Audit Log Patterns (BALP):
the shape of the auditors' stream (docs/audit-stream.md, schemas/audit-stream/). Pure.

People are named by pseudonym only (the patient's and the staff member's ids in this
system); care units by their HSA-id. A consumer that needs a staff member's HSA-id or name
looks the pseudonym up in the staff catalogue."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from services.audit.domain import AuditEntry
from services.audit.facts import Facts

PROFILE = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit"
PROFILE_READ = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.Read"
PROFILE_LOGIN = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.Login"
SYS = "urn:mina-vardkontakter:"
HSA = "urn:oid:1.2.752.29.4.19"  # HSA-id (Inera), for care units
EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
DCM = "http://dicom.nema.org/resources/ontology/DCM"
RESTFUL = "http://hl7.org/fhir/restful-interaction"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
AGENT_TYPE = "http://terminology.hl7.org/CodeSystem/extra-security-role-type"

_REST = {"system": EVENT_TYPE, "code": "rest", "display": "RESTful Operation"}
_AUTH = {"system": DCM, "code": "110114", "display": "User Authentication"}
# wire type -> (AuditEvent.type, action, restful subtype, outcome)
_KINDS: dict[str, tuple[dict, str, str | None, str]] = {
    "messaging.message_opened": (_REST, "R", "read", "0"),
    "messaging.access_denied": (_REST, "R", "read", "4"),
    "identity.staff_logged_in": (_AUTH, "E", None, "0"),
    "identity.staff_login_failed": (_AUTH, "E", None, "4"),
    "audit.access_reviewed": (_REST, "U", "update", "0"),
}
_CREATES = ("registered", "submitted", "published", "received", "routed", "sent", "replied",
            "delivered", "requested", "activated")


def _kind(event_type: str) -> tuple[dict, str, str | None, str]:
    if event_type in _KINDS:
        return _KINDS[event_type]
    verb = event_type.rpartition("_")[2]
    if verb in _CREATES or event_type.endswith(_CREATES):
        return _REST, "C", "create", "0"
    if event_type.endswith(("revoked", "retired")):
        return _REST, "D", "delete", "0"
    return _REST, "U", "update", "0"


def _ident(system: str, value: str) -> dict[str, Any]:
    return {"identifier": {"system": system, "value": value}}


def _agent(entry: AuditEntry, facts: Facts) -> list[dict[str, Any]]:
    staff = facts.staff_id or (entry.actor_id if entry.actor_role == "staff" else None)
    if staff is not None:
        role = entry.summary.get("staff_role") or entry.actor_role
        return [{"type": {"coding": [{"system": AGENT_TYPE, "code": "humanuser",
                                      "display": "human user"}]},
                 "who": _ident(SYS + "staff", staff), "requestor": True,
                 "role": [{"coding": [{"system": SYS + "role", "code": str(role)}]}]}]
    kind = entry.actor_role  # patient or system
    return [{"type": {"coding": [{"system": AGENT_TYPE, "code": "humanuser" if
                                  kind == "patient" else "dataprocessor"}]},
             "who": _ident(SYS + kind, entry.actor_id), "requestor": True}]


def _entities(facts: Facts, unit: str | None) -> list[dict[str, Any]]:
    entities = []
    if facts.patient_id:
        entities.append({"what": _ident(SYS + "patient", facts.patient_id),
                         "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
                         "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"}})
    for name, value in (("message", facts.message_id), ("conversation",
                                                         facts.conversation_id)):
        if value:
            entities.append({"what": _ident(SYS + name, value),
                             "type": {"system": ENTITY_TYPE, "code": "2",
                                      "display": "System Object"},
                             "role": {"system": OBJECT_ROLE, "code": "4",
                                      "display": "Domain Resource"}})
    if unit:
        entities.append({"what": _ident(HSA, unit),
                         "type": {"system": ENTITY_TYPE, "code": "3",
                                  "display": "Organization"}})
    return entities


def audit_event(entry: AuditEntry, facts: Facts, unit: str | None, *,
                resource_id: str) -> dict[str, Any]:
    """The AuditEvent of `entry` as seen by `unit` (one per unit the record concerns)."""
    type_, action, restful, outcome = _kind(entry.event_type)
    subtype = [{"system": SYS + "event-type",
                "code": f"{entry.event_type}.v{entry.event_version}"}]
    if restful:
        subtype.insert(0, {"system": RESTFUL, "code": restful})
    elif entry.event_type.startswith("identity.staff_log"):
        subtype.insert(0, {"system": DCM, "code": "110122", "display": "Login"})
    profile = PROFILE_READ if action == "R" else PROFILE_LOGIN if type_ is _AUTH else PROFILE
    return {
        "resourceType": "AuditEvent", "id": resource_id, "meta": {"profile": [profile]},
        "type": type_, "subtype": subtype, "action": action,
        "period": {"start": entry.occurred_at.astimezone(UTC).isoformat()},
        "recorded": entry.recorded_at.astimezone(UTC).isoformat(),
        "outcome": outcome,
        "agent": _agent(entry, facts),
        "source": {"site": entry.source_region,
                   "observer": {"display": entry.source_service},
                   "type": [{"system": SOURCE_TYPE, "code": "4",
                             "display": "Application Server"}]},
        "entity": _entities(facts, unit),
    }
