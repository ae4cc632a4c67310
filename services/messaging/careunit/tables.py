"""Care-unit database schema. Content is stored only sealed to this mailbox's key."""

from sqlalchemy import (JSON, Column, DateTime, ForeignKey, LargeBinary, MetaData, String,
                        Table)

from shared.crypto.keyring import define_key_tables
from shared.db import Migration
from shared.inbox import define_inbox
from shared.outbox import define_outbox
from shared.staff_access import define_staff_access

metadata = MetaData()

unit_messages = Table(
    "unit_messages", metadata,
    Column("message_id", String(100), primary_key=True),
    Column("conversation_id", String(100), nullable=False),
    Column("care_unit_id", String(100), nullable=False, index=True),
    Column("patient_id", String(100), nullable=False),
    Column("service_type", String(50), nullable=False),
    Column("status", String(20), nullable=False),  # unassigned | assigned | answered
    Column("assigned_to", String(100)),
    Column("assigned_at", DateTime(timezone=True)),
    Column("answered_at", DateTime(timezone=True)),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("sealed_key_id", String(100), nullable=False),
    Column("sealed_ciphertext", LargeBinary, nullable=False),
)

replies = Table(
    "replies", metadata,  # the unit's own copy of what it answered
    Column("reply_id", String(100), primary_key=True),
    Column("message_id", String(100), ForeignKey("unit_messages.message_id"), nullable=False,
           index=True),
    Column("clinician_id", String(100), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("sealed_key_id", String(100), nullable=False),
    Column("sealed_ciphertext", LargeBinary, nullable=False),
)

staff_members = Table(
    "staff_members", metadata,  # projection of identity.staff_registered
    Column("staff_id", String(100), primary_key=True),
    Column("care_unit_id", String(100), primary_key=True),
    Column("profession", String(50), nullable=False),
    Column("roles", JSON, nullable=False),
)

mailbox_keys, peer_keys = define_key_tables(metadata)
outbox_table = define_outbox(metadata)
inbox_table = define_inbox(metadata)

# Separate metadata: version 1's create_all must keep creating exactly what it always did.
access_metadata = MetaData()
staff_access = define_staff_access(access_metadata)  # current memberships, revocations

MIGRATIONS = [Migration(1, "initial schema", metadata.create_all),
              Migration(2, "staff access projection (revocation)", access_metadata.create_all)]
