"""Patient database schema. Message content is stored only sealed to this mailbox's key."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    text,
)

from services.messaging.appointment_rows import define_appointments
from services.messaging.attachments.blobs import define_attachments
from shared.crypto.keyring import define_key_tables
from shared.db import Migration
from shared.inbox import define_inbox
from shared.outbox import define_outbox

metadata = MetaData()

care_units = Table(
    "care_units", metadata,  # projection of identity.care_unit_registered
    Column("unit_id", String(100), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("services", JSON, nullable=False),
)

conversations = Table(
    "conversations", metadata,
    Column("conversation_id", String(100), primary_key=True),
    Column("patient_id", String(100), nullable=False, index=True),
    Column("care_unit_id", String(100), nullable=False),
    Column("service_type", String(50), nullable=False),
    # sent | received | in_progress | answered | closed | undeliverable (domain.Conversation)
    Column("status", String(20), nullable=False),
    Column("unread_reply", Boolean, nullable=False, default=False),  # superseded by opened_at
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("promised_answer_days", Integer),  # migration 3
    Column("archived_at", DateTime(timezone=True)),  # the patient archived it (migration 4)
    Column("listing_changed_at", DateTime(timezone=True)),  # listing accepted (migration 4)
)

messages = Table(
    "messages", metadata,
    Column("message_id", String(100), primary_key=True),
    Column("conversation_id", String(100), ForeignKey("conversations.conversation_id"),
           nullable=False, index=True),
    Column("direction", String(10), nullable=False),  # to_unit | to_patient
    Column("author_id", String(100), nullable=False),  # pseudonymous
    Column("sealed_key_id", String(100), nullable=False),
    Column("sealed_ciphertext", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("opened_at", DateTime(timezone=True)),  # by the other side (migration 3)
)

unit_forms = Table(
    "unit_forms", metadata,  # projection of forms.form_published / form_retired
    Column("unit_id", String(100), primary_key=True),
    Column("service_type", String(50), primary_key=True),
    Column("form_id", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("retired", Boolean, nullable=False, default=False),
)

unit_offers = Table(
    "unit_offers", metadata,  # projection of forms.unit_services_changed (full snapshots)
    Column("unit_id", String(100), primary_key=True),
    Column("services", JSON, nullable=False),  # [{"service_type", "audience"}]
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

mailbox_keys, peer_keys = define_key_tables(metadata)

# Migration 4: attachments, archive, listing change, appointments (mirrored).
attachment_metadata = MetaData()
attachments = define_attachments(attachment_metadata)
appointments = define_appointments(attachment_metadata)
outbox_table = define_outbox(metadata)
inbox_table = define_inbox(metadata)

def _initial(conn) -> None:
    metadata.create_all(conn, tables=[care_units, conversations, messages, mailbox_keys,
                                      peer_keys, outbox_table, inbox_table])


def _forms_projection(conn) -> None:
    metadata.create_all(conn, tables=[unit_forms, unit_offers])


_V3 = [
    # Version 1 creates these columns itself on a fresh database, hence IF NOT EXISTS.
    "ALTER TABLE conversations ADD COLUMN IF NOT EXISTS promised_answer_days integer",
    "ALTER TABLE messages ADD COLUMN IF NOT EXISTS opened_at timestamptz",
    "UPDATE conversations SET status = 'sent' WHERE status IN ('submitted', 'routed')",
    "UPDATE messages SET direction = 'to_patient' WHERE direction = 'from_unit'",
    ("UPDATE messages m SET opened_at = c.updated_at FROM conversations c "
    "WHERE m.conversation_id = c.conversation_id AND m.direction = 'to_patient' "
    "AND NOT c.unread_reply AND m.opened_at IS NULL"),
    # Keyset paging of a patient's conversations, newest first.
    ("CREATE INDEX IF NOT EXISTS conversations_page ON conversations "
    "(patient_id, created_at DESC, conversation_id DESC)"),
]


def _conversations_go_on(conn) -> None:
    for statement in _V3:
        conn.execute(text(statement))


_V4 = [
    "ALTER TABLE conversations ADD COLUMN IF NOT EXISTS archived_at timestamptz",
    "ALTER TABLE conversations ADD COLUMN IF NOT EXISTS listing_changed_at timestamptz",
]


def _attachments_archive_listing(conn) -> None:
    # Version 1 creates the columns itself on a fresh database, hence IF NOT EXISTS.
    for statement in _V4:
        conn.execute(text(statement))
    attachment_metadata.create_all(conn)


MIGRATIONS = [Migration(1, "initial schema", _initial),
              Migration(2, "projection of published forms and offered e-services",
                        _forms_projection),
              Migration(3, "statuses, receipts and promised answer time",
                        _conversations_go_on),
              Migration(4, "attachments, archive, listing change and appointments",
                        _attachments_archive_listing)]
