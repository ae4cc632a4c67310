"""Who may do what, tried against the running services: every endpoint that takes an object
id or a unit id, for every kind of actor, as a table (endpoint x actor -> allow/deny).

The world is built through the normal workflow: two fresh care units X and Y with their
staff come from a catalogue import (as HSA would deliver them), forms are provisioned for
them, patient A writes to X, X's administrator distributes. Then every case runs; denied
cases first, so a denied write that slipped through would show in the allowed one after it.
Zero unauthorized successes, and every allowed case succeeds.

A second test attacks a running service with forged and altered tokens."""

from __future__ import annotations

import base64
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey

from devstack.services import _dev_kek
from services.identity.signing import keys as identity_keys
from shared.crypto.keyring import KeyWrapper
from tests.e2e.staffing import Staff, Unit, hsa_id, import_catalogue, write_ldif
from tests.e2e.support import SEED, Person, eventually, sample_answers

pytestmark = pytest.mark.e2e

SERVICE = "renew_prescription"
ADMIN, CLIN, DESIGNER, AUDITOR = "message_administrator", "clinician", "form_designer", "auditor"
PATIENTS = ("patient A", "patient A (password)", "patient B")
STAFF_ROLES = {  # actor -> (unit, roles)
    "admin X": ("X", [ADMIN]), "clinician X1": ("X", [CLIN]), "clinician X2": ("X", [CLIN]),
    "designer X": ("X", [DESIGNER]), "auditor X": ("X", [AUDITOR]),
    "admin Y": ("Y", [ADMIN]), "clinician Y": ("Y", [CLIN]), "designer Y": ("Y", [DESIGNER]),
}
ACTORS = PATIENTS + tuple(STAFF_ROLES)
STAFF_OF_X = frozenset(a for a, (u, _) in STAFF_ROLES.items() if u == "X")
EVERYONE = frozenset(ACTORS)
DENIED = (401, 403, 404)


@dataclass
class World:
    people: dict[str, Person]
    ids: dict[str, str]  # placeholders for paths: X, Y, conv_A, m_read, form_X, ...
    bodies: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
