"""What forms' routes and use cases work with, built once in bootstrap (or by a test)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.forms.ports import UnitOfWork
from shared.events import Source


@dataclass(frozen=True)
class FormsContext:
    uow: Callable[[], UnitOfWork]
    source: Source
    canonical_base: str  # FHIR canonical URLs are {canonical_base}/Questionnaire/{form_id}

    def canonical(self, form_id: str) -> str:
        return f"{self.canonical_base.rstrip('/')}/Questionnaire/{form_id}"


def _context(request: Request) -> FormsContext:
    return request.app.state.forms


ContextDep = Annotated[FormsContext, Depends(_context)]
