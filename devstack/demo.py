"""Demo data for a new user to look at: fictitious patients (the seed population) write to one
care unit, whose seeded staff take each conversation to a different state: sent, received,
in a group's pool, with a clinician, answered, asking the patient, answered by the patient,
closed, overdue, with an appointment proposal, archived by the patient.

Everything goes through the gateway with real logins (test e-ID for patients, password +
TOTP for staff: devstack/oidc_login.py), so bodies are sealed, events flow and audit records
are written as for any other use. `scripts/start` runs it once the services are up
(`--no-demo` or DEVSTACK_DEMO=0 turns it off); it is skipped when the demo unit already has
messages, and refused in production (the development credentials do not exist there).

    python -m devstack.demo GATEWAY_URL [--size N]    against a running development stack"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from devstack.config import REPO_ROOT
from devstack.people import Person, eventually

SEED_DIR = REPO_ROOT / "services/identity/seed"
# The order new conversations cycle through; "overdue" uses an e-service the unit promises
# to answer within 0 days, so the answer-time check marks it overdue within seconds.
STATES = ("sent", "received", "pool", "assigned", "answered", "waiting", "patient_replied",
          "closed", "overdue", "appointment", "archived")
OVERDUE_SERVICE = "renew_sick_leave"
# advice asks for a nurse, so it lands in the nurses' pool by itself ("sent" shows that).
SERVICE_OF = {"sent": "advice", "appointment": "book_appointment", "overdue": OVERDUE_SERVICE}
CONCURRENCY = 12


class DemoRefused(RuntimeError):
    pass


@dataclass(frozen=True)
class DemoUnit:
    unit_id: str
    admin: str  # HSA-id of a message administrator
    clinician: str  # HSA-id of a clinician (e.g. a doctor)
    group: str = "nurses"  # a group pool of the unit


def seeded_unit(unit_id: str = "SE2321000016-TEST3") -> DemoUnit:
    """The demo unit from the identity seed, with its administrator and doctor."""
    staff = json.loads((SEED_DIR / "stockholm.json").read_text(encoding="utf-8"))["staff"]

    def first(role: str, profession: str | None = None) -> str:
        return next(s["hsa_id"] for s in staff if (profession in (None, s["profession"])) and any(
            m["unit_id"] == unit_id and role in m["roles"] for m in s["memberships"]))
    return DemoUnit(unit_id, first("message_administrator"), first("clinician", "doctor"))


def demo_patients() -> list[str]:
    """The seed population's personnummer, without protected identities."""
    with (SEED_DIR / "population_stockholm.csv").open(encoding="utf-8") as f:
        return [r["personnummer"].replace("-", "") for r in csv.DictReader(f)
                if r["protected_identity"] != "true"]


async def seed(gateway_url: str, unit: DemoUnit, *, size: int = 220,
               environment: str = "development") -> Counter[str] | None:
    """Create `size` conversations at `unit`; returns how many of each state, or None when the
    unit already has messages (the demo was loaded before)."""
    if environment == "production":
        raise DemoRefused("the demo seed never runs in production")
    limits = httpx.Limits(max_connections=CONCURRENCY * 2)
    async with httpx.AsyncClient(base_url=gateway_url, timeout=60, limits=limits) as http:
        admin = await Person.login(http, hsa_id=unit.admin)
        if await _has_messages(admin, unit.unit_id):
            return None
        clinician = await Person.login(http, hsa_id=unit.clinician)
        await _promise_zero_days(admin, unit.unit_id)
        patients = await asyncio.gather(*(Person.login(http, personnummer=p)
                                          for p in demo_patients()))
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(n: int) -> str:
            async with gate:
                state = STATES[n % len(STATES)]
                await _conversation(state, patients[n % len(patients)], admin, clinician, unit)
                return state
        return Counter(await asyncio.gather(*(one(n) for n in range(size))))


async def _has_messages(admin: Person, unit_id: str) -> bool:
    async def listed() -> list | None:
        r = await admin.unit("GET", f"/v1/units/{unit_id}/messages", params={"limit": 1})
        return [r.json()["items"]] if r.status_code == 200 else None  # 403: not staffed yet
    [items] = await eventually(listed, timeout=60, what="the demo unit's message list")
    return bool(items)


