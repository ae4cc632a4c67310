"""The complete message workflow, driven from outside through the gateway, as closed-loop
clients: each client runs one workflow after another.

One workflow (the ten steps of the README, logins excepted: people stay logged in):
  1. the patient submits a message (POST /api/patient/v1/conversations)
  2. the administrator opens it as soon as it is in the unit inbox (POST .../open; a 404
     means "not arrived yet" and is polled again after a short, growing pause)
  3. assigns it to the doctor (POST .../assign)
  4. the doctor opens it (POST .../open)
  5. and answers (POST .../reply); the patient is e-mailed by the notifier
  6. the patient reads the answer (GET /api/patient/v1/conversations/{id}, polled the same
     way until the answer is there)
Anything else than the expected status, or a poll that never succeeds, is an error."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx

from devstack.people import SEED, Person, sample_answers, staff_of

UNIT = SEED["care_units"][0]["unit_id"]
SERVICE = "renew_prescription"  # its messages go to the general pool: any clinician
POLL_FIRST_S, POLL_MAX_S, POLL_GIVE_UP_S = 0.02, 0.2, 30.0


@dataclass
class People:
    patients: list[Person]
    admin: Person
    doctor: Person
    form: dict


@dataclass
class StepResult:
    started: float = 0.0
    finished: float = 0.0
    completed: int = 0
    errors: int = 0
    requests: int = 0
    polls: int = 0
    message_ids: list[str] = field(default_factory=list)
    workflow_s: list[float] = field(default_factory=list)
    submit_s: list[float] = field(default_factory=list)
    error_kinds: dict[str, int] = field(default_factory=dict)


class WorkflowError(Exception):
    pass


async def log_in_everyone(http: httpx.AsyncClient, patients: int = 6) -> People:
    admin_id = staff_of(UNIT, "message_administrator")[0]["hsa_id"]
    doctor_id = staff_of(UNIT, "clinician", "doctor")[0]["hsa_id"]
    admin = await Person.login(http, hsa_id=admin_id)
    doctor = await Person.login(http, hsa_id=doctor_id)
    people = [await Person.login(http, personnummer=p["personnummer"])
              for p in SEED["patients"][:patients]]
    r = await people[0].patient("GET", f"/v1/units/{UNIT}/services")
    offer = {o["service_type"]: o for o in r.json()}[SERVICE]
    return People(people, admin, doctor, {"form_id": offer["form_id"],
                                           "version": offer["form_version"]})


async def _expect(result: StepResult, call, status: int) -> httpx.Response:
    result.requests += 1
    r = await call()
    if r.status_code != status:
        raise WorkflowError(f"{r.request.method} {r.request.url.path.split('/v1/')[-1][:40]}"
                            f" -> {r.status_code}")
    return r


async def _poll(result: StepResult, call, ready) -> httpx.Response:
    pause, deadline = POLL_FIRST_S, time.monotonic() + POLL_GIVE_UP_S
    while True:
        result.requests += 1
        r = await call()
        if ready(r):
            return r
        if r.status_code not in (200, 404) or time.monotonic() > deadline:
            raise WorkflowError(f"poll {r.request.url.path.split('/v1/')[-1][:20]}"
                                f" -> {r.status_code}")
        result.polls += 1
        await asyncio.sleep(pause)
        pause = min(pause * 1.5, POLL_MAX_S)


async def one_workflow(people: People, patient: Person, result: StepResult) -> None:
    t0 = time.perf_counter()
    r = await _expect(result, lambda: patient.patient("POST", "/v1/conversations", json={
        "care_unit_id": UNIT, "service_type": SERVICE, "text": "Benchmark question.",
        "form": people.form, "answers": sample_answers(SERVICE)}), 201)
    result.submit_s.append(time.perf_counter() - t0)
    message_id, conversation_id = r.json()["message_id"], r.json()["conversation_id"]
    result.message_ids.append(message_id)
    admin, doctor = people.admin, people.doctor
    await _poll(result, lambda: admin.unit("POST", f"/v1/messages/{message_id}/open"),
                lambda r: r.status_code == 200)
    await _expect(result, lambda: admin.unit("POST", f"/v1/messages/{message_id}/assign",
                                             json={"clinician_id": doctor.id}), 204)
    await _expect(result, lambda: doctor.unit("POST", f"/v1/messages/{message_id}/open"), 200)
    await _expect(result, lambda: doctor.unit("POST", f"/v1/messages/{message_id}/reply",
                                              json={"text": "Benchmark answer."}), 201)
    await _poll(result, lambda: patient.patient("GET", f"/v1/conversations/{conversation_id}"),
                lambda r: r.status_code == 200 and len(r.json()["messages"]) >= 2)
    result.workflow_s.append(time.perf_counter() - t0)


async def run_step(people: People, concurrency: int, duration_s: float) -> StepResult:
    """`concurrency` clients start workflows for `duration_s`; the step ends when the last
    one started has finished."""
    result = StepResult(started=time.monotonic())
    stop_at = result.started + duration_s

    async def client(n: int) -> None:
        patient = people.patients[n % len(people.patients)]
        while time.monotonic() < stop_at:
            try:
                await one_workflow(people, patient, result)
                result.completed += 1
            except (WorkflowError, httpx.HTTPError, KeyError, ValueError) as exc:
                result.errors += 1
                kind = str(exc) if isinstance(exc, WorkflowError) else type(exc).__name__
                result.error_kinds[kind] = result.error_kinds.get(kind, 0) + 1
    await asyncio.gather(*(client(n) for n in range(concurrency)))
    result.finished = time.monotonic()
    return result
