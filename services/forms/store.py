"""forms' reads and writes: store functions over the caller's connection, so a use case puts
all of them, and its outbox events, in one transaction (`async with engine.begin()`).

What they return: a unit's form for an e-service (its editable draft and the number of its
latest published version), the immutable published versions, and the offered e-services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.forms.domain.model import FormDefinition
from services.forms.tables import form_versions, forms, unit_services


@dataclass(frozen=True)
class FormRecord:
    """A unit's form for one e-service: the editable draft plus the number of its latest
    published version (0 before the first publication)."""

    form_id: str
    unit_id: str
    service_type: str
    draft: FormDefinition
    draft_updated_at: datetime
    latest_version: int = 0
    retired_at: datetime | None = None


@dataclass(frozen=True)
class VersionRecord:
    """An immutable published version; never updated once written."""

    form_id: str
    version: int
    unit_id: str
    service_type: str
    definition: FormDefinition
    content_hash: str
    published_at: datetime
    published_by: str


@dataclass(frozen=True)
class Offer:
    service_type: str
    audience: str  # all_residents | listed_patients


async def form(conn: AsyncConnection, form_id: str, *,
               for_update: bool = False) -> FormRecord | None:
    query = select(forms).where(forms.c.form_id == form_id)
    row = (await conn.execute(query.with_for_update() if for_update else query)).first()
    return _form(row) if row else None


async def form_for(conn: AsyncConnection, unit_id: str, service_type: str) -> FormRecord | None:
    row = (await conn.execute(select(forms).where(
        forms.c.unit_id == unit_id, forms.c.service_type == service_type))).first()
    return _form(row) if row else None


async def unit_forms(conn: AsyncConnection, unit_id: str) -> list[FormRecord]:
    rows = await conn.execute(select(forms).where(forms.c.unit_id == unit_id)
                              .order_by(forms.c.service_type))
    return [_form(r) for r in rows]


async def add_form(conn: AsyncConnection, record: FormRecord) -> None:
    await conn.execute(forms.insert().values(**_form_values(record)))


async def save_form(conn: AsyncConnection, record: FormRecord) -> None:
    await conn.execute(update(forms).where(forms.c.form_id == record.form_id)
                       .values(**_form_values(record)))


async def version(conn: AsyncConnection, form_id: str, number: int) -> VersionRecord | None:
    row = (await conn.execute(select(form_versions).where(
        form_versions.c.form_id == form_id, form_versions.c.version == number))).first()
    if row is None:
        return None
    return VersionRecord(
        form_id=row.form_id, version=row.version, unit_id=row.unit_id,
        service_type=row.service_type, content_hash=row.content_hash,
        definition=FormDefinition.model_validate(row.content),
        published_at=row.published_at, published_by=row.published_by)


async def add_version(conn: AsyncConnection, v: VersionRecord) -> None:
    await conn.execute(form_versions.insert().values(
        form_id=v.form_id, version=v.version, unit_id=v.unit_id,
        service_type=v.service_type, content=v.definition.model_dump(mode="json"),
        content_hash=v.content_hash, published_at=v.published_at,
        published_by=v.published_by))


async def offers(conn: AsyncConnection, unit_id: str) -> list[Offer]:
    rows = await conn.execute(select(unit_services).where(
        unit_services.c.unit_id == unit_id).order_by(unit_services.c.service_type))
    return [Offer(r.service_type, r.audience) for r in rows]


async def set_offers(conn: AsyncConnection, unit_id: str, chosen: list[Offer]) -> None:
    await conn.execute(delete(unit_services).where(unit_services.c.unit_id == unit_id))
    if chosen:
        await conn.execute(unit_services.insert(), [
            {"unit_id": unit_id, "service_type": o.service_type, "audience": o.audience}
            for o in chosen])


def _form(row: Row) -> FormRecord:
    return FormRecord(form_id=row.form_id, unit_id=row.unit_id, service_type=row.service_type,
                      draft=FormDefinition.model_validate(row.draft),
                      draft_updated_at=row.draft_updated_at, latest_version=row.latest_version,
                      retired_at=row.retired_at)


def _form_values(record: FormRecord) -> dict[str, Any]:
    return {"form_id": record.form_id, "unit_id": record.unit_id,
            "service_type": record.service_type, "draft": record.draft.model_dump(mode="json"),
            "draft_updated_at": record.draft_updated_at,
            "latest_version": record.latest_version, "retired_at": record.retired_at}
