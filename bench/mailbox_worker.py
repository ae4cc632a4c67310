"""One measuring process of bench.mailboxpaths: the mailboxes' own API functions (the care
unit's list, meta, open, assign, answer; the patient's submit) and their consumers' handlers
of arriving messages (the care unit's MessageRouted and PatientReplied, the patient's
ReplySent, each in a transaction of its own as the inbox runs it, without the inbox row)
called in this process on a real PostgreSQL, with whichever `services` package is first on
PYTHONPATH (this branch's, or an older commit's extracted by the driver), so the old and the
new code run alike.

Per operation: SQL statements per call (SQLAlchemy `before_cursor_execute`), compiled-cache
misses per call (`context.cache_hit` after warm-up), CPU of this process and of the
PostgreSQL server, and wall time. Prints one JSON object.

    python bench/mailbox_worker.py URL PG_PID CALLS    (run by bench.mailboxpaths)"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine.default import CACHE_MISS
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench import procstat
from services.messaging.body import (
    Content,
    FormRef,
    patient_recipient,
    seal_content,
    sealed_columns,
    unit_recipient,
)
from services.messaging.careunit import api as unit_api
from services.messaging.careunit import groups
from services.messaging.careunit import tables as unit_tables
from services.messaging.careunit.handlers import build_handlers as unit_handlers
from services.messaging.careunit.migrations import MIGRATIONS as UNIT_MIGRATIONS
from services.messaging.context import MailboxContext
from services.messaging.patient import api as patient_api
from services.messaging.patient import tables as patient_tables
from services.messaging.patient.handlers import build_handlers as patient_handlers
from services.messaging.patient.migrations import MIGRATIONS as PATIENT_MIGRATIONS
from shared.auth import Principal
from shared.crypto import sealing
from shared.crypto.keyring import Keyring, KeyWrapper
from shared.events import Source, new_event
from shared.events.contracts import MessageRouted, PatientReplied, ReplySent
from shared.outbox import Outbox

UNIT, WARM = "SE-BENCH-UNIT", 5
ADMIN = Principal(subject="adm", kind="staff", loa=3,
                  units={UNIT: ["message_administrator"]})
DOCTOR = Principal(subject="doc", kind="staff", loa=3, units={UNIT: ["clinician"]})
PATIENT = Principal(subject=str(uuid.uuid4()), kind="patient", loa=3)


class Counter:
    def __init__(self, engine: AsyncEngine) -> None:
        self.statements = self.misses = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)

    def _before(self, conn, cursor, statement, params, context, executemany) -> None:
        self.statements += 1
        if getattr(context, "cache_hit", None) is CACHE_MISS:
            self.misses += 1


async def schema_engine(url: str, prefix: str) -> AsyncEngine:
    schema = f"bench_{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
    await admin.dispose()
    return create_async_engine(url, connect_args={"options": f"-csearch_path={schema}"})


def context(engine: AsyncEngine, tables, mailbox: str, service: str) -> MailboxContext:
    return MailboxContext(
        engine=engine, keyring=Keyring(mailbox, tables.mailbox_keys, tables.peer_keys,
                                       KeyWrapper(os.urandom(32))),
        outbox=Outbox(tables.outbox_table, channel=f"bench_{mailbox}_outbox"),
        source=Source(service=service, region="local"))


async def peer_key(box: MailboxContext, conn, peer: str) -> None:
    public = sealing.public_bytes(sealing.generate_private_key())
    await box.keyring.remember_peer_key(conn, peer, f"{peer}-bench", public,
                                        datetime.now(UTC), version=1)


async def unit_box(url: str, messages: int
                   ) -> tuple[MailboxContext, list[tuple[str, str]], tuple[str, bytes]]:
    box = context(await schema_engine(url, "careunit"), unit_tables, "careunit",
                  "careunit-mailbox")
    await UNIT_MIGRATIONS.upgrade(box.engine)
    ids = [(str(uuid.uuid4()), str(uuid.uuid4())) for _ in range(messages)]
    async with box.engine.begin() as conn:
        key_id, public = await box.keyring.rotate(conn)
        await peer_key(box, conn, "patient")
        await groups.ensure_groups(conn, UNIT)
        for staff_id, profession, roles in (("adm", "administrator", ["message_administrator"]),
                                            ("doc", "doctor", ["clinician"])):
            await conn.execute(unit_tables.staff_members.insert().values(
                staff_id=staff_id, care_unit_id=UNIT, profession=profession, roles=roles))
        now = datetime.now(UTC)
        for message_id, conversation_id in ids:
            sealed = seal_content(Content(subject="Förnya recept", text="Hej! " * 40),
                                  public_key=public, key_id=key_id, item_id=message_id,
                                  conversation_id=conversation_id,
                                  recipient=unit_recipient(UNIT))
            await conn.execute(unit_tables.unit_messages.insert().values(
                message_id=message_id, conversation_id=conversation_id, care_unit_id=UNIT,
                patient_id=PATIENT.subject, service_type="renew_prescription",
                status="unassigned", submitted_at=now, received_at=now, last_activity_at=now,
                unread_from_patient=True, **sealed_columns(sealed)))
    return box, ids, (key_id, public)


async def patient_box(url: str) -> tuple[MailboxContext, tuple[str, bytes]]:
    box = context(await schema_engine(url, "patient"), patient_tables, "patient",
                  "patient-mailbox")
    await PATIENT_MIGRATIONS.upgrade(box.engine)
    async with box.engine.begin() as conn:
        key = await box.keyring.rotate(conn)
        await peer_key(box, conn, "careunit")
        await conn.execute(patient_tables.care_units.insert().values(
            unit_id=UNIT, name="Bench", services=["renew_prescription"]))
    return box, key


ADVICE = Content(form=FormRef(form_id="advice", version=1), answers={"item": [
    {"linkId": "recipient", "answer": [{"valueCoding": {"code": "nurse"}}]},
    {"linkId": "question", "answer": [{"valueString": "Hej! " * 40}]}]})
TEXT = Content(subject="Förnya recept", text="Hej! " * 40)


def routed(key: tuple[str, bytes], service_type: str, content: Content) -> MessageRouted:
    """A new message to the unit as routing hands it over, sealed to the unit's key."""
    message_id, conversation_id = str(uuid.uuid4()), str(uuid.uuid4())
    return MessageRouted(
        conversation_id=conversation_id, message_id=message_id, patient_id=PATIENT.subject,
        care_unit_id=UNIT, service_type=service_type, submitted_at=datetime.now(UTC),
        sealed_body=seal_content(content, public_key=key[1], key_id=key[0],
                                 item_id=message_id, conversation_id=conversation_id,
                                 recipient=unit_recipient(UNIT)))


