"""Hand-over between two regions' routing, record by record (no broker): the records one
router publishes are fed to the other as its agents would read them."""

from datetime import UTC, datetime

from services.routing.handlers import InRecord, OutRecord, Router
from shared.events import Envelope, Source, decode_data, new_event
from shared.events.contracts import (
    CareUnitRegistered,
    MailboxKeyPublished,
    MessageRead,
    MessageRouted,
    MessageUnroutable,
    PatientReplied,
    ReplySent,
)
from tests.unit.routing.helpers import SEALED, raw, submission

NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def router(region: str) -> Router:
    return Router(directory={}, conversations={},
                  source=Source(service="routing", region=region),
                  empty_directory_wait_s=0.05, unknown_unit_wait_s=0.05, poll_s=0.01)


def rec(out: OutRecord) -> InRecord:
    return InRecord(out.topic, 0, 1, out.key, out.value)


def event(data, service: str, region: str, subject: str) -> InRecord:
    return InRecord(f"{region}.x", 0, 1, subject.encode(),
                    raw(new_event(data, source=Source(service=service, region=region),
                                  subject=subject)))


def vgr_unit() -> InRecord:
    return event(CareUnitRegistered(unit_id="vgr-unit", name="VC Hisingen", region="vgr",
                                    functional_email="u@example.org", services=["advice"]),
                 "identity", "vgr", "vgr-unit")


async def test_units_and_keys_enter_the_other_regions_directory_and_routing_topic():
    sthlm, vgr = router("sthlm"), router("vgr")
    [announced] = await vgr.on_identity(vgr_unit())
    assert announced.topic == "interregion.units" and announced.key == b"vgr/identity.care_unit_registered/vgr-unit"
    assert await vgr.on_directory(rec(announced)) == []  # its own, read back
    [relayed] = await sthlm.on_directory(rec(announced))
    assert sthlm.directory["vgr-unit"]["region"] == "vgr"
    assert relayed.topic == "sthlm.routing.events" and relayed.value == announced.value
    key = MailboxKeyPublished(mailbox="careunit", key_id="k9", public_key="AAAA", suite="x")
    [key_out] = await vgr.on_careunit(event(key, "careunit-mailbox", "vgr", "k9"))
    [key_in] = await sthlm.on_directory(rec(key_out))
    assert Envelope.model_validate_json(key_in.value).source.region == "vgr"


async def test_a_message_crosses_and_its_answer_comes_back():
    sthlm, vgr = router("sthlm"), router("vgr")
    await vgr.on_identity(vgr_unit())
    await sthlm.on_directory(rec((await router("vgr").on_identity(vgr_unit()))[0]))
    sent = submission(unit="vgr-unit", conversation="conv-x")
    assert sent.source.region == "stockholm"  # the helper's; the patient's region below
    sent = sent.model_copy(update={"source": Source(service="patient-mailbox", region="sthlm")})
    [forwarded] = await sthlm.on_submission(InRecord("sthlm.patient-mailbox.events", 0, 1,
                                                     b"conv-x", raw(sent)))
    assert forwarded.topic == "interregion.vgr.inbound" and forwarded.value == raw(sent)
    [routed] = await vgr.on_inbound(rec(forwarded))
    assert routed.topic == "vgr.routing.events"
    data = decode_data(Envelope.model_validate_json(routed.value))
    assert isinstance(data, MessageRouted) and data.patient_region == "sthlm"
    assert data.sealed_body == SEALED  # still sealed as the patient's mailbox sealed it
    answer = ReplySent(conversation_id="conv-x", message_id="msg-1", reply_id="r-1",
                       patient_id="pat-1", care_unit_id="vgr-unit", clinician_id="doc",
                       sealed_body=SEALED, sent_at=NOW)
    [back] = await vgr.on_careunit(event(answer, "careunit-mailbox", "vgr", "conv-x"))
    assert back.topic == "interregion.sthlm.inbound"
    [home] = await sthlm.on_inbound(rec(back))
    assert home.topic == "sthlm.routing.events" and home.value == back.value
    more = PatientReplied(conversation_id="conv-x", message_id="m-2", patient_id="pat-1",
                          care_unit_id="vgr-unit", sealed_body=SEALED, sent_at=NOW)
    [out] = await sthlm.on_submission(event(more, "patient-mailbox", "sthlm", "conv-x"))
    assert out.topic == "interregion.vgr.inbound"
    assert [r.topic for r in await vgr.on_inbound(rec(out))] == ["vgr.routing.events"]
    read = MessageRead(conversation_id="conv-x", patient_id="pat-1", reply_ids=["r-1"])
    [out] = await sthlm.on_submission(event(read, "patient-mailbox", "sthlm", "conv-x"))
    assert out.topic == "interregion.vgr.inbound"


async def test_what_stays_in_one_region_is_not_handed_over():
    vgr = router("vgr")
    await vgr.on_identity(vgr_unit())
    answer = ReplySent(conversation_id="local", message_id="msg-1", reply_id="r-1",
                       patient_id="pat-1", care_unit_id="vgr-unit", clinician_id="doc",
                       sealed_body=SEALED, sent_at=NOW)
    assert await vgr.on_careunit(event(answer, "careunit-mailbox", "vgr", "local")) == []
    more = PatientReplied(conversation_id="local", message_id="m-2", patient_id="pat-1",
                          care_unit_id="vgr-unit", sealed_body=SEALED, sent_at=NOW)
    assert await vgr.on_submission(event(more, "patient-mailbox", "vgr", "local")) == []


async def test_a_refusal_goes_back_to_the_patients_region_and_odd_records_are_dead_lettered():
    vgr = router("vgr")
    await vgr.on_identity(vgr_unit())
    sent = submission(unit="vgr-unit", service="renew_prescription", conversation="conv-r")
    [refused] = await vgr.on_inbound(InRecord("interregion.vgr.inbound", 0, 1, b"conv-r",
                                              raw(sent)))
    assert refused.topic == "interregion.stockholm.inbound"
    assert isinstance(decode_data(Envelope.model_validate_json(refused.value)),
                      MessageUnroutable)
    [dead] = await vgr.on_inbound(vgr_unit())  # a registration is no hand-over
    assert dead.topic == "vgr.dlq.routing"
    [dead] = await vgr.on_directory(InRecord("interregion.units", 0, 1, b"k", b"{"))
    assert dead.topic == "vgr.dlq.routing"
