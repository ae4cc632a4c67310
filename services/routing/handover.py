"""Hand-over between regions that share a broker (docs/regions.md), done by each region's
routing and nobody else.

- Directory: the own region's units (registrations, offered e-services) and both mailboxes'
  public keys are announced on the shared, compacted `interregion.units` topic; what other
  regions announce there enters this region's directory and is relayed, envelope unchanged,
  onto this region's routing topic, where the mailboxes learn units and keys of other regions.
- Messages: a submission, follow-up or read receipt for a unit of another region is forwarded,
  envelope unchanged (the body stays sealed to that region's care-unit key), on that region's
  inbound topic. There its routing decides as for its own patients, remembers which region
  the conversation's patient is in, and hands the unit's events of that conversation (received,
  assigned, opened, closed, answered) back on the patient region's inbound topic.
- Inbound events other than submissions are relayed onto the own routing topic.

Nothing here decrypts or reads a body; events carry pseudonymous ids only, as on every topic."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import Counter

from services.routing.domain import Routed, decide, directory_entry, with_offered_services
from shared.events import Envelope, EventData, Source, decode_data, new_event
from shared.events.contracts import (
    CareUnitRegistered,
    ConversationClosed,
    MailboxKeyPublished,
    MessageAssigned,
    MessageOpened,
    MessageRead,
    MessageReceived,
    MessageSubmitted,
    MessageUnroutable,
    PatientReplied,
    ReplySent,
    UnitServicesChanged,
)
from shared.events.topics import INTERREGION_UNITS, interregion_inbound
from shared.ids import derived_uuid7
from shared.kafka import encode

log = logging.getLogger(__name__)

HANDED_OVER = Counter("routing_handed_over_total", "Events handed to or from another region",
                      ["direction"])
for _direction in ("out", "in"):
    HANDED_OVER.labels(_direction)

# What a unit does with a conversation that the patient's mailbox follows.
TO_PATIENT = (MessageReceived, MessageAssigned, ConversationClosed, MessageOpened, ReplySent)
# What a patient does in a conversation that the unit's mailbox follows.
TO_UNIT = (PatientReplied, MessageRead)
# What enters another region's directory.
DIRECTORY = (CareUnitRegistered, UnitServicesChanged, MailboxKeyPublished)

Out = Any  # handlers.OutRecord (kept apart to avoid an import cycle)
Lookup = Callable[[str], Awaitable[Any]]
Handle = Callable[[Envelope], Awaitable[list[Out]]]


class Handover:
    def __init__(self, *, source: Source, directory: MutableMapping[str, Any],
                 conversations: MutableMapping[str, Any], routing_topic: str,
                 out_record: Callable[..., Out], lookup: Lookup) -> None:
        self.region, self.source = source.region, source
        # conversation id -> the region of the other side (the unit's, on the patient's side;
        # the patient's, on the unit's), for conversations between two regions only
        self.directory, self.conversations = directory, conversations
        self._routing_topic, self._out, self._lookup = routing_topic, out_record, lookup

    # -- towards the shared directory -------------------------------------------------
    def announce(self, envelope: Envelope) -> list[Out]:
        """An own-region unit, offer or mailbox key, for every other region to read."""
        if envelope.source.region != self.region:
            return []
        key = f"{self.region}/{envelope.type}/{envelope.subject}"  # compaction keeps the last
        return [self._record(INTERREGION_UNITS, key, envelope)]

    def unit_region(self, unit_id: str) -> str | None:
        """The region of a unit when it is another region's, else None."""
        entry = self.directory.get(unit_id)
        region = entry.get("region") if entry else None
        return region if region and region != self.region else None

    # -- outgoing -----------------------------------------------------------------------
    def forward(self, region: str, key: str, envelope: Envelope) -> list[Out]:
        HANDED_OVER.labels("out").inc()
        # Only the logger's safe fields are kept: the destination topic names the region.
        log.info("handed over to another region", extra={
            "event_id": str(envelope.event_id), "topic": interregion_inbound(region),
            "event_type": envelope.wire_name})
        return [self._record(interregion_inbound(region), key, envelope)]

    def submission_out(self, region: str, envelope: Envelope, conversation_id: str) -> list[Out]:
        self.conversations[conversation_id] = region
        return self.forward(region, conversation_id, envelope)

    async def in_conversation(self, envelope: Envelope) -> list[Out]:
        """A patient's (or unit's) event in a conversation with the other side in another
        region goes there; one in a conversation within the region stays."""
        data = decode_data(envelope)
        assert isinstance(data, (*TO_UNIT, *TO_PATIENT))
        region = self.conversations.get(data.conversation_id)
        return self.forward(region, data.conversation_id, envelope) if region else []

    # -- from the shared directory ------------------------------------------------------
    async def from_directory(self, envelope: Envelope) -> list[Out]:
        if envelope.source.region == self.region:
            return []  # our own announcement, read back
        data = decode_data(envelope)
        if isinstance(data, CareUnitRegistered):
            self.directory[data.unit_id] = directory_entry(data, self.directory.get(data.unit_id))
        elif isinstance(data, UnitServicesChanged):
            entry = with_offered_services(data, self.directory.get(data.unit_id))
            if entry is not None:
                self.directory[data.unit_id] = entry
        return [self._record(self._routing_topic, envelope.subject, envelope)]

    # -- inbound from another region ----------------------------------------------------
    async def inbound_submission(self, envelope: Envelope) -> list[Out]:
        """Decided as for the own region's patients; the decision names the patient's region,
        whose key the answer is sealed to, and a refusal goes back to that region."""
        submission = decode_data(envelope)
        assert isinstance(submission, MessageSubmitted)
        HANDED_OVER.labels("in").inc()
        origin = envelope.source.region
        decision = decide(submission, await self._lookup(submission.care_unit_id))
        event: EventData = decision.event
        if isinstance(decision, Routed):
            event = decision.event.model_copy(update={"patient_region": origin})
            self.conversations[submission.conversation_id] = origin
        out = new_event(event, source=self.source, subject=submission.conversation_id,
                        cause=envelope, event_id=derived_uuid7(envelope.event_id, "routed"))
        log.info("handed-over message decided", extra={
            "event_id": str(out.event_id), "conversation_id": submission.conversation_id,
            "care_unit_id": submission.care_unit_id,
            "status": type(decision).__name__.lower()})
        if isinstance(decision, Routed):
            return [self._record(self._routing_topic, submission.conversation_id, out)]
        return [self._record(interregion_inbound(origin), submission.conversation_id, out)]

    async def inbound_relay(self, envelope: Envelope) -> list[Out]:
        HANDED_OVER.labels("in").inc()
        return [self._record(self._routing_topic, envelope.subject, envelope)]

    def inbound_handlers(self) -> dict[type[EventData], Handle]:
        handlers: dict[type[EventData], Handle] = {MessageSubmitted: self.inbound_submission}
        for contract in (*TO_PATIENT, *TO_UNIT, MessageUnroutable):
            handlers[contract] = self.inbound_relay
        return handlers

    def directory_handlers(self) -> dict[type[EventData], Handle]:
        return {contract: self.from_directory for contract in DIRECTORY}

    def _record(self, topic: str, key: str, envelope: Envelope) -> Out:
        return self._out(topic, key.encode(), encode(envelope),
                         (("event_type", envelope.wire_name.encode()),))