def follow_up(key: tuple[str, bytes], conversation_id: str) -> PatientReplied:
    message_id = str(uuid.uuid4())
    return PatientReplied(
        conversation_id=conversation_id, message_id=message_id, patient_id=PATIENT.subject,
        care_unit_id=UNIT, sent_at=datetime.now(UTC), sealed_body=seal_content(
            Content(text="Tack, en fråga till."), public_key=key[1], key_id=key[0],
            item_id=message_id, conversation_id=conversation_id,
            recipient=unit_recipient(UNIT)))


def reply(key: tuple[str, bytes], conversation_id: str) -> ReplySent:
    reply_id = str(uuid.uuid4())
    return ReplySent(
        conversation_id=conversation_id, message_id=str(uuid.uuid4()), reply_id=reply_id,
        patient_id=PATIENT.subject, care_unit_id=UNIT, clinician_id="doc",
        sent_at=datetime.now(UTC), sealed_body=seal_content(
            Content(text="Receptet är förnyat."), public_key=key[1], key_id=key[0],
            item_id=reply_id, conversation_id=conversation_id,
            recipient=patient_recipient(PATIENT.subject)))


def consumer(box: MailboxContext, handlers: dict, events: list):
    """Applies events[i] with its handler in a transaction of its own."""
    source = Source(service="bench", region="local")

    async def one(i: int) -> None:
        data = events[i]
        envelope = new_event(data, source=source, subject=data.conversation_id)
        async with box.engine.begin() as conn:
            await handlers[type(data)](conn, envelope, data)
    return one


def request(box: MailboxContext) -> Any:  # what the API functions read of a request
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(mailbox=box, forms=None)),
                           headers={})


