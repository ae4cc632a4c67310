"""The fault suite's load generator: closed-loop clients that drive whole conversations
through the gateway while parts of the system are being killed.

One conversation (every step retried until it succeeds, see `Calls.until`):
  1. the patient submits a message                  (acknowledged: 201 with its id)
  2. the administrator opens it (an audited read)   (404 = not arrived yet: poll)
  3. assigns it to the doctor; the doctor opens it (audited) and answers
  4. the patient reads the answer (polled), then writes two follow-ups (the second as soon as
     the unit has received the first: until then the patient mailbox answers 409)
  5. the doctor opens the thread until both follow-ups are there (audited) and answers again
  6. the patient reads the second answer
So each conversation carries three patient messages and two answers, in a known order.

Everything the checks need afterwards is in the `Ledger`: every acknowledged write with its
id, every audited open by whom, and every request whose outcome is unknown (the connection
broke or a 5xx came back while a component was down: it may or may not have taken effect)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from tests.e2e.support import SEED, Person, sample_answers, staff_of

UNIT = SEED["care_units"][0]["unit_id"]
SERVICE = "renew_prescription"  # goes to the general pool: any clinician may answer
RELOGIN_AFTER_S = 200.0  # access tokens live 300 s
RETRY_STATUSES = {500, 502, 503, 504}
STEP_GIVE_UP_S = 240.0  # a step that cannot succeed this long after a fault is a failure


@dataclass
class Conversation:
    conversation_id: str
    patient_id: str
    sent: list[str] = field(default_factory=list)     # acknowledged patient messages, in order
    answers: list[str] = field(default_factory=list)  # acknowledged replies, in order
    unknown_writes: int = 0  # writes whose outcome is unknown (may exist as extra rows)
    answer_ids_unknown: int = 0  # answers made by a request whose response was lost
    done: bool = False


@dataclass
class Ledger:
    conversations: dict[str, Conversation] = field(default_factory=dict)
    opens: Counter = field(default_factory=Counter)          # (message_id, staff) -> 200s
    unknown_opens: Counter = field(default_factory=Counter)  # outcome unknown
    unknown_submits: int = 0
    completions: list[tuple[float, float]] = field(default_factory=list)  # (start, end)
    failures: Counter = field(default_factory=Counter)
    retries: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    aborted: bool = False

    @property
    def acknowledged(self) -> int:
        return sum(len(c.sent) for c in self.conversations.values())

    def completed_since(self, t: float) -> float | None:
        """The end of the first conversation that started at `t` or later, if one has."""
        with self.lock:
            ends = [end for start, end in self.completions if start >= t]
        return min(ends) if ends else None


class Unknown(Exception):
    """The request may or may not have taken effect."""


class GaveUp(Exception):
    pass


class People:
    """The logged-in users, logged in again before their access tokens run out."""

    def __init__(self, http: httpx.AsyncClient, patients: int) -> None:
        self.http = http
        self.patient_ids = [p["personnummer"] for p in SEED["patients"][:patients]]
        self.admin_id = staff_of(UNIT, "message_administrator")[0]["hsa_id"]
        self.doctor_id = staff_of(UNIT, "clinician", "doctor")[0]["hsa_id"]
        self._people: dict[str, tuple[float, Person]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, key: str) -> Person:
        async with self._locks.setdefault(key, asyncio.Lock()):
            at, person = self._people.get(key, (0.0, None))
            if person is None or time.monotonic() - at > RELOGIN_AFTER_S:
                person = await self._login(key)
                self._people[key] = (time.monotonic(), person)
            return person

    async def _login(self, key: str) -> Person:
        deadline = time.monotonic() + STEP_GIVE_UP_S
        while True:  # identity or the gateway may be down just now
            try:
                if key in (self.admin_id, self.doctor_id):
                    return await Person.login(self.http, hsa_id=key)
                return await Person.login(self.http, personnummer=key)
            except (AssertionError, httpx.HTTPError, KeyError, ValueError):
                if time.monotonic() > deadline:
                    raise GaveUp(f"login {key[:4]}") from None
                await asyncio.sleep(1.0)


class Calls:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    async def until(self, what: str, call: Callable[[], Awaitable[httpx.Response]],
                    ok: Callable[[httpx.Response], bool], *, poll: set[int] | None = None,
                    on_unknown: Callable[[], None] | None = None) -> httpx.Response:
        """Repeat `call` until `ok`; statuses in `poll` mean "not yet"; a transport error or
        a 5xx is recorded as an unknown outcome (`on_unknown`) and retried."""
        deadline, pause = time.monotonic() + STEP_GIVE_UP_S, 0.05
        while True:
            try:
                r = await call()
            except httpx.HTTPError:
                r = None
            if r is not None and ok(r):
                return r
            if r is None or r.status_code in RETRY_STATUSES:
                self.ledger.retries[what] += 1
                if on_unknown is not None:
                    on_unknown()
            elif r.status_code not in (poll or set()):
                raise GaveUp(f"{what} -> {r.status_code}")
            if time.monotonic() > deadline:
                raise GaveUp(f"{what} timed out ({r.status_code if r else 'no answer'})")
            await asyncio.sleep(pause)
            pause = min(pause * 1.5, 1.0)


class Generator:
    def __init__(self, http: httpx.AsyncClient, ledger: Ledger, *, patients: int = 6) -> None:
        self.people, self.ledger, self.calls = People(http, patients), ledger, Calls(ledger)
        self.form: dict | None = None

    async def _form(self, patient: Person) -> dict:
        if self.form is None:
            r = await self.calls.until("services", lambda: patient.patient(
                "GET", f"/v1/units/{UNIT}/services"), lambda r: r.status_code == 200)
            offer = {o["service_type"]: o for o in r.json()}[SERVICE]
            self.form = {"form_id": offer["form_id"], "version": offer["form_version"]}
        return self.form

    async def _open(self, staff_key: str, message_id: str,
                    ready: Callable[[dict], bool]) -> None:
        key = (message_id, (await self.people.get(staff_key)).id)

        async def call() -> httpx.Response:
            r = await (await self.people.get(staff_key)).unit(
                "POST", f"/v1/messages/{message_id}/open")
            if r.status_code == 200:
                self.ledger.opens[key] += 1  # every content read counts, ready or not
            return r
        await self.calls.until("open", call, lambda r: r.status_code == 200 and ready(r.json()),
                               poll={200, 404},
                               on_unknown=lambda: self.ledger.unknown_opens.update([key]))

    async def _reply(self, conv: Conversation, message_id: str, text: str) -> None:
        tries = conv.unknown_writes

        def unknown() -> None:
            conv.unknown_writes += 1

        def ok(r: httpx.Response) -> bool:  # 409 after an unknown outcome: it was answered
            return r.status_code == 201 or (r.status_code == 409 and conv.unknown_writes > tries)
        r = await self.calls.until("reply", lambda: self._doctor_reply(message_id, text), ok,
                                   on_unknown=unknown)
        if r.status_code == 201:
            conv.answers.append(r.json()["reply_id"])
        else:
            conv.answer_ids_unknown += 1

    async def _doctor_reply(self, message_id: str, text: str) -> httpx.Response:
        doctor = await self.people.get(self.people.doctor_id)
        return await doctor.unit("POST", f"/v1/messages/{message_id}/reply", json={"text": text})

    async def _read_until(self, patient_key: str, conv: Conversation, answers: int) -> None:
        async def call() -> httpx.Response:
            patient = await self.people.get(patient_key)
            return await patient.patient("GET", f"/v1/conversations/{conv.conversation_id}")

        def ok(r: httpx.Response) -> bool:
            return r.status_code == 200 and sum(
                m["direction"] == "to_patient" for m in r.json()["messages"]) >= answers
        await self.calls.until("read", call, ok, poll={200, 404})

    async def conversation(self, patient_key: str) -> None:
        started = time.monotonic()
        patient = await self.people.get(patient_key)
        form = await self._form(patient)

        def unknown_submit() -> None:
            self.ledger.unknown_submits += 1
        r = await self.calls.until("submit", lambda: self._submit(patient_key, form),
                                   lambda r: r.status_code == 201, on_unknown=unknown_submit)
        message_id = r.json()["message_id"]
        conv = Conversation(r.json()["conversation_id"], patient.id, [message_id])
        self.ledger.conversations[conv.conversation_id] = conv
        await self._open(self.people.admin_id, message_id, lambda _: True)
        doctor_id = (await self.people.get(self.people.doctor_id)).id
        await self.calls.until("assign", lambda: self._assign(message_id, doctor_id),
                               lambda r: r.status_code in (204, 409))  # 409: a retry
        await self._open(self.people.doctor_id, message_id, lambda _: True)
        await self._reply(conv, message_id, "First answer.")
        await self._read_until(patient_key, conv, 1)
        for n in (1, 2):
            await self._write_more(patient_key, conv, f"Follow-up {n}.")
        want = set(conv.sent)
        await self._open(self.people.doctor_id, message_id, lambda body: want <= {
            m["message_id"] for m in body["messages"]})
        await self._reply(conv, message_id, "Second answer.")
        await self._read_until(patient_key, conv, 2)
        conv.done = True
        with self.ledger.lock:
            self.ledger.completions.append((started, time.monotonic()))

    async def _submit(self, patient_key: str, form: dict) -> httpx.Response:
        patient = await self.people.get(patient_key)
        return await patient.patient("POST", "/v1/conversations", json={
            "care_unit_id": UNIT, "service_type": SERVICE, "text": "Fault suite question.",
            "form": form, "answers": sample_answers(SERVICE)})

    async def _assign(self, message_id: str, doctor_id: str) -> httpx.Response:
        admin = await self.people.get(self.people.admin_id)
        return await admin.unit("POST", f"/v1/messages/{message_id}/assign",
                                json={"clinician_id": doctor_id})

    async def _write_more(self, patient_key: str, conv: Conversation, text: str) -> None:
        async def call() -> httpx.Response:
            patient = await self.people.get(patient_key)
            return await patient.patient(
                "POST", f"/v1/conversations/{conv.conversation_id}/messages", json={"text": text})

        def unknown() -> None:
            conv.unknown_writes += 1
        # 409 while the unit has not yet received the previous one: a patient waits for that
        r = await self.calls.until("write-more", call, lambda r: r.status_code == 201,
                                   poll={409}, on_unknown=unknown)
        conv.sent.append(r.json()["message_id"])

    async def run(self, clients: int, target_messages: int, stop: threading.Event) -> None:
        """`clients` loops start conversations until `target_messages` patient messages are
        acknowledged and `stop` is set (the faults are over)."""
        async def client(n: int) -> None:
            key = self.people.patient_ids[n % len(self.people.patient_ids)]
            while not self.ledger.aborted and not (
                    stop.is_set() and self.ledger.acknowledged >= target_messages):
                try:
                    await self.conversation(key)
                except GaveUp as exc:
                    self.ledger.failures[str(exc)] += 1
        await asyncio.gather(*(client(n) for n in range(clients)))
