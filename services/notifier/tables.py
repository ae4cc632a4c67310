"""The notifier's own database: its inbox, outbox and the notification log (no addresses)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Uuid, func

from shared.inbox import define_inbox
from shared.outbox import define_outbox

metadata = MetaData()
inbox = define_inbox(metadata)
outbox = define_outbox(metadata)

notifications = Table(
    "notifications", metadata,
    Column("notification_id", Uuid, primary_key=True),
    Column("recipient_kind", String(20), nullable=False),
    Column("recipient_ref", String(100), nullable=False),  # unit id or patient pseudonym
    Column("reason", String(200), nullable=False),
    Column("conversation_id", String(100), nullable=False),  # or a verification's id
    # Only an address-verification mail has one: its single-use token, dropped once the mail
    # is sent (or given up on).
    Column("link_token", String(100)),
    Column("cause_event_id", Uuid, nullable=False),
    Column("correlation_id", Uuid, nullable=False),
    Column("state", String(20), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", String(100)),  # an exception class name, never a server reply
    Column("next_attempt_at", DateTime(timezone=True), nullable=False,
           server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("notifications_due", notifications.c.next_attempt_at,
      postgresql_where=notifications.c.state == "pending")
Index("notifications_conversation", notifications.c.conversation_id)
