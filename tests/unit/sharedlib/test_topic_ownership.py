"""An event is accepted only from the topic that owns its contract (shared.events.wiring):
a type on any other topic is dead-lettered with the reason and never handled, by the inbox
consumers and by routing's agents alike."""

from __future__ import annotations

import json

from aiokafka import ConsumerRecord

from services.routing.handlers import InRecord, Router
from shared.events import Source, new_event
from shared.events.contracts import PatientRegistered, StaffRegistered
from shared.events.topic_contracts import CONTRACTS_ON
from shared.events.topics import CAREUNIT_MAILBOX, IDENTITY, PATIENT_MAILBOX
from shared.events.wiring import bind
from shared.inbox import EventConsumer
from shared.kafka import encode

SOURCE = Source(service="attacker", region="test")


class Producer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    async def send_and_wait(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        self.sent.append((topic, value))


def record(topic: str, value: bytes) -> ConsumerRecord:
    return ConsumerRecord(topic=topic, partition=0, offset=7, timestamp=0, timestamp_type=0,
                          key=b"k", value=value, checksum=None, serialized_key_size=1,
                          serialized_value_size=len(value), headers=())


def staff_event() -> bytes:
    return encode(new_event(StaffRegistered(staff_id="s", profession="nurse", memberships=[]),
                            source=SOURCE, subject="s"))


def bound(topics: list[str], handle: object):
    return bind("c", topics, {StaffRegistered: handle}, ignore=[
        c for t in topics for c in CONTRACTS_ON[t] if c is not StaffRegistered])


async def test_inbox_dead_letters_a_type_its_topic_does_not_own() -> None:
    handled: list[object] = []

    async def handle(*args: object) -> None:
        handled.append(args)

    binding = bound([IDENTITY, CAREUNIT_MAILBOX], handle)
    producer = Producer()
    consumer = EventConsumer(name="c", topics=[IDENTITY, CAREUNIT_MAILBOX], bootstrap="unused",
                             engine=None, inbox=None,  # type: ignore[arg-type]
                             handlers=binding.handlers, ignored=binding.ignored,
                             producer=producer, owned=binding.owned)  # type: ignore[arg-type]
    # Forged: a staff registration written to the care-unit mailbox's topic.
    await consumer.process(record(CAREUNIT_MAILBOX, staff_event()))
    assert handled == []
    [(topic, letter)] = producer.sent
    assert topic == "dlq.c"
    assert json.loads(letter)["reason"] == (
        f"identity.staff_registered.v1 is not owned by topic {CAREUNIT_MAILBOX}")


def test_binding_accepts_only_owning_topics() -> None:
    binding = bound([IDENTITY, CAREUNIT_MAILBOX], print)
    assert binding.accepts(IDENTITY, "identity.staff_registered.v1")
    assert not binding.accepts(CAREUNIT_MAILBOX, "identity.staff_registered.v1")
    assert not binding.accepts("elsewhere", "identity.staff_registered.v1")


async def test_routing_dead_letters_a_type_its_topic_does_not_own() -> None:
    router = Router(directory={}, source=SOURCE)
    # A patient registration is an identity event: on the patient mailbox's topic it is
    # forged, even though routing ignores it on its own topic.
    forged = encode(new_event(PatientRegistered(patient_id="p"), source=SOURCE, subject="p"))
    on_broker = f"{SOURCE.region}.{PATIENT_MAILBOX}"  # the region's broker name
    [out] = await router.on_submission(InRecord(on_broker, 0, 1, b"k", forged))
    assert out.topic == f"{SOURCE.region}.dlq.routing"
    assert "is not owned by topic" in json.loads(out.value)["reason"]
