"""Handlers wired by contract class and checked at start (shared.events.wiring): a handler
that names no contract, or a contract on a subscribed topic with neither a handler nor an
"ignored" entry, refuses to start; the legacy wire-name maps still bind, with a warning."""

from __future__ import annotations

import pytest

from services.audit.handlers import AUDITED_TOPICS, make_handlers
from shared.events import REGISTRY, EventData
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
    UnitMembership,
)
from shared.events.topic_contracts import CONTRACTS_ON
from shared.events.topics import ALL, IDENTITY, ROUTING
from shared.events.wiring import WiringError, bind
from shared.runtime import EventRuntime


async def handler(*_: object) -> None:
    return None


STAFF = {StaffRegistered: handler, StaffMembershipChanged: handler, StaffRevoked: handler}
OTHERS = (CareUnitRegistered, PatientRegistered, PatientActivated,
          ContactVerificationRequested, StaffLoggedIn, StaffLoginFailed, ContactSettingsChanged)


def test_a_complete_declaration_binds_by_wire_name() -> None:
    binding = bind("c", [IDENTITY], STAFF, ignore=OTHERS)
    assert set(binding.handlers) == {"identity.staff_registered.v1",
                                     "identity.staff_membership_changed.v1",
                                     "identity.staff_revoked.v1"}
    assert binding.ignored == {"identity.care_unit_registered.v1",
                               "identity.patient_registered.v1", "identity.patient_activated.v1",
                               "identity.contact_verification_requested.v1",
                               "identity.contact_settings_changed.v1",
                               "identity.staff_logged_in.v1", "identity.staff_login_failed.v1"}


def test_a_typod_wire_name_refuses_to_start() -> None:
    with pytest.raises(WiringError, match="names no contract"):
        bind("c", [IDENTITY], {"identity.staf_registered.v1": handler})


def test_a_class_that_is_no_registered_contract_refuses_to_start() -> None:
    with pytest.raises(WiringError, match="no registered contract"):
        bind("c", [IDENTITY], {**STAFF, UnitMembership: handler}, ignore=OTHERS)


def test_a_handler_for_a_contract_of_another_topic_refuses_to_start() -> None:
    with pytest.raises(WiringError, match="arrives on none"):
        bind("c", [ROUTING], STAFF)


def test_an_unhandled_contract_on_a_subscribed_topic_refuses_to_start() -> None:
    with pytest.raises(WiringError, match="PatientActivated"):
        bind("c", [IDENTITY], STAFF, ignore=(CareUnitRegistered, PatientRegistered))


def test_handled_and_ignored_at_once_refuses_to_start() -> None:
    with pytest.raises(WiringError, match="both handled and ignored"):
        bind("c", [IDENTITY], STAFF, ignore=(*OTHERS, StaffRevoked))


def test_legacy_wire_name_maps_still_bind_with_a_deprecation_warning() -> None:
    with pytest.warns(DeprecationWarning, match="deprecated"):
        binding = bind("c", [IDENTITY], {"identity.staff_registered.v1": handler})
    assert binding.ignored is None  # the consumer keeps skipping what it does not handle


def test_the_runtime_refuses_a_consumer_whose_declaration_is_incomplete() -> None:
    runtime = EventRuntime.__new__(EventRuntime)  # no producer: consume() only wires
    runtime.service, runtime.inbox, runtime.consumers = "c", object(), []  # type: ignore[assignment]
    with pytest.raises(WiringError):
        runtime.consume("c", [IDENTITY], STAFF)
    assert runtime.consumers == []


def test_every_registered_contract_travels_on_a_topic() -> None:
    listed: set[type[EventData]] = {c for cs in CONTRACTS_ON.values() for c in cs}
    assert listed == set(REGISTRY.values())
    assert set(CONTRACTS_ON) == set(ALL)


def test_audit_binds_every_contract_of_the_topics_it_audits() -> None:
    assert bind("audit", AUDITED_TOPICS, make_handlers()).ignored == frozenset()
