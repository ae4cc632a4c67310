"""Patient database schema. Message content is stored only sealed to this mailbox's key."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
)

from shared.crypto.keyring import define_key_tables
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
    Column("promised_answer_days", Integer),
)
# Keyset paging of a patient's conversations, newest first.
Index("conversations_page", conversations.c.patient_id, conversations.c.created_at.desc(),
      conversations.c.conversation_id.desc())

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
    Column("opened_at", DateTime(timezone=True)),  # by the other side
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
outbox_table = define_outbox(metadata)
inbox_table = define_inbox(metadata)
