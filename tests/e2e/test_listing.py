"""Units offer each e-service to all residents or to their listed patients only: identity
puts the unit a patient is listed at (from its population register copy) in their tokens,
and the patient mailbox refuses a listed-only service to anyone not listed at the unit,
storing nothing. The situation is made at TEST3 by its form designer and undone at the end
(the other tests submit there too, sharing the stack)."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from tests.e2e.support import SEED, Person, all_pages, eventually, staff_of

pytestmark = pytest.mark.e2e

UNIT = SEED["care_units"][2]["unit_id"]  # SE2321000016-TEST3
SERVICE = "renew_prescription"
LISTED = "198809159158"  # Provbert Paketsson: listed at TEST3 in the register file
ELSEWHERE = "191212121212"  # Tolvan Tolvansson: listed at TEST1
NOWHERE = "194507049817"  # Sven Exempelberg: not listed anywhere


@pytest.fixture
async def http(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=30) as client:
        yield client


def claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def audience_at_mailbox(patient: Person, audience: str) -> bool:
    """Whether the patient mailbox's projection has caught up with forms."""
    offers = (await patient.patient("GET", f"/v1/units/{UNIT}/services")).json()
    return any(o["service_type"] == SERVICE and o["audience"] == audience for o in offers)


async def conversation_ids(patient: Person) -> set[str]:
    """Which conversations the patient has. Not their contents: Tolvan is the seed's first
    patient, and other tests' answers and receipts may still be reaching his conversations."""
    return {c["conversation_id"] for c in await all_pages(
        patient, "/v1/conversations", audience="patient-mailbox")}


async def test_a_service_for_listed_patients_only(http) -> None:
    designer = await Person.login(http, hsa_id=staff_of(UNIT, "form_designer")[0]["hsa_id"])
    admin = await Person.login(http, hsa_id=staff_of(UNIT, "message_administrator")[0]["hsa_id"])
    listed = await Person.login(http, personnummer=LISTED)  # a first e-ID login, too
    elsewhere = await Person.login(http, personnummer=ELSEWHERE)
    nowhere = await Person.login(http, personnummer=NOWHERE)
    assert {claims(t).get("listed_unit") for t in listed.tokens.values()} == {UNIT}
    assert claims(elsewhere.tokens["patient-mailbox"])["listed_unit"] == SEED["care_units"][0][
        "unit_id"]
    assert "listed_unit" not in claims(nowhere.tokens["patient-mailbox"])

    offered = (await designer.forms("GET", f"/v1/units/{UNIT}/services")).json()
    original = [{"service_type": o["service_type"], "audience": o["audience"]} for o in offered]
    assert {"service_type": SERVICE, "audience": "all_residents"} in original
    restricted = [{**o, "audience": "listed_patients"} if o["service_type"] == SERVICE else o
                  for o in original]
    try:
        changed = await designer.forms("PUT", f"/v1/units/{UNIT}/services",
                                       json={"services": restricted})
        assert changed.status_code == 200, changed.text
        await eventually(lambda: audience_at_mailbox(nowhere, "listed_patients"),
                         what="the listed-only offer at the patient mailbox")

        for outsider in (elsewhere, nowhere):
            before = await conversation_ids(outsider)
            refused = await outsider.submit(UNIT, SERVICE)
            assert refused.status_code == 403, refused.text
            assert "only to patients listed there" in refused.json()["detail"]
            assert await conversation_ids(outsider) == before
        accepted = await listed.submit(UNIT, SERVICE)
        assert accepted.status_code == 201, accepted.text

        async def in_unit_inbox() -> bool:
            inbox = await all_pages(admin, f"/v1/units/{UNIT}/messages")
            return any(m["message_id"] == accepted.json()["message_id"] for m in inbox)
        await eventually(in_unit_inbox, what="the listed patient's message at the unit")
    finally:
        restored = await designer.forms("PUT", f"/v1/units/{UNIT}/services",
                                        json={"services": original})
        assert restored.status_code == 200, restored.text
        await eventually(lambda: audience_at_mailbox(nowhere, "all_residents"),
                         what="the offer open to all residents again")