async def _promise_zero_days(admin: Person, unit_id: str) -> None:
    await _ok(lambda: admin.unit("PUT", f"/v1/units/{unit_id}/answer-promises/{OVERDUE_SERVICE}",
                                 json={"days": 0}), 204, "the overdue promise")


async def _ok(call: Any, status: int, what: str) -> httpx.Response:
    """Retry `call` until it answers `status`: each step waits for the previous one's events
    to reach the other mailbox (404/409 until then)."""
    last: list[str] = []

    async def attempt() -> httpx.Response | None:
        r = await call()
        last[:] = [f"{r.status_code} {r.text[:200]}"]
        return r if r.status_code == status else None
    try:
        return await eventually(attempt, timeout=90, what=what)
    except AssertionError:
        raise RuntimeError(f"demo step failed: {what}: {last}") from None


async def _conversation(state: str, patient: Person, admin: Person, clinician: Person,
                        unit: DemoUnit) -> None:
    service = SERVICE_OF.get(state, "renew_prescription")
    sent = await patient.submit(unit.unit_id, service, text=_TEXTS[service])
    if sent.status_code != 201:
        raise RuntimeError(f"demo message refused: {sent.status_code} {sent.text[:200]}")
    message_id, conversation_id = sent.json()["message_id"], sent.json()["conversation_id"]
    msg = f"/v1/messages/{message_id}"
    if state in ("sent", "overdue"):
        return
    if state == "appointment":
        starts = (datetime.now(UTC) + timedelta(days=3 + len(message_id) % 5)).replace(
            minute=0, second=0, microsecond=0)
        await _ok(lambda: admin.unit("POST", f"{msg}/appointments", json={
            "starts_at": starts.isoformat(), "minutes": 30}), 201, "an appointment proposal")
        return
    await _ok(lambda: admin.unit("POST", f"{msg}/open"), 200, "the message at the unit")
    if state == "received":
        return
    if state == "pool":
        await _ok(lambda: admin.unit("POST", f"{msg}/assign", json={"group_id": unit.group}),
                  204, "assigned to a pool")
        return
    await _ok(lambda: admin.unit("POST", f"{msg}/assign", json={"clinician_id": clinician.id}),
              204, "assigned to a clinician")
    if state == "assigned":
        return
    action = {"answered": "answer", "closed": "close", "archived": "close"}.get(state, "ask")
    await _ok(lambda: clinician.unit("POST", f"{msg}/reply", json={
        "text": _ANSWERS[action], "action": action}), 201, "the answer")
    conv = f"/v1/conversations/{conversation_id}"
    if state == "patient_replied":
        await _ok(lambda: patient.patient("POST", f"{conv}/messages", json={
            "text": "Tack! Jag har tagit min medicin som vanligt och mår bättre."}),
            201, "the patient's reply")
    elif state == "archived":
        await _ok(lambda: patient.patient("POST", f"{conv}/archive"), 204, "archived")


_TEXTS = {
    "renew_prescription": "Jag behöver förnya mitt recept, det tar slut nästa vecka.",
    "advice": "Jag har haft ont i halsen i fyra dagar. Bör jag komma in?",
    "book_appointment": "Jag skulle vilja boka en tid för en hälsokontroll.",
    OVERDUE_SERVICE: "Mitt sjukintyg går ut på fredag och jag är fortfarande sjuk.",
}
_ANSWERS = {
    "answer": "Receptet är förnyat och finns på apoteket i morgon.",
    "ask": "Vilken dos tar du i dag, och har du några biverkningar?",
    "close": "Receptet är förnyat. Hör av dig om något förändras.",
}


def run(gateway_url: str, unit: DemoUnit | None = None, *, size: int = 220,
        environment: str = "development") -> str:
    """Load the demo (synchronously) and return one line for the console."""
    t0 = time.monotonic()
    made = asyncio.run(seed(gateway_url, unit or seeded_unit(), size=size,
                            environment=environment))
    if made is None:
        return "demo data: already loaded (the demo unit has messages), nothing added"
    return (f"demo data: {sum(made.values())} conversations in {time.monotonic() - t0:.0f}s ("
            + ", ".join(f"{s} {made[s]}" for s in STATES) + ")")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m devstack.demo", description=__doc__)
    p.add_argument("gateway_url")
    p.add_argument("--size", type=int, default=220, choices=range(1, 2001), metavar="1..2000")
    args = p.parse_args(argv)
    print(run(args.gateway_url, size=args.size))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
