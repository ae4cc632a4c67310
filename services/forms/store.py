"""The PostgreSQL unit of work: one transaction per use case, events into the outbox in it."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.forms.domain.model import FormDefinition
from services.forms.ports import FormRecord, Offer, VersionRecord
from services.forms.tables import form_versions, forms, unit_services
from shared.events import Envelope
from shared.events.topics import FORMS
from shared.outbox import Outbox


class SqlUnitOfWork:
    def __init__(self, engine: AsyncEngine, outbox: Outbox) -> None:
        self._engine, self._outbox = engine, outbox
        self._tx: AbstractAsyncContextManager[AsyncConnection] | None = None
        self.conn: AsyncConnection

    async def __aenter__(self) -> Self:
        self._tx = self._engine.begin()
        self.conn = await self._tx.__aenter__()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        assert self._tx is not None
        await self._tx.__aexit__(kind, exc, tb)  # commits, or rolls back on an exception

    async def form(self, form_id: str, *, for_update: bool = False) -> FormRecord | None:
        query = select(forms).where(forms.c.form_id == form_id)
        row = (await self.conn.execute(query.with_for_update() if for_update else query)).first()
        return _form(row) if row else None

    async def form_for(self, unit_id: str, service_type: str) -> FormRecord | None:
        row = (await self.conn.execute(select(forms).where(
            forms.c.unit_id == unit_id, forms.c.service_type == service_type))).first()
        return _form(row) if row else None

    async def unit_forms(self, unit_id: str) -> list[FormRecord]:
        rows = await self.conn.execute(select(forms).where(forms.c.unit_id == unit_id)
                                       .order_by(forms.c.service_type))
        return [_form(r) for r in rows]

    async def add_form(self, form: FormRecord) -> None:
        await self.conn.execute(forms.insert().values(**_form_values(form)))

    async def save_form(self, form: FormRecord) -> None:
        await self.conn.execute(update(forms).where(forms.c.form_id == form.form_id)
                                .values(**_form_values(form)))

    async def version(self, form_id: str, version: int) -> VersionRecord | None:
        row = (await self.conn.execute(select(form_versions).where(
            form_versions.c.form_id == form_id, form_versions.c.version == version))).first()
        if row is None:
            return None
        return VersionRecord(
            form_id=row.form_id, version=row.version, unit_id=row.unit_id,
            service_type=row.service_type, content_hash=row.content_hash,
            definition=FormDefinition.model_validate(row.content),
            published_at=row.published_at, published_by=row.published_by)

    async def add_version(self, v: VersionRecord) -> None:
        await self.conn.execute(form_versions.insert().values(
            form_id=v.form_id, version=v.version, unit_id=v.unit_id,
            service_type=v.service_type, content=v.definition.model_dump(mode="json"),
            content_hash=v.content_hash, published_at=v.published_at,
            published_by=v.published_by))

    async def offers(self, unit_id: str) -> list[Offer]:
        rows = await self.conn.execute(select(unit_services).where(
            unit_services.c.unit_id == unit_id).order_by(unit_services.c.service_type))
        return [Offer(r.service_type, r.audience) for r in rows]

    async def set_offers(self, unit_id: str, offers: list[Offer]) -> None:
        await self.conn.execute(delete(unit_services).where(unit_services.c.unit_id == unit_id))
        if offers:
            await self.conn.execute(unit_services.insert(), [
                {"unit_id": unit_id, "service_type": o.service_type, "audience": o.audience}
                for o in offers])

    async def emit(self, key: str, event: Envelope) -> None:
        await self._outbox.enqueue(self.conn, FORMS, key, event)


def _form(row: Row) -> FormRecord:
    return FormRecord(form_id=row.form_id, unit_id=row.unit_id, service_type=row.service_type,
                      draft=FormDefinition.model_validate(row.draft),
                      draft_updated_at=row.draft_updated_at, latest_version=row.latest_version,
                      retired_at=row.retired_at)


def _form_values(form: FormRecord) -> dict[str, Any]:
    return {"form_id": form.form_id, "unit_id": form.unit_id,
            "service_type": form.service_type, "draft": form.draft.model_dump(mode="json"),
            "draft_updated_at": form.draft_updated_at, "latest_version": form.latest_version,
            "retired_at": form.retired_at}
