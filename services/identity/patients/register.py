"""identity's copy of the population register (folkbokföringen): who may register, their
name, postal address and protected identity (sekretessmarkering), and the care centre they
are listed at (listad vid; a unit id, which goes into their access tokens as `listed_unit`
so that units can offer e-services to their listed patients only).

A person with protected identity has no address stored at all: an import drops whatever
address the file carries for them, and the table refuses one (a check constraint), so no
API, letter or log can show it. Imports are idempotent upserts keyed by personnummer.

File formats: CSV with the header `personnummer,given_name,family_name,care_of,street,
postal_code,city,protected_identity,listed_unit` (listed_unit may be empty or left out), or
JSON (a list of such objects, or {"persons": [...]}).
Run `python -m services.identity.patients.register import FILE [--check]` (IDENTITY_DATABASE_URL);
identity also imports IDENTITY_POPULATION_REGISTER_FILE at start-up."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.identity.migrations import MIGRATIONS
from services.identity.patients import personnummer
from services.identity.patients.tables import population_register
from services.identity.settings import IdentitySettings
from shared.db import make_engine

ADDRESS_FIELDS = ("care_of", "street", "postal_code", "city")
_IMPORT_LOCK = 7342110
_CHUNK = 1000


class RegisterEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    personnummer: str
    samordningsnummer: bool = False  # derived from the number, never read from the file
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    care_of: str | None = Field(default=None, max_length=200)
    street: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=10)
    city: str | None = Field(default=None, max_length=100)
    protected_identity: bool = False
    # The care unit's HSA-id (e.g. SE2321000016-TEST1); None: not listed anywhere.
    listed_unit: str | None = Field(default=None, max_length=100, pattern=r"^[A-Za-z0-9-]+$")

    @model_validator(mode="before")
    @classmethod
    def _normalize(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = {k: (None if v == "" else v) for k, v in data.items()}
        number = personnummer.parse(str(data.get("personnummer") or ""))
        data |= {"personnummer": number.value, "samordningsnummer": number.samordningsnummer}
        if str(data.get("protected_identity") or "").lower() in ("true", "1", "yes", "ja"):
            data |= dict.fromkeys(ADDRESS_FIELDS)  # sekretessmarkering: never keep the address
        return data

    @property
    def has_address(self) -> bool:
        return bool(self.street and self.postal_code and self.city)


class RegisterFileError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} invalid row(s): " + "; ".join(problems[:20]))
        self.problems = problems


def parse_rows(rows: list[dict[str, Any]]) -> list[RegisterEntry]:
    """Validated entries, or RegisterFileError naming each bad row (never its content)."""
    entries, problems, seen = [], [], set()
    for n, row in enumerate(rows, start=1):
        try:
            entry = RegisterEntry.model_validate(row)
        except ValidationError as exc:
            problems += [f"row {n}: {'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}"
                         for e in exc.errors(include_input=False)]
            continue
        if entry.personnummer in seen:
            problems.append(f"row {n}: personnummer: duplicate")
        seen.add(entry.personnummer)
        entries.append(entry)
    if problems:
        raise RegisterFileError(problems)
    return entries


def load_file(path: Path) -> list[RegisterEntry]:
    content = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        data = json.loads(content)
        rows = data.get("persons", []) if isinstance(data, dict) else data
    else:
        rows = list(csv.DictReader(io.StringIO(content)))
    return parse_rows(rows)


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int


async def import_entries(conn: AsyncConnection, entries: list[RegisterEntry],
                         now: datetime | None = None) -> ImportResult:
    """Upsert every entry (the file is the truth for the people it names)."""
    now = now or datetime.now(UTC)
    await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _IMPORT_LOCK})
    added = updated = 0
    for start in range(0, len(entries), _CHUNK):
        chunk = entries[start:start + _CHUNK]
        known = {r.personnummer: r for r in await conn.execute(
            select(population_register).where(population_register.c.personnummer.in_(
                [e.personnummer for e in chunk])))}
        for entry in chunk:
            row = known.get(entry.personnummer)
            if row is not None and all(getattr(row, k) == v for k, v in entry.model_dump().items()):
                continue
            added, updated = (added + 1, updated) if row is None else (added, updated + 1)
            values = entry.model_dump() | {"imported_at": now}
            await conn.execute(insert(population_register).values(**values).on_conflict_do_update(
                index_elements=["personnummer"], set_=values))
    return ImportResult(added, updated, len(entries) - added - updated)


async def lookup(conn: AsyncConnection, number: str) -> RegisterEntry | None:
    row = (await conn.execute(select(population_register)
                              .where(population_register.c.personnummer == number))).first()
    if row is None:
        return None
    return RegisterEntry.model_construct(**{k: getattr(row, k) for k in RegisterEntry.model_fields})


async def _import_into_database(entries: list[RegisterEntry]) -> ImportResult:
    engine = make_engine(IdentitySettings().database_url, pool_size=1)
    try:
        await MIGRATIONS.upgrade(engine)
        async with engine.begin() as conn:
            return await import_entries(conn, entries)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.identity.patients.register",
                                     description="Population register copy of identity.")
    commands = parser.add_subparsers(dest="command", required=True)
    importing = commands.add_parser("import", help="import (upsert) a CSV or JSON file")
    importing.add_argument("file", type=Path)
    importing.add_argument("--check", action="store_true", help="validate only, write nothing")
    args = parser.parse_args(argv)
    try:
        entries = load_file(args.file)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        print(f"{len(entries)} persons, file is valid")
        return 0
    result = asyncio.run(_import_into_database(entries))
    print(f"{len(entries)} persons: {result.added} added, {result.updated} updated, "
          f"{result.unchanged} unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
