"""One measuring process of bench.notifierpaths: the notifier's own code, run in this
process on a real PostgreSQL and a real SMTP server (aiosmtpd in its own process), with
whichever `services` package is first on PYTHONPATH (this branch's, or an older commit's
extracted by the driver), so the old and the new code run alike.

- events: the inbox handlers in a transaction of their own each, as the consumer applies
  one event: MessageReceived (the unit's mail), ReplyDelivered (the patient's mail and the
  reminder), MessageRead (cancels the reminder);
- mail: Sender.send_due with a batch of one, as when each mail's NOTIFY wakes the sender:
  claim, contact look-up (an in-process stand-in: identity is not what is measured), render
  and build, SMTP on the kept connection, mark sent with its event in the outbox.

Per operation: SQL statements per call (`before_cursor_execute`), CPU of this process and of
the PostgreSQL server, wall time. Prints one JSON object.

    python bench/notifier_worker.py URL PG_PID SMTP_PORT CALLS    (run by bench.notifierpaths)"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench import procstat
from services.notifier.contacts import PatientContact
from services.notifier.handlers import make_handlers
from services.notifier.mail import SmtpMailer, template_env
from services.notifier.migrations import MIGRATIONS
from services.notifier.sender import Sender
from services.notifier.settings import NotifierSettings
from services.notifier.tables import outbox as outbox_table
from shared.events import Source, decode_data, new_event
from shared.events.contracts import MessageRead, MessageReceived, ReplyDelivered
from shared.outbox import Outbox

WARM = 5
SOURCE = Source(service="careunit-mailbox", region="local")


class Statements:
    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)

    def _before(self, *_args) -> None:
        self.count += 1


class Contacts:  # identity's answers, without identity
    async def address(self, kind, ref) -> str:
        return "expedition@vardcentral.example.se"

    async def patient(self, patient_id) -> PatientContact:
        return PatientContact("anna.andersson@example.se", {})

    async def verification_address(self, verification_id) -> str | None:
        return None


async def schema_engine(url: str) -> AsyncEngine:
    schema = f"bench_notifier_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
    await admin.dispose()
    return create_async_engine(url, connect_args={"options": f"-csearch_path={schema}"})


async def timed(counter: Statements, pg_pid: int, calls: int, one) -> dict:
    for i in range(WARM):
        await one(i)
    counter.count = 0
    cpu0, pg0, wall0 = time.process_time(), procstat.cpu_ms({"pg": pg_pid}), time.monotonic()
    for i in range(WARM, WARM + calls):
        await one(i)
    return {"statements": counter.count / calls,
            "client_cpu_ms": (time.process_time() - cpu0) * 1000 / calls,
            "pg_cpu_ms": procstat.delta(procstat.cpu_ms({"pg": pg_pid}), pg0)["pg"] / calls,
            "wall_ms": (time.monotonic() - wall0) * 1000 / calls}


def events(i: int) -> list:
    conversation = f"c-{uuid.uuid4()}"
    received = MessageReceived(conversation_id=conversation, message_id=f"m-{i}",
                               care_unit_id="SE-BENCH-UNIT", service_type="advice")
    delivered = ReplyDelivered(conversation_id=conversation, reply_id=f"r-{i}",
                               patient_id=f"pat-{i}", care_unit_id="SE-BENCH-UNIT")
    read = MessageRead(conversation_id=conversation, patient_id=f"pat-{i}",
                       reply_ids=[f"r-{i}"])
    return [new_event(d, source=SOURCE, subject=conversation)
            for d in (received, delivered, read)]


async def measure(url: str, pg_pid: int, smtp_port: int, calls: int) -> dict:
    engine = await schema_engine(url)
    await MIGRATIONS.upgrade(engine)
    counter = Statements(engine)
    handlers = make_handlers(reminder_after_s=3600)
    settings = NotifierSettings(environment="test", smtp_host="127.0.0.1", smtp_port=smtp_port,
                                smtp_start_tls=False, sender_batch_size=1)
    mailer = SmtpMailer(settings)
    sender = Sender(engine=engine, outbox=Outbox(outbox_table, channel="bench_notifier_outbox"),
                    contacts=Contacts(), mailer=mailer, templates=template_env(),
                    settings=settings)
    result, workflows = {}, [events(i) for i in range(WARM + calls)]
    for step, name in enumerate(("MessageReceived", "ReplyDelivered", "MessageRead")):
        async def apply(i: int, step: int = step) -> None:
            envelope = workflows[i][step]
            data = decode_data(envelope)
            async with engine.begin() as conn:
                await handlers[type(data)](conn, envelope, data)
        result[f"event {name}"] = await timed(counter, pg_pid, calls, apply)

    async def send(i: int) -> None:
        assert await sender.send_due() == 1
    # Two mails per workflow are pending now (the unit's and the patient's), reminders not due.
    result["mail (claim, build, SMTP, mark sent)"] = await timed(counter, pg_pid, calls, send)
    await mailer.aclose()
    await engine.dispose()
    return result


if __name__ == "__main__":
    import services
    result = asyncio.run(measure(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                                 int(sys.argv[4])))
    print(json.dumps({"tree": str(services.__path__[0]), "ops": result}))
