"""Authorization under a mix of object ids: every operation with a path parameter in the
OpenAPI documents of the patient mailbox, the care-unit mailbox and forms is called by every
actor (two patients, administrators of two units, a clinician) with every token they hold,
each path parameter filled with ids that belong to someone else (the other patient's
conversation and message, the other unit, its message), with a body built from the
operation's schema. An unauthorized success is any 2xx: 0 allowed.

SECURITY_AUTHZ_REQUESTS sets how many requests: 10,000 by default (the issue's number; about
180 CPU-seconds of services and client together, about 1.5 minutes on a quiet 2-core machine),
fewer for a quick look; the cases repeat in rounds until there are that many. A request the
server drops at the connection level is retried once (a keep-alive race), never counted as
a success; afterwards every service must still be healthy."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
from collections import Counter
from typing import Any

import httpx
import pytest

from devstack.services import service_url
from tests.e2e.support import SEED, Person, eventually, staff_of

pytestmark = pytest.mark.e2e

REQUESTS = int(os.environ.get("SECURITY_AUTHZ_REQUESTS", "10000"))
SERVICES = ("patient-mailbox", "careunit-mailbox", "forms")
U0, U1 = SEED["care_units"][0]["unit_id"], SEED["care_units"][1]["unit_id"]
CONCURRENCY = 32


def _example(schema: dict, components: dict, ids: list[str], depth: int = 0) -> Any:
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in schema and depth < 4:
            return _example(schema[combined][0], components, ids, depth + 1)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {name: _example(sub, components, ids, depth + 1)
                for name, sub in schema.get("properties", {}).items()} if depth < 4 else {}
    if kind == "array":
        return [_example(schema.get("items", {}), components, ids, depth + 1)]
    if kind == "integer":
        return 1
    if kind == "boolean":
        return True
    if "enum" in schema:
        return schema["enum"][0]
    return ids[0] if ids else "x"


def operations(service: str, doc: dict) -> list[tuple[str, str, Any]]:
    """(method, path template, request body schema or None) with a path parameter. Forms'
    reads are left out: a unit's published e-services and forms are public to every
    logged-in user (a patient must see any unit's), so a 200 there is no breach."""
    found = []
    for path, item in doc["paths"].items():
        if "{" not in path:
            continue
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            if service == "forms" and method == "get":
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            found.append((method.upper(), path, body.get("schema")))
    return found


async def _world(http: httpx.AsyncClient) -> tuple[dict[str, Person], dict[str, list[str]]]:
    patient_a = await Person.login(http, personnummer=SEED["patients"][3]["personnummer"])
    patient_b = await Person.login(http, personnummer=SEED["patients"][4]["personnummer"])
    sent = {}
    for name, who, unit in (("a", patient_a, U0), ("b", patient_b, U1)):
        response = await who.submit(unit, "renew_prescription", text="authz mix")
        assert response.status_code == 201, response.text
        sent[name] = response.json()
    admin0 = await Person.login(http, hsa_id=staff_of(U0, "message_administrator")[0]["hsa_id"])
    admin1 = await Person.login(http, hsa_id=staff_of(U1, "message_administrator")[0]["hsa_id"])
    clinician0 = await Person.login(http, hsa_id=staff_of(U0, "clinician")[0]["hsa_id"])
    for unit, admin, name in ((U0, admin0, "a"), (U1, admin1, "b")):  # each unit has it
        message_id = sent[name]["message_id"]

        async def arrived(admin=admin, message_id=message_id):
            r = await admin.unit("GET", f"/v1/messages/{message_id}")
            return r if r.status_code == 200 else None
        await eventually(arrived, what=f"message in {unit}")
    a_ids = [sent["a"]["conversation_id"], sent["a"]["message_id"]]
    b_ids = [sent["b"]["conversation_id"], sent["b"]["message_id"]]
    actors = {"patient A": patient_a, "patient B": patient_b, "admin U0": admin0,
              "admin U1": admin1, "clinician U0": clinician0}
    foreign = {"patient A": b_ids, "patient B": a_ids,
               "admin U0": b_ids + [U1], "admin U1": a_ids + [U0],
               "clinician U0": b_ids + [U1]}
    return actors, foreign


@pytest.mark.timeout(max(300, REQUESTS // 5))  # 944 s for 10,000 at load 30 on 2 cores
async def test_mixed_object_ids_never_succeed(stack, http) -> None:
    actors, foreign = await _world(http)
    async with httpx.AsyncClient(timeout=30) as raw:
        docs = {s: (await raw.get(f"{service_url(stack.cfg, s)}/openapi.json")).json()
                for s in SERVICES}
    cases = []
    for service, doc in docs.items():
        components = doc.get("components", {}).get("schemas", {})
        for (method, path, schema), (actor, person) in itertools.product(
                operations(service, doc), actors.items()):
            for audience, token in person.tokens.items():
                if audience not in SERVICES:
                    continue
                for value in foreign[actor]:
                    url = service_url(stack.cfg, service) + re.sub(r"\{[^}]+\}", value, path)
                    body = _example(schema, components, [value]) if schema else None
                    cases.append((actor, audience, service, method, path, url, token, body))
    assert len(cases) > 100, len(cases)
    rounds = -(-REQUESTS // len(cases))
    queue = [c for _ in range(rounds) for c in cases]
    results: Counter[int] = Counter()
    unauthorized: list[str] = []
    gate = asyncio.Semaphore(CONCURRENCY)

    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=64)) as raw:
        async def call(case) -> None:
            actor, audience, service, method, path, url, token, body = case
            headers = {"Authorization": f"Bearer {token}"}
            async with gate:
                try:
                    response = await raw.request(method, url, json=body, headers=headers)
                except httpx.TransportError:
                    response = await raw.request(method, url, json=body, headers=headers)
            results[response.status_code] += 1
            if response.is_success:
                unauthorized.append(f"{actor} ({audience} token) {method} {service}{path}: "
                                    f"{response.status_code}")
        await asyncio.gather(*(call(c) for c in queue))
    assert sum(results.values()) >= REQUESTS
    assert results[500] == 0 and not any(code >= 500 for code in results), results
    assert sorted(set(unauthorized)) == [], "\n".join(sorted(set(unauthorized)))
    async with httpx.AsyncClient(timeout=30) as raw:
        for service in SERVICES:
            assert (await raw.get(f"{service_url(stack.cfg, service)}/healthz")).status_code \
                == 200
    print(f"authorization mix: {sum(results.values())} requests, {len(cases)} distinct cases, "
          f"status codes {dict(sorted(results.items()))}")
