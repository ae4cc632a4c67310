"""What a mailbox's commands and handlers work with (built in its bootstrap)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    # Attachments: the per-file cap, files per message, and the other mailbox's internal
    # API that hands over its attachments (services.messaging.attachments.peer).
    attachment_max_bytes: int = 10 * 1024 * 1024
    attachments_per_message: int = 5
    peer: Any = None


class CommandError(Exception):
    """A request that cannot be carried out; `status` is the HTTP status it maps to."""

    def __init__(self, status: int, reason: str, errors: list | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.errors = status, reason, errors

    @property
    def detail(self) -> str | dict:
        """The HTTP error body: the reason, with field errors when there are some."""
        return {"reason": self.reason, "errors": self.errors} if self.errors else self.reason
