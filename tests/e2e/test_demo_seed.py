"""The demo seed (devstack/demo.py) on the running system, at a small size: it loads
conversations in every state at a fresh unit, a second run adds nothing, and it is refused
in production."""

from __future__ import annotations

import httpx
import pytest

from devstack.demo import STATES, DemoRefused, DemoUnit, seed
from tests.e2e.staffing import Staff, Unit, hsa_id, import_catalogue, write_ldif
from tests.e2e.support import Person, all_pages, eventually

pytestmark = pytest.mark.e2e

SIZE = 22  # every state twice


async def test_the_demo_has_every_state_and_loads_once(stack, tmp_path):
    unit = Unit(hsa_id("DM"), "Vårdcentralen Demo", services=[
        "renew_prescription", "advice", "book_appointment", "renew_sick_leave"])
    admin_id, doctor_id, nurse_id = hsa_id("DA"), hsa_id("DD"), hsa_id("DN")
    await import_catalogue(stack, write_ldif(tmp_path / "demo.ldif", [unit], [
        Staff(admin_id, "medical_secretary", {unit.unit_id: ["message_administrator"]}),
        Staff(doctor_id, "doctor", {unit.unit_id: ["clinician"]}),
        Staff(nurse_id, "nurse", {unit.unit_id: ["clinician"]})]), merge=True)
    demo = DemoUnit(unit.unit_id, admin_id, doctor_id)
    gateway = stack.urls()["gateway"]

    with pytest.raises(DemoRefused):
        await seed(gateway, demo, size=SIZE, environment="production")
    made = await seed(gateway, demo, size=SIZE, environment="test")
    assert made == {state: 2 for state in STATES}
    assert await seed(gateway, demo, size=SIZE, environment="test") is None

    async with httpx.AsyncClient(base_url=gateway, timeout=30) as http:
        admin = await Person.login(http, hsa_id=admin_id)
        doctor = (await Person.login(http, hsa_id=doctor_id)).id  # the staff id the APIs use

        # The seed returns once its own calls are answered: the messages it only sends, and
        # the patients' replies, are still on their way to the unit.
        async def arrived():
            items = await all_pages(admin, f"/v1/units/{unit.unit_id}/messages")
            return items if len(items) >= SIZE and any(
                m["unread_from_patient"] for m in items) else None
        items = await eventually(arrived, what="every demo message at the unit")
    assert len(items) == SIZE
    statuses = {m["status"] for m in items}
    assert {"unassigned", "assigned", "answered", "waiting", "closed"} <= statuses, statuses
    assert any(m["group_id"] == "nurses" for m in items)
    assert any(m["assigned_to"] == doctor and m["status"] == "assigned" for m in items)
    assert any(m["unread_from_patient"] for m in items)
    assert any(m["overdue"] for m in items) or await _overdue_soon(admin, unit.unit_id)


async def _overdue_soon(admin: Person, unit_id: str) -> bool:
    async def marked():
        return any(m["overdue"] for m in await all_pages(admin, f"/v1/units/{unit_id}/unanswered"))
    return await eventually(marked, timeout=60, what="an overdue demo message")
