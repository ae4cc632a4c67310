"""A patient's own e-mail address, end to end on the real services: a patient made at their
first e-ID login saves an address, gets the confirmation mail in the SMTP sink, confirms it
with the token, is then e-mailed when answered, and no longer after switching answer mail off.
The address never travels on Kafka."""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from devstack.services import service_url
from tests.e2e import inspect
from tests.e2e.support import SEED, Person, eventually, staff_of

pytestmark = pytest.mark.e2e

UNIT = SEED["care_units"][0]
PATIENT = "196702029247"  # in the population register, not seeded: no address at first
LINK = re.compile(r"http://\S+/settings/verify\?token=[A-Za-z0-9_\-%]+")


@pytest.fixture
async def http(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=20) as client:
        yield client


async def identity(person: Person, method: str, path: str, **kw) -> httpx.Response:
    return await person._call("identity", method, f"/api/identity{path}", **kw)


async def answered_conversation(patient: Person, admin: Person, doctor: Person) -> str:
    submitted = await patient.submit(UNIT["unit_id"], "renew_prescription",
                                     text="Fråga om kontakt.")
    assert submitted.status_code == 201, submitted.text
    message_id = submitted.json()["message_id"]

    async def assigned():
        r = await admin.unit("POST", f"/v1/messages/{message_id}/assign",
                             json={"clinician_id": doctor.id})
        return r.status_code == 204 or None
    await eventually(assigned, what="message reached the unit and assigned")
    assert (await doctor.unit("POST", f"/v1/messages/{message_id}/open")).status_code == 200
    replied = await doctor.unit("POST", f"/v1/messages/{message_id}/reply",
                                json={"text": "Svar."})
    assert replied.status_code == 201, replied.text
    return submitted.json()["conversation_id"]


async def notification_states(stack, conversation_id: str) -> list[str] | None:
    async with httpx.AsyncClient(base_url=service_url(stack.cfg, "notifier")) as client:
        r = await client.get("/v1/notifications", params={"conversation_id": conversation_id},
                             headers={"X-Internal-Api-Key": stack.cfg.internal_credential("operator")})
    states = [n["state"] for n in r.json() if n["recipient_kind"] == "patient"
              and n["reason"] == "messaging.reply_delivered.v1"]
    return states if states and "pending" not in states else None


async def test_set_confirm_notify_and_opt_out(stack, http):
    address = f"kontakt-{uuid.uuid4().hex[:12]}@example.org"
    patient = await Person.login(http, personnummer=PATIENT)
    me = (await identity(patient, "GET", "/v1/me")).json()
    assert me["email"] is None and me["email_verified"] is False
    assert me["notify"] == {"answer": True, "reminder": True}

    bad = await identity(patient, "PUT", "/v1/me/contact",
                         json={"email": "inte en adress", "notify": {"answer": True}})
    assert bad.status_code == 422
    saved = await identity(patient, "PUT", "/v1/me/contact", json={
        "email": address, "notify": {"answer": True, "reminder": True}})
    assert saved.status_code == 200, saved.text
    assert saved.json()["email"] == address and saved.json()["email_verified"] is False

    # The confirmation mail: a link with a token to the gateway, no name, no content.
    [mail] = await eventually(lambda: inspect.mails_to(stack, address),
                              what="confirmation mail")
    assert "Aktiva" not in mail["body"] and "Kodsdotter" not in mail["body"]
    link = LINK.search(mail["body"]).group(0)
    assert link.startswith(stack.urls()["gateway"])
    token = parse_qs(urlsplit(link).query)["token"][0]

    wrong = await identity(patient, "POST", "/v1/me/contact/verify", json={"token": "x" * 43})
    assert wrong.status_code == 422 and wrong.json()["detail"]["code"] == "invalid_token"
    other = await Person.login(http, personnummer=SEED["patients"][1]["personnummer"])
    stolen = await identity(other, "POST", "/v1/me/contact/verify", json={"token": token})
    assert stolen.status_code == 422  # someone else's token is just unknown
    ok = await identity(patient, "POST", "/v1/me/contact/verify", json={"token": token})
    assert ok.status_code == 200 and ok.json()["email_verified"] is True
    again = await identity(patient, "POST", "/v1/me/contact/verify", json={"token": token})
    assert again.status_code == 409 and again.json()["detail"]["code"] == "token_used"
    assert (await identity(patient, "GET", "/v1/me")).json()["email_verified"] is True

    # Answered: one mail to the confirmed address.
    admin = await Person.login(
        http, hsa_id=staff_of(UNIT["unit_id"], "message_administrator")[0]["hsa_id"])
    doctor = await Person.login(
        http, hsa_id=staff_of(UNIT["unit_id"], "clinician", "doctor")[0]["hsa_id"])
    first = await answered_conversation(patient, admin, doctor)
    assert await eventually(lambda: notification_states(stack, first),
                            what="answer mail sent") == ["sent"]
    assert len(await inspect.mails_to(stack, address)) == 2

    # Answer mail switched off: the next answer is recorded but not mailed.
    off = await identity(patient, "PUT", "/v1/me/contact", json={
        "email": address, "notify": {"answer": False, "reminder": True}})
    assert off.status_code == 200 and off.json()["email_verified"] is True  # same address
    second = await answered_conversation(patient, admin, doctor)
    assert await eventually(lambda: notification_states(stack, second),
                            what="answer mail decided") == ["opted_out"]
    assert len(await inspect.mails_to(stack, address)) == 2

    # The address itself never travelled on Kafka.
    assert await inspect.kafka_records_containing(stack, address.encode()) == []
