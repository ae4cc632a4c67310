"""Hand-made events for the routing tests."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.crypto.sealing import Sealed
from shared.events import Source, new_event
from shared.events.contracts import (
    CareUnitRegistered,
    MessageSubmitted,
    OfferedService,
    UnitServicesChanged,
)
from shared.kafka import encode

SEALED = Sealed(key_id="k1", ciphertext="b3BhcXVl")


def submission(unit: str = "unit-1", service: str = "advice", conversation: str = "conv-1"):
    data = MessageSubmitted(
        conversation_id=conversation, message_id="msg-1", patient_id="pat-1",
        care_unit_id=unit, service_type=service, sealed_body=SEALED,
        submitted_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC))
    return new_event(data, source=Source(service="patient-mailbox", region="stockholm"),
                     subject=conversation)


def registration(unit: str = "unit-1", services: tuple[str, ...] = ("advice",)):
    data = CareUnitRegistered(unit_id=unit, name="Vårdcentralen Test", region="stockholm",
                              functional_email="unit@example.org", services=list(services))
    return new_event(data, source=Source(service="identity", region="stockholm"), subject=unit)


def services_changed(services: tuple[str, ...], unit: str = "unit-1", minute: int = 0):
    data = UnitServicesChanged(
        unit_id=unit, changed_at=datetime(2025, 1, 1, 12, minute, tzinfo=UTC),
        services=[OfferedService(service_type=s, audience="all_residents") for s in services])
    return new_event(data, source=Source(service="forms", region="stockholm"), subject=unit)


def raw(envelope) -> bytes:
    return encode(envelope)
