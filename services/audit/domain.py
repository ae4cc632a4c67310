"""The audit log's rules, pure: what a record holds and how the hash chain is built and
checked.

hash(n) = sha256(hash(n-1) as hex text || canonical JSON of record n), starting from 64
zeros. Canonical JSON: sorted keys, no spaces, UTF-8, timestamps as UTC ISO-8601 with
microseconds. Record numbers (seq) have no gaps, so a missing record shows as a gap. Each record's (seq,
hash) is also signed (services.audit.signing), and verification is in
services.audit.verification."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.events import Envelope

GENESIS = "0" * 64
_SEALED_SHAPE = {"suite", "key_id", "ciphertext"}


def strip_sealed(value: Any) -> Any:
    """The payload without sealed items: the log keeps ids and facts, never ciphertexts
    (which would outlive key rotation and make the log a copy of the mailboxes)."""
    if isinstance(value, dict):
        return {k: strip_sealed(v) for k, v in value.items()
                if not k.startswith("sealed_") and not _is_sealed(v)}
    if isinstance(value, list):
        return [strip_sealed(v) for v in value if not _is_sealed(v)]
    return value


def _is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and _SEALED_SHAPE <= value.keys()


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    event_id: str
    event_type: str
    event_version: int
    subject: str
    actor_id: str
    actor_role: str
    source_service: str
    source_region: str
    correlation_id: str
    occurred_at: datetime
    recorded_at: datetime
    summary: dict[str, Any]
    # Recorded by reconciliation from the care-unit mailbox's access log, not from the event
    # (the event never arrived, or failed in the consumer).
    recovered: bool = False


def entry_from(envelope: Envelope, *, seq: int, recorded_at: datetime) -> AuditEntry:
    return AuditEntry(
        seq=seq, event_id=str(envelope.event_id), event_type=envelope.type,
        event_version=envelope.version, subject=envelope.subject, actor_id=envelope.actor.id,
        actor_role=envelope.actor.role, source_service=envelope.source.service,
        source_region=envelope.source.region, correlation_id=str(envelope.correlation_id),
        occurred_at=_aware(envelope.occurred_at), recorded_at=recorded_at,
        summary=strip_sealed(envelope.data))


def _aware(value: datetime) -> datetime:
    # A producer's naive timestamp is taken as UTC, so hashing and the database agree on it.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(entry: AuditEntry) -> bytes:
    # A shallow copy: json.dumps only reads the summary, and dataclasses.asdict's deep copy
    # of it was 8 % of the audit service's CPU under load. The summary holds no dataclasses.
    fields = dict(entry.__dict__)
    fields["occurred_at"] = _timestamp(entry.occurred_at)
    fields["recorded_at"] = _timestamp(entry.recorded_at)
    if not entry.recovered:  # absent unless set: records made before the flag hash as before
        del fields["recovered"]
    return json.dumps(fields, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


def chain_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical(entry)).hexdigest()
