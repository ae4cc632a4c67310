import asyncio
import base64
import json

from services.routing.handlers import InRecord, Router
from shared.events import Envelope, Source, new_event
from shared.events.contracts import MessageRead
from shared.ids import derived_uuid7
from tests.unit.routing.helpers import raw, registration, services_changed, submission


def router(directory=None) -> Router:
    return Router(directory={} if directory is None else directory,
                  source=Source(service="routing", region="stockholm"),
                  empty_directory_wait_s=0.05, unknown_unit_wait_s=0.01, poll_s=0.01)


def record(value: bytes, topic: str = "patient-mailbox.events", key=b"conv-1") -> InRecord:
    return InRecord(topic, 1, 42, key, value)


async def test_registration_then_submission_is_routed_with_derived_id():
    r = router()
    # The unit is the own region's: announced to the other regions, nothing else.
    [announced] = await r.on_identity(record(raw(registration()), "identity.events"))
    assert announced.topic == "interregion.units"
    cause = submission()
    [out] = await r.on_submission(record(raw(cause)))
    assert out.topic == "stockholm.routing.events" and out.key == b"conv-1"
    emitted = Envelope.model_validate_json(out.value)
    assert emitted.wire_name == "routing.message_routed.v1"
    assert emitted.event_id == derived_uuid7(cause.event_id, "routed")
    assert emitted.correlation_id == cause.correlation_id
    assert emitted.causation_id == cause.event_id
    assert emitted.source.service == "routing"
    assert emitted.data["sealed_body"] == cause.data["sealed_body"]


async def test_redelivered_submission_gets_the_same_event_id():
    r = router()
    await r.on_identity(record(raw(registration()), "identity.events"))
    cause = raw(submission())
    first, second = await r.on_submission(record(cause)), await r.on_submission(record(cause))
    assert Envelope.model_validate_json(first[0].value).event_id == \
        Envelope.model_validate_json(second[0].value).event_id


async def test_unknown_unit_is_unroutable_after_a_short_wait():
    [out] = await router().on_submission(record(raw(submission(unit="elsewhere"))))
    emitted = Envelope.model_validate_json(out.value)
    assert emitted.wire_name == "routing.message_unroutable.v1"
    assert "sealed_body" not in emitted.data and emitted.data["reason"] == "unknown care unit"


async def test_event_types_declared_not_interesting_are_ignored():
    read = new_event(MessageRead(conversation_id="conv-1", patient_id="p", reply_ids=["r"]),
                     source=Source(service="patient-mailbox", region="stockholm"), subject="c")
    assert await router().on_submission(record(raw(read))) == []


async def test_an_event_type_not_declared_for_its_topic_is_dead_lettered():
    # A registration on the patient-mailbox topic is no contract of that topic: never silent.
    [out] = await router().on_submission(record(raw(registration())))
    assert out.topic == "stockholm.dlq.routing"
    assert "identity.care_unit_registered.v1 is not owned by topic" in json.loads(out.value)[
        "reason"]


async def test_undecodable_record_goes_to_dead_letter_with_shared_shape():
    [out] = await router().on_submission(record(b"not json"))
    assert out.topic == "stockholm.dlq.routing" and out.key == b"conv-1"
    letter = json.loads(out.value)
    assert set(letter) == {"consumer", "reason", "topic", "partition", "offset", "failed_at",
                           "key", "value_b64"}
    assert letter["consumer"] == "routing" and letter["offset"] == 42
    assert base64.b64decode(letter["value_b64"]) == b"not json"


async def test_a_bad_care_unit_record_goes_to_the_hand_back_consumer_s_dead_letters():
    # The care-unit topic has a consumer of its own (services.routing.handback): an operator
    # sees which of routing's consumers refused the record.
    [out] = await router().on_careunit(record(b"not json", "careunit-mailbox.events"))
    assert out.topic == "stockholm.dlq.routing-handback" and out.key == b"conv-1"
    assert json.loads(out.value)["consumer"] == "routing-handback"


async def test_contract_breach_goes_to_dead_letter_without_echoing_values():
    bad = submission().model_copy(update={"data": {"conversation_id": "c", "patient_id": "x"}})
    [out] = await router().on_submission(record(raw(bad)))
    letter = json.loads(out.value)
    assert out.topic == "stockholm.dlq.routing" and "message_id" in letter["reason"]


async def test_a_failing_directory_becomes_a_dead_letter_not_an_exception():
    class Broken(dict):
        def get(self, key, default=None):
            raise RuntimeError("boom")

    [out] = await router(Broken(x=1)).on_submission(record(raw(submission())))
    assert out.topic == "stockholm.dlq.routing"
    assert json.loads(out.value)["reason"] == "handler failed: RuntimeError"


async def test_forms_snapshot_then_registration_routes_the_offered_service():
    r = router()
    await r.on_forms(record(raw(services_changed(("renew_prescription",))), "forms.events"))
    await r.on_identity(record(raw(registration(services=("advice",))), "identity.events"))
    [out] = await r.on_submission(record(raw(submission(service="renew_prescription"))))
    assert Envelope.model_validate_json(out.value).wire_name == "routing.message_routed.v1"


async def test_a_unit_registered_late_is_waited_for_within_the_window_and_counted():
    """Default window (minutes): a registration that arrives seconds after the submission
    still routes it, and the waiting submission shows in a gauge meanwhile."""
    from prometheus_client import REGISTRY

    from tests.unit.routing.helpers import registration as unit

    def waiting() -> float:
        return REGISTRY.get_sample_value("routing_submissions_waiting_for_unit") or 0.0

    r = Router(directory={}, source=Source(service="routing", region="stockholm"),
               poll_s=0.05, max_poll_s=0.1)
    await r.on_identity(record(raw(unit(unit="other-unit")), "identity.events"))
    before = waiting()
    routing = asyncio.create_task(r.on_submission(record(raw(submission(unit="late-unit")))))
    await asyncio.sleep(3.0)  # longer than the old fixed 2 s
    assert not routing.done() and waiting() == before + 1
    await r.on_identity(record(raw(unit(unit="late-unit")), "identity.events"))
    [out] = await asyncio.wait_for(routing, 5)
    assert Envelope.model_validate_json(out.value).wire_name == "routing.message_routed.v1"
    assert waiting() == before
