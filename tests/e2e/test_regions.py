"""Two regions on one broker (docs/regions.md): a patient of Region Stockholm writes to a care
unit of Västra Götalandsregionen; routing hands the message across, sealed end to end to the
receiving region's care-unit key; the answer comes back, the patient is e-mailed, and each
region's audit holds its own side only.

The second region runs beside the session's stack (its own PostgreSQL servers, ports 100
above, the first region's Kafka and mail sink) with only what this flow needs of it: no
patient mailbox or forms of its own (its patients are not part of the flow)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.config import other_region
from devstack.supervisor import Stack
from services.identity.catalogue import read_catalogue
from tests.e2e import inspect
from tests.e2e.support import SEED, Person, all_pages, eventually

pytestmark = pytest.mark.e2e

VGR_CATALOGUE = read_catalogue(Path(__file__).resolve().parents[2]
                               / "services/identity/seed/vastra-gotaland.ldif")
VGR_UNIT = VGR_CATALOGUE.care_units[0]
VGR_SERVICES = ["identity", "careunit-mailbox", "routing", "notifier", "audit", "gateway"]


def vgr_staff(role: str) -> str:
    return next(s.hsa_id for s in VGR_CATALOGUE.staff
                if any(m.unit_id == VGR_UNIT.unit_id and role in m.roles for m in s.memberships))


@pytest.fixture(scope="module")
def vgr(stack: Stack) -> Iterator[Stack]:
    region = Stack(other_region(stack.cfg))
    try:
        region.start_infrastructure()
        region.start_services(VGR_SERVICES)
        yield region
    finally:
        region.stop()


async def test_a_message_to_a_unit_of_another_region_and_its_answer(stack, vgr):
    marker, answer_marker = f"MARKER-{uuid.uuid4().hex}", f"ANSWER-{uuid.uuid4().hex}"
    unit, service = VGR_UNIT.unit_id, "renew_prescription"
    async with (httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=20) as sthlm_http,
                httpx.AsyncClient(base_url=vgr.urls()["gateway"], timeout=20) as vgr_http):
        patient = await Person.login(sthlm_http, personnummer=SEED["patients"][0]["personnummer"])
        # Other tests mail this patient too: only mails after this point are this answer's.
        mails_before = len(await inspect.mails_to(stack, SEED["patients"][0]["email"]))
        admin = await Person.login(vgr_http, hsa_id=vgr_staff("message_administrator"))
        clinician = await Person.login(vgr_http, hsa_id=vgr_staff("clinician"))

        # The other region's unit reaches the patient's mailbox through the shared directory;
        # the submission waits (503) until the unit's region's mailbox key has come too.
        async def unit_offers():
            r = await patient.patient("GET", f"/v1/units/{unit}/services")
            return r.status_code == 200 and service in {o["service_type"] for o in r.json()}
        await eventually(unit_offers, timeout=90, what="the other region's unit and offers")

        async def submit():
            r = await patient.patient("POST", "/v1/conversations", json={
                "care_unit_id": unit, "service_type": service,
                "text": f"Jag behöver förnya mitt recept. {marker}"})
            return None if r.status_code == 503 else r
        submitted = await eventually(submit, timeout=60, what="submission accepted")
        assert submitted.status_code == 201, submitted.text
        conversation_id = submitted.json()["conversation_id"]
        message_id = submitted.json()["message_id"]

        # Handed across: the unit's administrator opens it with the unit's region's key.
        async def in_unit_inbox():
            inbox = await all_pages(admin, f"/v1/units/{unit}/messages")
            return [m for m in inbox if m["message_id"] == message_id]
        await eventually(in_unit_inbox, timeout=60, what="message in the other region's unit")
        opened = await admin.unit("POST", f"/v1/messages/{message_id}/open")
        assert opened.status_code == 200 and marker in opened.json()["text"]
        await eventually(lambda: inspect.mails_to(vgr, VGR_UNIT.functional_email),
                         what="e-mail to the unit")
        assert (await admin.unit("POST", f"/v1/messages/{message_id}/assign",
                                 json={"clinician_id": clinician.id})).status_code == 204
        replied = await clinician.unit("POST", f"/v1/messages/{message_id}/reply",
                                       json={"text": f"Receptet är förnyat. {answer_marker}"})
        assert replied.status_code == 201, replied.text

        # The answer comes back, sealed to the patient's region's mailbox, and is e-mailed.
        async def answered():
            r = await patient.patient("GET", f"/v1/conversations/{conversation_id}")
            texts = [m["text"] for m in r.json()["messages"]] if r.status_code == 200 else []
            return texts if any(answer_marker in t for t in texts) else None
        texts = await eventually(answered, timeout=60, what="the answer in the patient mailbox")
        assert marker in texts[0]
        async def new_mail():
            return (await inspect.mails_to(stack, SEED["patients"][0]["email"]))[mails_before:]
        mail = await eventually(new_mail, what="e-mail to the patient")
        assert all(answer_marker not in m["body"] for m in mail)

    # Each region's audit holds its own side, and only that.
    own_side = {"messaging.message_submitted", "messaging.reply_sent",
                "messaging.reply_delivered", "messaging.message_read"}
    sthlm_records = await eventually(
        lambda: inspect.audit_records(stack, conversation_id, own_side), timeout=60,
        what="the patient's region's audit")
    unit_side = {"routing.message_routed", "messaging.message_received",
                 "messaging.message_opened", "messaging.reply_sent", "messaging.message_read"}
    vgr_records = await eventually(
        lambda: inspect.audit_records(vgr, conversation_id, unit_side), timeout=60,
        what="the unit's region's audit")
    assert "routing.message_routed" not in {r["event_type"].rsplit(".v", 1)[0]
                                            for r in sthlm_records}
    assert not {"messaging.message_submitted", "messaging.reply_delivered"} & {
        r["event_type"].rsplit(".v", 1)[0] for r in vgr_records}
    # Nothing of the message in clear on the shared broker.
    assert await inspect.kafka_records_containing(stack, marker.encode()) == []
