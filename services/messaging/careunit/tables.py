"""Care-unit database schema. Content is stored only sealed to this mailbox's key."""

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
    Text,
    text,
)

from shared.crypto.keyring import define_key_tables
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
    # unassigned | assigned | answered | waiting | closed (services.messaging.domain.Case)
    Column("status", String(20), nullable=False),
    Column("assigned_to", String(100)),
    Column("assigned_at", DateTime(timezone=True)),
    Column("answered_at", DateTime(timezone=True)),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("sealed_key_id", String(100), nullable=False),
    Column("sealed_ciphertext", LargeBinary, nullable=False),
    Column("group_id", String(50)),  # the group whose pool holds it (or held it)
    Column("due_at", DateTime(timezone=True)),  # received_at + promised answer time
    Column("last_activity_at", DateTime(timezone=True)),
    Column("unread_from_patient", Boolean, nullable=False, server_default="false"),
    Column("opened_at", DateTime(timezone=True)),  # first staff open: patient's receipt
    Column("closed_at", DateTime(timezone=True)),
    Column("overdue_notified_at", DateTime(timezone=True)),
    # Keyset paging of a unit's inbox by (received_at, message_id), whole and per status:
    # listing cost then depends on the page, not on the size of the inbox.
    Index("unit_messages_page", "care_unit_id", "received_at", "message_id"),
    Index("unit_messages_status_page", "care_unit_id", "status", "received_at", "message_id"),
    Index("unit_messages_holder", "assigned_to", "status"),
    # The overdue check's scan: only cases still waiting for an answer.
    Index("unit_messages_overdue", "due_at", postgresql_where=text(
        "overdue_notified_at IS NULL AND status IN ('unassigned', 'assigned')")),
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
    Column("action", String(10), nullable=False, server_default="answer"),
    Column("opened_at", DateTime(timezone=True)),  # when the patient opened it
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

staff_access = define_staff_access(metadata)  # current memberships, revocations

follow_ups = Table(
    "follow_ups", metadata,  # the patient's later messages in a conversation
    Column("follow_up_id", String(100), primary_key=True),
    Column("message_id", String(100), nullable=False, index=True),  # the case
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("sealed_key_id", String(100), nullable=False),
    Column("sealed_ciphertext", LargeBinary, nullable=False),
    Column("opened_at", DateTime(timezone=True)),  # first staff open
)
unit_groups = Table(
    "unit_groups", metadata,
    Column("care_unit_id", String(100), primary_key=True),
    Column("group_id", String(50), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("profession", String(50), nullable=False),  # whose members belong to it
)
staff_away = Table(
    "staff_away", metadata,
    Column("care_unit_id", String(100), primary_key=True),
    Column("staff_id", String(100), primary_key=True),
    Column("away", Boolean, nullable=False),
    Column("changed_by", String(100), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)
answer_templates = Table(
    "answer_templates", metadata,
    Column("template_id", String(100), primary_key=True),
    Column("level", String(10), nullable=False),  # national | unit | personal
    Column("care_unit_id", String(100)),  # unit and personal
    Column("owner_id", String(100)),  # personal
    Column("title", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("answer_templates_unit", "care_unit_id", "level"),
)
answer_promises = Table(
    "answer_promises", metadata,  # a unit's own promise, overriding the default
    Column("care_unit_id", String(100), primary_key=True),
    Column("service_type", String(50), primary_key=True),
    Column("days", Integer, nullable=False),
)
