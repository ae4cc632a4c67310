"""Event envelope, versioned contracts and their registry."""

from shared.events.envelope import Actor, Envelope, EventData, Source, new_event
from shared.events.registry import REGISTRY, UnknownEventType, contract_for, decode_data

__all__ = [
    "REGISTRY",
    "Actor",
    "Envelope",
    "EventData",
    "Source",
    "UnknownEventType",
    "contract_for",
    "decode_data",
    "new_event",
]

# Importing the package registers every contract, so no consumer can silently skip events
# because nothing happened to import the contracts module.
from shared.events import contracts as _contracts  # noqa: F401
