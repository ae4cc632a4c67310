"""The envelope every event travels in.

Contracts are frozen pydantic models that ignore unknown fields (tolerant reader), so a
producer may add optional fields without breaking older consumers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.ids import uuid7

ACTOR_ID_MAX = 100  # services/audit/tables.py: records.actor_id


class Contract(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Source(Contract):
    service: str
    region: str


class Actor(Contract):
    """Who caused the event, by pseudonymous id only (never a personnummer or a name). The
    bound is the audit log's column: a longer id is refused where the event is made, instead
    of being dead-lettered by the audit consumer."""

    id: str = Field(min_length=1, max_length=ACTOR_ID_MAX)
    role: Literal["patient", "staff", "system"]


SYSTEM = Actor(id="system", role="system")


class EventData(Contract):
    """Base of every event payload. Subclasses are registered with a wire name and version."""

    event_type: ClassVar[str]
    event_version: ClassVar[int]


class Envelope(Contract):
    event_id: UUID
    type: str = Field(pattern=r"^[a-z_]+\.[a-z_]+$")
    version: int = Field(ge=1)
    source: Source
    occurred_at: datetime
    subject: str = Field(min_length=1, max_length=200)
    correlation_id: UUID
    causation_id: UUID | None = None
    actor: Actor
    data: dict[str, Any]

    @property
    def wire_name(self) -> str:
        return f"{self.type}.v{self.version}"


def new_event(
    data: EventData,
    *,
    source: Source,
    subject: str,
    actor: Actor = SYSTEM,
    cause: Envelope | None = None,
    correlation_id: UUID | None = None,
    event_id: UUID | None = None,
) -> Envelope:
    """Build an envelope; when caused by another event, carry its correlation id."""
    return Envelope(
        event_id=event_id or uuid7(),
        type=data.event_type,
        version=data.event_version,
        source=source,
        occurred_at=datetime.now(UTC),
        subject=subject,
        correlation_id=correlation_id or (cause.correlation_id if cause else uuid7()),
        causation_id=cause.event_id if cause else None,
        actor=actor,
        data=data.model_dump(mode="json"),
    )
