"""What a mailbox's commands and handlers work with (built in its bootstrap)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.messaging.keys import AnnouncementVerifier
from shared.crypto.keyring import Keyring
from shared.events import Source
from shared.outbox import Outbox


@dataclass(frozen=True)
class MailboxContext:
    engine: AsyncEngine
    keyring: Keyring
    outbox: Outbox
    source: Source
    # The other mailbox's pinned announcement-signing key (services.messaging.keys).
    peer_announcements: AnnouncementVerifier | None = None
    # Attachments: the per-file cap, files per message, and the other mailbox's internal
    # API that hands over its attachments (services.messaging.attachments.peer).
    attachment_max_bytes: int = 10 * 1024 * 1024
    attachments_per_message: int = 5
    peer: Any = None

