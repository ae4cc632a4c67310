"""What a mailbox's commands and handlers work with (built in its bootstrap)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from shared.crypto.keyring import Keyring
from shared.events import Source
from shared.outbox import Outbox


@dataclass(frozen=True)
class MailboxContext:
    engine: AsyncEngine
    keyring: Keyring
    outbox: Outbox
    source: Source

