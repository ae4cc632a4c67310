"""In-memory unit of work with the same shape as services.forms.store.SqlUnitOfWork: changes
and events become visible only when the block exits without an exception (atomicity)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Self

from services.forms.ports import FormRecord, Offer, VersionRecord
from shared.events import Envelope


@dataclass
class FakeDatabase:
    forms: dict[str, FormRecord] = field(default_factory=dict)
    versions: dict[tuple[str, int], VersionRecord] = field(default_factory=dict)
    offers: dict[str, list[Offer]] = field(default_factory=dict)
    outbox: list[tuple[str, Envelope]] = field(default_factory=list)
    commits: int = 0

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    def events(self, wire_type: str | None = None) -> list[Envelope]:
        return [e for _, e in self.outbox if wire_type in (None, e.type)]


class FakeUnitOfWork:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    async def __aenter__(self) -> Self:
        self.work = copy.deepcopy({k: getattr(self.db, k)
                                   for k in ("forms", "versions", "offers", "outbox")})
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is None:
            for key, value in self.work.items():
                setattr(self.db, key, value)
            self.db.commits += 1

    async def form(self, form_id: str, *, for_update: bool = False) -> FormRecord | None:
        return self.work["forms"].get(form_id)

    async def form_for(self, unit_id: str, service_type: str) -> FormRecord | None:
        return next((f for f in self.work["forms"].values()
                     if (f.unit_id, f.service_type) == (unit_id, service_type)), None)

    async def unit_forms(self, unit_id: str) -> list[FormRecord]:
        return sorted((f for f in self.work["forms"].values() if f.unit_id == unit_id),
                      key=lambda f: f.service_type)

    async def add_form(self, form: FormRecord) -> None:
        assert form.form_id not in self.work["forms"]
        assert await self.form_for(form.unit_id, form.service_type) is None
        self.work["forms"][form.form_id] = form

    async def save_form(self, form: FormRecord) -> None:
        self.work["forms"][form.form_id] = form

    async def version(self, form_id: str, version: int) -> VersionRecord | None:
        return self.work["versions"].get((form_id, version))

    async def add_version(self, version: VersionRecord) -> None:
        key = (version.form_id, version.version)
        assert key not in self.work["versions"], "versions are immutable"
        self.work["versions"][key] = version

    async def offers(self, unit_id: str) -> list[Offer]:
        return sorted(self.work["offers"].get(unit_id, []), key=lambda o: o.service_type)

    async def set_offers(self, unit_id: str, offers: list[Offer]) -> None:
        self.work["offers"][unit_id] = list(offers)

    async def emit(self, key: str, event: Envelope) -> None:
        self.work["outbox"].append((key, event))
