"""The audit database: its inbox, the append-only record table and the chain head.

seq is assigned under the chain-head lock as head + 1 instead of from a sequence, so it has
no gaps: a missing number is a missing record, which an auditor can see."""

from __future__ import annotations

from sqlalchemy import (
                        BigInteger,
                        CheckConstraint,
                        Column,
                        DateTime,
                        Index,
                        Integer,
                        MetaData,
                        SmallInteger,
                        String,
                        Table,
                        Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared.inbox import define_inbox
from shared.staff_access import define_staff_access

metadata = MetaData()
inbox = define_inbox(metadata)
# Auditors' current units and revocations (shared.staff_access).
access_metadata = MetaData()
staff_access = define_staff_access(access_metadata)

records = Table(
    "audit_records", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("event_type", String(200), nullable=False),
    Column("event_version", Integer, nullable=False),
    Column("subject", String(200), nullable=False),
    Column("actor_id", String(100), nullable=False),
    Column("actor_role", String(20), nullable=False),
    Column("source_service", String(100), nullable=False),
    Column("source_region", String(100), nullable=False),
    Column("correlation_id", Uuid, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("summary", JSONB, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
Index("audit_records_subject", records.c.subject, records.c.seq)
Index("audit_records_type", records.c.event_type, records.c.seq)

chain_head = Table(
    "audit_chain_head", metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="audit_chain_head_single_row"),
)
