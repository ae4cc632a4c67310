"""What the forms use cases need from storage: records and a unit of work. The SQL adapter
is store.py; unit tests use an in-memory fake with the same shape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from services.forms.domain.model import FormDefinition
from shared.events import Envelope


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


class UnitOfWork(Protocol):
    """One transaction: everything done inside commits together with the emitted events."""

    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None: ...

    async def form(self, form_id: str, *, for_update: bool = False) -> FormRecord | None: ...
    async def form_for(self, unit_id: str, service_type: str) -> FormRecord | None: ...
    async def unit_forms(self, unit_id: str) -> list[FormRecord]: ...
    async def add_form(self, form: FormRecord) -> None: ...
    async def save_form(self, form: FormRecord) -> None: ...
    async def version(self, form_id: str, version: int) -> VersionRecord | None: ...
    async def add_version(self, version: VersionRecord) -> None: ...
    async def offers(self, unit_id: str) -> list[Offer]: ...
    async def set_offers(self, unit_id: str, offers: list[Offer]) -> None: ...
    async def emit(self, key: str, event: Envelope) -> None: ...
