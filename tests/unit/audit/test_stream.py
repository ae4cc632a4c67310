"""The auditors' stream record: BALP-shaped AuditEvents that validate against the committed
JSON Schema (as the example consumer checks them) and against FHIR R4B's AuditEvent model;
what a record is about (facts); and the review rules."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import jsonschema
import pytest
from fhir.resources.R4B.auditevent import AuditEvent

from examples.audit_consumer import validator
from services.audit.balp import audit_event
from services.audit.domain import entry_from
from services.audit.facts import facts_of
from services.audit.review import ReviewPolicy, reasons
from shared.events import Actor, Source, new_event
from shared.events.contracts import (
    AccessDenied,
    AuditEventRecorded,
    MessageOpened,
    PatientRegistered,
    StaffLoginFailed,
    StaffRegistered,
    UnitMembership,
)
from shared.kafka import encode

SOURCE = Source(service="careunit-mailbox", region="stockholm")
STAFF = Actor(id="staff-1", role="staff")
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # a Tuesday, 11:00 in Stockholm


def entry(data, actor=STAFF, seq=7):
    return entry_from(new_event(data, source=SOURCE, subject="c-1", actor=actor),
                      seq=seq, recorded_at=NOW)


OPENED = MessageOpened(conversation_id="c-1", message_id="m-1", care_unit_id="U1",
                       staff_id="staff-1", staff_role="clinician", patient_id="p-1",
                       access_basis="assigned")
SAMPLES = [OPENED, AccessDenied(message_id="m-1", conversation_id="c-1", care_unit_id="U1",
                                patient_id="p-1", staff_id="staff-9", operation="open"),
           PatientRegistered(patient_id="p-1"),
           StaffRegistered(staff_id="staff-1", profession="doctor", memberships=[
               UnitMembership(unit_id="U1", roles=["clinician"]),
               UnitMembership(unit_id="U2", roles=["auditor"])]),
           StaffLoginFailed(staff_id="staff-1", reason="bad_totp", unit_ids=["U1"])]


@pytest.mark.parametrize("data", SAMPLES, ids=lambda d: d.event_type)
def test_every_stream_record_validates_against_the_schema_and_fhir(data) -> None:
    record = entry(data)
    facts = facts_of(record)
    for unit in facts.units or [None]:
        rid = str(uuid.uuid4())
        resource = audit_event(record, facts, unit, resource_id=rid)
        AuditEvent.model_validate(resource)  # FHIR R4(B) AuditEvent
        value = json.loads(encode(new_event(AuditEventRecorded(
            seq=7, record_event_id=record.event_id, unit_id=unit, resource=resource),
            source=Source(service="audit", region="stockholm"), subject=unit or "-")))
        validator().validate(value)
        assert "personnummer" not in json.dumps(value)


def test_a_staff_read_names_patient_staff_message_and_unit() -> None:
    facts = facts_of(entry(OPENED))
    assert (facts.units, facts.patient_id, facts.staff_id, facts.message_id) == (
        ["U1"], "p-1", "staff-1", "m-1")
    event = audit_event(entry(OPENED), facts, "U1", resource_id=str(uuid.uuid4()))
    assert event["action"] == "R" and event["outcome"] == "0"
    assert event["agent"][0]["who"]["identifier"]["value"] == "staff-1"
    whats = {e["what"]["identifier"]["value"] for e in event["entity"]}
    assert whats == {"p-1", "m-1", "c-1", "U1"}


def test_a_denied_access_is_a_failed_read_and_a_membership_concerns_every_unit() -> None:
    denied = SAMPLES[1]
    event = audit_event(entry(denied), facts_of(entry(denied)), "U1",
                        resource_id=str(uuid.uuid4()))
    assert (event["action"], event["outcome"]) == ("R", "4")
    assert facts_of(entry(SAMPLES[3])).units == ["U1", "U2"]


def test_the_schema_refuses_a_record_without_its_auditevent() -> None:
    with pytest.raises(jsonschema.ValidationError):
        validator().validate({"event_id": str(uuid.uuid4()), "type": "audit.audit_event_recorded",
                              "version": 1, "data": {"seq": 1}})


POLICY = ReviewPolicy(sample_rate=0.0)


def test_review_rules() -> None:
    def why(basis, assigned=False, distributed=True, at=NOW):
        return reasons(POLICY, event_id="e", occurred_at=at, basis=basis,
                       assigned_to_reader=assigned, distributed_before=distributed)
    assert why("assigned") == [] and why("group_pool") == []
    assert why("administrator", distributed=False) == []  # distributing it
    assert why("administrator") == ["not_assigned"]  # someone else's by now
    assert why(None, assigned=True) == []
    night = datetime(2026, 3, 3, 22, 30, tzinfo=UTC)
    assert why("assigned", at=night) == ["outside_hours"]
    saturday = datetime(2026, 3, 7, 10, 0, tzinfo=UTC)
    assert why("assigned", at=saturday) == ["outside_hours"]


def test_random_sample_is_about_the_rate_and_stable() -> None:
    policy = ReviewPolicy(sample_rate=0.1)
    picked = sum(policy.sampled(str(uuid.UUID(int=n))) for n in range(2000))
    assert 120 < picked < 280
    assert policy.sampled("x") == policy.sampled("x")
    assert not ReviewPolicy(sample_rate=0.0).sampled("x")
    assert ReviewPolicy(sample_rate=1.0).sampled("x")
