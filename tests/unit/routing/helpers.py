"""Hand-made events for the routing tests."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.crypto.sealing import Sealed
from shared.events import Source, new_event
from shared.events.contracts import CareUnitRegistered, MessageSubmitted
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


def raw(envelope) -> bytes:
    return encode(envelope)
