"""What identity's routes depend on, built once in bootstrap and reached through the app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from services.identity.settings import IdentitySettings
from services.identity.signing.keys import SigningKeys


@dataclass(frozen=True)
class IdentityContext:
    settings: IdentitySettings
    engine: AsyncEngine
    keys: SigningKeys


def _context(request: Request) -> IdentityContext:
    return request.app.state.identity


ContextDep = Annotated[IdentityContext, Depends(_context)]
