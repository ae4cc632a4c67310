"""One registry of event contracts: (wire type, version) -> payload model."""

from __future__ import annotations

from typing import TypeVar

from shared.events.envelope import Envelope, EventData

REGISTRY: dict[tuple[str, int], type[EventData]] = {}

T = TypeVar("T", bound=type[EventData])


class UnknownEventType(LookupError):
    pass


def event(wire_type: str, version: int):
    """Class decorator registering a payload model under its wire name and version."""

    def register(cls: T) -> T:
        key = (wire_type, version)
        if key in REGISTRY:
            raise ValueError(f"duplicate contract {wire_type}.v{version}")
        cls.event_type = wire_type
        cls.event_version = version
        REGISTRY[key] = cls
        return cls

    return register


def contract_for(wire_type: str, version: int) -> type[EventData]:
    try:
        return REGISTRY[(wire_type, version)]
    except KeyError:
        raise UnknownEventType(f"{wire_type}.v{version}") from None


def decode_data(envelope: Envelope) -> EventData:
    """Validate the envelope's payload against its registered contract."""
    return contract_for(envelope.type, envelope.version).model_validate(envelope.data)