async def http(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
async def world(stack, http, tmp_path_factory) -> World:
    units = {"X": Unit(hsa_id("MX"), "Vårdcentralen Matris X"),
             "Y": Unit(hsa_id("MY"), "Vårdcentralen Matris Y")}
    staff_ids = {actor: hsa_id("M") for actor in STAFF_ROLES}
    people = [Staff(staff_ids[a], "nurse", {units[u].unit_id: roles})
              for a, (u, roles) in STAFF_ROLES.items()]
    path = tmp_path_factory.mktemp("matrix") / "units.ldif"
    await import_catalogue(stack, write_ldif(path, list(units.values()), people), merge=True)

    logged_in = {a: await Person.login(http, hsa_id=staff_ids[a]) for a in STAFF_ROLES}
    pnr_a, pnr_b = SEED["patients"][0]["personnummer"], SEED["patients"][1]["personnummer"]
    logged_in["patient A"] = await Person.login(http, personnummer=pnr_a)
    logged_in["patient A (password)"] = await Person.login(http, personnummer=pnr_a, loa=2)
    logged_in["patient B"] = await Person.login(http, personnummer=pnr_b)
    x = units["X"].unit_id
    w = World(people=logged_in, ids={"X": x, "Y": units["Y"].unit_id})

    patient, admin = logged_in["patient A"], logged_in["admin X"]
    sent = []
    for n in range(5):
        r = await patient.submit(x, SERVICE, text=f"matris {n}")
        assert r.status_code == 201, r.text
        sent.append(r.json())
    w.ids["conv_A"] = sent[0]["conversation_id"]

    async def all_in_inbox():
        r = await admin.unit("GET", f"/v1/units/{x}/messages")
        return r.status_code == 200 and {s["message_id"] for s in sent} <= {
            m["message_id"] for m in r.json()["items"]}
    await eventually(all_in_inbox, timeout=60, what="the messages in X's inbox")
    clinician = logged_in["clinician X1"].id
    keys = ("m_read", "m_takeback", "m_reply", "m_assign", "m_close")
    for key, message in zip(keys, sent, strict=True):
        w.ids[key] = message["message_id"]
        if key not in ("m_assign", "m_close"):
            async def assigned(m=message["message_id"]):
                r = await admin.unit("POST", f"/v1/messages/{m}/assign",
                                     json={"clinician_id": clinician})
                return r.status_code == 204  # 422 until X's staff reached the mailbox
            await eventually(assigned, timeout=60, what="assignment to clinician X1")
    w.ids["clinician_X1"] = clinician
    w.ids["clinician_X2"] = logged_in["clinician X2"].id

    async def received_by_unit():  # the patient may write again once the unit has it
        r = await patient.patient("GET", f"/v1/conversations/{w.ids['conv_A']}")
        return r.status_code == 200 and r.json()["can_reply"]
    await eventually(received_by_unit, timeout=60, what="conversation A received by X")
    template = await admin.unit("POST", f"/v1/units/{x}/answer-templates", json={
        "level": "unit", "title": "Matris", "text": "Hej från {unit_name}"})
    assert template.status_code == 201, template.text
    w.ids["tpl_unit"] = template.json()["template_id"]

    designer = logged_in["designer X"]
    forms = (await designer._call("forms", "GET", f"/api/forms/v1/units/{x}/forms")).json()
    w.ids["form_X"] = next(f["form_id"] for f in forms if f["service_type"] == SERVICE)
    draft = await designer._call("forms", "GET", f"/api/forms/v1/forms/{w.ids['form_X']}/draft")
    w.bodies["draft"] = {"definition": draft.json()}
    offers = (await patient._call("forms", "GET", f"/api/forms/v1/units/{x}/services")).json()
    w.bodies["offers"] = {"services": [{"service_type": o["service_type"],
                                        "audience": o["audience"]} for o in offers]}
    offer = next(o for o in offers if o["service_type"] == SERVICE)
    w.bodies["submit"] = {"care_unit_id": x, "service_type": SERVICE, "text": "matris",
                          "form": {"form_id": offer["form_id"], "version": offer["version"]},
                          "answers": sample_answers(SERVICE)}
    w.bodies["answers"] = sample_answers(SERVICE)
    w.ids["version"] = str(offer["version"])
    return w


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # /api/<service>/..., with {placeholders} from World.ids
    allowed: frozenset[str]
    body: str | dict | None = None  # key of World.bodies or of _body's literals, or a dict
    # Object ids no allowed actor but `owners` may see in the response (lists).
    hidden: tuple[str, ...] = ()
    owners: frozenset[str] = frozenset()

    @property
    def audience(self) -> str:
        service = self.path.split("/")[2]
        return {"patient": "patient-mailbox", "careunit": "careunit-mailbox"}.get(
            service, service)


P = "/api/patient/v1"
C = "/api/careunit/v1"
F = "/api/forms/v1"
A = "/api/audit/v1"
I = "/api/identity/v1"

# The matrix. Rows that change state come last, in the order their objects need.
ROWS = [
    # patient mailbox
    Row("GET", P + "/conversations/{conv_A}", frozenset({"patient A"})),
    Row("GET", P + "/conversations", frozenset(PATIENTS), hidden=("conv_A",),
        owners=frozenset({"patient A", "patient A (password)"})),
    Row("GET", P + "/units/{X}/services", frozenset(PATIENTS)),
    # care-unit mailbox
    Row("GET", C + "/units/{X}/messages", frozenset({"admin X", "clinician X1", "clinician X2"}),
        hidden=("m_read", "m_takeback", "m_reply", "m_assign", "m_close"),
        owners=frozenset({"admin X", "clinician X1"})),
    Row("GET", C + "/units/{X}/messages?view=unassigned",
        frozenset({"admin X", "clinician X1", "clinician X2"}), hidden=("m_assign", "m_close"),
        owners=frozenset({"admin X"})),
    Row("GET", C + "/units/{X}/messages?view=mine",
        frozenset({"admin X", "clinician X1", "clinician X2"}), hidden=("m_read",),
        owners=frozenset({"clinician X1"})),
    Row("GET", C + "/units/{X}/unanswered", frozenset({"admin X"})),
    Row("GET", C + "/units/{X}/clinicians", frozenset({"admin X"})),
    Row("GET", C + "/units/{X}/groups", frozenset({"admin X", "clinician X1", "clinician X2"})),
    Row("GET", C + "/units/{X}/answer-templates",
        frozenset({"admin X", "clinician X1", "clinician X2"}), hidden=("tpl_unit",),
        owners=frozenset({"admin X", "clinician X1", "clinician X2"})),
    Row("GET", C + "/messages/{m_read}", frozenset({"admin X", "clinician X1"})),
    Row("POST", C + "/messages/{m_read}/open", frozenset({"admin X", "clinician X1"})),
    # forms
    Row("GET", F + "/units/{X}/forms", STAFF_OF_X),
    Row("GET", F + "/units/{X}/services", EVERYONE),
    Row("GET", F + "/forms/{form_X}/versions/{version}", EVERYONE),
    Row("POST", F + "/forms/{form_X}/versions/{version}/validate", EVERYONE, "answers"),
    Row("GET", F + "/forms/{form_X}/draft", frozenset({"designer X"})),
    Row("GET", F + "/forms/{form_X}/draft/preview", frozenset({"designer X"})),
    Row("POST", F + "/forms/{form_X}/draft/validate", frozenset({"designer X"}), "answers"),
    Row("PUT", F + "/forms/{form_X}/draft", frozenset({"designer X"}), "draft"),
    Row("POST", F + "/forms/{form_X}/publish", frozenset({"designer X"})),
    Row("PUT", F + "/units/{X}/services", frozenset({"designer X"}), "offers"),
    # audit (the auditor role; the log is the region's)
    Row("GET", A + "/records?subject={conv_A}", frozenset({"auditor X"})),
    Row("GET", A + "/records/count?subject={conv_A}", frozenset({"auditor X"})),
    Row("GET", A + "/verify", frozenset({"auditor X"})),
    Row("GET", A + "/search?unit={X}", frozenset({"auditor X"})),
    Row("GET", A + "/search/export.csv", frozenset({"auditor X"})),
    Row("GET", A + "/search/export.fhir", frozenset({"auditor X"})),
    Row("GET", A + "/reviews", frozenset({"auditor X"})),
    Row("GET", A + "/me/accesses", frozenset(PATIENTS)),
    # identity
    Row("GET", I + "/units/{X}/staff", STAFF_OF_X),
    # state changes, each allowed once, after every refusal
    Row("POST", P + "/conversations", frozenset({"patient A", "patient B"}), "submit"),
    Row("POST", C + "/messages/{m_assign}/assign", frozenset({"admin X"}), "assign"),
    Row("POST", C + "/messages/{m_takeback}/take-back", frozenset({"admin X"})),
    Row("POST", C + "/messages/{m_reply}/reply", frozenset({"clinician X1"}), "reply"),
    Row("POST", C + "/messages/{m_close}/close", frozenset({"admin X"})),
    Row("POST", C + "/units/{X}/clinicians/{clinician_X2}/away",
        frozenset({"admin X", "clinician X2"}), {"away": False}),
    Row("POST", C + "/units/{X}/answer-templates", frozenset({"admin X"}), "unit_template"),
    Row("POST", C + "/units/{X}/answer-templates",
        frozenset({"admin X", "clinician X1", "clinician X2"}), "personal_template"),
    Row("DELETE", C + "/answer-templates/{tpl_unit}", frozenset({"admin X"})),
    Row("POST", P + "/conversations/{conv_A}/messages", frozenset({"patient A"}), "write_more"),
    Row("POST", F + "/units/{X}/forms", frozenset({"designer X"}), "new_form"),
]


def _body(world: World, row: Row) -> Any:
    literal = {"assign": {"clinician_id": world.ids["clinician_X1"]},
               "reply": {"text": "Svar i matrisen."},
               "unit_template": {"level": "unit", "title": "T", "text": "Hej {date}"},
               "personal_template": {"level": "personal", "title": "P", "text": "Hej"},
               "write_more": {"text": "Ett tillägg i matrisen."},
               "new_form": {"service_type": "book_appointment"}}
    if isinstance(row.body, dict):
        return row.body
    return literal.get(row.body) if row.body in literal else world.bodies.get(row.body or "")


async def _run(world: World, row: Row, actor: str) -> tuple[int, str]:
    path = row.path.format(**world.ids)
    response = await world.people[actor]._call(row.audience, row.method, path,
                                               json=_body(world, row))
    return response.status_code, response.text


async def test_authorization_matrix(world: World) -> None:
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    for row in ROWS:
        # Refusals first: a state-changing request that slipped through would make the
        # allowed request after it fail.
        for actor in sorted(ACTORS, key=lambda a: a in row.allowed):
            status, text = await _run(world, row, actor)
            label = f"{row.method} {row.path} as {actor}: {status}"
            if actor in row.allowed:
                ok = 200 <= status < 300
                leaked = [k for k in row.hidden if actor not in row.owners
                          and world.ids[k] in text]
                outcomes["allowed ok" if ok and not leaked else "allowed FAILED"] += 1
                if not ok or leaked:
                    failures.append(f"{label} (leaked {leaked})" if leaked else label)
            elif 200 <= status < 300:
                outcomes["UNAUTHORIZED SUCCESS"] += 1
                failures.append(f"UNAUTHORIZED {label}")
            elif status in DENIED:
                outcomes["denied ok"] += 1
            else:
                outcomes["denied with an unexpected status"] += 1
                failures.append(f"unexpected {label}")
    cases = len(ROWS) * len(ACTORS)
    print(f"\nauthorization matrix: {len(ROWS)} endpoints x {len(ACTORS)} actors = {cases} "
          f"cases: {dict(outcomes)}")
    assert sum(outcomes.values()) == cases
    assert outcomes["UNAUTHORIZED SUCCESS"] == 0, failures
    assert not failures, failures


# token attacks against a running service ------------------------------------------------------

def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def _identity_signing_key(stack) -> ECKey:
    """The active signing key, as an insider with the database and the KEK would have it:
    to show that even a correctly signed token is refused when its claims are wrong."""
    dsn = stack.cfg.database_url("platform", "identity").replace("+psycopg", "")
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        kid, wrapped = await (await conn.execute(
            "SELECT kid, wrapped_private_jwk FROM signing_keys WHERE state = 'active'")
        ).fetchone()
    wrapper = KeyWrapper.from_b64(_dev_kek(stack.cfg, "identity"))
    return identity_keys.unwrap_private(wrapper, kid, wrapped)


def _attacks(legit: str, key: ECKey, other_audience: str, y_unit: str) -> dict[str, str]:
    claims, now = _claims_of(legit), int(time.time())
    header = {"alg": "ES256", "kid": key.kid, "typ": "at+jwt"}
    wrong_key = ECKey.generate_key("P-256", parameters={"kid": key.kid})
    public_as_secret = OctKey.import_key(json.dumps(key.as_dict(private=False)).encode())
    h, _, signature = legit.split(".")
    inflated = {**claims, "units": {**claims.get("units", {}), y_unit: [ADMIN, CLIN]}}

    def signed(**changes) -> str:
        return jwt.encode(header, {**claims, **changes}, key)
    return {
        "alg none": f"{_b64({'alg': 'none', 'kid': key.kid})}.{_b64(claims)}.",
        "wrong key, right kid": jwt.encode(header, claims, wrong_key),
        "HS256 with the public key as secret": jwt.encode(
            {"alg": "HS256", "kid": key.kid}, claims, public_as_secret, algorithms=["HS256"]),
        "expired": signed(iat=now - 3600, nbf=now - 3600, exp=now - 60),
        "not yet valid": signed(nbf=now + 600, exp=now + 900),
        "wrong audience": other_audience,
        "wrong issuer": signed(iss="http://identity.evil.example"),
        "tampered claims (units added, old signature)": f"{h}.{_b64(inflated)}.{signature}",
        "garbage": "not.a.token",
    }


async def test_token_attacks_against_running_services(stack, world: World) -> None:
    key = await _identity_signing_key(stack)
    admin, y = world.people["admin X"], world.ids["Y"]
    targets = {  # service -> (audience, a path the legitimate token may use)
        "patient-mailbox": ("patient-mailbox", P + "/conversations/{conv_A}"),
        "careunit-mailbox": ("careunit-mailbox", C + "/units/{X}/messages"),
        "forms": ("forms", F + "/units/{X}/forms"),
        "identity": ("identity", I + "/units/{X}/staff"),
        "audit": ("audit", A + "/records/count"),
    }
    tried, refused = 0, 0
    for service, (audience, template) in targets.items():
        who = world.people[{"audit": "auditor X", "patient-mailbox": "patient A"}.get(
            service, "admin X")]
        path = template.format(**world.ids)
        legit = who.tokens[audience]
        assert (await who._call(audience, "GET", path)).status_code == 200
        other = who.tokens["forms" if audience != "forms" else "identity"]
        for name, token in _attacks(legit, key, other, y).items():
            r = await world.people["patient B"].http.get(
                path, headers={"Authorization": f"Bearer {token}"})
            tried += 1
            refused += r.status_code == 401
            assert r.status_code == 401, (service, name, r.status_code, r.text)
    # A correctly signed token claiming a unit the catalogue does not give: the services
    # authorize against the current catalogue, not the claim.
    inflated = jwt.encode({"alg": "ES256", "kid": key.kid, "typ": "at+jwt"}, {
        **_claims_of(admin.tokens["careunit-mailbox"]),
        "units": {world.ids["X"]: [ADMIN], y: [ADMIN]}}, key)

    async def refused_at_y():
        r = await admin.http.get(C + f"/units/{y}/messages",
                                 headers={"Authorization": f"Bearer {inflated}"})
        return r.status_code == 403
    await eventually(refused_at_y, what="the inflated claim narrowed to the catalogue")
    print(f"\ntoken attacks: {tried} tried against {len(targets)} running services, "
          f"{refused} refused with 401; signed claim beyond the catalogue refused with 403")

