"""The audit database's tables for the auditors: what each record is about (unit, patient,
staff member, message), the review queue, and the outbox of the auditors' stream.

These sit beside the hash-chained `audit_records` without changing it: they are derived from
each record in the transaction that appends it, so they never disagree with the chain."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
)

from services.audit.tables import outbox  # noqa: F401  (the service's one outbox)

metadata = MetaData()

facts = Table(
    "audit_facts", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("event_type", String(200), nullable=False),
    Column("patient_id", String(100)),  # pseudonym
    Column("staff_id", String(100)),  # pseudonym; HSA-id and name are looked up in identity
    Column("message_id", String(100)),
    Column("conversation_id", String(100)),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
)
Index("audit_facts_patient", facts.c.patient_id, facts.c.seq)
Index("audit_facts_staff", facts.c.staff_id, facts.c.seq)
Index("audit_facts_message", facts.c.message_id, facts.c.event_type)
Index("audit_facts_conversation", facts.c.conversation_id)
Index("audit_facts_occurred", facts.c.occurred_at)

# A record may concern several units (a staff member's memberships): one row per unit.
record_units = Table(
    "audit_record_units", metadata,
    Column("unit_id", String(100), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
)
Index("audit_record_units_seq", record_units.c.seq)

reviews = Table(
    "audit_reviews", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),  # the access record
    Column("unit_id", String(100), nullable=False),
    Column("reasons", JSON, nullable=False),  # list of rule names, "random" for the sample
    Column("selected_at", DateTime(timezone=True), nullable=False),
    Column("reviewed_at", DateTime(timezone=True)),
    Column("reviewer_id", String(100)),
    Column("note", String(2000)),
)
Index("audit_reviews_open", reviews.c.unit_id, reviews.c.seq)

# The runtime role's rights (services.audit.roles): facts are written once with their record;
# a review is marked once, by an auditor.
APPEND_ONLY = (facts, record_units)
UPDATABLE = (reviews,)
