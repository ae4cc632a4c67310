"""Seeding from a committed data file (services/identity/seed/*.json), idempotent.

Only what is missing is inserted (units by unit id, patients by personnummer, staff by
HSA-id), and each newly inserted unit, patient or staff member emits its registration event
through the outbox in the same transaction. Events carry pseudonymous ids only."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.identity import domain
from services.identity.catalogue import Catalogue, CatalogueStaff, CatalogueSync, read_catalogue
from services.identity.tables import care_units, patients
from shared.events import EventData, Source, new_event, topics
from shared.events.contracts import (
    CareUnitRegistered,
    PatientRegistered,
    Role,
    ServiceType,
)
from shared.outbox import Outbox

SEED_DIR = Path(__file__).parent / "seed"
_SEED_LOCK = 7342101  # serialises seeding between replicas that start together


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeedUnit(_Strict):
    unit_id: str = Field(min_length=1, max_length=100)
    name: str
    region: str
    functional_email: str
    services: list[ServiceType]


class SeedPatient(_Strict):
    personnummer: str
    given_name: str
    family_name: str
    email: str | None = None

    @field_validator("personnummer")
    @classmethod
    def _valid(cls, value: str) -> str:
        normalized = domain.normalize_personnummer(value)
        if normalized is None:
            raise ValueError("not a valid personnummer")
        return normalized


class SeedMembership(_Strict):
    unit_id: str
    roles: list[Role]
    valid_from: date | None = None
    valid_to: date | None = None


class SeedStaff(_Strict):
    hsa_id: str = Field(min_length=1, max_length=64)
    given_name: str
    family_name: str
    profession: str
    email: str | None = None
    memberships: list[SeedMembership]
    valid_from: date | None = None
    valid_to: date | None = None


class SeedData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)  # allows a "_comment"
    care_units: list[SeedUnit] = []
    patients: list[SeedPatient] = []
    staff: list[SeedStaff] = []
    # A staff catalogue file beside the seed (LDIF, CSV or JSON), merged after the above.
    catalogue: str | None = None


def load_seed(name: str) -> SeedData:
    return SeedData.model_validate(json.loads((SEED_DIR / name).read_text(encoding="utf-8")))


@dataclass
class SeedResult:
    care_units: int = 0
    patients: int = 0
    staff: int = 0


class Seeder:
    def __init__(self, outbox: Outbox, source: Source) -> None:
        self._outbox, self._source = outbox, source
        self._catalogue = CatalogueSync(outbox, source)

    async def seed(self, conn: AsyncConnection, data: SeedData) -> SeedResult:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SEED_LOCK})
        result = SeedResult()
        result.care_units = await self._units(conn, data.care_units)
        result.patients = await self._patients(conn, data.patients)
        result.staff = await self._staff(conn, data.staff)
        if data.catalogue:
            report = await self._catalogue.apply(
                conn, read_catalogue(SEED_DIR / data.catalogue), full=False)
            result.care_units += report["units"]
            result.staff += report["registered"]
        return result

    async def _emit(self, conn: AsyncConnection, key: str, payload: EventData) -> None:
        event = new_event(payload, source=self._source, subject=key)
        await self._outbox.enqueue(conn, topics.IDENTITY, key, event)

    async def _units(self, conn: AsyncConnection, units: list[SeedUnit]) -> int:
        known = set((await conn.execute(select(care_units.c.unit_id))).scalars())
        new = [u for u in units if u.unit_id not in known]
        for unit in new:
            await conn.execute(care_units.insert().values(**unit.model_dump()))
            await self._emit(conn, unit.unit_id, CareUnitRegistered(**unit.model_dump()))
        return len(new)

    async def _patients(self, conn: AsyncConnection, people: list[SeedPatient]) -> int:
        known = set((await conn.execute(select(patients.c.personnummer))).scalars())
        new = [p for p in people if p.personnummer not in known]
        for person in new:
            # Random (v4), not time-ordered: the pseudonym should reveal nothing, not even when.
            patient_id = uuid.uuid4()
            await conn.execute(patients.insert().values(patient_id=patient_id,
                                                        **person.model_dump()))
            await self._emit(conn, str(patient_id), PatientRegistered(patient_id=str(patient_id)))
        return len(new)

    async def _staff(self, conn: AsyncConnection, people: list[SeedStaff]) -> int:
        """Through the catalogue (merge): new people are registered, changed ones announced."""
        listed = Catalogue(staff=[CatalogueStaff.model_validate(p.model_dump()) for p in people])
        return (await self._catalogue.apply(conn, listed, full=False))["registered"]
