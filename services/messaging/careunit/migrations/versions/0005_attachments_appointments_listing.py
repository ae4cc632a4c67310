"""care-unit mailbox: attachments (staged uploads and the files of sent and received
messages, sealed), appointments proposed in conversations, and when a change of care
centre was accepted.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.messaging.revision_tables import appointments_table, attachments_table

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("unit_messages", sa.Column("listing_accepted_at", sa.DateTime(timezone=True),
                                             nullable=True))
    attachments_table()
    appointments_table()


def downgrade() -> None:
    op.drop_table("appointments")
    op.drop_table("attachments")
    op.drop_column("unit_messages", "listing_accepted_at")
