"""The audit database: its inbox and outbox, the append-only record table (partitioned by
month), the chain head, the signed checkpoints and the reconciliation cursor.

seq is assigned under the chain-head lock as head + 1 instead of from a sequence, so it has
no gaps: a missing number is a missing record, which an auditor can see. A partitioned
table's keys must hold its partition key, so seq and event_id are unique by that lock (and
the event_id check in store.append), not by a constraint."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared.inbox import define_inbox
from shared.outbox import define_outbox

# seq is a bigint: a cursor past it is refused as bad input (422) instead of reaching the
# database as an error (a 500; found by tests/security/test_api_fuzz.py).
MAX_SEQ = 2**63 - 1
from shared.staff_access import define_staff_access

metadata = MetaData()
inbox = define_inbox(metadata)
outbox = define_outbox(metadata)  # signed checkpoints on the audit topic
# Auditors' current units and revocations (shared.staff_access).
access_metadata = MetaData()
staff_access = define_staff_access(access_metadata)

records = Table(
    "audit_records", metadata,
    Column("seq", BigInteger, nullable=False, autoincrement=False),
    Column("event_id", Uuid, nullable=False),
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
    Column("recovered", Boolean, nullable=False, server_default=text("false")),
    Column("signature", String(100)),  # Ed25519 over (seq, hash); none before revision 0003
    PrimaryKeyConstraint("seq", "recorded_at", name="audit_records_pkey"),
    postgresql_partition_by="RANGE (recorded_at)",
)
Index("audit_records_subject", records.c.subject, records.c.seq)
Index("audit_records_type", records.c.event_type, records.c.seq)
Index("audit_records_event", records.c.event_id)
Index("audit_records_seq", records.c.seq)  # verification walks in seq order

chain_head = Table(
    "audit_chain_head", metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="audit_chain_head_single_row"),
)

checkpoints = Table(
    "audit_checkpoints", metadata,  # also published on the audit topic
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
    Column("region", String(100), nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", String(100), nullable=False),
)

reconciliation = Table(
    "audit_reconciliation", metadata,  # how far each source's access log is reconciled
    Column("source", String(100), primary_key=True),
    Column("after_id", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# What the runtime role may do (roles.grant_runtime): the log and its checkpoints only grow.
APPEND_ONLY = (records, checkpoints)
UPDATABLE = (chain_head, reconciliation, inbox, outbox, staff_access)  # head: trigger-guarded
