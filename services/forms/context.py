"""What forms' routes and use cases work with, built once in bootstrap (or by a test)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.events import Source
from shared.outbox import Outbox


@dataclass(frozen=True)
class FormsContext:
    engine: AsyncEngine
    outbox: Outbox  # forms.events, written in the use case's transaction
    source: Source
    canonical_base: str  # FHIR canonical URLs are {canonical_base}/Questionnaire/{form_id}

    def canonical(self, form_id: str) -> str:
        return f"{self.canonical_base.rstrip('/')}/Questionnaire/{form_id}"


def _context(request: Request) -> FormsContext:
    return request.app.state.forms


ContextDep = Annotated[FormsContext, Depends(_context)]
