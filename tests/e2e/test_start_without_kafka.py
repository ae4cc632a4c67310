"""A service started while Kafka is down serves its API and publishes from its outbox once
the broker is back: the patient mailbox restarts with the broker stopped, takes a message,
and the care unit receives it after the broker returns."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.e2e.support import SEED, Person, all_pages, eventually, staff_of

pytestmark = pytest.mark.e2e

UNIT = SEED["care_units"][1]


async def test_patient_mailbox_started_without_kafka_takes_a_message_that_arrives_later(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=30) as http:
        patient = await Person.login(http, personnummer=SEED["patients"][5]["personnummer"])
        admin = await Person.login(
            http, hsa_id=staff_of(UNIT["unit_id"], "message_administrator")[0]["hsa_id"])
        assert (await patient.submit(UNIT["unit_id"], "book_appointment")).status_code == 201

        await asyncio.to_thread(stack.stop_service, "kafka")
        try:
            stack.kill_service("patient-mailbox")
            # Waits for /readyz: before this change the service never got there.
            await asyncio.to_thread(stack.start_service, "patient-mailbox", 60)
            r = await patient.submit(UNIT["unit_id"], "renew_sick_leave")
            assert r.status_code == 201, r.text
            message_id = r.json()["message_id"]
        finally:
            await asyncio.to_thread(stack.start_service, "kafka")

        async def arrived():  # every page: the list is oldest first, and other tests fill it
            try:
                inbox = await all_pages(admin, f"/v1/units/{UNIT['unit_id']}/messages",
                                        view="all")
            except AssertionError:  # not 200 (yet): the broker is just back
                return None
            return [m for m in inbox if m["message_id"] == message_id]
        await eventually(arrived, timeout=120, what="the message after the broker's return")
