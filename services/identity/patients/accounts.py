"""Patient accounts: a person in the population register becomes a patient (a random,
pseudonymous patient id; PatientRegistered through the outbox, in the same transaction) the
first time they need to be one: when they ask for an activation letter (activation.py), or
at their first e-ID login, as on 1177, where logging in with BankID creates the account.
Someone who is not in the register never gets an account.

    patient_id = await request.app.state.patient_accounts.for_eid(engine, personnummer)

Built once in bootstrap; the login front door reaches it through the app."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.identity.patients import register
from services.identity.tables import patients
from shared.events import Actor, EventData, Source, new_event, topics
from shared.events.contracts import PatientRegistered
from shared.outbox import Outbox


@dataclass(frozen=True)
class PatientAccounts:
    outbox: Outbox
    source: Source

    async def ensure(self, conn: AsyncConnection, entry: register.RegisterEntry) -> uuid.UUID:
        """The person's patient id, made and announced if they have none yet."""
        patient_id = uuid.uuid4()  # random, not time-ordered: the pseudonym tells nothing
        made = (await conn.execute(
            insert(patients).values(patient_id=patient_id, personnummer=entry.personnummer,
                                    given_name=entry.given_name, family_name=entry.family_name)
            # Two first logins at once: one inserts (and announces), the other finds it.
            .on_conflict_do_nothing(index_elements=["personnummer"])
            .returning(patients.c.patient_id))).scalar_one_or_none()
        if made is None:
            return (await conn.execute(select(patients.c.patient_id).where(
                patients.c.personnummer == entry.personnummer))).scalar_one()
        await self.emit(conn, made, PatientRegistered(patient_id=str(made)))
        return made

    async def emit(self, conn: AsyncConnection, patient_id: uuid.UUID, data: EventData) -> None:
        event = new_event(data, source=self.source, subject=str(patient_id),
                          actor=Actor(id=str(patient_id), role="patient"))
        await self.outbox.enqueue(conn, topics.IDENTITY, str(patient_id), event)

    async def for_eid(self, engine: AsyncEngine, number: str) -> uuid.UUID | None:
        """The patient id of someone who has just proved with e-ID that they are `number`
        (12 digits): their account, a new one if they are in the register, else None."""
        async with engine.begin() as conn:
            existing = await _patient_id(conn, number)
            if existing is not None:
                return existing
            entry = await register.lookup(conn, number)
            return None if entry is None else await self.ensure(conn, entry)


async def _patient_id(conn: AsyncConnection, number: str) -> uuid.UUID | None:
    return (await conn.execute(select(patients.c.patient_id)
                               .where(patients.c.personnummer == number))).scalar_one_or_none()