async def timed(counter: Counter, pg_pid: int, calls: int, one) -> dict:
    for i in range(WARM):
        await one(i)
    counter.statements = counter.misses = 0
    cpu0, pg0, wall0 = time.process_time(), procstat.cpu_ms({"pg": pg_pid}), time.monotonic()
    for i in range(WARM, WARM + calls):
        await one(i)
    return {"statements": counter.statements / calls, "cache_misses": counter.misses / calls,
            "client_cpu_ms": (time.process_time() - cpu0) * 1000 / calls,
            "pg_cpu_ms": procstat.delta(procstat.cpu_ms({"pg": pg_pid}), pg0)["pg"] / calls,
            "wall_ms": (time.monotonic() - wall0) * 1000 / calls}


async def measure(url: str, pg_pid: int, calls: int) -> dict:
    n = WARM + calls
    unit, convs, unit_key = await unit_box(url, n)
    ids = [message_id for message_id, _ in convs]
    patient, patient_key = await patient_box(url)
    u, p = Counter(unit.engine), Counter(patient.engine)
    ur, pr = request(unit), request(patient)
    limit, result = 50, {}
    result["careunit list (administrator, first page)"] = await timed(u, pg_pid, calls, lambda i:
        unit_api.list_messages(ur, UNIT, ADMIN, view="all", group=None, limit=limit,
                               after=None))
    result["careunit meta"] = await timed(u, pg_pid, calls, lambda i:
        unit_api.meta(ur, ids[i], ADMIN))
    result["careunit open (administrator, first open)"] = await timed(u, pg_pid, calls, lambda i:
        unit_api.open_message(ur, ids[i], ADMIN))
    result["careunit assign"] = await timed(u, pg_pid, calls, lambda i:
        unit_api.assign(ur, ids[i], unit_api.Assign(clinician_id="doc"), ADMIN))
    result["careunit open (clinician)"] = await timed(u, pg_pid, calls, lambda i:
        unit_api.open_message(ur, ids[i], DOCTOR))
    result["careunit list (clinician, first page)"] = await timed(u, pg_pid, calls, lambda i:
        unit_api.list_messages(ur, UNIT, DOCTOR, view="all", group=None, limit=limit,
                               after=None))
    result["careunit answer"] = await timed(u, pg_pid, calls, lambda i:
        unit_api.answer(ur, ids[i], unit_api.Answer(text="Receptet är förnyat."), DOCTOR))
    on_unit = unit_handlers(unit)
    result["careunit arrival (MessageRouted)"] = await timed(u, pg_pid, calls, consumer(
        unit, on_unit, [routed(unit_key, "renew_prescription", TEXT) for _ in range(n)]))
    result["careunit arrival (MessageRouted, advice pooled)"] = await timed(
        u, pg_pid, calls, consumer(unit, on_unit,
                                   [routed(unit_key, "advice", ADVICE) for _ in range(n)]))
    result["careunit follow-up arrival (PatientReplied)"] = await timed(u, pg_pid, calls, consumer(
        unit, on_unit, [follow_up(unit_key, conversation_id) for _, conversation_id in convs]))
    submitted: list[str] = []

    async def submit(i: int) -> None:
        done = await patient_api.submit(pr, patient_api.SubmitMessage(
            care_unit_id=UNIT, service_type="renew_prescription", subject="Recept",
            text="Hej! " * 40), PATIENT)
        submitted.append(done.conversation_id)
    result["patient submit"] = await timed(p, pg_pid, calls, submit)
    result["patient read (a conversation)"] = await timed(p, pg_pid, calls, lambda i:
        patient_api.read(pr, submitted[i], PATIENT))
    result["patient reply arrival (ReplySent)"] = await timed(p, pg_pid, calls, consumer(
        patient, patient_handlers(patient), [reply(patient_key, c) for c in submitted]))
    result["patient follow-up (write more)"] = await timed(p, pg_pid, calls, lambda i:
        patient_api.write_more(pr, submitted[i], patient_api.WriteMore(text="En fråga till."),
                               PATIENT))
    await unit.engine.dispose()
    await patient.engine.dispose()
    return result


if __name__ == "__main__":
    import services
    result = asyncio.run(measure(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
    print(json.dumps({"tree": str(services.__path__[0]), "ops": result}))
