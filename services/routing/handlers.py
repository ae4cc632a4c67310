"""What the routing agents do with one Kafka record, apart from faust so it is testable.

Each method returns the records to publish and never raises: a faust agent that raises has
its event acked and lost, so a record that cannot be handled becomes a dead-letter record
(same shape as every inbox consumer's) and processing goes on."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter, Gauge
from pydantic import ValidationError

from services.routing.domain import Routed, decide, directory_entry, with_offered_services
from services.routing.handover import TO_PATIENT, TO_UNIT, Handover
from shared import logs
from shared.events import Envelope, EventData, Source, decode_data, new_event, wiring
from shared.events.contracts import (
    AccessDenied,
    AppointmentAnswered,
    AppointmentCancelled,
    AppointmentProposed,
    AttachmentOpened,
    CareUnitRegistered,
    ClinicianAwayChanged,
    ContactSettingsChanged,
    ContactVerificationRequested,
    FormPublished,
    FormRetired,
    ListingChanged,
    MailboxKeyPublished,
    MessageOverdue,
    MessagePooled,
    MessageSubmitted,
    MessageTakenBack,
    PatientActivated,
    PatientRegistered,
    ReplyDelivered,
    StaffLoggedIn,
    StaffLoginFailed,
    StaffMembershipChanged,
    StaffRegistered,
    StaffRevoked,
    UnitServicesChanged,
)
from shared.events.topics import (
    CAREUNIT_MAILBOX,
    FORMS,
    IDENTITY,
    PATIENT_MAILBOX,
    ROUTING,
    dead_letter,
    on_broker,
)
from shared.events.wiring import Binding, wire_name
from shared.ids import derived_uuid7
from shared.inbox import dead_letter_value, validation_summary
from shared.kafka import encode

log = logging.getLogger(__name__)

CONSUMER = "routing"
HANDBACK_CONSUMER = "routing-handback"  # the care-unit topic's reader (services.routing.handback)
# Per agent's topic: the contracts routing does not act on (checked by wiring.bind at start).
NOT_INTERESTED = {
    IDENTITY: (PatientRegistered, StaffRegistered, StaffMembershipChanged, StaffRevoked,
               PatientActivated, ContactVerificationRequested, ContactSettingsChanged,
               StaffLoggedIn, StaffLoginFailed),
    FORMS: (FormPublished, FormRetired),
    # A patient's reply or read receipt goes straight to the unit that has the conversation
    # in the same region; routing only hands it to a unit of another region. Appointments,
    # listing changes and attachments stay within the region (docs/regions.md).
    PATIENT_MAILBOX: (ReplyDelivered, AppointmentAnswered),
    # Only events that a patient of another region follows are handed back there.
    CAREUNIT_MAILBOX: (MessageTakenBack, MessagePooled, MessageOverdue, ClinicianAwayChanged,
                       AccessDenied,
                       ListingChanged, AttachmentOpened, AppointmentProposed,
                       AppointmentCancelled),
}
# The shared directory topic and the region's inbound topic (not regional topics).
DIRECTORY_AGENT, INBOUND_AGENT = "interregion-directory", "interregion-inbound"

DECISIONS = Counter("routing_decisions_total", "Submitted messages routed or refused",
                    ["outcome"])
WAITING = Gauge("routing_submissions_waiting_for_unit",
                 "Submissions held until their care unit's registration arrives")
DEAD_LETTERED = Counter("routing_dead_lettered_total", "Records sent to dlq.routing", ["topic"])
for _outcome in ("routed", "unroutable"):  # exported as 0 before the first message
    DECISIONS.labels(_outcome)


@dataclass(frozen=True)
class InRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True)
class OutRecord:
    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


Handle = Callable[[Envelope], Awaitable[list[OutRecord]]]


class Router:
    def __init__(self, *, directory: MutableMapping[str, Any], source: Source,
                 conversations: MutableMapping[str, Any] | None = None,
                 empty_directory_wait_s: float = 15.0, unknown_unit_wait_s: float = 600.0,
                 poll_s: float = 0.2, max_poll_s: float = 2.0) -> None:
        self.directory, self.source = directory, source
        self.routing_topic = on_broker(source.region, ROUTING)
        self._empty_wait, self._unknown_wait, self._poll = (
            empty_directory_wait_s, unknown_unit_wait_s, poll_s)
        self._max_poll = max(max_poll_s, poll_s)
        self.handover = Handover(
            source=source, directory=directory,
            conversations=conversations if conversations is not None else {},
            routing_topic=self.routing_topic, out_record=OutRecord, lookup=self._lookup)
        handlers: dict[str, dict[type[EventData], Handle]] = {
            IDENTITY: {CareUnitRegistered: self._apply_registration},
            FORMS: {UnitServicesChanged: self._apply_offer},
            PATIENT_MAILBOX: {MessageSubmitted: self._route, MailboxKeyPublished: self._announce},
            CAREUNIT_MAILBOX: {MailboxKeyPublished: self._announce}}
        for topic, contracts in ((PATIENT_MAILBOX, TO_UNIT), (CAREUNIT_MAILBOX, TO_PATIENT)):
            for contract in contracts:  # in a conversation with another region: handed there
                handlers[topic][contract] = self.handover.in_conversation
        self._wiring = {topic: wiring.bind(CONSUMER, [topic], by_contract, NOT_INTERESTED[topic])
                        for topic, by_contract in handlers.items()}
        # Not regional topics, so not in the contract table: exactly these, nothing ignored.
        for agent, by_contract in ((DIRECTORY_AGENT, self.handover.directory_handlers()),
                                   (INBOUND_AGENT, self.handover.inbound_handlers())):
            self._wiring[agent] = Binding({wire_name(c): h for c, h in by_contract.items()},
                                          frozenset())

    async def on_identity(self, record: InRecord) -> list[OutRecord]:
        return await self._guarded(record, self._wiring[IDENTITY])

    async def on_forms(self, record: InRecord) -> list[OutRecord]:
        return await self._guarded(record, self._wiring[FORMS])

    async def on_submission(self, record: InRecord) -> list[OutRecord]:
        return await self._guarded(record, self._wiring[PATIENT_MAILBOX])

    async def on_careunit(self, record: InRecord) -> list[OutRecord]:
        """Read by a consumer of its own (services.routing.handback), with its own group and
        dead-letter topic."""
        return await self._guarded(record, self._wiring[CAREUNIT_MAILBOX], HANDBACK_CONSUMER)

    async def on_directory(self, record: InRecord) -> list[OutRecord]:
        return await self._guarded(record, self._wiring[DIRECTORY_AGENT])

    async def on_inbound(self, record: InRecord) -> list[OutRecord]:
        return await self._guarded(record, self._wiring[INBOUND_AGENT])

    async def _announce(self, envelope: Envelope) -> list[OutRecord]:
        return self.handover.announce(envelope)

    async def _guarded(self, record: InRecord, binding: wiring.Binding,
                       consumer: str = CONSUMER) -> list[OutRecord]:
        try:
            envelope = Envelope.model_validate_json(record.value or b"")
            logs.correlation_id.set(str(envelope.correlation_id))
            handle = binding.handlers.get(envelope.wire_name)
            # Ownership is declared by the topics' names in the code (without the region); the
            # interregion topics carry other regions' relayed events (docs/regions.md).
            topic = record.topic.removeprefix(f"{self.source.region}.")
            if (binding.owned is not None and topic in binding.owned
                    and not binding.accepts(topic, envelope.wire_name)):
                reason = f"{envelope.wire_name} is not owned by topic {record.topic}"
            elif handle is None:
                if envelope.wire_name in (binding.ignored or ()):
                    return []
                reason = f"no handler for {envelope.wire_name}"
            else:
                return await handle(envelope)
        except ValidationError as exc:
            reason = f"does not decode or breaks its contract: {validation_summary(exc)}"
        except Exception as exc:  # never let the agent raise (its event would be lost)
            log.exception("routing handler failed", extra={"topic": record.topic,
                                                           "offset": record.offset})
            reason = f"handler failed: {type(exc).__name__}"
        return [self._dead_letter(record, reason, consumer)]

    async def _apply_registration(self, envelope: Envelope) -> list[OutRecord]:
        unit = decode_data(envelope)
        assert isinstance(unit, CareUnitRegistered)
        self.directory[unit.unit_id] = directory_entry(unit, self.directory.get(unit.unit_id))
        log.info("care unit in directory", extra={"care_unit_id": unit.unit_id})
        return self.handover.announce(envelope) if unit.region == self.source.region else []

    async def _apply_offer(self, envelope: Envelope) -> list[OutRecord]:
        snapshot = decode_data(envelope)
        assert isinstance(snapshot, UnitServicesChanged)
        entry = with_offered_services(snapshot, self.directory.get(snapshot.unit_id))
        if entry is not None:
            self.directory[snapshot.unit_id] = entry
            log.info("care unit services changed", extra={"care_unit_id": snapshot.unit_id})
        return self.handover.announce(envelope)

    async def _route(self, envelope: Envelope) -> list[OutRecord]:
        submission = decode_data(envelope)
        assert isinstance(submission, MessageSubmitted)
        entry = await self._lookup(submission.care_unit_id)
        if region := self.handover.unit_region(submission.care_unit_id):
            return self.handover.submission_out(region, envelope, submission.conversation_id)
        decision = decide(submission, entry)
        outcome = "routed" if isinstance(decision, Routed) else "unroutable"
        out = new_event(
            decision.event, source=self.source, subject=submission.conversation_id,
            cause=envelope,
            # Same input, same output id: a redelivered submission is a downstream duplicate.
            event_id=derived_uuid7(envelope.event_id, "routed"))
        DECISIONS.labels(outcome).inc()
        # Per event: routine routing at DEBUG; an unroutable message is the operator's.
        log.log(logging.DEBUG if outcome == "routed" else logging.INFO, f"message {outcome}", extra={
            "event_id": str(out.event_id), "conversation_id": submission.conversation_id,
            "message_id": submission.message_id, "care_unit_id": submission.care_unit_id,
            "reason": getattr(decision.event, "reason", None)})
        return [OutRecord(self.routing_topic, submission.conversation_id.encode(), encode(out),
                          (("event_type", out.wire_name.encode()),))]

    async def _lookup(self, unit_id: str) -> Any:
        """The unit's entry, waiting within a bounded window (unknown_unit_wait_s) while its
        registration may still be in flight: the patient mailbox only accepts messages to
        units identity has registered, so an unknown unit is almost always one whose
        registration routing has not read yet. Later submissions of the partition wait
        behind it, which keeps the order within each conversation."""
        started, poll, waiting = time.monotonic(), self._poll, False
        try:
            while True:
                entry = self.directory.get(unit_id)
                waited = time.monotonic() - started
                limit = (self._unknown_wait if len(self.directory)
                         else max(self._empty_wait, self._unknown_wait))
                # An inactive entry may be a forms snapshot whose registration is in flight.
                if (entry is not None and entry.get("active")) or waited >= limit:
                    return entry
                if not waiting:
                    waiting = True
                    WAITING.inc()
                await asyncio.sleep(poll)
                poll = min(poll * 1.5, self._max_poll)
        finally:
            if waiting:
                WAITING.dec()

    def dead_letter_topic_of(self, consumer: str) -> str:
        return on_broker(self.source.region, dead_letter(consumer))

    def _dead_letter(self, record: InRecord, reason: str, consumer: str) -> OutRecord:
        DEAD_LETTERED.labels(record.topic).inc()
        log.error("event dead-lettered", extra={
            "consumer": consumer, "topic": record.topic, "partition": record.partition,
            "offset": record.offset, "reason": reason})
        value = dead_letter_value(
            consumer=consumer, reason=reason, topic=record.topic, partition=record.partition,
            offset=record.offset, key=record.key, value=record.value)
        return OutRecord(self.dead_letter_topic_of(consumer), record.key, value)
