"""Appointment requests that act, on the running services (real Kafka and PostgreSQL): the
unit proposes a time in the conversation, the patient accepts or declines it and both sides
see the same; the patient asks to change an appointment (change_appointment naming it),
the unit proposes a new time that replaces it; appointments are cancelled by the unit and
by the patient."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.e2e.support import SEED, Person, eventually, staff_of

pytestmark = pytest.mark.e2e

U = SEED["care_units"][1]["unit_id"]  # TEST2
PATIENT = "197702248241"


@pytest.fixture
async def http(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=30) as client:
        yield client


def soon(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


async def test_propose_accept_decline_change_and_cancel(http):
    admin = await Person.login(http, hsa_id=staff_of(U, "message_administrator")[0]["hsa_id"])
    patient = await Person.login(http, personnummer=PATIENT)
    sent = await patient.submit(U, "book_appointment")
    assert sent.status_code == 201, sent.text
    message_id, conversation_id = sent.json()["message_id"], sent.json()["conversation_id"]

    async def propose(**body) -> str:
        r = await admin.unit("POST", f"/v1/messages/{message_id}/appointments", json=body)
        return r.json()["appointment_id"] if r.status_code == 201 else None
    first = await eventually(lambda: propose(starts_at=soon(3), minutes=30),
                             what="the request at the unit")
    past = await admin.unit("POST", f"/v1/messages/{message_id}/appointments",
                            json={"starts_at": soon(-1)})
    assert past.status_code == 422 and "passed" in past.text

    async def at_patient(appointment_id: str, status: str):
        conv = (await patient.patient("GET", f"/v1/conversations/{conversation_id}")).json()
        return any(a["appointment_id"] == appointment_id and a["status"] == status
                   for a in conv["appointments"])

    async def at_unit(appointment_id: str, status: str):
        found = (await admin.unit("GET", f"/v1/messages/{message_id}/appointments")).json()
        return any(a["appointment_id"] == appointment_id and a["status"] == status
                   for a in found)

    # Accept: both sides see it accepted.
    await eventually(lambda: at_patient(first, "proposed"), what="the proposal at the patient")
    assert (await patient.patient("POST", f"/v1/appointments/{first}/accept")).status_code == 204
    again = await patient.patient("POST", f"/v1/appointments/{first}/decline")
    assert again.status_code == 409, again.text
    await eventually(lambda: at_unit(first, "accepted"), what="accepted at the unit")
    listed = (await patient.patient("GET", "/v1/appointments")).json()
    assert any(a["appointment_id"] == first and a["status"] == "accepted" for a in listed)

    # Decline another proposal.
    second = await propose(starts_at=soon(4))
    await eventually(lambda: at_patient(second, "proposed"), what="the second proposal")
    assert (await patient.patient("POST", f"/v1/appointments/{second}/decline")
            ).status_code == 204
    await eventually(lambda: at_unit(second, "declined"), what="declined at the unit")

    # Change: the patient's change_appointment names the accepted one; the unit's new
    # proposal replaces it on both sides.
    wrong = await patient.submit(U, "change_appointment", appointment_id="no-such-appointment")
    assert wrong.status_code == 422, wrong.text
    change = await patient.submit(U, "change_appointment", appointment_id=first)
    assert change.status_code == 201, change.text
    moved = await propose(starts_at=soon(5), replaces=first)
    assert moved is not None
    await eventually(lambda: at_patient(first, "replaced"), what="replaced at the patient")
    await eventually(lambda: at_patient(moved, "proposed"), what="the new time at the patient")
    assert await at_unit(first, "replaced")
    assert (await patient.patient("POST", f"/v1/appointments/{moved}/accept")).status_code == 204
    await eventually(lambda: at_unit(moved, "accepted"), what="the new time accepted")

    # Cancel: by the patient (an accepted time), and by the unit (a proposal).
    assert (await patient.patient("POST", f"/v1/appointments/{moved}/cancel")).status_code == 204
    await eventually(lambda: at_unit(moved, "cancelled"), what="the patient's cancellation")
    third = await propose(starts_at=soon(6))
    assert (await admin.unit("POST", f"/v1/appointments/{third}/cancel")).status_code == 204
    await eventually(lambda: at_patient(third, "cancelled"), what="the unit's cancellation")
    assert (await admin.unit("POST", f"/v1/appointments/{third}/cancel")).status_code == 409
