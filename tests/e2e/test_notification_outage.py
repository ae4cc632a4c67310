"""The SMTP server goes away during a burst of notifications, and the notifier is killed
while it is away: when the server is back, every e-mail has arrived exactly once (one per
notification, each with its own deterministic Message-ID, none twice)."""

from __future__ import annotations

import asyncio
import email

import httpx
import pytest

from devstack.services import service_url
from tests.e2e import inspect
from tests.e2e.staffing import Unit, hsa_id, import_catalogue, write_ldif
from tests.e2e.support import SEED, Person, eventually

pytestmark = pytest.mark.e2e


@pytest.fixture
async def http(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=30) as client:
        yield client


async def message_ids(stack, address: str) -> list[str]:
    base = f"http://127.0.0.1:{stack.cfg.mailsink_http_port}/api/messages"
    ids = []
    async with httpx.AsyncClient() as client:
        for mail in await inspect.mails_to(stack, address):
            raw = (await client.get(f"{base}/{mail['id']}/raw")).content
            ids.append(email.message_from_bytes(raw)["Message-ID"])
    return ids


async def test_smtp_down_during_a_burst_every_mail_arrives_exactly_once(stack, http, tmp_path):
    unit = Unit(hsa_id("SM"), "Vårdcentralen Brevlåda")
    await import_catalogue(stack, write_ldif(tmp_path / "smtp.ldif", [unit], []), merge=True)
    address = f"inkorg.{unit.unit_id[-6:].lower()}@vard.example"
    patient = await Person.login(http, personnummer=SEED["patients"][1]["personnummer"])

    async def burst(n: int) -> list[str]:
        return [(await patient.submit(unit.unit_id, "renew_prescription")).json()[
            "conversation_id"] for _ in range(n)]

    before = await burst(2)
    await eventually(lambda: _count(stack, address, 2), timeout=60, what="the first mails")
    stack.stop_service("mailsink")
    try:
        during = await burst(6)

        async def tried_and_failed():  # the notifier tried while the server was away
            return [a for a in await _unit_mail_attempts(stack, during, state="pending")
                    if a >= 1] or None
        await eventually(tried_and_failed, timeout=60, what="a failed send during the outage")
        stack.kill_service("notifier")  # and dies with notifications pending
        stack.start_service("notifier")
        await asyncio.sleep(2)
    finally:
        stack.start_service("mailsink")

    ids = await eventually(lambda: _count(stack, address, 8), timeout=120,
                           what="every mail after the outage")
    assert len(set(ids)) == 8, ids
    await asyncio.sleep(8)  # nothing more arrives later (no duplicate from a retry)
    assert sorted(await message_ids(stack, address)) == sorted(ids)

    for conversation_id in before + during:  # one unit mail each, sent
        assert len(await _unit_mail_attempts(stack, [conversation_id], state="sent")) == 1
        assert await _unit_mail_attempts(stack, [conversation_id], state="pending") == []
    # A mail sent at once counts one attempt; the outage left at least one with more.
    assert any(a >= 2 for a in await _unit_mail_attempts(stack, during, state="sent"))


async def _unit_mail_attempts(stack, conversations: list[str], *, state: str) -> list[int]:
    """The attempts of each unit mail of these conversations that is in `state`."""
    attempts = []
    async with httpx.AsyncClient(base_url=service_url(stack.cfg, "notifier")) as client:
        for conversation_id in conversations:
            r = await client.get("/v1/notifications", params={"conversation_id": conversation_id},
                                 headers={"X-Internal-Api-Key": stack.cfg.internal_credential("operator")})
            attempts += [n["attempts"] for n in r.json()
                         if n["recipient_kind"] == "care_unit" and n["state"] == state]
    return attempts


async def _count(stack, address: str, n: int) -> list[str] | None:
    ids = await message_ids(stack, address)
    assert len(ids) <= n, f"more mails than notifications: {ids}"
    return ids if len(ids) == n else None
