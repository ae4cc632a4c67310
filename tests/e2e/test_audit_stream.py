"""The auditors' side of the audit log on the real stack: the stream read from the beginning
by the example consumer (every record, each valid against the published schema; filtered by
unit), auditors confined to their units (search, export, stream filter), log review, and
the patient's own access log (exactly the staff reads of their messages).

Two fresh units X and Y, each with an administrator, a clinician and an auditor; patient A
writes to X, patient B to Y. X's administrator opens A's message (to distribute it), assigns
it, its clinician opens it, then the administrator opens it again (the review rule: a read
of a message assigned to someone else); Y's administrator opens B's message and tries A's
(refused: 404, and logged for X)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import httpx
import pytest

from examples.audit_consumer import records as stream_records
from tests.e2e import oidc_flow
from tests.e2e.staffing import Staff, Unit, hsa_id, import_catalogue, write_ldif
from tests.e2e.support import SEED, Person, eventually

pytestmark = pytest.mark.e2e
ROLES = {"admin X": ("X", "message_administrator"), "clinician X": ("X", "clinician"),
         "auditor X": ("X", "auditor"), "admin Y": ("Y", "message_administrator"),
         "auditor Y": ("Y", "auditor")}


@dataclass
class World:
    people: dict[str, Person]
    units: dict[str, str]
    a_message: str
    b_message: str
    reads: dict[str, set[tuple[str, str]]]  # patient -> {(staff pseudonym, message id)}


@pytest.fixture(scope="module")
async def http(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=30) as client:
        yield client


async def audit(person: Person, path: str, **params) -> httpx.Response:
    return await person._call("audit", "GET", f"/api/audit{path}", params=params)


async def _in_inbox(admin: Person, unit: str, message_id: str) -> None:
    async def arrived():
        r = await admin.unit("GET", f"/v1/units/{unit}/messages")
        return r.status_code == 200 and message_id in {m["message_id"]
                                                       for m in r.json()["items"]}
    await eventually(arrived, timeout=60, what="the message in the unit's inbox")


async def _open(person: Person, message_id: str, status: int = 200) -> None:
    r = await person.unit("POST", f"/v1/messages/{message_id}/open")
    assert r.status_code == status, r.text


@pytest.fixture(scope="module")
async def world(stack, http, tmp_path_factory) -> World:
    units = {"X": Unit(hsa_id("AX"), "Vårdcentralen Granskning X"),
             "Y": Unit(hsa_id("AY"), "Vårdcentralen Granskning Y")}
    ids = {actor: hsa_id("A") for actor in ROLES}
    people = [Staff(ids[a], "nurse", {units[u].unit_id: [role]}) for a, (u, role) in ROLES.items()]
    path = tmp_path_factory.mktemp("audit") / "units.ldif"
    await import_catalogue(stack, write_ldif(path, list(units.values()), people), merge=True)
    async with oidc_flow.Browser(await oidc_flow.identity_url(http)) as browser:
        page = await browser.login_page()  # a failed login first (a wrong password)
        failed = await browser.http.post("/login/staff", data={
            **oidc_flow.form(page, "/login/staff").fields, "hsa_id": ids["clinician X"],
            "password": "not the password", "otp": "000000"})
        assert failed.status_code in (200, 401, 403, 422)
    p = {a: await Person.login(http, hsa_id=ids[a]) for a in ROLES}
    p["patient A"] = await Person.login(http, personnummer=SEED["patients"][0]["personnummer"])
    p["patient B"] = await Person.login(http, personnummer=SEED["patients"][1]["personnummer"])
    x, y = units["X"].unit_id, units["Y"].unit_id
    a = await p["patient A"].submit(x, "renew_prescription", text="granskning A")
    b = await p["patient B"].submit(y, "renew_prescription", text="granskning B")
    assert a.status_code == b.status_code == 201
    a_msg, b_msg = a.json()["message_id"], b.json()["message_id"]
    await _in_inbox(p["admin X"], x, a_msg)
    await _in_inbox(p["admin Y"], y, b_msg)

    await _open(p["admin X"], a_msg)  # reading to distribute

    async def assigned():
        r = await p["admin X"].unit("POST", f"/v1/messages/{a_msg}/assign",
                                    json={"clinician_id": p["clinician X"].id})
        return r.status_code == 204
    await eventually(assigned, timeout=60, what="assignment to the clinician")
    await _open(p["clinician X"], a_msg)
    await _open(p["admin X"], a_msg)  # someone else's message by now: selected for review
    await _open(p["admin Y"], b_msg)
    await _open(p["admin Y"], a_msg, status=404)  # another unit's: refused, and logged
    reads = {"patient A": {(p["admin X"].id, a_msg), (p["clinician X"].id, a_msg)},
             "patient B": {(p["admin Y"].id, b_msg)}}
    return World(p, {"X": x, "Y": y}, a_msg, b_msg, reads)


async def _accesses(patient: Person) -> list[dict]:
    r = await audit(patient, "/v1/me/accesses", limit=200)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_the_patient_sees_exactly_the_staff_reads_of_their_messages(world) -> None:
    # Patients A and B are the seed's first two: other tests' reads of their messages may be
    # in their logs too, so the exact checks are on this module's two messages.
    ours = {world.a_message, world.b_message}
    for name in ("patient A", "patient B"):
        async def logged(name=name):
            items = [i for i in await _accesses(world.people[name]) if i["message_id"] in ours]
            return items if len(items) >= (3 if name == "patient A" else 1) else None
        items = await eventually(logged, timeout=60, what=f"{name}'s access log")
        assert {(i["staff_id"], i["message_id"]) for i in items} == world.reads[name]
        assert len(items) == (3 if name == "patient A" else 1)  # A's admin read twice
        assert {i["care_unit_id"] for i in items} == {world.units["X" if name == "patient A"
                                                                  else "Y"]}
    # Newest first, a page at a time (the patient's page: the latest reads on top).
    oldest_first = [i["seq"] for i in await _accesses(world.people["patient A"])]
    first = (await audit(world.people["patient A"], "/v1/me/accesses", newest_first="true",
                         limit=2)).json()
    assert [i["seq"] for i in first["items"]] == oldest_first[::-1][:2]
    assert first["next_before_seq"] == oldest_first[-2]
    rest = (await audit(world.people["patient A"], "/v1/me/accesses", newest_first="true",
                        limit=2, before_seq=first["next_before_seq"])).json()
    assert [i["seq"] for i in rest["items"]] == oldest_first[::-1][2:4]
    assert rest["next_before_seq"] == (oldest_first[-4] if len(oldest_first) > 4 else None)
    # Staff have no access log of their own here.
    r = await audit(world.people["admin X"], "/v1/me/accesses")
    assert r.status_code == 403


async def _search(person: Person, **params) -> list[dict]:
    r = await audit(person, "/v1/search", limit=500, **params)
    assert r.status_code == 200, r.text
    return r.json()["records"]


async def test_an_auditor_gets_nothing_of_another_unit(world, stack) -> None:
    aud_x, aud_y = world.people["auditor X"], world.people["auditor Y"]
    x, y = world.units["X"], world.units["Y"]
    patient_a, patient_b = world.people["patient A"].id, world.people["patient B"].id
    admin_x, clinician_x = world.people["admin X"].id, world.people["clinician X"].id

    async def x_records():
        # Y's refused attempt is the last access of the setup; it commits after X's reads.
        # The logins travel on identity's topic: no order with the mailbox's events.
        hits = await _search(aud_x)
        kinds = [h["event_type"] for h in hits if h["patient_id"] == patient_a]
        staff = {(h["event_type"], h["staff_id"]) for h in hits}
        return hits if (kinds.count("messaging.message_opened.v1") >= 3
                        and "messaging.access_denied.v1" in kinds
                        and ("identity.staff_logged_in.v1", admin_x) in staff
                        and ("identity.staff_login_failed.v1", clinician_x) in staff) else None
    everything = await eventually(x_records, timeout=60,
                                  what="X's reads, Y's refusal and X's logins searchable")
    assert everything and all(h["unit_ids"] == [x] for h in everything)
    assert patient_b not in {h["patient_id"] for h in everything}
    assert await _search(aud_x, patient=patient_b) == []
    assert await _search(aud_x, staff=world.people["admin Y"].id) == [
        h for h in everything if h["staff_id"] == world.people["admin Y"].id]
    denied = [h for h in everything if h["event_type"] == "messaging.access_denied.v1"]
    assert len(denied) == 1 and denied[0]["outcome"] == "4"  # Y's attempt, logged for X
    assert (await audit(aud_x, "/v1/search", unit=y)).status_code == 403
    # Logins and failed logins of X's staff, for X's auditor only.
    kinds = {(h["event_type"], h["staff_id"], h["outcome"]) for h in everything}
    assert ("identity.staff_logged_in.v1", world.people["admin X"].id, "0") in kinds
    assert ("identity.staff_login_failed.v1", world.people["clinician X"].id, "4") in kinds
    assert world.people["admin Y"].id not in {h["staff_id"] for h in everything
                                              if h["event_type"].startswith("identity.")}
    by_pnr = await _search(aud_x, patient=SEED["patients"][0]["personnummer"])
    assert {h["seq"] for h in by_pnr} == {h["seq"] for h in everything
                                         if h["patient_id"] == world.people["patient A"].id}
    # The chain view as well.
    r = await audit(aud_y, "/v1/records", limit=1000)
    assert r.status_code == 200
    assert not {rec["seq"] for rec in r.json()["records"]} & {h["seq"] for h in everything}

    # Exports: CSV and a FHIR Bundle, of X's records only.
    r = await audit(aud_x, "/v1/search/export.csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert r.status_code == 200 and rows and {row["unit_ids"] for row in rows} == {x}
    assert patient_b not in r.text and y not in r.text
    r = await audit(aud_y, "/v1/search/export.fhir")
    bundle = r.json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
    assert bundle["entry"] and x not in r.text
    assert world.people["patient A"].id not in r.text


async def test_review_queue_rule_selected_then_marked_and_audited(world) -> None:
    aud_x, aud_y = world.people["auditor X"], world.people["auditor Y"]
    admin = world.people["admin X"].id

    async def selected():
        r = await audit(aud_x, "/v1/reviews", limit=500)
        return [i for i in r.json()["items"] if i["staff_id"] == admin
                and "not_assigned" in i["reasons"]] or None
    [item] = await eventually(selected, timeout=60, what="the rule-selected read")
    clinician_reads = [i for i in (await audit(aud_x, "/v1/reviews")).json()["items"]
                       if i["staff_id"] == world.people["clinician X"].id]
    assert all("not_assigned" not in i["reasons"] for i in clinician_reads)
    assert all(i["unit_id"] == world.units["Y"]
               for i in (await audit(aud_y, "/v1/reviews", limit=500)).json()["items"])

    other = await aud_y._call("audit", "POST", f"/api/audit/v1/reviews/{item['seq']}",
                              json={"note": "not mine"})
    assert other.status_code == 404
    r = await aud_x._call("audit", "POST", f"/api/audit/v1/reviews/{item['seq']}",
                          json={"note": "Asked the administrator: checking a complaint."})
    assert r.status_code == 204, r.text
    again = await aud_x._call("audit", "POST", f"/api/audit/v1/reviews/{item['seq']}",
                              json={"note": "twice"})
    assert again.status_code == 409
    done = (await audit(aud_x, "/v1/reviews", reviewed="true", limit=500)).json()["items"]
    assert any(d["seq"] == item["seq"] and d["reviewer_id"] == aud_x.id for d in done)
    reviews = [h for h in await _search(aud_x, staff=aud_x.id)
               if h["event_type"] == "audit.access_reviewed.v1"]
    assert len(reviews) == 1 and reviews[0]["unit_ids"] == [world.units["X"]]


async def test_the_stream_from_the_beginning_has_every_record_valid_and_filters_by_unit(
        world, stack) -> None:
    internal = {"X-Internal-Api-Key": stack.cfg.internal_credential("operator")}
    async with httpx.AsyncClient(base_url=stack.urls()["audit"], headers=internal) as client:
        async def settled():  # the world's records are in the log (the last is the refusal)
            r = await client.get("/v1/search", params={"unit": world.units["X"], "limit": 500})
            return any(h["event_type"] == "messaging.access_denied.v1"
                       for h in r.json()["records"])
        await eventually(settled, timeout=60, what="the refusal recorded")
        head = (await client.get("/v1/verify")).json()["records"]
    bootstrap, topic = stack.cfg.kafka_bootstrap, f"{stack.cfg.region}.audit.events"
    login = stack.cfg.kafka_auth().client_options()  # the stack's admin

    async def everything():
        seen = [r async for r in stream_records(bootstrap, idle_s=2.0, topic=topic, login=login)]  # each validated
        return seen if set(range(1, head + 1)) <= {r["data"]["seq"] for r in seen} else None
    seen = await eventually(everything, timeout=90, what="every record on the stream")
    # Delivery is at least once; a redelivered record keeps its event id (the idempotency key).
    ids = {(r["data"]["seq"], r["data"]["unit_id"]): set() for r in seen}
    for r in seen:
        ids[(r["data"]["seq"], r["data"]["unit_id"])].add(r["event_id"])
    assert all(len(v) == 1 for v in ids.values())
    x, y = world.units["X"], world.units["Y"]
    # Up to the head read above: records after it (late events of X's unit) may reach the
    # stream between the two reads. Read again while some are missing, as for `seen`: the
    # read ends at the first idle gap, which a busy broker can leave before the last ones.
    x_seqs = {r["data"]["seq"] for r in seen if r["data"]["unit_id"] == x
              and r["data"]["seq"] <= head}

    async def filtered():
        got = [r async for r in stream_records(bootstrap, unit=x, idle_s=2.0, topic=topic,
                                               login=login)]
        return got if x_seqs <= {r["data"]["seq"] for r in got} else None
    only_x = await eventually(filtered, timeout=90, what="X's records on the filtered stream")
    assert only_x and {r["data"]["unit_id"] for r in only_x} == {x}
    assert {r["data"]["seq"] for r in only_x if r["data"]["seq"] <= head} == x_seqs
    text = str(only_x)
    assert y not in text and world.people["patient B"].id not in text
    reads = [r for r in only_x if r["data"]["resource"]["subtype"][-1]["code"]
             == "messaging.message_opened.v1"]
    assert len(reads) == 3
    assert SEED["patients"][0]["personnummer"] not in str(seen)
