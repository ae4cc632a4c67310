"""Seeding from a committed data file (services/identity/seed/*.json), idempotent.

Only what is missing is inserted (patients by personnummer; units and staff go through the
staff catalogue as a merge), and each newly inserted unit, patient or staff member emits its
registration event through the outbox in the same transaction. Events carry pseudonymous ids only.
Also the import of the configured population register file at start-up."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.identity import domain
from services.identity.catalogue import Catalogue, CatalogueStaff, CatalogueSync, read_catalogue
from services.identity.catalogue.model import CatalogueUnit
from services.identity.patients import register
from services.identity.settings import IdentitySettings
from services.identity.tables import patients
from shared.events import EventData, Source, new_event, topics
from shared.events.contracts import PatientRegistered
from shared.outbox import Outbox

log = logging.getLogger(__name__)

SEED_DIR = Path(__file__).parent / "seed"
_SEED_LOCK = 7342101  # serialises seeding between replicas that start together


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class SeedData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)  # allows a "_comment"
    care_units: list[CatalogueUnit] = []  # units and staff are a catalogue like any other
    patients: list[SeedPatient] = []
    staff: list[CatalogueStaff] = []
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
        # Through the catalogue (merge): new units and people are registered, changed
        # people announced; the seed never revokes anyone.
        listed = await self._catalogue.apply(
            conn, Catalogue(care_units=data.care_units, staff=data.staff), full=False)
        result.care_units, result.staff = listed["units"], listed["registered"]
        result.patients = await self._patients(conn, data.patients)
        if data.catalogue:
            report = await self._catalogue.apply(
                conn, read_catalogue(SEED_DIR / data.catalogue), full=False)
            result.care_units += report["units"]
            result.staff += report["registered"]
        return result

    async def _emit(self, conn: AsyncConnection, key: str, payload: EventData) -> None:
        event = new_event(payload, source=self._source, subject=key)
        await self._outbox.enqueue(conn, topics.IDENTITY, key, event)

    async def _patients(self, conn: AsyncConnection, people: list[SeedPatient]) -> int:
        known = set((await conn.execute(select(patients.c.personnummer))).scalars())
        new = [p for p in people if p.personnummer not in known]
        for person in new:
            # Random (v4), not time-ordered: the pseudonym should reveal nothing, not even when.
            patient_id = uuid.uuid4()
            # Seeded addresses stand for ones already verified (development and tests).
            verified = {"email_verified_at": func.now()} if person.email else {}
            await conn.execute(patients.insert().values(patient_id=patient_id,
                                                        **person.model_dump(), **verified))
            await self._emit(conn, str(patient_id), PatientRegistered(patient_id=str(patient_id)))
        return len(new)



async def import_population_register(engine: AsyncEngine, settings: IdentitySettings) -> None:
    """Imports the configured population register file (a seed name or a path), if any."""
    name = settings.effective_population_register_file
    if name is None:
        return
    path = Path(name) if "/" in name else SEED_DIR / name
    if not path.exists():
        log.warning("no population register file", extra={"reason": path.name})
        return
    async with engine.begin() as conn:
        result = await register.import_entries(conn, register.load_file(path))
    log.info("population register imported", extra={"count": result.added + result.updated})
